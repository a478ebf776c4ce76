"""Payer codes in plain words: the console's data table, and the operator's ``ipsbill users``."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.console.codes import _tables, explain, reason_words
from tests.service.cli_inprocess import Ran, run_cli

TODO = {"resend", "void", "write_off", "wait", "none"}


@pytest.mark.parametrize(
    ("code", "words", "todo"),
    [
        ("CO-29", "Timely filing expired", "write_off"),
        ("CO-16", "lacks information", "resend"),
        ("PR-2", "Coinsurance", "none"),  # the member's share: nothing to work
        ("A7:21", "Rejected for Invalid Information: Missing or invalid information", "resend"),
        ("A2:20", "Acceptance into adjudication", "none"),
        ("CLP02:4", "Denied", "none"),
        ("N54", "does not match the authorization", "none"),
    ],
)
def test_codes_read_in_plain_words(code: str, words: str, todo: str) -> None:
    explained = explain(code)
    assert words in explained.words and explained.todo == todo


def test_every_adjustment_reason_says_what_to_do() -> None:
    tables = _tables()
    assert len(tables["carc"]) >= 30 and len(tables["rarc"]) >= 15
    assert {entry["todo"] for entry in tables["carc"].values()} <= TODO
    assert set(tables["todo"]) == TODO


def test_an_unknown_code_is_said_to_be_unknown_not_invented() -> None:
    assert explain("CO-999").words.startswith("adjustment reason 999 (Contractual")
    assert explain("ZZ").words == "a code this console has no words for yet"
    assert reason_words("missing_service_note").startswith("The service note is missing")


def test_users_create_list_disable_from_the_command_line(tmp_path: Path) -> None:
    def run(*args: str, stdin: str = "") -> Ran:  # in this process: tests/service/cli_inprocess.py
        return run_cli(tmp_path, "u.db", "users", *args, stdin=stdin)

    made = run("create", "--role", "provider", "--provider-id", "P-01", "--username", "pat",
               "--password-stdin", stdin="a-long-password\n")  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "pat\tprovider\tP-01\tactive" in run("list").stdout
    assert run("disable", "pat").returncode == 0
    assert "pat\tprovider\tP-01\tdisabled" in run("list").stdout
    refused = run("create", "--role", "provider", "--username", "x", "--password-stdin",
                  stdin="a-long-password\n")  # fmt: skip
    assert refused.returncode == 2 and "provider" in refused.stderr
    assert "a-long-password" not in (tmp_path / "u.db").read_bytes().decode("latin-1")
