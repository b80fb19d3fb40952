"""The statistics: t intervals and replicate bands, summaries, paired differences, Kaplan–Meier
survival, retention and survival tests; checked against hand counts, scipy and statsmodels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats
from statsmodels.duration.survfunc import survdiff

import cxsim
from cxsim import stats
from cxsim.runner import METRICS, make_plan, run_one

from .conftest import make_spells, small_scenario

# --------------------------------------------------------------------------- t intervals


def test_t_interval_and_summary() -> None:
    mean, _lo, hi = stats.t_interval(np.array([1.0, 2.0, 3.0]))
    assert mean == 2.0
    assert hi - mean == pytest.approx(4.302653 * 1.0 / np.sqrt(3), rel=1e-5)
    assert stats.t_interval(np.array([5.0])) == (5.0, 5.0, 5.0)
    data = small_scenario()
    data["steps"], data["market"]["customers"] = 12, 400
    plan = make_plan([cxsim.load_scenario(data)], replicates=3, root_seed=2)
    metrics = pd.concat([run_one(p).metrics for p in plan])
    table = stats.summary_table(metrics, [], METRICS)
    row = table[(table.firm == "A") & (table.metric == "retained")].iloc[0]
    assert row["n"] == 3
    assert row["ci_low"] <= row["mean"] <= row["ci_high"]


def test_t_interval_leaves_out_missing_values() -> None:
    assert stats.t_interval(np.array([1.0, np.nan, 3.0])) == stats.t_interval(np.array([1.0, 3.0]))
    assert all(np.isnan(stats.t_interval(np.array([np.nan, np.nan]))))
    assert all(np.isnan(stats.t_interval(np.array([]))))
    mean, lo, hi = stats.t_interval(np.array([1.0, 2.0, 4.0]), level=0.9)
    _, lo95, hi95 = stats.t_interval(np.array([1.0, 2.0, 4.0]))
    assert lo95 < lo < mean < hi < hi95


def test_t_interval_covers_the_true_mean_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(3)
    samples = rng.normal(10.0, 2.0, size=(2000, 4))
    covered = [lo <= 10.0 <= hi for _, lo, hi in map(stats.t_interval, samples)]
    assert np.mean(covered) == pytest.approx(0.95, abs=0.015)  # binomial sd 0.005


def test_band_is_a_t_interval_across_replicates() -> None:
    df = pd.DataFrame({"g": ["a"] * 4 + ["b"], "v": [1.0, 2.0, 3.0, 4.0, 7.0]})
    out = stats.replicate_bands(df, ["g"], "v").set_index("g")
    half = scipy_stats.t.ppf(0.975, 3) * np.std([1, 2, 3, 4], ddof=1) / 2
    assert out.loc["a", "mean"] == 2.5
    assert out.loc["a", "high"] - 2.5 == pytest.approx(half)
    assert out.loc["b", "low"] == out.loc["b", "high"] == 7.0  # one replicate: no band


def test_bands_and_t_interval_are_one_computation() -> None:
    """A band drawn in a figure and the interval in summary.csv agree to the last bit."""
    rng = np.random.default_rng(5)
    df = pd.DataFrame(
        {
            "g": rng.integers(0, 20, 300),
            "h": rng.choice(["x", "y"], 300),
            "v": np.where(rng.random(300) < 0.1, np.nan, rng.normal(0.3, 0.1, 300)),
        }
    )
    bands = stats.replicate_bands(df, ["g", "h"], "v")
    assert len(bands) == len(df[["g", "h"]].drop_duplicates())
    for row in bands.itertuples():
        values = df.loc[(df["g"] == row.g) & (df["h"] == row.h), "v"].to_numpy()
        assert (row.mean, row.low, row.high) == stats.t_interval(values)
        assert row.count == np.isfinite(values).sum()


def test_bands_keep_group_order_null_keys_and_undefined_groups() -> None:
    df = pd.DataFrame(
        {
            "point": ["b", None, "a", "b", np.nan, "a"],
            "v": [1.0, 2.0, np.nan, 3.0, 4.0, np.nan],
        }
    )
    bands = stats.replicate_bands(df, ["point"], "v")
    assert list(bands.columns) == ["point", *stats.BAND_COLUMNS]
    assert bands["point"].iloc[0] == "b"
    assert pd.isna(bands["point"].iloc[1])  # null sweep point kept, None and NaN as one
    assert bands["point"].iloc[2] == "a"
    assert list(bands["count"]) == [2, 2, 0]
    assert bands.loc[2, ["mean", "low", "high"]].isna().all()  # no value: undefined, no error
    empty = stats.replicate_bands(df.iloc[:0], ["point"], "v")
    assert empty.empty
    assert list(empty.columns) == ["point", *stats.BAND_COLUMNS]


# --------------------------------------------------------------------------- end-of-run tables


def _metrics(points: dict[str, list[object]] | None = None) -> pd.DataFrame:
    """Two scenarios, two firms, four replicates with a shared replicate effect; scenario "b"
    is 0.1 better than "a" at position 0 and 0.2 worse at position 1 in every replicate."""
    rng = np.random.default_rng(11)
    rep_effect = rng.normal(0, 0.3, 4)
    rows = []
    for point in points["p"] if points else [None]:
        for scenario, shift in (("a", (0.0, 0.0)), ("b", (0.1, -0.2))):
            for pos, firm in enumerate(["F", "G"]):
                for rep in range(4):
                    value = 0.5 + rep_effect[rep] + shift[pos]
                    row = {"scenario": scenario, "firm": firm, "firm_position": pos}
                    row.update({"replicate": rep, "x": value, "y": value * 2})
                    if points:
                        row["p"] = point
                    rows.append(row)
    return pd.DataFrame(rows)


def test_summary_table_counts_defined_values_and_keeps_null_points() -> None:
    metrics = _metrics({"p": [0.5, None]})
    metrics.loc[(metrics.replicate == 0) & (metrics.firm == "F"), "y"] = np.nan
    table = stats.summary_table(metrics, ["p"], ["x", "y"])
    assert len(table) == 2 * 2 * 2 * 2  # points x scenarios x firms x metrics
    assert table["p"].isna().sum() == 8
    f = table[(table.firm == "F") & (table.scenario == "a") & (table.p == 0.5)].set_index("metric")
    assert f.loc["x", "n"] == 4
    assert f.loc["y", "n"] == 3
    values = metrics.loc[(metrics.firm == "F") & (metrics.scenario == "a") & (metrics.p == 0.5)]
    assert tuple(f.loc["y", ["mean", "ci_low", "ci_high"]]) == stats.t_interval(values["y"])
    assert stats.summary_table(metrics.iloc[:0], ["p"], ["x"]).empty


def test_difference_table_pairs_replicates() -> None:
    metrics = _metrics()
    diff = stats.difference_table(metrics, [], ["x", "y"]).set_index(
        ["scenario", "firm_position", "metric"]
    )
    assert (diff.loc["a", ["diff_mean", "diff_ci_low", "diff_ci_high"]] == 0).all().all()
    # paired: the shared replicate effect cancels, so the difference is exact, with no spread
    b0 = diff.loc[("b", 0, "x")]
    assert b0["diff_mean"] == pytest.approx(0.1)
    assert b0["diff_ci_high"] - b0["diff_ci_low"] == pytest.approx(0.0, abs=1e-12)
    assert diff.loc[("b", 1, "y"), "diff_mean"] == pytest.approx(-0.4)
    # unpaired, the replicate effect would have made the interval wide
    a = metrics.query("scenario == 'a' and firm_position == 0")["x"]
    _, lo, hi = stats.t_interval(a.to_numpy())
    assert hi - lo > 0.1


def test_difference_table_per_sweep_point() -> None:
    metrics = _metrics({"p": [1, 2]})
    metrics.loc[metrics.p == 2, "x"] += np.where(
        metrics.loc[metrics.p == 2, "scenario"] == "b", 1, 0
    )
    diff = stats.difference_table(metrics, ["p"], ["x"]).set_index(
        ["scenario", "p", "firm_position"]
    )
    assert diff.loc[("b", 1, 0), "diff_mean"] == pytest.approx(0.1)
    assert diff.loc[("b", 2, 0), "diff_mean"] == pytest.approx(1.1)


# --------------------------------------------------------------------------- survival


def test_kaplan_meier_without_censoring_is_the_empirical_survival() -> None:
    durations = np.array([1, 2, 2, 3, 5, 8, 8, 8])
    spells = make_spells(durations, np.ones(8, dtype=bool))
    bands = stats.survival_bands(spells, steps=10)
    for week in range(11):
        expected = np.mean(durations > week)
        assert bands.loc[bands.week == week, "mean"].item() == pytest.approx(expected)


def test_kaplan_meier_with_censoring_by_hand() -> None:
    # at week 2 one of 4 leaves; at week 3 one of the 3 at risk leaves (one censored at 3 is
    # still at risk then); at week 5 the last one leaves
    spells = make_spells([2, 3, 3, 5], [True, False, True, True])
    bands = stats.survival_bands(spells, steps=6).set_index("week")["mean"]
    np.testing.assert_allclose(bands.to_numpy(), [1, 1, 0.75, 0.5, 0.5, 0.0, 0.0])


def test_survival_band_spans_replicates() -> None:
    a = make_spells([2, 4, 6, 8], [True] * 4, replicate=0)
    b = make_spells([1, 2, 3, 4], [True] * 4, replicate=1)
    bands = stats.survival_bands(pd.concat([a, b]), steps=8)
    row = bands[bands.week == 3].iloc[0]
    assert row["mean"] == pytest.approx((0.75 + 0.25) / 2)
    assert row["low"] < row["mean"] < row["high"]
    expected = stats.t_interval(np.array([0.75, 0.25]))
    assert (row["mean"], row["low"], row["high"]) == pytest.approx(expected, rel=1e-12)


def test_survival_without_churn_stays_at_one() -> None:
    spells = pd.concat(
        [
            make_spells([10, 10, 4], [False, False, False], firm="calm"),
            make_spells([2, 10], [True, False], firm="busy"),
        ]
    )
    bands = stats.survival_bands(spells, steps=10).set_index(["firm", "week"])
    assert (bands.loc["calm", "mean"] == 1.0).all()
    assert bands.loc[("busy", 2), "mean"] == pytest.approx(0.5)


def test_survival_of_a_single_customer_who_leaves() -> None:
    bands = stats.survival_bands(make_spells([3], [True]), steps=5)
    assert list(bands["mean"]) == [1.0, 1.0, 1.0, 0.0, 0.0, 0.0]


def test_survival_and_retention_of_nomake_spells() -> None:
    none = make_spells([], [])
    for bands in (stats.survival_bands(none, 5), stats.retention_bands(none, 5)):
        assert bands.empty
        assert {"scenario", "firm", "week", "mean", "low", "high"} <= set(bands.columns)


def test_retention_counts_only_initial_customers() -> None:
    first = make_spells([3, 10, 10], [True, False, False])
    later = make_spells([1], [True], start=5)
    bands = stats.retention_bands(pd.concat([first, later]), steps=10)
    assert bands.loc[bands.week == 2, "mean"].item() == 1.0
    assert bands.loc[bands.week == 3, "mean"].item() == pytest.approx(2 / 3)
    assert bands.loc[bands.week == 10, "mean"].item() == pytest.approx(2 / 3)


def test_retention_at_the_last_week_is_the_retained_metric() -> None:
    """The weekly retention path ends at each run's ``retained`` metric, so the band at the
    last week is the summary's interval of ``retained``."""
    data = small_scenario()
    data["steps"], data["market"]["customers"] = 12, 400
    data["market"]["base_churn_per_month"] = 0.2
    plan = make_plan([cxsim.load_scenario(data)], replicates=3, root_seed=4)
    results = [run_one(p) for p in plan]
    spells = pd.concat([r.labelled_spells() for r in results])
    metrics = pd.concat([r.metrics for r in results])
    assert spells["event"].any()
    kept = stats.retention_bands(spells, 12)
    kept = kept[kept.week == 12].set_index("firm")[["mean", "low", "high"]]
    summary = stats.summary_table(metrics, [], ["retained"]).set_index("firm")
    for firm in kept.index:
        np.testing.assert_allclose(
            kept.loc[firm].to_numpy(float),
            summary.loc[firm, ["mean", "ci_low", "ci_high"]].to_numpy(float),
            rtol=1e-12,
        )


