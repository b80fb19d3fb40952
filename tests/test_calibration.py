"""Calibration (ODD §8): the defaults meet every published target at once, a market without
interventions is stationary after the warm-up, and the measuring code measures what it says.

Small and quick: the search itself is an experiment (``experiments/calibrate.py``), not a test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxsim import CXModel, load_scenario
from cxsim import calibration as cal
from cxsim.rules import OUTCOME_PATHS
from cxsim.runner import make_plan

from .conftest import ROOT

SCENARIOS = ROOT / "scenarios"


def _scenario(name: str, customers: int) -> object:
    path = SCENARIOS / f"{name}.yaml"
    data = load_scenario(path).model_dump() if path.exists() else cal.default_market()
    data["market"]["customers"] = customers
    return load_scenario(data)


@pytest.fixture(scope="module")
def default_runs() -> list[cal.Measures]:
    """The calibration scenarios at their defaults, two replicates of 5,000 customers."""
    return [
        cal.measure(CXModel(_scenario(name, 5000), rng=seed))
        for name in cal.CALIBRATION_SCENARIOS
        for seed in (1, 2)
    ]


def test_defaults_meet_every_calibration_target(default_runs: list[cal.Measures]) -> None:
    values = cal.summarize(default_runs)
    met = cal.met(values)
    assert set(met) == {t.name for t in cal.TARGETS}
    missed = {name: values for name, ok in met.items() if not ok}
    assert not missed, f"targets missed at the defaults: {sorted(missed)}; values {values}"


def test_every_firm_of_the_headline_scenarios_churns_in_the_published_range(
    default_runs: list[cal.Measures],
) -> None:
    churn = pd.concat([r.firms["monthly_churn"] for r in default_runs])
    assert churn.between(0.008, 0.029).all(), churn.to_dict()


def test_a_market_without_interventions_is_stationary_after_the_warm_up() -> None:
    """Churn, NPS, expectation and culture of the first and the fifth year agree within
    sampling noise: the warm-up leaves a settled market (DESIGN §3b)."""
    scenario = _scenario("default_market", 10_000)
    first, last = [], []
    for seed in range(4):
        ts = CXModel(scenario, rng=seed).run().timeseries()
        cols = ["churn_rate_weekly", "nps", "expectation", "commitment_frontline"]
        first.append(ts.loc[ts["step"] <= 52, cols].mean())
        last.append(ts.loc[ts["step"] > 208, cols].mean())
    first_year, fifth_year = pd.DataFrame(first).mean(), pd.DataFrame(last).mean()
    drift = fifth_year - first_year
    assert abs(drift["churn_rate_weekly"]) < 0.1 * first_year["churn_rate_weekly"], drift
    assert abs(drift["nps"]) < 2.0, drift
    assert abs(drift["expectation"]) < 0.005, drift
    assert abs(drift["commitment_frontline"]) < 0.01, drift


def test_without_warm_up_the_same_market_is_not_settled() -> None:
    """The control: with no warm-up, the first year differs from the fifth (so the test above
    can fail)."""
    data = cal.default_market()
    data["market"].update(customers=10_000, warmup_weeks=0, initial_expectation=0.6)
    ts = CXModel(load_scenario(data), rng=0).run().timeseries()
    first = ts.loc[ts["step"] <= 52, "expectation"].mean()
    last = ts.loc[ts["step"] > 208, "expectation"].mean()
    assert abs(last - first) > 0.02


def test_monthly_is_the_compounded_weekly_rate() -> None:
    assert cal.monthly(0.0) == 0.0
    w = 0.002
    assert cal.monthly(w) == pytest.approx(1 - (1 - w) ** (52 / 12))
    assert cal.monthly(1.0) == 1.0


def test_a_target_is_never_met_by_nan() -> None:
    target = cal.TARGETS[0]
    assert target.met(target.low)
    assert target.met(target.high)
    assert not target.met(float("nan"))
    assert not target.met(target.high + 1e-9)


def _stays(rates: dict[bool, list[float]], n: int = 10_000) -> pd.DataFrame:
    index = pd.MultiIndex.from_product([[False, True], OUTCOME_PATHS], names=["major", "path"])
    stayed = [r * n for major in (False, True) for r in rates[major]]
    return pd.DataFrame({"problems": [n] * 8, "stayed": stayed}, index=index)


def test_stay_rate_order_follows_the_funnel() -> None:
    ordered = _stays({False: [0.95, 0.7, 0.46, 0.37], True: [0.82, 0.54, 0.19, 0.09]})
    assert cal.stay_rate_order(cal.stay_rates(ordered))
    swapped = _stays({False: [0.95, 0.7, 0.46, 0.37], True: [0.54, 0.82, 0.19, 0.09]})
    assert not cal.stay_rate_order(cal.stay_rates(swapped))
    # within two standard errors counts as ordered: 0.700 vs 0.701 on 10,000 each
    close = _stays({False: [0.95, 0.700, 0.701, 0.37], True: [0.82, 0.54, 0.19, 0.09]})
    assert cal.stay_rate_order(cal.stay_rates(close))


def test_measure_counts_every_problem_followed_for_a_year() -> None:
    data = cal.default_market()
    data["market"]["customers"] = 1000
    data["steps"] = 60
    model = CXModel(load_scenario(data), rng=3)
    m = cal.measure(model)
    ts = model.timeseries()
    followed = ts.loc[ts["step"] <= 60 - cal.STAY_WEEKS, "problems"].sum()
    assert m.stays["problems"].sum() == followed
    assert (m.stays["stayed"] <= m.stays["problems"]).all()
    silent = ts["silent_problems"].sum() / ts["complaints"].sum()
    assert m.market["silent_per_complaint"] == pytest.approx(silent)


def test_run_measured_round_trips_through_the_runner_tables() -> None:
    data = cal.default_market()
    data["market"]["customers"] = 500
    data["steps"] = 60
    [spec] = make_plan([load_scenario(data)], 1, 7, spells=False)
    result = cal.run_measured(spec)
    assert result.status == "ok", result.error
    back = cal.measures_of(result.metrics, result.timeseries)
    direct = cal.measure(
        CXModel(load_scenario(data), rng=np.random.default_rng(spec.seed_sequence()))
    )
    assert cal.summarize([back]) == pytest.approx(cal.summarize([direct]), nan_ok=True)
