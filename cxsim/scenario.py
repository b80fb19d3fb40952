"""The scenario schema: every input of a run, typed, bounded and documented.

One name per quantity everywhere: the YAML key is the schema field is the slider is the ODD row.
A scenario is read from YAML 1.2 (ruamel.yaml) or a dict and validated by pydantic v2 with
``extra="forbid"``, so a misspelled key is an error, and ``allow_inf_nan=False``, so every number
is finite. Errors carry the file, the line, the key path and what is wrong, e.g.
``ceo_led.yaml:13: firms.0.leadership.ceo_commitment: must be <= 1, got 1.5``.

A small input must not cost a lot of work: a scenario file is refused past a size
(``CXSIM_MAX_SCENARIO_BYTES``, default 1 MiB) before it is read, and a document past a number
of nodes, counting each YAML alias in full (``CXSIM_MAX_SCENARIO_NODES``, default 100,000), or a
nesting depth (``CXSIM_MAX_SCENARIO_DEPTH``, default 50) before it is expanded or validated.
The shipped scenarios are 1-2 KB, at most about 120 nodes and 6 levels deep.
"""

from __future__ import annotations

import copy
import difflib
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.events import AliasEvent, ScalarEvent
from ruamel.yaml.nodes import MappingNode, ScalarNode

__all__ = [
    "Scenario",
    "ScenarioError",
    "apply_overrides",
    "load_scenario",
    "parse_value",
]

Unit = Annotated[float, Field(ge=0.0, le=1.0)]


