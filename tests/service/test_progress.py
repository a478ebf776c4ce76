"""Long commands' progress: plain lines when not on a terminal, a rich bar on one."""

from __future__ import annotations

import io

from service.progress import steps


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_lines_say_each_step_and_each_move_of_a_count_once() -> None:
    out = io.StringIO()
    with steps("demo", 2, out) as progress:
        progress.step("reference data stored")
        progress.count("claims written", 0, None)
        progress.count("claims written", 0, None)  # no move, no line
        progress.count("claims written", 500, 1000)
        progress.step("claim batch made")
    assert out.getvalue().splitlines() == [
        "demo [1/2] reference data stored",
        "demo claims written: 0/?",
        "demo claims written: 500/1000",
        "demo [2/2] claim batch made",
    ]


def test_a_terminal_gets_a_bar_with_counts() -> None:
    out = _Terminal()
    with steps("demo", 2, out) as progress:
        progress.step("reference data stored")
        progress.count("claims written", 1000, 1000)
    text = out.getvalue()
    assert "claims written" in text and "1000/1000" in text and "1/2" in text