# --------------------------------------------------------------------------- survival tests


def _exponential_spells(
    effects: list[float], customers: int, seed: int, market_sd: float = 0.0
) -> pd.DataFrame:
    """Scenarios "a" and "b", one replicate per effect: exponential stays (mean 10 weeks,
    censored at 30), scaled in replicate r by a market effect shared by both scenarios and, for
    "b", by ``exp(effects[r])``."""
    rng = np.random.default_rng(seed)
    market = rng.normal(0.0, market_sd, len(effects))
    frames = []
    for rep, effect in enumerate(effects):
        for scenario, e in (("a", 0.0), ("b", effect)):
            d = np.ceil(rng.exponential(10.0 * np.exp(market[rep] + e), customers))
            frames.append(make_spells(np.minimum(d, 30), d < 30, replicate=rep, scenario=scenario))
    return pd.concat(frames, ignore_index=True)


def test_many_customers_do_not_make_replicates_that_disagree_significant() -> None:
    """Issue 12: 5,000 customers per firm and replicate, but the replicates disagree on the
    direction of the difference. Counted customer by customer the difference is overwhelming;
    counted replicate by replicate (the unit of randomness) it is not."""
    spells = _exponential_spells([0.5, -0.3, 0.4, -0.2], customers=5000, seed=1)
    row = stats.logrank_tests(spells).iloc[0]
    assert row["p_value_customer_level"] < 1e-6
    assert row["note_customer_level"] == stats.CUSTOMER_LEVEL_CAVEAT
    assert row["p_value"] > 0.2
    assert (row["replicates"], row["note"]) == (4, "")
    assert row["rmst_diff_ci_low"] < 0 < row["rmst_diff_ci_high"]