class ScenarioError(ValueError):
    """A scenario could not be read or is invalid; ``str(err)`` is one readable line."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


class _FieldError(ValueError):
    """A cross-field check's failure, with the key path (below the model checked) it is about.

    pydantic reports a ``model_validator`` failure at the model itself; ``_format_errors`` adds
    this ``loc`` so that the message names the key that is wrong, and its line.
    """

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc


# --------------------------------------------------------------------------- market


class Touchpoint(_Strict):
    """A step of the customer journey shared by every firm in the market."""

    name: str = Field(description="touchpoint label")
    traffic: float = Field(1.0, gt=0, description="relative share of interactions here")
    design: Unit = Field(0.5, description="starting visible design quality of every firm here")


def _default_touchpoints() -> list[Touchpoint]:
    return [
        Touchpoint(name="discover", traffic=1.0, design=0.65),
        Touchpoint(name="buy", traffic=1.0, design=0.6),
        Touchpoint(name="onboard", traffic=1.5, design=0.45),
        Touchpoint(name="use", traffic=3.0, design=0.6),
        Touchpoint(name="bill", traffic=1.5, design=0.4),
        Touchpoint(name="support", traffic=2.0, design=0.35),
    ]


class Era(_Strict):
    """A period of market-wide expectation drift (personal → fast → fast *and* personal)."""

    start_week: int = Field(ge=0, description="week the era begins")
    expectation_drift_per_year: float = Field(
        0.0, ge=-0.2, le=0.5, description="rise in every customer's expectation per year"
    )
    visible_weight: Unit | None = Field(
        None, description="weight customers give the visible part of quality in this era"
    )


class OutcomeLevels(_Strict):
    """Repurchase intention after a problem, by what happened to it (TARP)."""

    resolved_quickly: Unit = Field(description="complained, fixed at first contact")
    resolved: Unit = Field(description="complained, fixed eventually")
    not_resolved: Unit = Field(description="complained, not fixed")
    did_not_complain: Unit = Field(description="a silent problem")


class Market(_Strict):
    """The customer population and the market-wide rules every firm plays by."""

    customers: int = Field(20_000, ge=10, le=5_000_000, description="customers in the market")
    touchpoints: list[Touchpoint] = Field(default_factory=_default_touchpoints, min_length=1)
    interactions_per_week: Unit = Field(
        0.3, description="probability that a customer interacts with its firm in a week"
    )
    visible_weight: Unit = Field(
        0.5, description="weight of the visible (copyable) part in interaction quality"
    )
    quality_noise: float = Field(0.08, ge=0, le=1, description="sd of interaction quality noise")
    initial_expectation: Unit = Field(0.4, description="mean starting customer expectation")
    expectation_spread: float = Field(0.05, ge=0, le=0.5, description="sd of starting expectation")
    expectation_adaptation: Unit = Field(
        0.05, description="alpha: share of the gap to experienced quality closed per interaction"
    )
    best_in_market_weight: Unit = Field(
        0.2, description="pull of the best firm's quality on everyone's expectation"
    )
    brand_weight: Unit = Field(
        0.3, description="pull of a firm's brand promise on its customers' expectation"
    )
    eras: list[Era] = Field(default_factory=list, description="expectation drift periods")
    satisfaction_neutral: Unit = Field(
        0.8, description="satisfaction when quality exactly meets expectation"
    )
    delight_gain: float = Field(1.0, ge=0, le=10, description="satisfaction per unit exceeded")
    shortfall_loss: float = Field(2.0, ge=0, le=10, description="satisfaction per unit short")
    satisfaction_adaptation: Unit = Field(
        0.3, description="share of the way to an interaction's satisfaction moved per interaction"
    )
    problem_rate: Unit = Field(
        0.12, description="probability of a problem in an interaction of zero quality"
    )
    major_problem_share: Unit = Field(0.25, description="share of problems that cost money")
    complaint_rate_major: Unit = Field(0.6, description="P(complain | major problem), TARP")
    complaint_rate_minor: Unit = Field(0.15, description="P(complain | minor problem), TARP")
    escalation_rate: Unit = Field(0.03, description="P(complaint reaches management)")
    recovery_base: Unit = Field(0.3, description="P(resolved) by an unempowered frontline")
    recovery_max: Unit = Field(0.95, description="P(resolved) by a fully empowered frontline")
    outcome_minor: OutcomeLevels = Field(
        default_factory=lambda: OutcomeLevels(
            resolved_quickly=0.95, resolved=0.70, not_resolved=0.46, did_not_complain=0.37
        )
    )
    outcome_major: OutcomeLevels = Field(
        default_factory=lambda: OutcomeLevels(
            resolved_quickly=0.82, resolved=0.54, not_resolved=0.19, did_not_complain=0.09
        )
    )
    base_churn_per_month: float = Field(
        0.01, ge=0, le=0.5, description="churn at neutral satisfaction, before switching cost"
    )
    churn_sensitivity: float = Field(
        5.0, ge=0, le=30, description="kappa: log-hazard rise per unit satisfaction below neutral"
    )
    switching_cost: Unit = Field(
        0.3, description="share of the churn hazard switching cost removes"
    )
    word_of_mouth_reach: float = Field(
        0.02, ge=0, le=10, description="people a promoter reaches per week"
    )
    detractor_reach_ratio: float = Field(
        2.0, ge=0, le=10, description="people a detractor reaches per promoter reached"
    )
    word_of_mouth_effect: float = Field(
        0.5, ge=0, le=10, description="weekly switching hazard per word-of-mouth mention heard"
    )
    revenue_per_customer_week: float = Field(15.0, ge=0, description="revenue, $ per week")
    cost_to_serve_week: float = Field(9.0, ge=0, description="cost to serve, $ per customer-week")
    recovery_cost: float = Field(25.0, ge=0, description="cost of handling a complaint, $")
    discount_rate_per_year: float = Field(0.1, ge=0, le=1, description="for lifetime value")
    culture_change_rate: Unit = Field(
        0.1, description="eta: share of the way to the Friedkin-Johnsen target moved per week"
    )
    training_culture_effect: Unit = Field(
        0.02, description="weekly pull of training on a trainee's anchor, times manager commitment"
    )
    training_rate: Unit = Field(
        0.05, description="share of the way to the trained skill level gained per week"
    )
    hiring_profile_effect: Unit = Field(
        0.5, description="share of the gap to full commitment a full hiring profile closes"
    )
    design_improvement_rate: Unit = Field(
        0.01, description="weekly design gain per unit of aimed journey-mapping intensity"
    )
    voice_of_customer_memory: Unit = Field(
        0.9, description="weekly persistence of the customer signal a firm listens to"
    )
    problem_salience: Unit = Field(
        0.6, description="share of the way to the problem's outcome level satisfaction moves"
    )

    @model_validator(mode="after")
    def _check(self) -> Market:
        """Checks across fields, each failing at the key to change (the one set, if only one)."""
        given = self.model_fields_set
        for i in range(1, len(self.eras)):
            before, start = self.eras[i - 1].start_week, self.eras[i].start_week
            if start < before:
                raise _FieldError(
                    ("eras", i, "start_week"),
                    f"eras must be listed in order of start_week, got {start} after {before}",
                )
        best, brand = self.best_in_market_weight, self.brand_weight
        if best + brand > 1:
            key = "brand_weight"
            if "best_in_market_weight" in given and "brand_weight" not in given:
                key = "best_in_market_weight"
            raise _FieldError(
                (key,),
                "best_in_market_weight + brand_weight must be <= 1, "
                f"got {_num(best)} + {_num(brand)}",
            )
        low, high = self.recovery_base, self.recovery_max
        if high < low:
            if "recovery_base" in given and "recovery_max" not in given:
                raise _FieldError(
                    ("recovery_base",), f"must be <= recovery_max ({_num(high)}), got {_num(low)}"
                )
            raise _FieldError(
                ("recovery_max",), f"must be >= recovery_base ({_num(low)}), got {_num(high)}"
            )
        seen: dict[str, int] = {}
        for i, touchpoint in enumerate(self.touchpoints):
            if touchpoint.name in seen:
                raise _FieldError(
                    ("touchpoints", i, "name"),
                    f"touchpoint names must be unique, {_shown(touchpoint.name)} is also the name "
                    f"of touchpoint {seen[touchpoint.name]}",
                )
            seen[touchpoint.name] = i
        return self


# --------------------------------------------------------------------------- firm


class ByLevel(_Strict):
    """A quantity that differs by organizational level."""

    executives: float = Field(ge=0, le=1, description="executives (leaders below the CEO)")
    managers: float = Field(ge=0, le=1, description="middle managers")
    frontline: float = Field(ge=0, le=1, description="frontline staff who meet customers")


class Organization(_Strict):
    """Size and shape of the firm's org network, and how its people change."""

    executives: int = Field(6, ge=1, le=100, description="executives reporting to the CEO")
    span_of_control: int = Field(6, ge=1, le=50, description="managers per executive")
    team_size: int = Field(10, ge=1, le=200, description="frontline staff per manager")
    peer_weight: float = Field(
        0.5, ge=0, le=10, description="weight of peer ties relative to the boss tie"
    )
    susceptibility: ByLevel = Field(
        default_factory=lambda: ByLevel(executives=0.8, managers=0.8, frontline=0.8),
        description="lambda: share of a member's view set by others (1 - stubbornness)",
    )
    turnover_per_year: ByLevel = Field(
        default_factory=lambda: ByLevel(executives=0.08, managers=0.12, frontline=0.35),
        description="share of each level replaced by new hires per year",
    )
    initial_culture: Unit = Field(0.35, description="mean starting customer-first commitment")
    initial_culture_spread: float = Field(0.1, ge=0, le=0.5, description="sd of the above")
    initial_skill: Unit = Field(0.5, description="starting frontline skill")


