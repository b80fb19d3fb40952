"""Outputs declared once (cxsim/outputs.py): what derives from the declaration, the end-of-run
reducers, finance, and the Mesa view (DataCollector reporters, batch_run, agent reporters)."""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
import pytest

import cxsim
from cxsim import collector, outputs
from cxsim.finance import weekly_finance
from cxsim.runner import METRICS, run_metrics
from cxsim.schema import Market

from .conftest import small_scenario

STEPS = 6


@pytest.fixture(scope="module")
def model() -> cxsim.CXModel:
    data = small_scenario()
    data["steps"] = STEPS
    return cxsim.CXModel(data, rng=5, agent_interval=2).run()


# ----------------------------------------------------------------------------- the declaration


def test_columns_and_metrics_derive_from_the_declaration() -> None:
    names = [o.name for o in outputs.OUTPUTS]
    assert len(set(names)) == len(names)
    assert ["step", "firm", *names] == cxsim.COLUMNS
    assert ["step"] + [o.name for o in outputs.OUTPUTS if o.dtype is int] == outputs.INT_COLUMNS
    assert [m.name for m in outputs.END_METRICS] == METRICS
    assert [m.name for m in outputs.END_METRICS if m.headline] == outputs.HEADLINE
    assert set(outputs.HEADLINE) <= set(METRICS)


def test_every_output_is_fully_described() -> None:
    for o in outputs.OUTPUTS:
        assert all((o.label, o.unit, o.definition)), o.name
        assert o.dtype in (int, float), o.name
        assert o.kind in (outputs.STOCK, outputs.FLOW), o.name
    for m in outputs.END_METRICS:
        assert m.reducer in outputs.REDUCERS, m.name
        assert m.source == "spells" or m.source in cxsim.COLUMNS, m.name


def test_labels_carry_units_for_columns_and_metrics() -> None:
    assert outputs.label("churn_rate_weekly") == "weekly churn rate (share of customers)"
    assert outputs.label("profit") == "profit ($ per week)"
    assert outputs.label("retained") == "initial customers retained (share)"
    for name in [*cxsim.COLUMNS[2:], *METRICS]:
        text, _, unit = outputs.label(name).partition(" (")
        assert text, name
        assert unit.endswith(")"), name
    with pytest.raises(KeyError):
        outputs.label("culture_frontline")  # renamed: commitment_frontline


def test_figures_and_labels_derive_from_the_declaration() -> None:
    assert outputs.FIGURES["culture_by_level"] == [
        "commitment_leaders",
        "commitment_managers",
        "commitment_frontline",
    ]
    assert outputs.FIGURES["quality_visible_invisible"] == ["visible_quality", "invisible_quality"]
    assert outputs.FIGURES["churn_rate_weekly"] == ["churn_rate_weekly"]
    drawn = [c for columns in outputs.FIGURES.values() for c in columns]
    assert len(drawn) == len(set(drawn))
    assert set(drawn) <= set(cxsim.COLUMNS)
    assert set(outputs.SWEEP_METRICS) <= set(METRICS)
    assert set(outputs.LABELS) == set(cxsim.COLUMNS[2:]) | set(METRICS)


def test_timeseries_dtypes_are_the_declared_ones(model: cxsim.CXModel) -> None:
    ts = model.timeseries()
    assert list(ts.columns) == cxsim.COLUMNS
    for o in outputs.OUTPUTS:
        expected = np.int64 if o.dtype is int else np.float64
        assert ts[o.name].dtype == expected, o.name
    assert ts["step"].dtype == np.int64
    assert ts["firm"].tolist() == model.firm_names * STEPS


def test_timeseries_before_any_step_is_empty_with_the_columns() -> None:
    ts = cxsim.CXModel(small_scenario(), rng=1).timeseries()
    assert ts.empty
    assert list(ts.columns) == cxsim.COLUMNS


# ----------------------------------------------------------------------------- end of run