def test_a_consistent_difference_is_significant_across_replicates() -> None:
    """Scenario "b" keeps customers 26% shorter in every replicate, while the replicates'
    markets differ far more than that: the pairing removes the market effect."""
    spells = _exponential_spells([-0.3] * 6, customers=500, seed=2, market_sd=0.5)
    row = stats.logrank_tests(spells).iloc[0]
    assert row["p_value"] < 0.01
    assert row["statistic"] < 0
    assert row["rmst_diff_ci_high"] < 0
    assert row["rmst_diff_mean"] == pytest.approx(row["rmst"] - row["versus_rmst"])
    unpaired = scipy_stats.ttest_ind(
        *[
            [stats._rmst(g, 30.0) for _, g in spells[spells.scenario == s].groupby("replicate")]
            for s in "ba"
        ]
    )
    assert unpaired.pvalue > 0.05  # unpaired, the shared market effect would drown it


def test_paired_test_is_scipy_ttest_rel_of_hand_computed_rmst() -> None:
    """Restricted mean survival up to week 6, by hand: the area under each step curve."""
    table = {  # replicate: (firm in "a", firm in "b"), as (durations, events)
        0: (([2, 4], [True, True]), ([3, 5], [True, True])),
        1: (([1, 3], [True, True]), ([2, 3, 3, 5], [True, False, True, True])),
        2: (([2, 8], [True, False]), ([6, 6], [False, False])),
    }
    # a: mean of the stays 3; 2; 2 then 6 - 2 = 4 weeks at 1/2 -> 4
    # b: 4; 1 x 2 + 0.75 x 1 + 0.5 x 2 = 3.75 (the hand Kaplan-Meier test above); 6
    rmst_a, rmst_b = [3.0, 2.0, 4.0], [4.0, 3.75, 6.0]
    spells = pd.concat(
        make_spells(d, e, replicate=rep, scenario=s)
        for rep, pair in table.items()
        for s, (d, e) in zip("ab", pair, strict=True)
    )
    row = stats.logrank_tests(spells, horizon=6.0).iloc[0]
    expected = scipy_stats.ttest_rel(rmst_b, rmst_a)
    assert (row["statistic"], row["p_value"]) == pytest.approx(
        (expected.statistic, expected.pvalue), rel=1e-12
    )
    interval = expected.confidence_interval()
    assert (row["rmst_diff_mean"], row["rmst_diff_ci_low"], row["rmst_diff_ci_high"]) == (
        pytest.approx((np.mean(rmst_b) - np.mean(rmst_a), interval.low, interval.high))
    )
    assert (row["rmst"], row["versus_rmst"]) == pytest.approx((np.mean(rmst_b), np.mean(rmst_a)))
    assert (row["replicates"], row["horizon"]) == (3, 6.0)
    # by default the horizon is the longest spell (the run length): here 8 weeks
    assert stats.logrank_tests(spells).iloc[0]["horizon"] == 8.0