class Leadership(_Strict):
    """The CEO: the organization's stubborn anchor."""

    ceo_commitment: Unit = Field(0.4, description="the CEO's own customer-first commitment")


class CCO(_Strict):
    """A Chief Customer Officer: a committed leader whose pull depends on authority and backing."""

    commitment: Unit = Field(0.9, description="the CCO's own commitment")
    authority: Unit = Field(0.3, description="weight of the CCO tie relative to the line boss")
    reach: Unit = Field(0.3, description="share of executives' divisions the CCO has a tie into")
    ceo_backing: Unit = Field(0.2, description="how far the CEO backs the CCO's authority")


class Program(_Strict):
    """A visible CX program: observable by rivals, so copyable."""

    start_week: int = Field(0, ge=0, description="first week the program runs")
    intensity: Unit = Field(0.5, description="how much of the program is run")
    cost_per_week: float = Field(5000.0, ge=0, description="spend per week while it runs, $")


class Programs(_Strict):
    """The visible programs a firm runs (each null = not run)."""

    journey_mapping: Program | None = Field(
        None, description="redesigns touchpoints where the voice of the customer points"
    )
    frontline_training: Program | None = Field(None, description="raises frontline skill")
    hiring_profile: Program | None = Field(None, description="hires customer-first people")
    service_tools: Program | None = Field(None, description="raises complaint-recovery capacity")


