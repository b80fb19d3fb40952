"""Model invariants: conservation, bounds, spells, reproducibility, Mesa agents, mechanisms."""

from __future__ import annotations

import tracemalloc
from typing import Any

import numpy as np
import pandas as pd
import pytest

import cxsim
from cxsim import Level, StaffMember, outputs, rules
from cxsim.firm import FirmParameters, cco_authority
from cxsim.organization import Staff, build_organization

from .conftest import SMALL_ORG, small_scenario

STEPS = 30
CUSTOMERS = 3000


def rich_scenario() -> dict[str, Any]:
    """Two firms using every mechanism: CCO, champions, all programs, a brand promise, eras, a
    copier; expectations drift up fast so the clipping at 1 is exercised."""
    data = small_scenario(customers=CUSTOMERS)
    data["steps"] = STEPS
    data["market"]["eras"] = [
        {"start_week": 0, "expectation_drift_per_year": 0.1},
        {"start_week": 10, "expectation_drift_per_year": 0.5, "visible_weight": 0.3},
    ]
    data["market"]["quality_noise"] = 0.3
    focal = data["firms"][0]
    focal.update(
        {
            "cco": {"authority": 0.6, "ceo_backing": 0.5, "reach": 0.5},
            "champions": {"count": 4, "budget_per_week": 5000, "project_cost_per_week": 2000},
            "brand_promise": 0.9,
            "empowerment_policy": 0.8,
            "programs": {
                "journey_mapping": {"intensity": 0.7},
                "frontline_training": {"start_week": 2, "intensity": 0.6},
                "hiring_profile": {"start_week": 4, "intensity": 0.5},
                "service_tools": {"start_week": 6, "intensity": 0.4, "cost_per_week": 700},
            },
        }
    )
    data["firms"][1]["copies"] = {"firm": "A", "lag_weeks": 5}
    data["firms"][1]["voice_of_customer"] = 0.0
    return data


def _three_firms() -> dict[str, Any]:
    data = small_scenario(customers=CUSTOMERS)
    data["steps"] = STEPS
    data["firms"].append(
        {
            "name": "C",
            "organization": {"executives": 1, "span_of_control": 1, "team_size": 2},
            "initial_share": 2.0,
            "empowerment_policy": 0.0,
            "leadership": {"ceo_commitment": 0.0},
        }
    )
    return data


SCENARIOS = {"rich": rich_scenario, "three-firms": _three_firms}


class Run:
    """A model stepped one week at a time, with the state checks done after every step."""

    def __init__(self, data: dict[str, Any], seed: int) -> None:
        self.model = model = cxsim.CXModel(data, rng=seed)
        self.problems: list[str] = []
        for _ in range(model.scenario.steps):
            model.step()
            self._check_state()
        self.ts = model.timeseries()
        self.spells = model.customer_spells()

    def _fail(self, what: str) -> None:
        self.problems.append(f"step {self.model.steps}: {what}")

    def _check_state(self) -> None:
        m, c, org = self.model, self.model.customers, self.model.organization
        ts = m.timeseries()
        now = ts[ts.step == m.steps].customers.to_numpy()
        if not np.array_equal(now, np.bincount(c.firm, minlength=len(m.firm_names))):
            self._fail("recorded customers differ from the customers' firms")
        arrays = {
            "satisfaction": c.satisfaction,
            "expectation": c.expectation,
            "commitment": org.commitment,
            "anchor": org.anchor,
            "skill": org.skill,
            "design": m.strategies.design,
            "quality": m.week.quality,
            "visible": m.week.visible,
            "invisible": m.week.invisible,
        }
        for name, values in arrays.items():
            if not (np.all(values >= 0) and np.all(values <= 1)):
                self._fail(f"{name} outside [0, 1]: {values.min()}..{values.max()}")
        open_spells = m.customer_spells().end_step.isna()
        if open_spells.sum() != c.size:
            self._fail(f"{open_spells.sum()} open spells for {c.size} customers")


@pytest.fixture(scope="module", params=list(SCENARIOS))
def run(request: pytest.FixtureRequest) -> Run:
    return Run(SCENARIOS[request.param](), seed=7)


# --------------------------------------------------------------------------- invariants


def test_state_is_consistent_and_bounded_after_every_step(run: Run) -> None:
    assert not run.problems, run.problems[:5]


def test_timeseries_shape(run: Run) -> None:
    ts, n_firms = run.ts, len(run.model.firm_names)
    assert list(ts.columns) == cxsim.COLUMNS
    assert len(ts) == STEPS * n_firms
    assert sorted(ts.step.unique()) == list(range(1, STEPS + 1))
    assert (ts.groupby("step").firm.apply(list) == [run.model.firm_names] * STEPS).all()
    assert not ts.drop(columns=["nps"]).isna().any().any()


def test_customers_are_conserved_every_step(run: Run) -> None:
    ts = run.ts
    per_step = ts.groupby("step")
    assert (per_step.customers.sum() == CUSTOMERS).all()
    assert (per_step.acquired.sum() == per_step.churned.sum()).all()
    assert per_step.churned.sum().sum() > 0  # something did move
    first = run.spells[run.spells.start_step == 0]
    initial = np.bincount(first.firm.cat.codes, minlength=len(run.model.firm_names))
    for f, name in enumerate(run.model.firm_names):
        g = ts[ts.firm == name].sort_values("step")
        before = np.r_[initial[f], g.customers.to_numpy()[:-1]]
        assert (g.customers.to_numpy() == before + g.acquired - g.churned).all(), name
        np.testing.assert_allclose(g.churn_rate_weekly, g.churned / before)


def test_bounds_every_step(run: Run) -> None:
    ts = run.ts
    unit = [
        "satisfaction",
        "expectation",
        "commitment_leaders",
        "commitment_managers",
        "commitment_frontline",
        "empowerment_frontline",
        "quality",
        "visible_quality",
        "invisible_quality",
        "design",
        "skill",
        "market_share",
        "churn_rate_weekly",
    ]
    assert ts[unit].ge(0).all().all()
    assert ts[unit].le(1).all().all()
    np.testing.assert_allclose(ts.groupby("step").market_share.sum(), 1.0)
    np.testing.assert_allclose(ts.market_share, ts.customers / CUSTOMERS)
    assert (ts.silent_problems == ts.problems - ts.complaints).all()
    assert (ts.silent_problems >= 0).all()
    assert (ts.problems <= ts.interactions).all()
    assert (ts.recoveries <= ts.complaints).all()
    assert (ts.escalations <= ts.complaints).all()
    assert ts.nps.between(-100, 100).all()
    assert (ts[["acquired", "churned", "problems", "complaints", "recoveries"]] >= 0).all().all()
    assert ts.problems.sum() > ts.complaints.sum() > ts.recoveries.sum() > 0