def test_one_replicate_leaves_the_paired_test_undefined() -> None:
    spells = _exponential_spells([-0.5], customers=400, seed=3)
    row = stats.logrank_tests(spells).iloc[0]
    assert row[["p_value", "statistic"]].isna().all()
    assert row["note"] == "undefined: one replicate; a paired test needs two or more"
    assert row["replicates"] == 1
    assert row["rmst_diff_mean"] < 0
    assert row[["rmst_diff_ci_low", "rmst_diff_ci_high"]].isna().all()
    assert row["p_value_customer_level"] < 0.05  # still given, with its caveat


def test_customer_level_test_is_statsmodels_survdiff_stratified_by_replicate() -> None:
    rng = np.random.default_rng(2)
    frames = []
    for scenario, scale in [("a", 8.0), ("b", 6.0)]:
        for rep in range(3):
            d = np.ceil(rng.exponential(scale * (1 + rep / 2), 100))
            frames.append(make_spells(d, d < 20, replicate=rep, scenario=scenario))
    spells = pd.concat(frames, ignore_index=True)
    row = stats.logrank_tests(spells).iloc[0]
    expected = survdiff(
        spells["duration"].to_numpy(float),
        spells["event"].to_numpy(int),
        (spells["scenario"] == "b").to_numpy(int),
        strata=spells["replicate"].to_numpy(),
    )
    assert (row["scenario"], row["versus"], row["note"]) == ("b", "a", "")
    got = (row["statistic_customer_level"], row["p_value_customer_level"])
    assert got == pytest.approx(expected, rel=1e-12)
    unstratified = survdiff(
        spells["duration"].to_numpy(float),
        spells["event"].to_numpy(int),
        (spells["scenario"] == "b").to_numpy(int),
    )
    assert row["statistic_customer_level"] != pytest.approx(unstratified[0], rel=1e-6)


