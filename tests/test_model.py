"""Model invariants: conservation, bounds, spells, reproducibility, Mesa agents, mechanisms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cxsim
from cxsim import Level, StaffMember

from .conftest import small_scenario


@pytest.fixture(scope="module")
def run() -> tuple[cxsim.CXModel, pd.DataFrame, pd.DataFrame]:
    data = small_scenario()
    data["market"]["customers"] = 3000
    data["firms"][1]["copies"] = {"firm": "A", "lag_weeks": 5}
    model = cxsim.CXModel(data, rng=7).run()
    return model, model.timeseries(), model.customer_spells()


def test_timeseries_shape(run) -> None:
    model, ts, _ = run
    assert list(ts.columns) == cxsim.COLUMNS
    assert len(ts) == model.scenario.steps * 2
    assert ts.step.min() == 1
    assert ts.step.max() == model.scenario.steps


def test_customers_are_conserved_every_step(run) -> None:
    model, ts, _ = run
    n = model.scenario.market.customers
    per_step = ts.groupby("step")
    assert (per_step.customers.sum() == n).all()
    assert (per_step.acquired.sum() == per_step.churned.sum()).all()
    assert np.allclose(per_step.market_share.sum(), 1.0)
    for _, g in ts.groupby("firm"):
        c = g.customers.to_numpy()
        assert (c[1:] == c[:-1] + g.acquired.to_numpy()[1:] - g.churned.to_numpy()[1:]).all()


def test_bounds_every_step(run) -> None:
    _, ts, _ = run
    unit = [
        "satisfaction",
        "expectation",
        "culture_leaders",
        "culture_managers",
        "culture_frontline",
        "empowerment",
        "quality",
        "visible_quality",
        "invisible_quality",
        "design",
        "skill",
        "market_share",
        "churn_rate",
    ]
    assert ts[unit].ge(0).all().all()
    assert ts[unit].le(1).all().all()
    assert (ts.silent_problems == ts.problems - ts.complaints).all()
    assert (ts.silent_problems >= 0).all()
    assert (ts.recoveries <= ts.complaints).all()
    assert (ts.escalations <= ts.complaints).all()
    assert ts.nps.between(-100, 100).all()


def test_spells_are_consistent(run) -> None:
    model, ts, spells = run
    n = model.scenario.market.customers
    open_ = spells[spells.end_step.isna()]
    assert len(open_) == n
    assert open_.customer.is_unique
    assert spells.churned.sum() == ts.churned.sum()
    closed = spells.dropna(subset=["end_step"])
    assert (closed.end_step > closed.start_step).all()
    nxt = spells.groupby("customer").start_step.shift(-1)
    chained = spells.end_step.notna()
    assert (spells.loc[chained, "end_step"] == nxt[chained]).all()
    firm_now = open_.set_index("customer").firm.astype(str)
    names = np.array(model.firm_names)[model.customers.firm]
    assert (firm_now.sort_index().to_numpy() == names).all()


def test_same_seed_same_history_other_seed_differs() -> None:
    data = small_scenario()
    a = cxsim.CXModel(data, rng=3).run().timeseries()
    b = cxsim.CXModel(data, rng=3).run().timeseries()
    c = cxsim.CXModel(data, rng=4).run().timeseries()
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_staff_are_mesa_agents(run) -> None:
    model, _, _ = run
    agents = model.agents_by_type[StaffMember]
    assert len(agents) == model.organization.size
    ceo = [a for a in agents if a.level == Level.CEO and a.firm == "A"]
    assert len(ceo) == 1
    assert ceo[0].commitment == pytest.approx(0.9)
    mean_front = np.mean(
        [a.commitment for a in agents if a.level == Level.FRONTLINE and a.firm == "A"]
    )
    last = model.timeseries().iloc[-2]
    assert last.firm == "A"
    assert mean_front == pytest.approx(last.culture_frontline)


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
    for week in range(20):
        expected = hist[week - 5, 0] if week >= 5 else np.zeros(hist.shape[2])
        np.testing.assert_allclose(hist[week, 1], expected)
    aims = model.strategies.aim_history
    np.testing.assert_allclose(aims[12, 1], aims[7, 0])
    ts = model.timeseries()
    skill = ts.pivot(index="step", columns="firm", values="skill")
    assert skill.loc[12, "B"] == pytest.approx(0.5)  # training copied only from week 13
    assert skill.loc[20, "B"] > 0.5


def test_copier_without_lag_matches_its_rival_the_same_week() -> None:
    data = small_scenario()
    data["steps"] = 12
    data["firms"][0]["programs"] = {
        "frontline_training": {"start_week": 2, "intensity": 0.6},
        "journey_mapping": {"intensity": 0.5},
    }
    data["firms"][1]["copies"] = {"firm": "A", "lag_weeks": 0}
    model = cxsim.CXModel(data, rng=1).run()
    hist = model.strategies.intensity_history
    np.testing.assert_allclose(hist[:, 1], hist[:, 0])
    aims = model.strategies.aim_history
    np.testing.assert_allclose(aims[:, 1], aims[:, 0])
    np.testing.assert_allclose(model.strategies.design[1], model.strategies.design[0])


def _exec_weights(cco: dict) -> np.ndarray:
    data = small_scenario()
    data["firms"][0]["organization"] = {
        "executives": 4,
        "span_of_control": 1,
        "team_size": 1,
        "peer_weight": 0.0,
    }
    data["firms"][0]["cco"] = cco
    model = cxsim.CXModel(data, rng=2)
    org = model.organization
    w = org.weights.toarray()
    execs = np.flatnonzero((org.level == Level.EXECUTIVE) & (org.firm == 0))
    cco_id = np.flatnonzero(org.level == Level.CCO)[0]
    return w[execs, cco_id]


def test_cco_pull_is_authority_times_backing_where_it_reaches() -> None:
    pulls = _exec_weights({"authority": 0.5, "ceo_backing": 0.6, "reach": 0.5})
    assert sorted(np.round(pulls, 12)) == [0.0, 0.0, 0.3, 0.3]
    full = _exec_weights({"authority": 1.0, "ceo_backing": 1.0, "reach": 1.0})
    np.testing.assert_allclose(full, 1.0)


def test_champions_budget_funds_whole_projects_only() -> None:
    def champion_weight(budget: float) -> float:
        data = small_scenario()
        data["firms"][0]["champions"] = {
            "count": 2,
            "ties_per_champion": 3,
            "tie_weight": 1.0,
            "unfunded_factor": 0.2,
            "budget_per_week": budget,
            "project_cost_per_week": 1000,
        }
        model = cxsim.CXModel(data, rng=4)
        org = model.organization
        champs = np.flatnonzero(org.champion)
        return float(org.weights[:, champs].sum())

    nothing = champion_weight(0)
    piecemeal = champion_weight(999)
    one = champion_weight(1000)
    two = champion_weight(2500)
    assert nothing == pytest.approx(piecemeal)
    assert nothing < one < two


def test_three_firm_market_conserves_customers() -> None:
    data = small_scenario()
    data["firms"].append(
        {
            "name": "C",
            "organization": {"executives": 1, "span_of_control": 1, "team_size": 2},
            "initial_share": 2.0,
        }
    )
    model = cxsim.CXModel(data, rng=5).run()
    ts = model.timeseries()
    assert set(ts.firm) == {"A", "B", "C"}
    assert (ts.groupby("step").customers.sum() == data["market"]["customers"]).all()
    first = ts[ts.step == 1].set_index("firm").customers
    assert first["C"] > first["A"]


def test_run_defaults_to_scenario_steps_and_returns_self() -> None:
    model = cxsim.CXModel(small_scenario(), rng=1)
    assert model.run() is model
    assert model.steps == 30
    model.run(2)
    assert model.steps == 32


def test_cached_answers_and_churn_terms_match_a_full_recount(run) -> None:
    model, _, _ = run
    c = model.customers
    np.testing.assert_array_equal(model._answers, model._answer_histogram(c.firm, c.satisfaction))
    np.testing.assert_array_equal(model._churn_term, model._satisfaction_hazard(c.satisfaction))
    m = model.scenario.market
    full = cxsim.rules.churn_intensity(
        c.satisfaction,
        model._base_churn,
        m.churn_sensitivity,
        m.satisfaction_neutral,
        m.switching_cost,
        0.0,
    )
    np.testing.assert_allclose((1 - m.switching_cost) * model._churn_term, full, rtol=1e-15)