def test_spells_are_consistent(run: Run) -> None:
    model, ts, spells = run.model, run.ts, run.spells
    assert list(spells.columns) == ["customer", "firm", "start_step", "end_step", "churned"]
    open_ = spells[spells.end_step.isna()]
    assert len(open_) == CUSTOMERS
    assert sorted(open_.customer) == list(range(CUSTOMERS))  # exactly one open spell each
    assert (spells.churned == spells.end_step.notna()).all()
    assert spells.churned.sum() == ts.churned.sum()
    first = spells.groupby("customer").start_step.min()
    assert (first == 0).all()
    closed = spells[spells.end_step.notna()]
    assert (closed.end_step > closed.start_step).all()
    # contiguous: each closed spell ends when the customer's next one starts, at another firm
    nxt = spells.groupby("customer")[["start_step", "firm"]].shift(-1)
    chained = spells.end_step.notna()
    assert (spells.loc[chained, "end_step"] == nxt.loc[chained, "start_step"]).all()
    assert (spells.loc[chained, "firm"] != nxt.loc[chained, "firm"]).all()  # moved to a rival
    firm_now = open_.set_index("customer").firm.astype(str).sort_index()
    assert (firm_now.to_numpy() == np.array(model.firm_names)[model.customers.firm]).all()


def test_spells_agree_with_the_weekly_flows(run: Run) -> None:
    ts, spells = run.ts.set_index(["step", "firm"]), run.spells
    closed = spells[spells.churned]
    churned = closed.groupby(["end_step", "firm"], observed=False).size()
    started = spells[spells.start_step > 0].groupby(["start_step", "firm"], observed=False).size()
    for (step, firm), row in ts.iterrows():
        assert churned.get((step, firm), 0) == row.churned, (step, firm)
        assert started.get((step, firm), 0) == row.acquired, (step, firm)


def test_finance_identities(run: Run) -> None:
    model, ts = run.model, run.ts
    m = model.scenario.market
    focal = model.scenario.firms[0]
    g = ts[ts.firm == focal.name].sort_values("step").reset_index(drop=True)
    initial = int((run.spells[run.spells.start_step == 0].firm == focal.name).sum())
    before = np.r_[initial, g.customers.to_numpy()[:-1]]  # the customers served in the week
    k = m.represented_customers / m.customers  # each simulated customer stands for k
    np.testing.assert_allclose(g.revenue, k * before * m.revenue_per_customer_week)
    np.testing.assert_allclose(
        g.profit,
        g.revenue - k * before * m.cost_to_serve_per_customer_week - g.cx_spend,
        rtol=1e-12,
    )
    programs = [p for p in focal.programs.model_dump().values() if p is not None]
    spend = np.array(
        [
            sum(p["cost_per_week"] for p in programs if p["start_week"] <= week)
            for week in range(STEPS)
        ]
    )
    budget = focal.champions.budget_per_week if focal.champions else 0.0
    np.testing.assert_allclose(g.cx_spend, spend + k * g.complaints * m.recovery_cost + budget)


def test_nps_is_that_of_the_customers_at_the_end_of_the_week(run: Run) -> None:
    model = run.model
    c = model.customers
    last = run.ts[run.ts.step == model.steps].set_index("firm")
    for f, name in enumerate(model.firm_names):
        answers = rules.nps_score(c.satisfaction[c.firm == f])  # after the week's churn
        expected = rules.net_promoter_score(answers)
        assert last.loc[name, "nps"] == pytest.approx(expected, nan_ok=True), name


# --------------------------------------------------------------------------- reproducibility


def test_same_seed_same_history_other_seed_differs() -> None:
    data = rich_scenario()
    data["steps"] = 12
    a = cxsim.CXModel(data, rng=3).run()
    b = cxsim.CXModel(data, rng=3).run()
    c = cxsim.CXModel(data, rng=4).run()
    pd.testing.assert_frame_equal(a.timeseries(), b.timeseries())
    pd.testing.assert_frame_equal(a.customer_spells(), b.customer_spells())
    np.testing.assert_array_equal(a.organization.commitment, b.organization.commitment)
    assert not a.timeseries().equals(c.timeseries())
    assert not np.array_equal(a.customers.satisfaction, c.customers.satisfaction)


def test_a_generator_is_a_seed_too() -> None:
    data = small_scenario()
    data["steps"] = 8
    a = cxsim.CXModel(data, rng=np.random.default_rng(9)).run().timeseries()
    b = cxsim.CXModel(data, rng=np.random.default_rng(9)).run().timeseries()
    pd.testing.assert_frame_equal(a, b)


def _main_stream(model: cxsim.CXModel, extra_draws: int) -> tuple[np.ndarray, ...]:
    """Step ``model`` 6 weeks, drawing ``extra_draws`` numbers from its observation stream after
    each; return the state the main stream made."""
    for _ in range(6):
        model.step()
        model.observation_rng.random(extra_draws)
    c = model.customers
    return c.firm.copy(), c.satisfaction.copy(), model.organization.commitment.copy()


@pytest.mark.parametrize("seed", [11, "generator", "legacy"])
def test_observation_draws_leave_the_main_stream_alone(seed: Any) -> None:
    def rng() -> Any:
        if seed == "generator":
            return np.random.default_rng(np.random.SeedSequence(11))
        if seed == "legacy":  # a bit generator without a seed sequence
            bits = np.random.MT19937()
            bits._legacy_seeding(11)
            return np.random.Generator(bits)
        return seed

    data = rich_scenario()
    a, b = cxsim.CXModel(data, rng=rng()), cxsim.CXModel(data, rng=rng())
    # deterministic given the seed, and not the main stream
    np.testing.assert_array_equal(a.observation_rng.random(3), b.observation_rng.random(3))
    for x, y in zip(_main_stream(a, 0), _main_stream(b, 1000), strict=True):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(a.rng.random(3), b.rng.random(3))
    ts_a, ts_b = a.timeseries(), b.timeseries()
    pd.testing.assert_frame_equal(  # only the escalations, drawn from the observation stream
        ts_a.drop(columns="escalations"), ts_b.drop(columns="escalations")
    )


