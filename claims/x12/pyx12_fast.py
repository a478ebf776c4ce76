"""Result-preserving speed-ups for pyx12 4.0.0, applied in the validation worker processes.

Profiling one 1,000-claim chunk (44k segments) showed pyx12 spending its time on bookkeeping that
is recomputed for every segment although its inputs never change: the loop/segment counter
formats and splits every stored path on each loop entry, reference designators ("02", "03-1")
are re-parsed with a regex for every element read, every segment runs the same checks even when
the same segment under the same map node was already found valid, and the XML map is parsed
again for every document.

Each patch replaces a private pyx12 function by one that returns exactly what the original
returns for the same arguments (same value, same exceptions), or memoises a result that is a pure
function of immutable inputs. Only SUCCESSFUL segment validations are memoised: a segment that
fails is validated again by pyx12's own code every time, so every error keeps pyx12's wording and
order. ``tests/claims/test_x12_validate.py`` validates good and defective files with and without
the patches and compares verdicts, JSON error reports and 999 responses.

Kept only where the gain is worth depending on pyx12's private functions (pyx12 is pinned to
4.0.0; ``apply`` refuses a pyx12 without a target). Each figure is what leaving that patch out
costs: ``python -m bench.pyx12_patches 2000 3``, pyx12's CPU seconds on 2,000 claims x 10 lines in
four 500-claim chunks, best of 3 alternating runs, on the shared 2-core machine under heavy load
(noisy, about +-5%): these patches and the loop-size memo 4.44 s, pyx12 alone 12.13 s.
Dropped on 2026-11-30 as not worth a private-API dependency, each saving at most 7% alone: the
loop-size memo (+0.30 s, 7%), and, measured with all 15 original patches on 4,000 claims
(6.81 s): memoised child lookup by index (5%), unique-key field (6%), first node of a loop (5%),
element validation (6%; the segment memo already covers 73% of segments) and the walker's loop
scan (6%; a re-implementation of pyx12 logic). Together those five were worth about 30% of the
patched time (all 15: 3.4 s per 2,000 claims); the commit before this one still has them.

``apply()`` is idempotent. The service process never calls it: only pool workers do (and tests).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from importlib.metadata import version
from typing import Any

import pyx12.map_if
import pyx12.map_if._loader
from pyx12.errors import EngineError
from pyx12.map_if._segment import segment_if
from pyx12.nodeCounter import NodeCounter
from pyx12.path import X12Path
from pyx12.segment import Segment

_SEGMENT_IS_VALID = segment_if.is_valid_errors
_LOAD_MAP_FILE = pyx12.map_if._loader.load_map_file
PYX12_VERSION = "4.0.0"  # pinned in pyproject.toml: the version the patches were measured on
_SAVED: list[tuple[Any, str, Any]] = []  # (owner, attribute, original class-dict value)
_MAPS: dict[tuple[str, str | None, tuple[tuple[str, Any], ...]], Any] = {}


def apply(leave_out: Iterable[str] = ()) -> None:
    """Install the patches (once per process), all but those named in ``leave_out`` (the patch
    benchmark, ``bench/pyx12_patches.py``). Refuses, before changing anything, a pyx12 that lacks
    a target: a patch must replace pyx12's function, never add an attribute pyx12 would not call."""
    if _SAVED:
        return
    check_targets()
    skipped = set(leave_out)
    for owner, attribute, replacement in PATCHES:
        if _name(owner, attribute) not in skipped:
            _SAVED.append((owner, attribute, vars(owner)[attribute]))
            setattr(owner, attribute, replacement)


def check_targets() -> None:
    """Every patched function exists where pyx12 defines it (the version pinned in pyproject)."""
    missing = [_name(o, a) for o, a, _ in PATCHES if not callable(vars(o).get(a))]
    if missing:
        raise RuntimeError(
            f"pyx12 {version('pyx12')} lacks what claims/x12/pyx12_fast.py replaces: "
            f"{', '.join(missing)}; the patches were measured on pyx12 {PYX12_VERSION}"
        )