def test_end_of_run_reducers_on_a_hand_made_run() -> None:
    steps = np.arange(1, 61)
    ts = pd.DataFrame(
        {
            "step": np.repeat(steps, 2),
            "firm": ["A", "B"] * 60,
            **dict.fromkeys(cxsim.COLUMNS[2:], 0.0),
        }
    )
    ts.loc[ts.firm == "A", "churn_rate_weekly"] = steps / 1000  # mean of weeks 9..60 = 0.0345
    ts.loc[ts.firm == "B", "commitment_frontline"] = steps / 100  # final = 0.6
    ts.loc[ts.firm == "A", "customers"] = 100 - steps  # final = 40
    spells = pd.DataFrame(
        {
            "firm": pd.Categorical(["A", "A", "A", "B", "B"]),
            "start_step": [0, 0, 5, 0, 0],
            "event": [False, True, False, False, False],
        }
    )
    out = run_metrics(ts, spells, 60, Market()).set_index("firm")
    assert list(out.columns) == ["firm_position", *METRICS]
    assert out.loc["A", "churn_rate_weekly"] == pytest.approx(np.arange(9, 61).mean() / 1000)
    assert out.loc["B", "commitment_frontline"] == pytest.approx(0.6)
    assert out.loc["A", "customers"] == 40
    assert out.loc["A", "retained"] == 0.5  # of the two at step 0, one left
    assert out.loc["B", "retained"] == 1.0
    assert out["firm_position"].tolist() == [0, 1]
    r = (1 - np.arange(9, 61).mean() / 1000) ** 52  # A's yearly retention
    assert out.loc["A", "lifetime_value"] == pytest.approx(52 * (15 - 9) * r / (1.1 - r))
    assert out.loc["B", "lifetime_value"] == pytest.approx(52 * 6 * 1 / 0.1)  # no churn


def test_lifetime_value_by_hand() -> None:
    market = Market(
        revenue_per_customer_week=10.0,
        cost_to_serve_per_customer_week=4.0,
        discount_rate_per_year=0.1,
    )
    # w = 1% a week: r = 0.99^52 = 0.592966..., yearly margin 52 × 6 = 312 $
    r = 0.99**52
    assert r == pytest.approx(0.592966, abs=1e-6)
    assert outputs.lifetime_value(0.01, market) == pytest.approx(312 * r / (1.1 - r))
    assert outputs.lifetime_value(0.01, market) == pytest.approx(364.88, abs=0.01)
    assert outputs.lifetime_value(1.0, market) == 0.0  # everyone leaves within the year
    no_discount = market.model_copy(update={"discount_rate_per_year": 0.0})
    assert outputs.lifetime_value(0.0, no_discount) == np.inf
    churn = pd.Series([0.01, 0.0], index=["A", "B"])
    value = outputs.lifetime_value(churn, market)
    assert list(value.index) == ["A", "B"]
    assert value["B"] == pytest.approx(312 / 0.1)


def test_weekly_finance_by_hand() -> None:
    market = Market(
        revenue_per_customer_week=10.0, cost_to_serve_per_customer_week=4.0, recovery_cost=25.0
    )
    money = weekly_finance(
        customers=np.array([100, 50]),
        complaints=np.array([2, 0]),
        program_spend=np.array([[300.0, 200.0], [0.0, 0.0]]),
        champions_budget=np.array([1000.0, 0.0]),
        market=market,
    )
    np.testing.assert_array_equal(money.revenue, [1000.0, 500.0])
    np.testing.assert_array_equal(money.cost_to_serve, [400.0, 200.0])
    np.testing.assert_array_equal(money.cx_spend, [1550.0, 0.0])
    np.testing.assert_array_equal(money.profit, [-950.0, 300.0])


def test_weekly_finance_does_not_depend_on_how_many_customers_are_simulated() -> None:
    """The same firm, a 30% share of 20,000 represented customers with 1% complaining, simulated
    with 5,000 or 20,000 customers: the same money, exactly."""
    money = {}
    for simulated in (5_000, 20_000):
        market = Market(customers=simulated, represented_customers=20_000)
        customers = np.array([0.3, 0.7]) * simulated
        money[simulated] = weekly_finance(
            customers=customers,
            complaints=customers / 100,
            program_spend=np.array([[700.0, 300.0], [0.0, 0.0]]),
            champions_budget=np.array([5000.0, 0.0]),
            market=market,
        )
    small, full = money[5_000], money[20_000]
    for field in ("revenue", "cost_to_serve", "cx_spend", "profit"):
        np.testing.assert_allclose(getattr(small, field), getattr(full, field), err_msg=field)
    # at represented_customers = customers, a simulated customer is one customer
    np.testing.assert_allclose(full.revenue, [6000 * 15.0, 14000 * 15.0])
    np.testing.assert_allclose(full.cx_spend, [1000 + 5000 + 60 * 25.0, 140 * 25.0])


# ----------------------------------------------------------------------------- Mesa's view