def test_the_observation_stream_draws_nothing_from_the_main_one() -> None:
    for seed in [5, None, np.random.default_rng(5)]:
        model = cxsim.CXModel(small_scenario(), rng=seed)
        state = model.rng.bit_generator.state
        obs = outputs.observation_rng(model.rng)
        assert model.rng.bit_generator.state == state
        assert obs.bit_generator.state != state
    a, b = (cxsim.CXModel(small_scenario(), rng=5) for _ in range(2))
    np.testing.assert_array_equal(a.observation_rng.random(4), b.observation_rng.random(4))


def test_run_defaults_to_scenario_steps_and_returns_self() -> None:
    model = cxsim.CXModel(small_scenario(), rng=1)
    assert model.run() is model
    assert model.steps == 30
    model.run(2)
    assert model.steps == 32
    assert model.timeseries().step.max() == 32


def test_timeseries_before_any_step_is_empty_with_the_columns() -> None:
    ts = cxsim.CXModel(small_scenario(), rng=1).timeseries()
    assert ts.empty
    assert list(ts.columns) == cxsim.COLUMNS


# --------------------------------------------------------------------------- staff as agents


def test_staff_are_mesa_agents(run: Run) -> None:
    model = run.model
    agents = model.agents_by_type[StaffMember]
    assert len(agents) == model.organization.size
    assert len(model.agents) == model.organization.size
    for f, firm in enumerate(model.scenario.firms):
        o = firm.organization
        n_mgr = o.executives * o.span_of_control
        expected = 1 + (firm.cco is not None) + o.executives + n_mgr + n_mgr * o.team_size
        mine = agents.select(lambda a, name=firm.name: a.firm == name)
        assert len(mine) == expected == int((model.organization.firm == f).sum())
        levels = [a.level for a in mine]
        assert levels.count(Level.CEO) == 1
        assert levels.count(Level.CCO) == (firm.cco is not None)
        assert levels.count(Level.FRONTLINE) == n_mgr * o.team_size
    ceo = agents.select(lambda a: a.level == Level.CEO and a.firm == "A")
    assert [a.commitment for a in ceo] == [pytest.approx(0.9)]
    champions = agents.select(lambda a: a.is_champion)
    assert len(champions) == int(model.organization.champion.sum())


def test_agent_views_match_the_reporters(run: Run) -> None:
    model = run.model
    agents = model.agents_by_type[StaffMember]
    last = run.ts[run.ts.step == STEPS].set_index("firm")
    for name in model.firm_names:
        front = agents.select(lambda a, n=name: a.level == Level.FRONTLINE and a.firm == n)
        assert np.mean([a.commitment for a in front]) == pytest.approx(
            last.loc[name, "commitment_frontline"]
        )
        assert np.mean([a.skill for a in front]) == pytest.approx(last.loc[name, "skill"])


# --------------------------------------------------------------------------- organization


def test_influence_matrix_is_row_stochastic_within_each_firm(run: Run) -> None:
    org = run.model.organization
    w = org.weights.tocoo()
    assert (w.data >= 0).all()
    assert (org.firm[w.row] == org.firm[w.col]).all()  # no tie crosses firms
    rows = np.asarray(org.weights.sum(axis=1)).ravel()
    anchors = np.isin(org.level, [Level.CEO, Level.CCO])
    np.testing.assert_allclose(rows[~anchors], 1.0)
    np.testing.assert_array_equal(rows[anchors], 0.0)
    np.testing.assert_array_equal(org.susceptibility[anchors], 0.0)
    assert (w.row != w.col).all()  # nobody is their own influence


def _org_weights(
    cco: dict[str, float] | None,
    peer_weight: float = 0.0,
    executives: int = 4,
    ceo: float = 0.9,
):
    data = small_scenario()
    data["firms"][0]["leadership"] = {"ceo_commitment": ceo}
    data["firms"][0]["organization"] = {
        "executives": executives,
        "span_of_control": 2,
        "team_size": 2,
        "peer_weight": peer_weight,
    }
    data["firms"][0]["cco"] = cco
    model = cxsim.CXModel(data, rng=2)
    org = model.organization
    return org, org.weights.toarray()


@pytest.mark.parametrize(
    ("authority", "backing", "reach", "executives", "ceo_commitment", "pull"),
    [
        (0.5, 0.6, 0.5, 4, 0.9, 0.3),  # backing below the CEO's commitment: it counts
        (1.0, 1.0, 1.0, 4, 0.9, 0.9),  # full backing counts only as far as the CEO commits
        (1.0, 1.0, 1.0, 4, 0.1, 0.1),
        (0.8, 0.25, 0.3, 10, 0.9, 0.2),
        (0.6, 0.7, 0.5, 4, 0.5, 0.3),
        (0.9, 0.0, 1.0, 4, 0.9, 0.0),  # no backing
        (0.9, 0.8, 1.0, 4, 0.0, 0.0),  # a CEO who does not care lends nothing
    ],
)
def test_cco_pull_is_its_effective_authority_where_it_reaches(
    authority: float,
    backing: float,
    reach: float,
    executives: int,
    ceo_commitment: float,
    pull: float,
) -> None:
    # the CCO's share of the CEO's voice: authority x min(ceo_backing, ceo_commitment)
    org, w = _org_weights(
        {"authority": authority, "ceo_backing": backing, "reach": reach},
        executives=executives,
        ceo=ceo_commitment,
    )
    execs = np.flatnonzero((org.level == Level.EXECUTIVE) & (org.firm == 0))
    ceo = np.flatnonzero((org.level == Level.CEO) & (org.firm == 0))[0]
    cco = np.flatnonzero(org.level == Level.CCO)[0]
    assert pull == pytest.approx(authority * min(backing, ceo_commitment))
    n_reached = round(reach * executives)
    reached = w[execs, cco] > 0
    assert reached.sum() == (n_reached if pull > 0 else 0)
    np.testing.assert_allclose(w[execs[reached], cco], pull)
    np.testing.assert_allclose(w[execs, ceo], np.where(reached, 1 - pull, 1.0))
    # only executives have a tie to the CCO
    below = ~np.isin(np.arange(org.size), execs)
    assert not w[below, cco].any()


def test_cco_share_of_the_line_voice_survives_peer_ties() -> None:
    org, w = _org_weights({"authority": 0.5, "ceo_backing": 0.6, "reach": 1.0}, peer_weight=1.5)
    execs = np.flatnonzero((org.level == Level.EXECUTIVE) & (org.firm == 0))
    ceo = np.flatnonzero((org.level == Level.CEO) & (org.firm == 0))[0]
    cco = np.flatnonzero(org.level == Level.CCO)[0]
    np.testing.assert_allclose(w[execs, cco] / w[execs, ceo], 0.3 / 0.7)
    np.testing.assert_allclose(w[execs, cco] + w[execs, ceo], 1 / (1 + 1.5))