def patch_names() -> list[str]:
    return [_name(owner, attribute) for owner, attribute, _ in PATCHES]


def _name(owner: Any, attribute: str) -> str:
    return f"{getattr(owner, '__name__', owner)}.{attribute}"


def restore() -> None:
    """Undo ``apply`` (tests compare patched and unpatched runs in one process)."""
    while _SAVED:
        owner, attribute, original = _SAVED.pop()
        setattr(owner, attribute, original)
    _MAPS.clear()
    _NODE_PATHS.clear()


def is_applied() -> bool:
    return bool(_SAVED)


# --- NodeCounter (6 methods, one patch: they share the counts' representation) ----------------
# Gain: 2.35 s of 4.44 s (+53%).
# The original keys an OrderedDict by X12Path, whose hash and equality are its formatted string,
# and reset_to_node formats and splits EVERY stored path to find the children of a loop. Keying
# by the formatted string gives the same mapping. "child's '/'-split parts extend the parent's
# parts by at least one" (X12Path.is_child_path) is exactly "child starts with parent + '/'".

_FORMATTED: dict[str, str] = {}


# The walker passes map nodes' own X12Path objects (node.x12path, built once per node and never
# modified: pyx12 mutates only the X12Path it builds locally in getnodebypath), so their formatted
# string is remembered by identity; the object is held so its id cannot be reused.
_NODE_PATHS: dict[int, tuple[X12Path, str]] = {}
_NODE_PATH_LIMIT = 50_000  # map nodes' own paths: bounded by the maps' size, in practice kept


def _key(xpath: str | X12Path) -> str:
    if isinstance(xpath, X12Path):
        known = _NODE_PATHS.get(id(xpath))
        if known is None or known[0] is not xpath:
            if len(_NODE_PATHS) >= _NODE_PATH_LIMIT:
                _NODE_PATHS.clear()
            known = _NODE_PATHS[id(xpath)] = (xpath, str(xpath.format()))
        return known[1]
    key = _FORMATTED.get(xpath)
    if key is None:
        key = _FORMATTED[xpath] = X12Path(xpath).format()
    return key


def _counter_init(
    self: NodeCounter, initialCounts: Mapping[str | X12Path, int] | None = None
) -> None:
    self._counts = {_key(k): v for k, v in (initialCounts or {}).items()}


def _counter_reset_to_node(self: NodeCounter, xpath: str | X12Path) -> None:
    prefix = _key(xpath) + "/"
    counts: dict[str, int] = self._counts
    for key in [k for k in counts if k.startswith(prefix)]:
        del counts[key]


def _counter_increment(self: NodeCounter, xpath: str | X12Path) -> None:
    counts: dict[str, int] = self._counts
    key = _key(xpath)
    counts[key] = counts.get(key, 0) + 1


def _counter_set_count(self: NodeCounter, xpath: str | X12Path, ct: int) -> None:
    self._counts[_key(xpath)] = ct


def _counter_get_count(self: NodeCounter, xpath: str | X12Path) -> int:
    return int(self._counts.get(_key(xpath), 0))


def _counter_get_state(self: NodeCounter) -> OrderedDict[X12Path, int]:
    return OrderedDict((X12Path(k), v) for k, v in self._counts.items())


# --- Segment reference designators --------------------------------------------------------------
# Gain: 0.64 s of 4.44 s (+14%).
# X12Path(ref_des) is a pure parse of the string; remember (seg_id, ele_idx, subele_idx) per string.
# Strings that make X12Path raise are never stored, so they raise again.

_REFDES: dict[str, tuple[str | None, int | None, int | None]] = {}


