"""The scenario schema: every input of a run, typed, bounded and documented.

One name per quantity everywhere: the YAML key is the schema field is the slider is the ODD row
(the ODD parameter table is generated from these fields). pydantic v2 with ``extra="forbid"``,
so a misspelled key is an error, and ``allow_inf_nan=False``, so every number is finite.
Reading files and reporting errors is ``cxsim.scenario``'s job.

(Over 350 lines on purpose: it is one declaration, every field with its bounds and description,
and the ODD parameter table is generated from it.)
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "CCO",
    "RENAMED_KEYS",
    "ByLevel",
    "Champions",
    "Copies",
    "Era",
    "Firm",
    "Leadership",
    "Market",
    "Organization",
    "OutcomeLevels",
    "Program",
    "Programs",
    "Scenario",
    "ScenarioDeprecation",
    "ScenarioError",
    "Touchpoint",
]

Unit = Annotated[float, Field(ge=0.0, le=1.0)]


def _num(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _shown(value: Any, width: int = 60) -> str:
    """``repr(value)``, cut to ``width`` characters so that one bad value keeps a line short."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


#: keys renamed so that names agree (old key path -> new key), read under the old name with a
#: deprecation warning for one release; ``*`` stands for any list index
RENAMED_KEYS: dict[tuple[str, ...], str] = {
    ("firms", "*", "empowerment"): "empowerment_policy",
    ("market", "cost_to_serve_week"): "cost_to_serve_per_customer_week",
}


class ScenarioDeprecation(UserWarning):
    """An old scenario key, read under its new name; ``str(w)`` is one line saying what to do."""


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
    initial_expectation: Unit | None = Field(
        None,
        description="mean starting customer expectation; null = what the customer's firm "
        "delivers as it starts (its settled expectation)",
    )
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
        0.21, description="share of the way to an interaction's satisfaction moved per interaction"
    )
    problem_rate: Unit = Field(
        0.056, description="probability of a problem in an interaction of zero quality"
    )
    major_problem_share: Unit = Field(0.037, description="share of problems that cost money")
    complaint_rate_major: Unit = Field(0.58, description="P(complain | major problem), TARP")
    complaint_rate_minor: Unit = Field(0.036, description="P(complain | minor problem), TARP")
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
        0.0036, ge=0, le=0.5, description="churn at neutral satisfaction, before switching cost"
    )
    churn_sensitivity: float = Field(
        6.6, ge=0, le=30, description="kappa: log-hazard rise per unit satisfaction below neutral"
    )
    switching_cost: Unit = Field(
        0.52, description="share of the churn hazard switching cost removes"
    )
    word_of_mouth_reach: float = Field(
        0.02, ge=0, le=10, description="people a promoter reaches per week"
    )
    detractor_reach_ratio: float = Field(
        2.0, ge=0, le=10, description="people a detractor reaches per promoter reached"
    )
    word_of_mouth_effect: float = Field(
        0.11, ge=0, le=10, description="weekly switching hazard per word-of-mouth mention heard"
    )
    revenue_per_customer_week: float = Field(15.0, ge=0, description="revenue, $ per week")
    cost_to_serve_per_customer_week: float = Field(
        9.0, ge=0, description="cost to serve, $ per customer-week"
    )
    represented_customers: int = Field(
        20_000,
        ge=1,
        le=10**9,
        description="customers in the real market the simulated ones stand for: $ per customer"
        " are scaled by represented_customers / customers, so money does not depend on how many"
        " customers are simulated",
    )
    recovery_cost: float = Field(25.0, ge=0, description="cost of handling a complaint, $")
    discount_rate_per_year: float = Field(
        0.1, ge=0, le=1, description="i: yearly discount rate of the lifetime_value metric"
    )
    culture_change_rate: Unit = Field(
        0.096, description="eta: share of the way to the Friedkin-Johnsen target moved per week"
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
        0.48, description="share of the way to the problem's outcome level satisfaction moves"
    )
    problem_defection: Unit = Field(
        0.68,
        description="delta: share of the intention not to repurchase after a problem (1 - its "
        "outcome level) that the customer acts on by leaving",
    )
    warmup_weeks: int = Field(
        104,
        ge=0,
        le=2000,
        description="weeks the customers live with the firms as built before week 0 (not "
        "reported): satisfaction, expectations, shares and churn settle",
    )
    skill_weight: Unit = Field(
        0.5, description="share of staff skill (the rest: touchpoint design) in visible quality"
    )
    empowerment_weight: Unit = Field(
        0.5,
        description="share of invisible quality that needs empowerment: commitment x "
        "(1 - w + w x empowerment)",
    )
    manager_support_weight: Unit = Field(
        0.5,
        description="share of the empowerment policy realized only as far as the manager owns "
        "the customer outcome",
    )
    training_transfer_support: Unit = Field(
        0.5,
        description="share of training's skill gain that transfers only as far as the "
        "manager supports it (Baldwin & Ford 1988)",
    )
    redesign_ownership: Unit = Field(
        0.5,
        description="share of a journey-mapping redesign implemented only as far as the "
        "executives own the touchpoints",
    )
    socialization: Unit = Field(
        0.3,
        description="share of the way a new hire's own commitment moves toward the prevailing "
        "commitment of the peers it joins (Harrison & Carroll 1991)",
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
    ceo_visibility: float = Field(
        0.25,
        ge=0,
        le=10,
        description="weight of the CEO's own commitment, as every manager and frontline member "
        "reads it (what the CEO attends to, measures and rewards), relative to the boss tie",
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

    ceo_commitment: Unit = Field(
        0.35,
        description="the CEO's own customer-first commitment (default: that of the default "
        "initial_culture, a CEO who shares the prevailing culture)",
    )


class CCO(_Strict):
    """A Chief Customer Officer: executes what the CEO's commitment backs (ODD §7.4).

    Its effective authority is ``authority x min(ceo_backing, ceo_commitment)``: backing carries
    only as far as the CEO's own commitment shows.
    """

    commitment: Unit = Field(0.9, description="the CCO's own commitment")
    authority: Unit = Field(
        0.3,
        description="share of the CEO's voice on customer matters the CCO takes, for the "
        "executives it reaches, when fully backed by a fully committed CEO",
    )
    reach: Unit = Field(0.3, description="share of executives' divisions the CCO has a tie into")
    ceo_backing: Unit = Field(0.2, description="how far the CEO backs the CCO's authority")
    accountability: float = Field(
        1.0,
        ge=0,
        le=10,
        description="rise of the culture change rate in the divisions reached, per unit of "
        "effective authority (CX metrics and rewards)",
    )


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
    empowerment_policy: Unit = Field(
        0.3, description="empowerment the firm grants its frontline staff (policy)"
    )
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