def test_no_cco_no_cco_member() -> None:
    org, _ = _org_weights(None)
    assert not (org.level == Level.CCO).any()


def _with_cco(cco: dict[str, float] | None, ceo: float, voc: float = 0.5) -> cxsim.Scenario:
    data = small_scenario()
    data["firms"][0]["leadership"] = {"ceo_commitment": ceo}
    data["firms"][0]["cco"] = cco
    data["firms"][0]["voice_of_customer"] = voc
    return cxsim.load_scenario(data)


@pytest.mark.parametrize(
    ("authority", "backing", "ceo", "expected"),
    [
        (1.0, 1.0, 0.1, 0.1),  # a CEO at 0.1 fully backing a fully authorized CCO
        (1.0, 1.0, 1.0, 1.0),
        (0.5, 0.4, 0.9, 0.2),  # backing is the lesser
        (0.5, 0.9, 0.4, 0.2),  # the CEO's commitment is the lesser
        (0.8, 0.3, 0.3, 0.24),
        (0.0, 1.0, 1.0, 0.0),
        (0.7, 0.6, 0.0, 0.0),
    ],
)
def test_cco_authority_is_authority_times_the_lesser_of_backing_and_ceo_commitment(
    authority: float, backing: float, ceo: float, expected: float
) -> None:
    sc = _with_cco({"authority": authority, "ceo_backing": backing}, ceo)
    assert cco_authority(sc.firms[0]) == pytest.approx(expected, abs=1e-15)
    params = FirmParameters.of(sc)
    np.testing.assert_allclose(params.cco_authority, [expected, 0.0], atol=1e-15)
    # the voice of the customer is raised by the CCO's authority: voc + (1 − voc) a
    np.testing.assert_allclose(
        params.voice_of_customer, [0.5 + 0.5 * expected, sc.firms[1].voice_of_customer]
    )


def test_cco_authority_is_zero_without_a_cco() -> None:
    sc = _with_cco(None, ceo=1.0, voc=0.3)
    assert cco_authority(sc.firms[0]) == 0.0
    params = FirmParameters.of(sc)
    np.testing.assert_array_equal(params.cco_authority, [0.0, 0.0])
    np.testing.assert_allclose(params.voice_of_customer[0], 0.3)


@pytest.mark.parametrize(
    ("authority", "backing", "ceo", "accountability"),
    [(0.8, 0.5, 0.9, 2.0), (1.0, 1.0, 0.1, 1.0), (0.6, 0.9, 0.7, 0.0), (0.9, 0.8, 0.0, 3.0)],
)
def test_accountability_speeds_change_in_the_divisions_the_cco_reaches(
    authority: float, backing: float, ceo: float, accountability: float
) -> None:
    data = small_scenario()
    data["firms"][0]["organization"] = dict(SMALL_ORG, executives=4)
    data["firms"][0]["leadership"] = {"ceo_commitment": ceo}
    data["firms"][0]["cco"] = {
        "authority": authority,
        "ceo_backing": backing,
        "reach": 0.5,
        "accountability": accountability,
    }
    model = cxsim.CXModel(data, rng=3)
    org = model.organization
    a = authority * min(backing, ceo)
    cco = np.flatnonzero(org.level == Level.CCO)[0]
    execs = np.flatnonzero((org.level == Level.EXECUTIVE) & (org.firm == 0))
    w = org.weights.toarray()
    # the reached divisions: those whose executive has a tie to the CCO (2 of 4, if any pull)
    reached = org.division[execs[w[execs, cco] > 0]]
    assert len(reached) == (2 if a > 0 else 0)
    inside = (org.firm == 0) & np.isin(org.division, reached)
    expected = np.where(inside, 1.0 + accountability * a, 1.0)
    np.testing.assert_allclose(org.accountability, expected, rtol=1e-15)
    if a > 0 and accountability > 0:
        # everyone of a reached division: its executive, managers and frontline
        levels = set(org.level[inside].tolist())
        assert levels == {Level.EXECUTIVE, Level.MANAGER, Level.FRONTLINE}
    # ... and it repeats the week's relaxation member by member: 1 - (1 - eta)^accountability
    x, x0, lam = org.commitment.copy(), org.anchor.copy(), org.susceptibility
    eta = model.scenario.market.culture_change_rate
    model._cascade()
    target = lam * (w @ x) + (1 - lam) * x0
    rate = 1.0 - (1.0 - eta) ** expected
    np.testing.assert_allclose(org.commitment, x + rate * (target - x), atol=1e-14)


def test_without_a_cco_nobody_is_held_accountable() -> None:
    org, _ = _org_weights(None)
    np.testing.assert_array_equal(org.accountability, 1.0)


def _visible_ceo(visibility: float, peer_weight: float, team_size: int) -> Staff:
    data = small_scenario()
    data["firms"][0]["organization"] = {
        "executives": 2,
        "span_of_control": 2,
        "team_size": team_size,
        "peer_weight": peer_weight,
        "ceo_visibility": visibility,
    }
    return cxsim.CXModel(data, rng=2).organization


@pytest.mark.parametrize("visibility", [0.0, 0.25, 1.0, 4.0])
@pytest.mark.parametrize("peer_weight", [0.0, 0.5, 2.0])
def test_managers_and_frontline_read_the_ceo_with_weight_ceo_visibility(
    visibility: float, peer_weight: float
) -> None:
    org = _visible_ceo(visibility, peer_weight, team_size=3)
    w = org.weights.toarray()
    ceo = np.flatnonzero((org.level == Level.CEO) & (org.firm == 0))[0]
    for level in (Level.MANAGER, Level.FRONTLINE):
        members = np.flatnonzero((org.level == level) & (org.firm == 0))
        # every one of them has peers (2 managers a division, teams of 3)
        norm = 1 + visibility + peer_weight
        np.testing.assert_allclose(w[members, ceo], visibility / norm, rtol=1e-15)
        np.testing.assert_allclose(w[members, org.boss[members]], 1 / norm, rtol=1e-15)
        np.testing.assert_allclose(w[members].sum(axis=1), 1.0)
    # executives listen to the CEO alone (and their peers): no extra visibility tie
    execs = np.flatnonzero((org.level == Level.EXECUTIVE) & (org.firm == 0))
    np.testing.assert_allclose(w[execs, ceo], 1 / (1 + peer_weight))