class Champions(_Strict):
    """Grassroots CX champions with cross-silo ties (working on the diagonal) and a budget."""

    count: int = Field(10, ge=0, le=10_000, description="champions among managers and frontline")
    ties_per_champion: int = Field(8, ge=0, le=200, description="cross-silo ties of each")
    commitment: Unit = Field(0.9, description="a champion's own commitment")
    tie_weight: float = Field(1.0, ge=0, le=10, description="pull of a funded champion's tie")
    unfunded_factor: Unit = Field(0.2, description="pull of an unfunded champion, relative")
    budget_per_week: float = Field(0.0, ge=0, description="champions' project budget, $ per week")
    project_cost_per_week: float = Field(
        2000.0, gt=0, description="a project is indivisible: funded in full or not at all"
    )


class Copies(_Strict):
    """The invisible war: adopt a rival's visible programs after a lag; culture is unseen."""

    firm: str = Field(description="name of the firm copied")
    lag_weeks: int = Field(26, ge=0, le=1000, description="weeks before a change is copied")


class Firm(_Strict):
    """One firm's strategy and starting state."""

    name: str = Field(min_length=1, description="unique firm label")
    initial_share: float = Field(1.0, gt=0, description="relative starting market share")
    organization: Organization = Field(default_factory=Organization)
    leadership: Leadership = Field(default_factory=Leadership)
    cco: CCO | None = Field(None, description="a Chief Customer Officer; null = none")
    empowerment: Unit = Field(0.3, description="empowerment policy for frontline staff")
    voice_of_customer: Unit = Field(
        0.5, description="share of program aim set by customer signal (rest is random)"
    )
    survey_rate: Unit = Field(0.05, description="share of silent problems surveys pick up")
    brand_promise: Unit | None = Field(None, description="promised quality; null = none")
    programs: Programs = Field(default_factory=Programs)
    champions: Champions | None = Field(None, description="grassroots champions; null = none")
    copies: Copies | None = Field(None, description="the rival this firm copies; null = none")


class Scenario(_Strict):
    """A whole run: a market and two or more firms; the first firm is the focal one."""

    name: str = Field("scenario", description="label used in results")
    description: str = Field("", description="what this scenario represents")
    steps: int = Field(260, ge=1, le=5200, description="weeks to simulate")
    market: Market = Field(default_factory=Market)
    firms: list[Firm] = Field(min_length=2, description="two or more firms; the first is focal")

    @model_validator(mode="after")
    def _check(self) -> Scenario:
        """Checks across firms, each failing at the key path of the firm's field to change."""
        seen: dict[str, int] = {}
        for i, firm in enumerate(self.firms):
            if firm.name in seen:
                raise _FieldError(
                    ("firms", i, "name"),
                    f"firm names must be unique, {_shown(firm.name)} is also the name "
                    f"of firm {seen[firm.name]}",
                )
            seen[firm.name] = i
        for i, firm in enumerate(self.firms):
            if firm.copies is None:
                continue
            where = ("firms", i, "copies", "firm")
            if firm.copies.firm not in seen:
                raise _FieldError(
                    where,
                    f"no firm named {_shown(firm.copies.firm)} (firms: {_shown(list(seen))})",
                )
            if firm.copies.firm == firm.name:
                raise _FieldError(where, "a firm cannot copy itself")
        return self

    def firm_index(self, name: str) -> int:
        return [f.name for f in self.firms].index(name)


# --------------------------------------------------------------------------- loading


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