def _parse_refdes(self: Segment, ref_des: str) -> tuple[int | None, int | None]:
    parsed = _REFDES.get(ref_des)
    if parsed is None:
        xp = X12Path(ref_des)
        parsed = _REFDES[ref_des] = (xp.seg_id, xp.ele_idx, xp.subele_idx)
    seg_id, ele_idx, subele_idx = parsed
    if seg_id is not None and seg_id != self.seg_id:
        err_str = f"Invalid Reference Designator: {ref_des}, seg_id: {self.seg_id}"
        raise EngineError(err_str)
    return (
        ele_idx - 1 if ele_idx is not None else None,
        subele_idx - 1 if subele_idx is not None else None,
    )


# --- Segment validation ---------------------------------------------------------------------------
# Gain: 2.49 s of 4.44 s (+56%).
# segment_if.is_valid_errors(seg_data) reads the data segment only through its id, its elements'
# component values and its terminators (count of elements and components, values), and the map
# node's fixed children and syntax rules; it touches no walker or error-handler state. A segment
# with exactly the same id, terminators and component values under the same node is valid again.
# 73% of the segments of a claim file repeat one seen before (LX, SV1, DTP, ...).


def _segment_key(seg: Segment) -> tuple[Any, ...]:
    return (
        seg.seg_id,
        seg.ele_term,
        seg.subele_term,
        seg.repetition_term,
        tuple(tuple([e.value for e in comp.elements]) for comp in seg.elements),
    )


def _segment_is_valid_errors(self: segment_if, seg_data: Segment) -> tuple[bool, list[Any]]:
    key = _segment_key(seg_data)
    valid: set[tuple[Any, ...]] = self.__dict__.setdefault("_ipsbill_ok", set())
    if key in valid:
        return True, []
    ok, errors = _SEGMENT_IS_VALID(self, seg_data)
    if ok and not errors:
        _remember(valid, key)
    return ok, errors


# Unique values (claim and line ids, names, subscriber ids) never hit again, yet they filled the
# caches of their nodes: at 50,000 entries a node, a worker's peak grew with the batch (162 MiB
# at 10,000 claims, 212 MiB at 50,000). A node now forgets at 5,000 entries, which a batch of
# 10,000 claims already reaches; values that repeat (codes, dates, amounts, addresses) are few
# per node and are back in the cache after one re-validation.
_MEMORY_LIMIT = 5_000


def _remember(valid: set[Any], key: Any) -> None:
    if len(valid) >= _MEMORY_LIMIT:
        valid.clear()
    valid.add(key)


# --- Map loading ----------------------------------------------------------------------------------
# Gain: 0.55 s of 4.44 s (+12%), about 0.14 s a chunk.
# load_map_file parses the XML map (0.2 s for 837P) for every document. The map object is not
# modified by validation (counts live in the walker's NodeCounter), so a worker keeps one per file
# name, map path and parameter set.


def _load_map_file(map_file: str, param: Any, map_path: str | None = None) -> Any:
    key = (map_file, map_path, tuple(sorted(param.params.items())))
    if key not in _MAPS:
        _MAPS[key] = _LOAD_MAP_FILE(map_file, param, map_path)
    return _MAPS[key]


def preload_maps() -> None:
    """Load the interchange control map and the 837P map into the cache (worker start-up)."""
    import pyx12.params

    param = pyx12.params.params()
    for map_file in ("x12.control.00501.xml", "837.5010.X222.A1.xml"):
        _load_map_file(map_file, param)


# --- The patches ---------------------------------------------------------------------------------

PATCHES: tuple[tuple[Any, str, Callable[..., Any]], ...] = (
    (NodeCounter, "__init__", _counter_init),
    (NodeCounter, "reset_to_node", _counter_reset_to_node),
    (NodeCounter, "increment", _counter_increment),
    (NodeCounter, "setCount", _counter_set_count),
    (NodeCounter, "get_count", _counter_get_count),
    (NodeCounter, "getState", _counter_get_state),
    (Segment, "_parse_refdes", _parse_refdes),
    (segment_if, "is_valid_errors", _segment_is_valid_errors),
    (pyx12.map_if, "load_map_file", _load_map_file),
)