def test_a_frontline_member_without_peers_reads_its_boss_and_the_ceo() -> None:
    org = _visible_ceo(0.5, peer_weight=1.0, team_size=1)
    w = org.weights.toarray()
    ceo = np.flatnonzero((org.level == Level.CEO) & (org.firm == 0))[0]
    front = np.flatnonzero((org.level == Level.FRONTLINE) & (org.firm == 0))
    np.testing.assert_allclose(w[front, ceo], 0.5 / 1.5)
    np.testing.assert_allclose(w[front, org.boss[front]], 1 / 1.5)
    assert (np.count_nonzero(w[front], axis=1) == 2).all()


def _active_champions(budget: float, count: int = 3, factor: float = 0.0) -> int:
    """Champions with cross-division ties (only a champion's own ties cross divisions)."""
    data = small_scenario()
    data["firms"][0]["organization"] = dict(SMALL_ORG, executives=3)
    data["firms"][0]["champions"] = {
        "count": count,
        "ties_per_champion": 3,
        "tie_weight": 1.0,
        "unfunded_factor": factor,
        "budget_per_week": budget,
        "project_cost_per_week": 1000,
    }
    org = cxsim.CXModel(data, rng=4).organization
    w = org.weights.tocoo()
    cross = org.champion[w.col] & (org.division[w.row] != org.division[w.col])
    return len(np.unique(w.col[cross]))


@pytest.mark.parametrize(
    ("budget", "funded"),
    [(0, 0), (999, 0), (1000, 1), (1999.99, 1), (2000, 2), (2999, 2), (3000, 3), (10**6, 3)],
)
def test_champions_budget_funds_whole_projects_only(budget: float, funded: int) -> None:
    assert _active_champions(budget) == funded


def test_unfunded_champions_still_pull_a_little() -> None:
    def champion_weight(budget: float) -> float:
        data = small_scenario()
        data["firms"][0]["champions"] = {
            "count": 2,
            "ties_per_champion": 3,
            "unfunded_factor": 0.2,
            "budget_per_week": budget,
            "project_cost_per_week": 1000,
        }
        org = cxsim.CXModel(data, rng=4).organization
        return float(org.weights[:, np.flatnonzero(org.champion)].sum())

    assert _active_champions(0, factor=0.2) == 3
    nothing, piecemeal, one, two = (champion_weight(b) for b in (0, 999, 1000, 2500))
    assert nothing == pytest.approx(piecemeal)
    assert nothing < one < two


def _org_of(firms: list[dict[str, Any]], seed: int = 2) -> Staff:
    """The organization of a small market of these firms (name, organization, cco, champions)."""
    data = {"steps": 1, "market": {"customers": 50}, "firms": firms}
    return cxsim.CXModel(data, rng=seed).organization


_CHAMPIONS = {"count": 5, "ties_per_champion": 4, "budget_per_week": 2000, "unfunded_factor": 0.3}
_CCO = {"authority": 0.7, "ceo_backing": 0.6, "reach": 0.5}


@pytest.mark.parametrize(
    "firms",
    [
        [
            {
                "name": "A",
                "organization": {
                    "executives": 4,
                    "span_of_control": 3,
                    "team_size": 5,
                    "peer_weight": 0.8,
                },
                "cco": _CCO,
                "champions": _CHAMPIONS,
            },
            {
                "name": "B",
                "organization": {
                    "executives": 3,
                    "span_of_control": 2,
                    "team_size": 7,
                    "peer_weight": 2.5,
                },
                "champions": {**_CHAMPIONS, "count": 2},
            },
        ],
        [  # groups of one (a lone executive, teams of one), no peer weight, champions with
            # nobody outside their division, and a third firm
            {
                "name": "A",
                "organization": {"executives": 1, "span_of_control": 3, "team_size": 1},
                "cco": {**_CCO, "reach": 1.0},
                "champions": _CHAMPIONS,
            },
            {
                "name": "B",
                "organization": {
                    "executives": 2,
                    "span_of_control": 1,
                    "team_size": 4,
                    "peer_weight": 0.0,
                },
                "champions": _CHAMPIONS,
            },
            {
                "name": "C",
                "organization": {
                    "executives": 5,
                    "span_of_control": 2,
                    "team_size": 3,
                    "peer_weight": 10.0,
                },
                "cco": _CCO,
            },
        ],
    ],
    ids=["peers-cco-champions", "edge-cases"],
)
def test_factored_influence_equals_the_full_matrix(firms: list[dict[str, Any]]) -> None:
    org = _org_of(firms)
    w = org.weights
    rng = np.random.default_rng(0)
    for x in [rng.random(org.size), rng.normal(size=org.size), np.ones(org.size)]:
        np.testing.assert_allclose(org.influence(x), w @ x, rtol=1e-13, atol=1e-15)
    # the sparse part holds only the line and champion ties, no peers: an executive's CEO
    # (and CCO) tie, and a manager's or frontline member's boss and CEO (ceo_visibility) ties
    champion_ties = (org.champion[org.ties.tocoo().col]).sum()
    line = np.isin(org.level, [Level.EXECUTIVE, Level.MANAGER, Level.FRONTLINE]).sum()
    below = np.isin(org.level, [Level.MANAGER, Level.FRONTLINE]).sum()
    execs = (org.level == Level.EXECUTIVE).sum()
    assert org.ties.nnz <= line + execs + below + champion_ties


def test_peer_ties_of_the_full_matrix_are_the_others_of_ones_group() -> None:
    pw, v = 0.7, 0.4  # peer weight; ceo_visibility: managers' and frontline's tie to the CEO
    org = _org_of(
        [
            {
                "name": "A",
                "organization": {
                    "executives": 3,
                    "span_of_control": 2,
                    "team_size": 4,
                    "peer_weight": pw,
                    "ceo_visibility": v,
                },
                "cco": _CCO,
            },
            {
                "name": "B",
                "organization": {
                    "executives": 2,
                    "span_of_control": 3,
                    "team_size": 2,
                    "peer_weight": pw,
                    "ceo_visibility": v,
                },
            },
        ]
    )
    w = org.weights.toarray()
    for i in np.flatnonzero(org.level >= Level.EXECUTIVE):
        if org.level[i] == Level.EXECUTIVE:
            peers = np.flatnonzero((org.level == Level.EXECUTIVE) & (org.firm == org.firm[i]))
            line = np.flatnonzero((org.level <= Level.CCO) & (org.firm == org.firm[i]))
            norm = 1 + pw
        else:  # the boss (weight 1) and the CEO (weight v)
            peers = np.flatnonzero((org.boss == org.boss[i]) & (org.level == org.level[i]))
            ceo = np.flatnonzero((org.level == Level.CEO) & (org.firm == org.firm[i]))[0]
            line = np.array([org.boss[i], ceo])
            norm = 1 + v + pw
            np.testing.assert_allclose(w[i, line], [1 / norm, v / norm])
        peers = peers[peers != i]
        np.testing.assert_allclose(w[i, peers], pw / len(peers) / norm)
        np.testing.assert_allclose(w[i, line].sum(), 1 - pw / norm)
        others = np.setdiff1d(np.arange(org.size), np.concatenate([peers, line]))
        assert not w[i, others].any()