def test_survival_tests_are_blank_and_say_why_where_undefined() -> None:
    calm = [
        make_spells([5, 5], [False, False], scenario=s, replicate=r) for s in "ab" for r in (0, 1)
    ]
    tests = stats.logrank_tests(pd.concat(calm))
    assert tests[["p_value", "statistic", "p_value_customer_level"]].isna().all().all()
    assert list(tests["note"]) == ["undefined: no churn events"]
    assert list(tests["note_customer_level"]) == ["undefined: no churn events"]
    # the same churn in every replicate of both: no spread across replicates to test
    twins = [
        make_spells([2, 5], [True, False], scenario=s, replicate=r) for s in "ab" for r in (0, 1)
    ]
    row = stats.logrank_tests(pd.concat(twins)).iloc[0]
    assert np.isnan(row["p_value"])
    assert row["note"] == "undefined: the difference is the same in every replicate"
    assert row["rmst_diff_mean"] == 0.0
    # a firm without customers has no spells: pairing must follow the firms' positions
    base = pd.concat([make_spells([1, 5], [True, False], scenario="a", firm="X")])
    other = pd.concat(
        [make_spells([2, 5], [True, False], scenario="b", firm="X", replicate=r) for r in (0, 1)]
        + [make_spells([3, 5], [True, False], scenario="b", firm="Y")]
    )
    tests = stats.logrank_tests(pd.concat([base, other]), {"a": ["X", "Y"], "b": ["X", "Y"]})
    assert list(tests["versus_firm"]) == ["X", "Y"]
    assert list(tests["firm"]) == ["X", "Y"]
    # X: "a" ran replicate 0 only, so one replicate pairs
    assert tests["note"].tolist() == [
        "undefined: one replicate; a paired test needs two or more",
        "undefined: a firm had no customers",
    ]
    assert tests["replicates"].tolist() == [1, 0]
    assert tests["p_value_customer_level"].notna().tolist() == [True, False]