def _line_of(doc: Any, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the deepest key in ``loc`` that exists in the ruamel document."""
    line = None
    node = doc
    for key in loc:
        lc = getattr(node, "lc", None)
        try:
            if isinstance(node, dict) and key in node:
                if lc is not None:
                    line = lc.key(key)[0] + 1
                node = node[key]
            elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
                if lc is not None:  # an alias item has its anchor's line: not before the list's
                    line = max(lc.item(key)[0], lc.line or 0) + 1
                node = node[key]
            else:
                break
        except (KeyError, TypeError, AttributeError):
            break
    return line


def _fields_at(loc: tuple[Any, ...]) -> list[str]:
    """Known field names of the model at a key path (for 'did you mean')."""
    model: Any = Scenario
    for key in loc:
        if isinstance(key, int):
            continue
        field = model.model_fields.get(key) if hasattr(model, "model_fields") else None
        if field is None:
            return []
        ann = field.annotation
        for cand in (*getattr(ann, "__args__", ()), ann):
            inner = getattr(cand, "__args__", None)
            if inner:
                cand = inner[0]
            if isinstance(cand, type) and issubclass(cand, BaseModel):
                model = cand
                break
        else:
            return []
    return list(getattr(model, "model_fields", {}))


def _num(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _shown(value: Any, width: int = 60) -> str:
    """``repr(value)``, cut to ``width`` characters so that one bad value keeps a line short."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def _path(loc: tuple[Any, ...], most: int = 8) -> str:
    """``firms.0.name``; a long path (deep nesting) is cut after ``most`` keys."""
    if not loc:
        return "(top level)"
    keys = [str(k) if len(str(k)) <= 40 else str(k)[:37] + "..." for k in loc[:most]]
    return ".".join(keys) + ("..." if len(loc) > most else "")


def _message(source: str | None, line: int | None, loc: tuple[Any, ...], what: str) -> str:
    """``source:line: key.path: what`` (no ``source:line: `` for overrides)."""
    where = "" if source is None else f"{source}:{line}: " if line else f"{source}: "
    return f"{where}{_path(loc)}: {what}"


def _describe(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    ctx = err.get("ctx", {}) or {}
    got = _shown(err.get("input"))
    if kind == "less_than_equal":
        return f"must be <= {_num(ctx.get('le'))}, got {got}"
    if kind == "greater_than_equal":
        return f"must be >= {_num(ctx.get('ge'))}, got {got}"
    if kind == "less_than":
        return f"must be < {_num(ctx.get('lt'))}, got {got}"
    if kind == "greater_than":
        return f"must be > {_num(ctx.get('gt'))}, got {got}"
    if kind == "finite_number":
        return f"must be a finite number, got {got}"
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        loc = tuple(err["loc"])
        close = difflib.get_close_matches(str(loc[-1]), _fields_at(loc[:-1]), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"unknown key{hint}"
    if kind in {"float_parsing", "float_type", "int_parsing", "int_type", "int_from_float"}:
        want = "a whole number" if kind.startswith("int") else "a number"
        return f"must be {want}, got {got}"
    if kind == "string_type":
        return f"must be text, got {got}"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} item(s)"
    if kind in {"model_type", "dict_type"}:
        return f"must be a mapping of keys, got {got}"
    if kind == "list_type":
        return f"must be a list, got {got}"
    msg = str(err.get("msg", "invalid"))
    return msg.removeprefix("Value error, ")


def _format_errors(exc: ValidationError, source: str | None, doc: Any) -> str:
    """The first error as one line (a cross-field error at the key it names), plus a count."""
    errors = exc.errors()
    err = errors[0]
    loc = tuple(err["loc"])
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, _FieldError):
        loc += cause.loc
    line = _line_of(doc, loc) if doc is not None else None
    more = len(errors) - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more > 0 else ""
    return _message(source, line, loc, _describe(err)) + tail


def _guard(data: Any, limits: _Limits, source: str | None, doc: Any) -> None:
    """``_check_limits`` with its refusal as a one-line ``ScenarioError``."""
    try:
        _check_limits(data, limits)
    except _Refused as exc:
        line = exc.line or (_line_of(doc, exc.loc) if doc is not None else None)
        raise ScenarioError(_message(source, line, exc.loc, exc.what)) from None


def _to_plain(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _to_plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_to_plain(v) for v in obj]
    return obj


def _validate(
    data: Any, source: str, limits: _Limits, doc: Any = None, copy_first: bool = False
) -> Scenario:
    """Check the limits, then expand and validate (copying ``data`` first if asked)."""
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: (top level): must be a mapping of keys")
    _guard(data, limits, source, doc)
    try:
        plain = _to_plain(copy.deepcopy(data) if copy_first else data)
        try:
            return Scenario.model_validate(plain)
        except ValidationError as exc:
            message = _format_errors(exc, source, doc)
    except RecursionError:  # only if the depth limit was raised past what Python can recurse
        message = f"{source}: {_too_deep_for_python(limits)}"
    raise ScenarioError(message)


def _read(path: Path, limits: _Limits) -> str:
    """The file's text, refused before reading if it is larger than the byte limit."""
    limit = f"the {limits.bytes:,}-byte limit for a scenario (set {BYTES_ENV} to change it)"
    try:
        size = path.stat().st_size
        if size > limits.bytes:
            raise ScenarioError(f"{path.name}: the file is {size:,} bytes, over {limit}")
        with path.open("rb") as fh:  # a pipe or /proc file has no size: read one byte too many
            raw = fh.read(limits.bytes + 1)
        if len(raw) > limits.bytes:
            raise ScenarioError(f"{path.name}: the file is over {limit}")
        return io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8").read()
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such scenario file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read: {exc}") from None


def load_scenario(source: str | Path | dict[str, Any] | Scenario) -> Scenario:
    """Read and validate a scenario from a YAML path, a YAML string path, or a dict.

    Raises ``ScenarioError`` with one line: ``file:line: key.path: what is wrong``, also for a
    file, a document or a dict past the limits on bytes, nodes and depth (see the module doc).
    """
    if isinstance(source, Scenario):
        return source
    limits = _limits()
    if isinstance(source, dict):
        return _validate(source, "<dict>", limits, copy_first=True)
    path = Path(source)
    name = path.name
    text = _read(path, limits)
    try:
        doc = _yaml(limits).load(io.StringIO(text))
    except _Refused as exc:
        raise ScenarioError(_message(name, exc.line, exc.loc, exc.what)) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ScenarioError(f"{name}{line}: not valid YAML: {exc.problem or exc}") from None
    except RecursionError:  # only if the depth limit was raised past what Python can recurse
        raise ScenarioError(f"{name}: {_too_deep_for_python(limits)}") from None
    except Exception as exc:  # ruamel raises a few unmarked errors (duplicate keys etc.)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ScenarioError(f"{name}: not valid YAML: {first}") from None
    if doc is None:
        raise ScenarioError(f"{name}: the file is empty")
    return _validate(doc, name, limits, doc)


# --------------------------------------------------------------------------- overrides


def parse_value(text: str) -> Any:
    """Parse a command-line value the way YAML 1.2 would (``1e-3`` is a float, ``no`` a string).

    A value that is not YAML, or is nested past the depth limit, stays the text it was.
    """
    try:
        return _yaml(_limits()).load(io.StringIO(text))
    except Exception:
        return text


def _set_path(data: Any, keys: list[str], value: Any, full: str) -> None:
    node = data
    for i, key in enumerate(keys):
        last = i == len(keys) - 1
        if isinstance(node, list):
            if not (key.isascii() and key.isdigit()) or len(key) > 18 or int(key) >= len(node):
                raise ScenarioError(f"{full}: no item {key!r} in a list of {len(node)}")
            idx = int(key)
            if last:
                node[idx] = value
            else:
                node = node[idx]
        elif isinstance(node, dict):
            if last:
                node[key] = value
            else:
                if node.get(key) is None:
                    node[key] = {}
                node = node[key]
        else:
            raise ScenarioError(f"{full}: {'.'.join(keys[:i])} is not a mapping or list")


def apply_overrides(scenario: Scenario | dict[str, Any], overrides: dict[str, Any]) -> Scenario:
    """Return a new validated scenario with ``{"key.path": value}`` overrides applied.

    Unknown keys, out-of-range or non-finite values, and values past the node or depth limits
    raise ``ScenarioError`` naming the key path. Setting a field inside an optional block that
    is null (``firms.0.cco.authority``) creates the block with its defaults.
    """
    limits = _limits()
    if isinstance(scenario, Scenario):
        data = scenario.model_dump()
    else:
        _guard(scenario, limits, None, None)  # before deepcopy, which recurses per level
        data = copy.deepcopy(scenario)
    for path, value in overrides.items():
        keys = path.split(".")
        if not all(keys):
            raise ScenarioError(f"{path}: not a key path (use dots, e.g. market.customers)")
        _set_path(data, keys, value, path)
    _guard(data, limits, None, None)  # a value may be an alias bomb: --set 'x=[&a [...], ...]'
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_format_errors(exc, None, None)) from None
    except RecursionError:  # only if the depth limit was raised past what Python can recurse
        raise ScenarioError(_too_deep_for_python(limits)) from None