def test_champion_ties_reach_everyone_outside_the_division_and_nobody_inside() -> None:
    # with as many ties as staff outside its division, a champion is tied to exactly them
    def firm(name: str, n_exec: int, span: int, team: int, cco: Any) -> dict[str, Any]:
        outside = (n_exec - 1) * (1 + span + span * team)
        return {
            "name": name,
            "organization": {"executives": n_exec, "span_of_control": span, "team_size": team},
            "cco": cco,
            "champions": {"count": 4, "ties_per_champion": outside, "budget_per_week": 10**6},
        }

    org = _org_of([firm("A", 3, 2, 3, _CCO), firm("B", 4, 3, 2, None)])
    ties = org.ties.tocoo()
    for f in (0, 1):
        staff = np.flatnonzero((org.firm == f) & (org.level >= Level.EXECUTIVE))
        champions = np.flatnonzero(org.champion & (org.firm == f))
        assert len(champions) == 4
        for c in champions:
            reports = org.boss[ties.row] == c  # a manager champion's own team
            targets = np.sort(ties.row[(ties.col == c) & ~reports])
            np.testing.assert_array_equal(targets, staff[org.division[staff] != org.division[c]])


def _build_bytes_per_member(executives: int, span: int, team: int) -> float:
    """Peak memory traced while building the organizations of two such firms, per member."""
    org = {"executives": executives, "span_of_control": span, "team_size": team}
    scenario = cxsim.load_scenario(
        {"firms": [{"name": n, "organization": org, "cco": _CCO} for n in "AB"]}
    )
    params = FirmParameters.of(scenario)
    tracemalloc.start()
    try:
        size = build_organization(scenario.firms, params, np.random.default_rng(1)).size
        return tracemalloc.get_traced_memory()[1] / size
    finally:
        tracemalloc.stop()


def test_organization_memory_grows_with_members_not_team_size_squared() -> None:
    # about 2,000 frontline staff a firm, in teams of 20 or of 200: a team of t has t(t − 1)
    # peer ties, which the organization must never hold
    small_teams = _build_bytes_per_member(2, 50, 20)
    large_teams = _build_bytes_per_member(2, 5, 200)
    assert large_teams < 1.2 * small_teams
    assert large_teams < 1_000  # measured ~270 bytes: arrays, one line tie a member


# --------------------------------------------------------------------------- hiring, training,
# redesign: what leaders' commitment does to them


def _settled_culture(culture: float = 0.3, ceo: float = 0.9, **market: Any) -> dict[str, Any]:
    """Firm A with no spread of commitment, no turnover, and no programs."""
    data = small_scenario(**market)
    data["firms"][0]["organization"] = dict(
        SMALL_ORG,
        initial_culture=culture,
        initial_culture_spread=0.0,
        turnover_per_year={"executives": 0.0, "managers": 0.0, "frontline": 0.0},
    )
    data["firms"][0]["leadership"] = {"ceo_commitment": ceo}
    data["firms"][0]["programs"] = {}
    return data


@pytest.mark.parametrize("socialization", [0.0, 0.3, 1.0])
def test_a_hire_is_socialized_toward_its_groups_commitment(socialization: float) -> None:
    model = cxsim.CXModel(_settled_culture(0.3, socialization=socialization), rng=1)
    org = model.organization
    front = np.flatnonzero((org.firm == 0) & (org.level == Level.FRONTLINE))
    team = front[org.group[front] == org.group[front[0]]]
    assert len(team) == SMALL_ORG["team_size"]
    # the leaver holds the mean of the others, so the team's mean is 0.6 with or without it
    org.commitment[team] = org.anchor[team] = [0.6, 0.2, 0.7, 0.9]
    org.turnover_weekly[:] = 0.0
    org.turnover_weekly[team[0]] = 1.0  # this seat's occupant leaves this week
    before = org.anchor.copy()
    model._turnover(np.zeros(2))
    drawn, mean = 0.3, 0.6  # the draw: initial_culture with no spread and no hiring profile
    expected = drawn + socialization * (mean - drawn)
    assert org.anchor[team[0]] == pytest.approx(expected, abs=1e-12)
    assert org.commitment[team[0]] == pytest.approx(expected, abs=1e-12)
    assert drawn <= org.anchor[team[0]] <= mean
    others = np.arange(org.size) != team[0]
    np.testing.assert_array_equal(org.anchor[others], before[others])


@pytest.mark.parametrize("support", [0.0, 0.4, 1.0])
def test_training_transfers_as_far_as_the_manager_supports_it(support: float) -> None:
    data = _settled_culture(training_transfer_support=support)
    model = cxsim.CXModel(data, rng=2)
    org, m = model.organization, model.scenario.market
    mgrs = np.flatnonzero((org.firm == 0) & (org.level == Level.MANAGER))
    org.commitment[mgrs] = np.linspace(0.0, 1.0, len(mgrs))
    skill = org.skill.copy()
    model._train(np.array([1.0, 0.0]))  # full training in firm A, none in B
    front = (org.firm == 0) & (org.level == Level.FRONTLINE)
    boss = org.commitment[org.boss[front]]
    skill0 = model.firm_params.initial_skill[0]
    transfer = 1 - support + support * boss
    # intensity 1: the applied skill tends to the initial skill + the transferred rest
    target = skill0 + transfer * (1.0 - skill0)
    np.testing.assert_allclose(
        org.skill[front],
        skill[front] + m.training_rate * (target - skill[front]),
        rtol=1e-14,
    )
    np.testing.assert_array_equal(org.skill[~front], skill[~front])