def test_survival_tests_of_one_scenario_are_an_empty_table() -> None:
    tests = stats.logrank_tests(make_spells([1, 2], [True, True]))
    assert tests.empty
    assert list(tests.columns) == stats.LOGRANK_COLUMNS


# --------------------------------------------------------------------------- per-step summary


def _weekly() -> pd.DataFrame:
    """Two points of one scenario, two firms, three replicates, four weeks, two outputs; ``y``
    is undefined in one replicate's week 2."""
    rng = np.random.default_rng(5)
    rows = []
    for point, p in ((0, 0.3), (1, 0.6)):
        for rep in range(3):
            for step in range(1, 5):
                for firm in ("F", "G"):
                    rows.append(
                        {"scenario": "s", "point": point, "p": p, "replicate": rep, "step": step}
                        | {"firm": firm, "x": rng.normal(), "y": int(rng.integers(0, 9))}
                    )
    ts = pd.DataFrame(rows)
    ts.loc[(ts.replicate == 0) & (ts.step == 2), "y"] = np.nan
    return ts


def test_step_summary_is_the_replicate_band_of_each_step_and_column() -> None:
    ts = _weekly()
    steps = stats.step_summary(ts, ["p"], ["x", "y"])
    keys = ["scenario", "point", "p", "firm", "step"]
    assert list(steps.columns) == [*keys, *stats.STEP_COLUMNS]
    assert len(steps) == 2 * 2 * 4 * 2  # points x firms x steps x outputs
    # scenario by scenario, point by point, firm by firm, week by week, then the outputs
    first = steps.iloc[:8]
    assert first["firm"].tolist() == ["F"] * 8
    assert first["step"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4]
    assert first["output"].tolist() == ["x", "y"] * 4
    for column in ("x", "y"):
        bands = stats.replicate_bands(ts, keys, column)
        mine = steps[steps.output == column]
        merged = bands.merge(mine, on=keys)
        assert len(merged) == len(bands) == 16
        np.testing.assert_allclose(merged["mean_x"], merged["mean_y"])
        np.testing.assert_allclose(merged["low"], merged["ci_low"])
        np.testing.assert_allclose(merged["high"], merged["ci_high"])
        assert (merged["count"] == merged["n"]).all()
    gap = steps[(steps.output == "y") & (steps.step == 2)]
    assert (gap["n"] == 2).all()
    one = steps[(steps.point == 1) & (steps.firm == "G") & (steps.step == 3)].set_index("output")
    values = ts[(ts.point == 1) & (ts.firm == "G") & (ts.step == 3)]["x"].to_numpy()
    assert tuple(one.loc["x", ["mean", "ci_low", "ci_high"]]) == pytest.approx(
        stats.t_interval(values)
    )
    empty = stats.step_summary(ts.iloc[:0], ["p"], ["x"])
    assert empty.empty
    assert list(empty.columns) == [*keys, *stats.STEP_COLUMNS]