def test_model_vars_agree_with_timeseries(model: cxsim.CXModel) -> None:
    mv = model.datacollector.get_model_vars_dataframe()
    ts = model.timeseries()
    assert len(mv) == STEPS + 1  # step 0 (the initial state) and every week
    assert list(mv.columns) == [
        collector.reporter_name(o.name, firm) for o in outputs.OUTPUTS for firm in model.firm_names
    ]
    for firm in model.firm_names:
        mine = ts[ts.firm == firm].set_index("step")
        for o in outputs.OUTPUTS:
            theirs = mv[collector.reporter_name(o.name, firm)].iloc[1:]
            np.testing.assert_array_equal(theirs.to_numpy(), mine[o.name].to_numpy(), o.name)


def test_step_zero_holds_the_initial_stocks_and_no_flows() -> None:
    model = cxsim.CXModel(small_scenario(), rng=3)
    first = model.datacollector.get_model_vars_dataframe().iloc[0]
    counts = np.bincount(model.customers.firm, minlength=2)
    org = model.organization
    for f, firm in enumerate(model.firm_names):
        assert first[f"customers@{firm}"] == counts[f]
        front = (org.firm == f) & (org.level == cxsim.Level.FRONTLINE)
        assert first[f"commitment_frontline@{firm}"] == pytest.approx(org.commitment[front].mean())
        for o in outputs.OUTPUTS:
            value = first[collector.reporter_name(o.name, firm)]
            if o.kind == outputs.FLOW:
                assert (value == 0) if o.dtype is int else np.isnan(value), o.name
            else:
                assert np.isfinite(value), o.name


def test_batch_run_returns_the_reporters() -> None:
    data = small_scenario()
    rows = mesa.batch_run(
        cxsim.CXModel,
        parameters={"scenario": [data]},
        iterations=2,
        max_steps=5,
        number_processes=1,
        display_progress=False,
    )
    assert len(rows) == 2
    wanted = {collector.reporter_name(c, f) for c in cxsim.COLUMNS[2:] for f in ("A", "B")}
    for row in rows:
        assert wanted <= set(row)
        assert row["Step"] == 5
        assert row["customers@A"] + row["customers@B"] == 600


def test_batch_run_step_is_the_models_step() -> None:
    data = small_scenario()
    rows = mesa.batch_run(
        cxsim.CXModel,
        parameters={"scenario": [data], "rng": [11]},
        max_steps=5,
        number_processes=1,
        data_collection_period=1,
        display_progress=False,
    )
    ts = cxsim.CXModel(data, rng=11).run(5).timeseries().set_index(["step", "firm"])
    for row in rows[1:]:
        for firm in ("A", "B"):
            assert row[f"satisfaction@{firm}"] == ts.loc[(row["Step"], firm), "satisfaction"]
            assert row[f"churned@{firm}"] == ts.loc[(row["Step"], firm), "churned"]


def test_staff_are_collected_every_agent_interval(model: cxsim.CXModel) -> None:
    staff = model.datacollector.get_agent_vars_dataframe()
    assert list(staff.columns) == list(collector.STAFF_REPORTERS)
    assert sorted(staff.index.get_level_values("Step").unique()) == [0, 2, 4, 6]
    last = staff.xs(STEPS, level="Step")
    org = model.organization
    assert len(last) == org.size
    np.testing.assert_array_equal(last["commitment"].to_numpy(), org.commitment)
    np.testing.assert_array_equal(last["tenure_weeks"].to_numpy(), org.tenure_weeks)
    assert set(last["level"]) == {"ceo", "executive", "manager", "frontline"}
    assert last["firm"].tolist() == np.array(model.firm_names)[org.firm].tolist()


def test_no_staff_are_collected_by_default() -> None:
    model = cxsim.CXModel(small_scenario(), rng=1).run(3)
    assert model.datacollector._agent_records == {}
    with pytest.raises(UserWarning):
        model.datacollector.get_agent_vars_dataframe()
    with pytest.raises(ValueError, match="agent_interval"):
        cxsim.CXModel(small_scenario(), rng=1, agent_interval=-1)


def test_collecting_does_not_touch_the_random_stream() -> None:
    data = small_scenario()
    plain = cxsim.CXModel(data, rng=9).run(4)
    watched = cxsim.CXModel(data, rng=9, agent_interval=1).run(4)
    watched.datacollector.get_model_vars_dataframe()
    pd.testing.assert_frame_equal(plain.timeseries(), watched.timeseries())
    assert plain.rng.random() == watched.rng.random()