def test_training_under_a_manager_at_zero_commitment_does_not_transfer_at_all() -> None:
    # transfer support 1, everyone's commitment 0 for good (CEO 0, no spread): training runs
    # every week, and no skill moves
    data = _settled_culture(culture=0.0, ceo=0.0, training_transfer_support=1.0)
    data["firms"][0]["programs"] = {"frontline_training": {"intensity": 1.0}}
    model = cxsim.CXModel(data, rng=2)
    org = model.organization
    skill = org.skill.copy()
    model.run(6)
    assert model.strategies.intensity_history[:, 0].any()  # training did run
    np.testing.assert_array_equal(org.commitment[org.firm == 0], 0.0)
    np.testing.assert_array_equal(org.skill, skill)
    # with no dependence on the manager, the same training does raise skill
    data["market"]["training_transfer_support"] = 0.0
    trained = cxsim.CXModel(data, rng=2).run(6).organization
    front = (trained.firm == 0) & (trained.level == Level.FRONTLINE)
    assert (trained.skill[front] > skill[front]).all()


@pytest.mark.parametrize("ownership", [0.0, 0.6, 1.0])
@pytest.mark.parametrize("cco", [None, {"authority": 0.8, "ceo_backing": 0.5}])
def test_redesigns_are_implemented_as_far_as_executives_own_them(
    ownership: float, cco: dict[str, float] | None
) -> None:
    data = _settled_culture(0.3, ceo=0.9, redesign_ownership=ownership)
    data["firms"][0]["organization"]["initial_culture_spread"] = 0.2
    data["firms"][0]["programs"] = {"journey_mapping": {"intensity": 0.5}}
    data["firms"][0]["cco"] = cco
    model = cxsim.CXModel(data, rng=3)
    m, org, s = model.scenario.market, model.organization, model.strategies
    design = s.design.copy()
    model.step()
    execs = (org.firm == 0) & (org.level == Level.EXECUTIVE)
    own = org.commitment[execs].mean()  # the executives' commitment this week
    authority = 0.8 * 0.5 if cco else 0.0  # authority x min(backing 0.5, CEO 0.9)
    implemented = 1 - ownership + ownership * (own + (1 - own) * authority)
    n_k = len(m.touchpoints)
    gain = m.design_improvement_rate * 0.5 * implemented * s.aim_history[0, 0] * n_k
    expected = design[0] + np.minimum(gain, 1.0) * (1 - design[0])
    np.testing.assert_allclose(s.design[0], expected, rtol=1e-14)
    np.testing.assert_array_equal(s.design[1], design[1])  # B maps no journeys
    assert (s.design[0] > design[0]).any()


def test_executives_who_do_not_care_implement_no_redesign_when_it_needs_them() -> None:
    data = _settled_culture(culture=0.0, ceo=0.0, redesign_ownership=1.0)
    data["firms"][0]["programs"] = {"journey_mapping": {"intensity": 0.8}}
    model = cxsim.CXModel(data, rng=3)
    design = model.strategies.design.copy()
    model.run(5)
    assert model.strategies.intensity_history[:, 0].any()  # journey mapping did run
    np.testing.assert_array_equal(model.strategies.design, design)


@pytest.mark.parametrize(("eta", "accountability"), [(0.8, 1.0), (1.0, 10.0)])
def test_commitment_stays_in_the_unit_interval_under_strong_accountability(
    eta: float, accountability: float
) -> None:
    # a fully backed, fully authorized CCO of a CEO at 1 reaching every division: the reached
    # divisions relax 1 + accountability times a week, 1 - (1 - eta)^(1 + accountability) <= 1
    data = small_scenario(culture_change_rate=eta)
    data["firms"][0]["leadership"] = {"ceo_commitment": 1.0}
    data["firms"][0]["cco"] = {
        "authority": 1.0,
        "ceo_backing": 1.0,
        "reach": 1.0,
        "accountability": accountability,
    }
    data["firms"][0]["organization"]["initial_culture_spread"] = 0.3
    model = cxsim.CXModel(data, rng=1)
    for _ in range(5):
        model.step()
        c = model.organization.commitment
        assert c.min() >= 0.0, c.min()
        assert c.max() <= 1.0, c.max()


# --------------------------------------------------------------------------- the copier


def test_copier_runs_what_its_rival_ran_lag_weeks_ago() -> None:
    data = small_scenario()
    data["steps"] = 20
    data["firms"][0]["programs"] = {
        "journey_mapping": {"start_week": 3, "intensity": 0.6},
        "frontline_training": {"start_week": 8, "intensity": 0.4},
    }
    data["firms"][1]["copies"] = {"firm": "A", "lag_weeks": 5}
    model = cxsim.CXModel(data, rng=1).run()
    hist = model.strategies.intensity_history
    assert hist.shape == (20, 2, 4)
    assert hist[:, 0].any()
    for week in range(20):
        expected = hist[week - 5, 0] if week >= 5 else np.zeros(hist.shape[2])
        np.testing.assert_allclose(hist[week, 1], expected)
    aims = model.strategies.aim_history
    for week in range(5, 20):
        np.testing.assert_allclose(aims[week, 1], aims[week - 5, 0])
    ts = model.timeseries()
    skill = ts.pivot(index="step", columns="firm", values="skill")
    assert skill.loc[13, "B"] == pytest.approx(0.5)  # training copied only from week 13
    assert skill.loc[20, "B"] > 0.5
    spend = ts.pivot(index="step", columns="firm", values="cx_spend")
    complaints = ts.pivot(index="step", columns="firm", values="complaints")
    m = model.scenario.market
    k = m.represented_customers / m.customers
    program_spend = spend - k * complaints * m.recovery_cost
    np.testing.assert_allclose(
        program_spend["B"].to_numpy()[5:], program_spend["A"].to_numpy()[:-5]
    )


def test_copier_keeps_its_own_programs_and_adds_the_rivals() -> None:
    data = small_scenario()
    data["steps"] = 10
    data["firms"][0]["programs"] = {
        "service_tools": {"intensity": 0.3},
        "journey_mapping": {"intensity": 0.5},
    }
    data["firms"][1]["programs"] = {"service_tools": {"intensity": 0.5}}
    data["firms"][1]["copies"] = {"firm": "A", "lag_weeks": 2}
    hist = cxsim.CXModel(data, rng=1).run().strategies.intensity_history
    np.testing.assert_allclose(hist[:, 1, 3], 0.5)  # its own, stronger program is kept
    np.testing.assert_allclose(hist[:2, 1, 0], 0.0)  # nothing seen yet
    np.testing.assert_allclose(hist[2:, 1, 0], 0.5)  # the rival's journey mapping, copied