def test_step_summary_of_a_large_table_is_fast() -> None:
    import time

    n = 200_000
    rng = np.random.default_rng(1)
    ts = pd.DataFrame(
        {
            "scenario": "s",
            "point": np.repeat(np.arange(50), n // 50),
            "firm": np.tile(["F", "G"], n // 2),
            "step": np.tile(np.repeat(np.arange(100), 2), n // 200),
            **{f"c{i}": rng.normal(size=n) for i in range(20)},
        }
    )
    start = time.perf_counter()
    steps = stats.step_summary(ts, [], [f"c{i}" for i in range(20)])
    assert len(steps) == 50 * 2 * 100 * 20
    assert time.perf_counter() - start < 5  # vectorised: well under a second here


# --------------------------------------------------------------------------- sweep baseline


def test_difference_table_against_a_baseline_point_pairs_replicates() -> None:
    metrics = _metrics({"p": [0.3, 0.6, 0.9]})
    metrics["point"] = metrics["p"].map({0.3: 0, 0.6: 1, 0.9: 2})
    # each point adds the same amount in every replicate: paired, the difference is exact
    metrics["x"] += metrics["point"] * 0.25
    metrics = metrics[~((metrics.point == 2) & (metrics.replicate == 3))]  # a failed run
    diff = stats.difference_table(metrics, ["p"], ["x", "y"], baseline_point=1)
    keys = ["scenario", "point", "p", "firm_position", "firm"]
    assert list(diff.columns) == [*keys, *stats.DIFFERENCE_COLUMNS]
    assert set(diff["point"]) == {0, 2}  # the baseline itself is left out
    assert len(diff) == 2 * 2 * 2 * 2  # points x scenarios x firms x metrics
    table = diff.set_index(["scenario", "point", "firm", "metric"])
    low = table.loc[("b", 0, "G", "x")]
    assert low["diff_mean"] == pytest.approx(-0.25)
    assert low["diff_ci_high"] - low["diff_ci_low"] == pytest.approx(0.0, abs=1e-12)
    assert low["n"] == 4
    high = table.loc[("a", 2, "F", "x")]
    assert high["diff_mean"] == pytest.approx(0.25)
    assert high["n"] == 3  # replicate 3 has no pair
    assert table.loc[("a", 2, "F", "y"), "diff_mean"] == pytest.approx(0.0, abs=1e-12)
    # the same values as a paired t interval by hand
    by_rep = metrics[(metrics.scenario == "a") & (metrics.firm == "F")].pivot(
        index="replicate", columns="point", values="x"
    )
    expected = stats.t_interval((by_rep[2] - by_rep[1]).to_numpy())
    assert tuple(high[["diff_mean", "diff_ci_low", "diff_ci_high"]]) == pytest.approx(expected)
    none = stats.difference_table(metrics, ["p"], ["x"], baseline_point=7)
    assert none.empty
    assert list(none.columns) == [*keys, *stats.DIFFERENCE_COLUMNS]


def test_every_survival_test_column_is_declared() -> None:
    assert list(stats.SURVIVAL_TEST_COLUMNS) == stats.LOGRANK_COLUMNS
    assert all(meaning for _, meaning in stats.SURVIVAL_TEST_COLUMNS.values())
