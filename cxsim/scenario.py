"""The scenario schema: every input of a run, typed, bounded and documented.

One name per quantity everywhere: the YAML key is the schema field is the slider is the ODD row.
A scenario is read from YAML 1.2 (ruamel.yaml) or a dict and validated by pydantic v2 with
``extra="forbid"``, so a misspelled key is an error. Errors carry the file, the line, the key
path and what is wrong, e.g. ``ceo_led.yaml:13: firms.0.leadership.ceo_commitment: must be <= 1``.
"""

from __future__ import annotations

import copy
import difflib
import io
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError

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
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


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
        starts = [e.start_week for e in self.eras]
        if starts != sorted(starts):
            raise ValueError("eras must be listed in order of start_week")
        if self.best_in_market_weight + self.brand_weight > 1:
            raise ValueError("best_in_market_weight + brand_weight must be <= 1")
        if self.recovery_max < self.recovery_base:
            raise ValueError("recovery_max must be >= recovery_base")
        names = [t.name for t in self.touchpoints]
        if len(set(names)) != len(names):
            raise ValueError("touchpoint names must be unique")
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
        names = [f.name for f in self.firms]
        if len(set(names)) != len(names):
            raise ValueError(f"firm names must be unique, got {names}")
        for f in self.firms:
            if f.copies is not None:
                if f.copies.firm not in names:
                    raise ValueError(
                        f"{f.name}.copies.firm: no firm named {f.copies.firm!r} (firms: {names})"
                    )
                if f.copies.firm == f.name:
                    raise ValueError(f"{f.name}.copies.firm: a firm cannot copy itself")
        return self

    def firm_index(self, name: str) -> int:
        return [f.name for f in self.firms].index(name)


# --------------------------------------------------------------------------- loading


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.version = (1, 2)
    return y


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
                if lc is not None:
                    line = lc.item(key)[0] + 1
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


def _describe(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    ctx = err.get("ctx", {}) or {}
    got = err.get("input")
    if kind == "less_than_equal":
        return f"must be <= {_num(ctx.get('le'))}, got {got!r}"
    if kind == "greater_than_equal":
        return f"must be >= {_num(ctx.get('ge'))}, got {got!r}"
    if kind == "less_than":
        return f"must be < {_num(ctx.get('lt'))}, got {got!r}"
    if kind == "greater_than":
        return f"must be > {_num(ctx.get('gt'))}, got {got!r}"
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        loc = tuple(err["loc"])
        close = difflib.get_close_matches(str(loc[-1]), _fields_at(loc[:-1]), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"unknown key{hint}"
    if kind in {"float_parsing", "float_type", "int_parsing", "int_type", "int_from_float"}:
        want = "a whole number" if kind.startswith("int") else "a number"
        return f"must be {want}, got {got!r}"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} item(s)"
    if kind in {"model_type", "dict_type"}:
        return f"must be a mapping of keys, got {got!r}"
    if kind == "list_type":
        return f"must be a list, got {got!r}"
    msg = str(err.get("msg", "invalid"))
    return msg.removeprefix("Value error, ")


def _format_errors(exc: ValidationError, source: str, doc: Any) -> str:
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    path = ".".join(str(p) for p in loc) or "(top level)"
    line = _line_of(doc, loc) if doc is not None else None
    where = f"{source}:{line}" if line else source
    more = len(exc.errors()) - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more > 0 else ""
    return f"{where}: {path}: {_describe(err)}{tail}"


def _to_plain(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _to_plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_to_plain(v) for v in obj]
    return obj


def _validate(data: Any, source: str, doc: Any = None) -> Scenario:
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: (top level): must be a mapping of keys")
    try:
        return Scenario.model_validate(_to_plain(data))
    except ValidationError as exc:
        raise ScenarioError(_format_errors(exc, source, doc)) from None


def load_scenario(source: str | Path | dict[str, Any] | Scenario) -> Scenario:
    """Read and validate a scenario from a YAML path, a YAML string path, or a dict.

    Raises ``ScenarioError`` with one line: ``file:line: key.path: what is wrong``.
    """
    if isinstance(source, Scenario):
        return source
    if isinstance(source, dict):
        return _validate(copy.deepcopy(source), "<dict>")
    path = Path(source)
    name = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such scenario file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read: {exc}") from None
    try:
        doc = _yaml().load(io.StringIO(text))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ScenarioError(f"{name}{line}: not valid YAML: {exc.problem or exc}") from None
    except Exception as exc:  # ruamel raises a few unmarked errors (duplicate keys etc.)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ScenarioError(f"{name}: not valid YAML: {first}") from None
    if doc is None:
        raise ScenarioError(f"{name}: the file is empty")
    return _validate(doc, name, doc)


# --------------------------------------------------------------------------- overrides


def parse_value(text: str) -> Any:
    """Parse a command-line value the way YAML 1.2 would (``1e-3`` is a float, ``no`` a string)."""
    try:
        return _yaml().load(io.StringIO(text))
    except Exception:
        return text


def _set_path(data: Any, keys: list[str], value: Any, full: str) -> None:
    node = data
    for i, key in enumerate(keys):
        last = i == len(keys) - 1
        if isinstance(node, list):
            if not key.isdigit() or int(key) >= len(node):
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

    Unknown keys and out-of-range values raise ``ScenarioError`` naming the key path. Setting
    a field inside an optional block that is null (``firms.0.cco.authority``) creates the block
    with its defaults.
    """
    data = scenario.model_dump() if isinstance(scenario, Scenario) else copy.deepcopy(scenario)
    for path, value in overrides.items():
        keys = path.split(".")
        if not all(keys):
            raise ScenarioError(f"{path}: not a key path (use dots, e.g. market.customers)")
        _set_path(data, keys, value, path)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_format_errors(exc, "--set", None).removeprefix("--set: ")) from None