def test_copier_without_lag_matches_its_rival_the_same_week() -> None:
    data = small_scenario()
    data["steps"] = 12
    data["firms"][0]["programs"] = {
        "frontline_training": {"start_week": 2, "intensity": 0.6},
        "journey_mapping": {"intensity": 0.5},
    }
    data["firms"][1]["copies"] = {"firm": "A", "lag_weeks": 0}
    # redesigns are implemented as far as each firm's own executives own them (ODD §7.9), and
    # a copier does not copy its rival's culture: with no such dependence (redesign_ownership
    # 0) the same programs and aims make the same design
    data["market"]["redesign_ownership"] = 0.0
    model = cxsim.CXModel(data, rng=1).run()
    hist = model.strategies.intensity_history
    np.testing.assert_allclose(hist[:, 1], hist[:, 0])
    aims = model.strategies.aim_history
    np.testing.assert_allclose(aims[:, 1], aims[:, 0])
    np.testing.assert_allclose(model.strategies.design[1], model.strategies.design[0])


@pytest.mark.parametrize("lag", [0, 1, 3])
def test_copier_of_a_copier_sees_what_its_rival_runs(lag: int) -> None:
    org = {"executives": 1, "span_of_control": 1, "team_size": 2}
    data = {
        "steps": 10,
        "market": {"customers": 100},
        "firms": [
            {"name": "A", "organization": org, "programs": {"journey_mapping": {"intensity": 0.6}}},
            {"name": "B", "organization": org, "copies": {"firm": "A", "lag_weeks": 2}},
            {"name": "C", "organization": org, "copies": {"firm": "B", "lag_weeks": lag}},
        ],
    }
    hist = cxsim.CXModel(data, rng=1).run().strategies.intensity_history
    assert hist[:, 1].any()  # B does copy A
    for week in range(lag, 10):
        np.testing.assert_allclose(hist[week, 2], hist[week - lag, 1], err_msg=f"week {week}")


def test_same_week_copying_follows_a_chain_in_any_order_of_firms() -> None:
    # D copies C copies B with no lag, B copies A two weeks late; D is listed before C
    org = {"executives": 1, "span_of_control": 1, "team_size": 2}
    programs = {
        "journey_mapping": {"intensity": 0.6},
        "frontline_training": {"start_week": 3, "intensity": 0.4},
    }
    data = {
        "steps": 10,
        # no dependence of redesigns on each firm's own executives: the copiers' design is the
        # design their programs and aims make (they do not copy a culture)
        "market": {"customers": 100, "redesign_ownership": 0.0},
        "firms": [
            {"name": "A", "organization": org, "programs": programs},
            {"name": "D", "organization": org, "copies": {"firm": "C", "lag_weeks": 0}},
            {"name": "B", "organization": org, "copies": {"firm": "A", "lag_weeks": 2}},
            {
                "name": "C",
                "organization": org,
                "programs": {"service_tools": {"intensity": 0.2}},
                "copies": {"firm": "B", "lag_weeks": 0},
            },
        ],
    }
    s = cxsim.CXModel(data, rng=1).run().strategies
    hist, aims = s.intensity_history, s.aim_history
    a, d, b, c = range(4)
    np.testing.assert_allclose(hist[2:, b], hist[:-2, a])
    expected_c = hist[:, b].copy()
    expected_c[:, 3] = 0.2  # C keeps its own service tools
    np.testing.assert_allclose(hist[:, c], expected_c)
    np.testing.assert_allclose(hist[:, d], hist[:, c])
    for copier in (c, d):
        np.testing.assert_allclose(aims[:, copier], aims[:, b])
        np.testing.assert_allclose(s.design[copier], s.design[b])
    assert not np.allclose(aims[:, b], aims[:, a])  # B aims where A aimed, two weeks late


def test_firms_copying_one_another_the_same_week_run_both_and_keep_their_own_aims() -> None:
    org = {"executives": 1, "span_of_control": 1, "team_size": 2}
    data = {
        "steps": 6,
        "market": {"customers": 100},
        "firms": [
            {
                "name": "A",
                "organization": org,
                "programs": {"journey_mapping": {"intensity": 0.6}},
                "copies": {"firm": "B", "lag_weeks": 0},
            },
            {
                "name": "B",
                "organization": org,
                "programs": {"frontline_training": {"intensity": 0.4}},
                "copies": {"firm": "A", "lag_weeks": 0},
            },
            {"name": "C", "organization": org, "copies": {"firm": "A", "lag_weeks": 0}},
        ],
    }
    s = cxsim.CXModel(data, rng=1).run().strategies
    hist, aims = s.intensity_history, s.aim_history
    for f in range(3):  # each runs both programs, and C what A runs
        np.testing.assert_allclose(hist[:, f, :2], np.tile([0.6, 0.4], (6, 1)))
    # a ring has nothing settled to copy: A and B keep their own aims, C takes A's
    assert not np.allclose(aims[:, 0], aims[:, 1])
    np.testing.assert_allclose(aims[:, 2], aims[:, 0])


def test_copier_does_not_see_its_rivals_culture() -> None:
    def copier_programs(ceo_commitment: float) -> np.ndarray:
        data = rich_scenario()
        data["steps"] = 15
        data["firms"][0]["leadership"] = {"ceo_commitment": ceo_commitment}
        return cxsim.CXModel(data, rng=5).run().strategies.intensity_history[:, 1]

    np.testing.assert_array_equal(copier_programs(0.05), copier_programs(1.0))


# --------------------------------------------------------------------------- three firms


def test_three_firm_market_starts_by_initial_share() -> None:
    data = _three_firms()
    # the allocation by initial share is what is tested: no warm-up, whose churn moves shares
    data["market"]["warmup_weeks"] = 0
    model = cxsim.CXModel(data, rng=5)
    counts = np.bincount(model.customers.firm, minlength=3)
    assert counts.sum() == CUSTOMERS
    np.testing.assert_array_equal(counts, [750, 750, 1500])  # shares 1 : 1 : 2


def test_three_firm_churners_go_to_both_rivals() -> None:
    data = _three_firms()
    data["market"]["base_churn_per_month"] = 0.2
    spells = cxsim.CXModel(data, rng=5).run().customer_spells()
    nxt = spells.groupby("customer").firm.shift(-1)
    moves = pd.crosstab(spells.firm[nxt.notna()], nxt[nxt.notna()])
    for name in ("A", "B", "C"):
        assert moves.loc[name, name] == 0
        assert (moves.loc[name].drop(name) > 0).all(), moves
