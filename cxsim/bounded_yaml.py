"""YAML with bounds: a small input must not cost a lot of work.

A scenario file is refused past a size (``CXSIM_MAX_SCENARIO_BYTES``, default 1 MiB) before it is
read, and a document past a number of nodes, counting each YAML alias in full
(``CXSIM_MAX_SCENARIO_NODES``, default 100,000), or a nesting depth (``CXSIM_MAX_SCENARIO_DEPTH``,
default 50) before it is expanded or validated. The shipped scenarios are 1-2 KB, at most about
120 nodes and 6 levels deep.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer
from ruamel.yaml.events import AliasEvent, ScalarEvent
from ruamel.yaml.nodes import MappingNode, ScalarNode

from .schema import ScenarioError, _shown

BYTES_ENV = "CXSIM_MAX_SCENARIO_BYTES"
NODES_ENV = "CXSIM_MAX_SCENARIO_NODES"
DEPTH_ENV = "CXSIM_MAX_SCENARIO_DEPTH"


@dataclass(frozen=True)
class _Limits:
    """How much work a scenario may ask for: file bytes, expanded nodes, nesting levels."""

    bytes: int = 1_048_576
    nodes: int = 100_000
    depth: int = 50


def _env_limit(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ScenarioError(f"{name}={_shown(raw)}: must be a whole number >= 1")
    return value


def _limits() -> _Limits:
    """The limits in force: the defaults, or the environment's ``CXSIM_MAX_SCENARIO_*``."""
    default = _Limits()
    return _Limits(
        bytes=_env_limit(BYTES_ENV, default.bytes),
        nodes=_env_limit(NODES_ENV, default.nodes),
        depth=_env_limit(DEPTH_ENV, default.depth),
    )


def _too_many(total: int, limit: int, aliased: bool) -> str:
    how = " (counting aliases in full)" if aliased else ""
    return (
        f"the scenario reaches {total:,} nodes here{how}, over the {limit:,}-node limit "
        f"for a scenario (set {NODES_ENV} to change it)"
    )


def _too_deep(depth: int, limit: int) -> str:
    return (
        f"nested {depth:,} levels deep, over the {limit:,}-level limit for a scenario "
        f"(set {DEPTH_ENV} to change it)"
    )


def _too_deep_for_python(limits: _Limits) -> str:
    return (
        f"nested too deeply for Python to read ({DEPTH_ENV}={limits.depth} is too high; lower it)"
    )


class _Refused(Exception):
    """A limit was passed at key path ``loc`` (and ``line``, if the YAML composer knew it)."""

    def __init__(self, loc: tuple[Any, ...], what: str, line: int | None = None) -> None:
        super().__init__(what)
        self.loc, self.what, self.line = loc, what, line


class _GuardedComposer(Composer):
    """ruamel's composer, refusing a document nested or sized past the limits while reading it.

    ruamel recurses once per level and builds every node, so the limits must bite as it
    composes: otherwise a few thousand ``[`` take seconds and end in a RecursionError, and a
    megabyte of one-character items takes half a minute and most of a gigabyte. Counts the
    nodes as written, keys included; ``_check_limits`` later counts each alias in full.
    """

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader)
        self._limits: _Limits = getattr(loader, "cxsim_limits", _Limits())
        self._keys: list[Any] = []
        self._nodes = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.parser.check_event(AliasEvent):
            return super().compose_node(parent, index)
        event = self.parser.peek_event()
        named = index
        if isinstance(parent, MappingNode) and index is None:  # a key: its path is itself
            named = event if isinstance(event, ScalarEvent) else None
        key = named.value if isinstance(named, ScalarNode | ScalarEvent) else named
        if not isinstance(key, str | int):
            key = "(key)"
        loc = () if parent is None else (*self._keys, key)
        line = event.start_mark.line + 1
        if len(loc) + 1 > self._limits.depth:
            raise _Refused(loc, _too_deep(len(loc) + 1, self._limits.depth), line)
        self._nodes += 1
        if self._nodes > self._limits.nodes:
            raise _Refused(loc, _too_many(self._nodes, self._limits.nodes, False), line)
        if parent is None:
            return super().compose_node(parent, index)
        self._keys.append(key)
        try:
            return super().compose_node(parent, index)
        finally:
            self._keys.pop()


def _yaml(limits: _Limits | None = None) -> YAML:
    """A YAML 1.2 round-trip loader (keeps line numbers); with ``limits``, a guarded one."""
    y = YAML(typ="rt")
    y.version = (1, 2)
    if limits is not None:
        y.Composer = _GuardedComposer
        y.cxsim_limits = limits  # read by _GuardedComposer
    return y


_CONTAINERS = (dict, list, tuple, set, frozenset)


def _children(obj: Any) -> Iterator[tuple[Any, Any]]:
    """``(key, child)`` pairs of a container; a mapping's keys are children (nodes) too."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield key, key
            yield key, value
    elif isinstance(obj, _CONTAINERS):
        yield from enumerate(obj)


def _check_limits(data: Any, limits: _Limits) -> None:
    """Raise ``_Refused`` if ``data`` nests too deep, contains itself or expands to too many nodes.

    A YAML alias (or an object shared in a dict) is a reference that ``_to_plain`` and pydantic
    would expand, so ten short lines can stand for 10**9 nodes. Each node is counted as often as
    it would be expanded, in document order, and the check stops where the count passes the
    limit; yet each distinct container is walked once (its size and height memoised by id), so
    the check costs no more than the document's own size. Iterative, so any depth is safe.
    """
    if not isinstance(data, _CONTAINERS):
        return
    sizes: dict[int, int] = {}
    heights: dict[int, int] = {}
    walking = {id(data)}
    keys: list[Any] = []
    frames: list[list[Any]] = [[data, _children(data), 1, 1]]  # object, children, size, height
    total, aliased = 1, False
    while frames:
        frame = frames[-1]
        for key, child in frame[1]:
            if isinstance(child, _CONTAINERS) and id(child) in walking:
                raise _Refused((*keys, key), "contains itself (a reference cycle)")
            if isinstance(child, _CONTAINERS) and id(child) not in sizes:
                total += 1
                if len(frames) + 1 > limits.depth:
                    raise _Refused((*keys, key), _too_deep(len(frames) + 1, limits.depth))
                if total > limits.nodes:
                    raise _Refused((*keys, key), _too_many(total, limits.nodes, aliased))
                keys.append(key)
                walking.add(id(child))
                frames.append([child, _children(child), 1, 1])
                break
            size, height = 1, 1
            if isinstance(child, _CONTAINERS):  # seen before: an alias, expanded in full
                size, height, aliased = sizes[id(child)], heights[id(child)], True
            total += size
            frame[2] += size
            frame[3] = max(frame[3], height + 1)
            if len(frames) + height > limits.depth:
                raise _Refused((*keys, key), _too_deep(len(frames) + height, limits.depth))
            if total > limits.nodes:
                raise _Refused((*keys, key), _too_many(total, limits.nodes, aliased))
        else:
            frames.pop()
            obj, _, size, height = frame
            walking.discard(id(obj))
            sizes[id(obj)], heights[id(obj)] = size, height
            if frames:
                frames[-1][2] += size
                frames[-1][3] = max(frames[-1][3], height + 1)
                keys.pop()
