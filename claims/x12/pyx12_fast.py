"""Result-preserving speed-ups for pyx12 4.0, applied in the validation worker processes.

Profiling one 1,000-claim chunk (44k segments) showed pyx12 spending its time on bookkeeping that
is recomputed for every segment although its inputs never change: the loop/segment counter
formats and splits every stored path on each loop entry, reference designators ("02", "03-1")
are re-parsed with a regex for every element read, a segment's children are searched by
sequence number with a list comprehension, and every element value runs the same length,
control-character, code-list and data-type checks even when the same value under the same map
node was already found valid.

Each patch below replaces a function by one that returns exactly what the original returns for
the same arguments (same value, same exceptions), or memoises a result that is a pure function
of immutable inputs. Only SUCCESSFUL element validations are memoised: a value that fails is
validated again by pyx12's own code every time, so every error keeps pyx12's wording and order.
``tests/claims/test_x12_validate.py`` validates good and defective files with and without the
patches and compares verdicts, JSON error reports and 999 responses.

``apply()`` is idempotent. The service process never calls it: only pool workers do (and tests).
"""

from __future__ import annotations

import bisect
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from importlib.metadata import version
from typing import Any

import pyx12.map_if
import pyx12.map_if._loader
from pyx12.errors import EngineError
from pyx12.map_if._element import element_if
from pyx12.map_if._loop import loop_if
from pyx12.map_if._segment import segment_if
from pyx12.map_walker import walk_tree
from pyx12.nodeCounter import NodeCounter
from pyx12.path import X12Path
from pyx12.segment import Segment

_ELEMENT_IS_VALID = element_if.is_valid_errors
_SEGMENT_IS_VALID = segment_if.is_valid_errors
_UNIQUE_KEY_FIELD = segment_if._resolve_unique_key_field
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


# --- NodeCounter -------------------------------------------------------------------------------
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


# --- Map node lookups ----------------------------------------------------------------------------
# Map nodes are built once from the XML map and their children / pos_map never change afterwards
# (nothing in pyx12 assigns them after map_if construction), so lookups over them are memoised on
# the node. A lookup that raises is not stored and raises again.


def _child_node_by_idx(self: segment_if, idx: int) -> Any:
    cache: dict[int, Any] = self.__dict__.setdefault("_ipsbill_by_idx", {})
    if idx in cache:
        return cache[idx]
    if idx >= len(self.children):
        return None
    found = [c for c in self.children if c.seq == idx + 1]
    if len(found) != 1:
        raise EngineError(f"idx {idx} not found in {self.id}")
    cache[idx] = found[0]
    return found[0]


def _unique_key_field(self: segment_if, seg_id: str | None, *, with_qual: bool) -> Any:
    # The result depends on seg_id only through "ENT", "CTX" and "HL" tests; callers pass the
    # node's own id or the data segment's id after checking it equals the node's id.
    cache: dict[tuple[str | None, bool], Any] = self.__dict__.setdefault("_ipsbill_key", {})
    key = (seg_id, with_qual)
    if key not in cache:
        cache[key] = _UNIQUE_KEY_FIELD(self, seg_id, with_qual=with_qual)
    return cache[key]


def _loop_len(self: loop_if) -> int:
    size: int | None = self.__dict__.get("_ipsbill_len")
    if size is None:
        size = self.__dict__["_ipsbill_len"] = sum(len(nodes) for nodes in self.pos_map.values())
    return size


def _loop_first_node(self: loop_if) -> Any:
    if "_ipsbill_first" not in self.__dict__:
        first = self.pos_map[min(self.pos_map)][0] if self.pos_map else None
        self.__dict__["_ipsbill_first"] = first
    return self.__dict__["_ipsbill_first"]


# --- Walking the map ---------------------------------------------------------------------------
# walk_tree._scan_loop_at_position tries every child of a loop from the current position on. For a
# segment child whose id differs from the data segment's, _try_match_segment_child's is_match is
# False at its first test (segment ids differ), so the call has an effect only when the child is
# required (it records the mandatory segment as possibly missing); for a loop child whose first
# node is such a segment, _is_loop_match likewise has an effect only when the loop is required.
# Those no-effect calls are skipped; every other child goes through pyx12's own methods, in the
# same order. The sorted positions of a loop are computed once.


def _scan_loop_at_position(
    self: walk_tree,
    node: Any,
    node_pos: int,
    seg_data: Segment,
    orig_node: Any,
    seg_count: int,
    cur_line: int,
    ls_id: str | None,
    pop_node_list: list[Any],
) -> Any:
    seg_id = seg_data.get_seg_id()
    for ord1 in _positions_from(node, node_pos):
        for child in node.pos_map[ord1]:
            if child.is_segment():
                if child.id != seg_id and child.usage != "R":
                    continue
                result = self._try_match_segment_child(
                    node, child, seg_data, orig_node, seg_count, cur_line, ls_id, pop_node_list
                )
            elif child.is_loop():
                if _cannot_start_loop(child, seg_id):
                    continue
                result = self._try_match_loop_child(
                    child, seg_data, seg_count, cur_line, ls_id, pop_node_list
                )
            else:
                continue
            if result is not None:
                return result
    return None


def _positions_from(node: Any, node_pos: int) -> list[int]:
    positions: list[int] | None = node.__dict__.get("_ipsbill_positions")
    if positions is None:
        positions = node.__dict__["_ipsbill_positions"] = sorted(node.pos_map)
    return positions[bisect.bisect_left(positions, node_pos) :]


def _cannot_start_loop(loop: Any, seg_id: str | None) -> bool:
    """True when _try_match_loop_child(loop, ...) would return None without any side effect."""
    if loop.usage == "R" or len(loop) <= 0:
        return False
    first = loop.get_first_node()
    return first is not None and first.is_segment() and first.id != seg_id


# --- Segment validation ---------------------------------------------------------------------------
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


# --- Element validation ---------------------------------------------------------------------------
# element_if.is_valid_errors(elem, type_list) reads only the element's value and the map node's
# fixed definition (data element type and lengths, usage, code lists, regex, the map's charset and
# icvn). A value found valid once is valid again under the same node and type list. Composites
# (more than one component) and empty values take the original path every time.


def _element_is_valid_errors(
    self: element_if, elem: Any, type_list: list[str | None] | None = None
) -> tuple[bool, list[Any]]:
    if elem is None or elem.is_composite():
        result: tuple[bool, list[Any]] = _ELEMENT_IS_VALID(self, elem, type_list)
        return result
    key = (elem.get_value(), tuple(type_list) if type_list else ())
    valid: set[tuple[str, tuple[str | None, ...]]] = self.__dict__.setdefault("_ipsbill_ok", set())
    if key in valid:
        return True, []
    ok, errors = _ELEMENT_IS_VALID(self, elem, type_list)
    if ok and not errors and key[0] != "":
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
    (segment_if, "get_child_node_by_idx", _child_node_by_idx),
    (segment_if, "_resolve_unique_key_field", _unique_key_field),
    (loop_if, "__len__", _loop_len),
    (loop_if, "get_first_node", _loop_first_node),
    (element_if, "is_valid_errors", _element_is_valid_errors),
    (segment_if, "is_valid_errors", _segment_is_valid_errors),
    (walk_tree, "_scan_loop_at_position", _scan_loop_at_position),
    (pyx12.map_if, "load_map_file", _load_map_file),
)
