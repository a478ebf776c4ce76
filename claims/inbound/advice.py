"""pyx12's reading of a 999, 277CA or 835: advice for small files, the verdict for ``validate``.

pyx12 places every segment in the loops of the implementation guide's map (005010X231A1 for the
999, 005010X214 for the 277CA, 005010X221A1 for the 835) and reports what the guide does not
allow. It spends about a millisecond per segment, so the service asks it only about files up to
``ADVICE_LIMIT`` characters and turns its findings into warnings (payers send files their own
guide would flag, and refusing a payment over that would be worse); ``ipsbill validate`` asks it
about every file, whatever its size.

pyx12 logs its findings with the element's value (a name, a birth date): every process that
reads files silences its ``pyx12`` logger first (``service.validation.keep_pyx12_out_of_logs``:
the app, the job worker, ``ipsbill validate``); the core configures no logging.
"""

from __future__ import annotations

import io

import pyx12.error_handler
import pyx12.errors
import pyx12.params
import pyx12.x12context

from claims.inbound.model import ParseWarning

ADVICE_LIMIT = 64 * 1024  # characters: about 2,000 segments, under two seconds of pyx12


class _Findings(pyx12.error_handler.errh_null):  # type: ignore[misc]
    """Keeps pyx12's validation findings instead of dropping them."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[ParseWarning] = []
        self.segment_id = ""

    def add_seg(
        self, map_node: object, seg: object, seg_count: int, cur_line: int, ls_id: str | None
    ) -> None:
        self.cur_line = cur_line  # so element findings carry the line of their segment
        self.segment_id = getattr(map_node, "id", "") or ""

    def isa_error(self, err_cde: str, err_str: str) -> None:
        self.found.append(ParseWarning(self.cur_line, err_cde, err_str))

    def gs_error(self, err_cde: str, err_str: str) -> None:
        self.found.append(ParseWarning(self.cur_line, err_cde, err_str))

    def st_error(self, err_cde: str, err_str: str) -> None:
        self.found.append(ParseWarning(self.cur_line, err_cde, err_str))

    def seg_error(
        self, err_cde: str, err_str: str, err_value: str | None = None, src_line: int | None = None
    ) -> None:
        line = src_line or self.cur_line
        self.found.append(ParseWarning(line, err_cde, _withhold(err_str, err_value)))

    def ele_error(
        self, err_cde: str, err_str: str, bad_value: str | None, refdes: str | None = None
    ) -> None:
        where = f"{refdes or self.segment_id}: " if refdes or self.segment_id else ""
        message = _withhold(err_str, bad_value)
        self.found.append(ParseWarning(self.cur_line, err_cde, where + message))


def _withhold(message: str, value: str | None) -> str:
    # pyx12 quotes the offending value; it may be a name or a birth date, so it is cut out.
    if not value:
        return message
    return message.replace(f" ({value})", "").replace(value, "...")


def pyx12_advice(body: str) -> tuple[ParseWarning, ...]:
    """pyx12's findings on the interchange; a file pyx12 cannot walk is one finding, not a crash."""
    findings = _Findings()
    reader = pyx12.x12context.X12ContextReader(pyx12.params.params(), findings, io.StringIO(body))
    try:
        for _ in reader.iter_segments():
            pass
    except (pyx12.errors.X12Error, pyx12.errors.EngineError) as exc:
        # pyx12's messages quote the data; only the exception's kind is passed on.
        line = getattr(findings, "cur_line", 0) or 0
        findings.found.append(ParseWarning(line, "pyx12", f"pyx12 stopped ({type(exc).__name__})"))
    finally:
        reader.close()
    return tuple(findings.found)
