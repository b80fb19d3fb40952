"""The runner: plans, seeds, executors, and results that do not depend on the worker count."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cxsim
from cxsim.designs import (
    grid,
    integer_keys,
    parse_range,
    parse_sample,
    parse_vary,
    sample_points,
)
from cxsim.runner import RUN_LABELS, SPELL_COLUMNS, make_plan, run_one, run_plan
from cxsim.store import ResultStore, StoreError

from .conftest import small_scenario


def tiny() -> cxsim.Scenario:
    data = small_scenario()
    data["steps"] = 12
    data["market"]["customers"] = 400
    return cxsim.load_scenario(data)


def test_parse_vary_lists_and_ranges() -> None:
    assert parse_vary("market.visible_weight=0.2,0.5") == ("market.visible_weight", [0.2, 0.5])
    key, values = parse_vary("firms.0.leadership.ceo_commitment=0.3:0.9:4")
    assert key == "firms.0.leadership.ceo_commitment"
    np.testing.assert_allclose(values, [0.3, 0.5, 0.7, 0.9])
    assert parse_vary("steps=10:30:3")[1] == [10, 20, 30]
    assert parse_vary("firms.0.name=no,yes")[1] == ["no", "yes"]
    for bad in ["novalue", "=1,2", "a.b=", "a=1:x:3", "a=0:1:0"]:
        with pytest.raises(cxsim.ScenarioError):
            parse_vary(bad)


def test_grid_is_full_factorial() -> None:
    points = grid({"a": [1, 2], "b": ["x", "y", "z"]})
    assert len(points) == 6
    assert points[0] == {"a": 1, "b": "x"}
    assert points[-1] == {"a": 2, "b": "z"}


def test_plan_uses_common_random_numbers() -> None:
    s = tiny()
    other = cxsim.apply_overrides(s, {"name": "other"})
    plan = make_plan([s, other], replicates=3, root_seed=9)
    assert [p.run_id for p in plan][:3] == ["s0-p0-r0", "s0-p0-r1", "s0-p0-r2"]
    by = {(p.scenario_name, p.replicate): p.seed for p in plan}
    assert by[("small", 1)] == by[("other", 1)]
    assert len({by[("small", r)] for r in range(3)}) == 3
    again = make_plan([s, other], replicates=3, root_seed=9)
    assert [p.seed for p in again] == [p.seed for p in plan]
    assert make_plan([s], 3, 10)[0].seed != plan[0].seed
    with pytest.raises(cxsim.ScenarioError):
        make_plan([s], 0, 1)
    with pytest.raises(cxsim.ScenarioError, match="unknown key"):
        make_plan([s], 1, 1, points=[{"market.nope": 1}])


def test_same_name_scenarios_get_distinct_labels() -> None:
    s = tiny()
    plan = make_plan([s, s], replicates=1, root_seed=1)
    assert [p.scenario_name for p in plan] == ["small#0", "small#1"]


def test_run_one_labels_its_tables() -> None:
    (spec,) = make_plan([tiny()], replicates=1, root_seed=3, points=[{"steps": 6}])
    result = run_one(spec)
    assert result.status == "ok"
    assert set(result.timeseries.step) == set(range(1, 7))
    assert (result.timeseries.run_id == spec.run_id).all()
    assert (result.timeseries["steps"] == 6).all()
    assert set(result.metrics.firm) == {"A", "B"}
    assert result.spells.duration.ge(0).all()
    direct = cxsim.CXModel(
        cxsim.apply_overrides(tiny(), {"steps": 6}), rng=np.random.default_rng(spec.seed_sequence())
    ).run()
    assert direct.timeseries().customers.tolist() == result.timeseries.customers.tolist()


def test_a_failing_run_is_recorded_not_raised() -> None:
    (spec,) = make_plan([tiny()], replicates=1, root_seed=3)
    broken = type(spec)(**{**spec.__dict__, "scenario": {"firms": []}})
    result = run_one(broken)
    assert result.status == "error"
    assert "ValidationError" in result.error


def _collect(results) -> pd.DataFrame:
    frames = sorted((r for r in results), key=lambda r: r.spec.index)
    assert all(r.status == "ok" for r in frames)
    return pd.concat([r.timeseries for r in frames], ignore_index=True)


def test_results_do_not_depend_on_workers_or_executor() -> None:
    plan = make_plan([tiny()], replicates=4, root_seed=5)
    serial = _collect(run_plan(plan, workers=1))
    pooled = _collect(run_plan(plan, workers=2))
    with ThreadPoolExecutor(3) as pool:
        threaded = _collect(run_plan(plan, executor=pool))
    pd.testing.assert_frame_equal(serial, pooled)
    pd.testing.assert_frame_equal(serial, threaded)


def test_store_refuses_an_unwritable_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    store = ResultStore(blocker / "out", make_plan([tiny()], 1, 1))
    with pytest.raises(StoreError, match="cannot write the output folder"):
        store.open()


def test_store_resume_requires_the_same_plan(tmp_path: Path) -> None:
    with ResultStore(tmp_path, make_plan([tiny()], 2, 1)) as store:
        store.open()
    with (
        pytest.raises(StoreError, match="different plan"),
        ResultStore(tmp_path, make_plan([tiny()], 3, 1)) as store,
    ):
        store.open(resume=True)


def _die_on_replicate_1(spec):
    """A run function whose worker process dies outright on replicate 1."""
    import os

    if spec.replicate == 1:
        os._exit(3)
    return run_one(spec)


def test_a_killed_worker_loses_only_unfinished_runs() -> None:
    plan = make_plan([tiny()], replicates=4, root_seed=5)
    results = list(run_plan(plan, workers=2, run=_die_on_replicate_1))
    assert sorted(r.spec.run_id for r in results) == sorted(s.run_id for s in plan)
    failed = [r for r in results if r.status != "ok"]
    assert any(r.spec.replicate == 1 for r in failed)
    assert all("worker died" in r.error for r in failed)
    redo = [r.spec for r in failed]
    assert all(r.status == "ok" for r in run_plan(redo, workers=1))


def test_every_run_table_has_the_point_index() -> None:
    plan = make_plan([tiny()], replicates=1, root_seed=3, points=[{"steps": 4}, {"steps": 6}])
    assert [s.point_index for s in plan] == [0, 1]
    for spec in plan:
        result = run_one(spec)
        spells = result.labelled_spells()  # as written: labelled a batch at a time
        for table in (result.timeseries, result.metrics, spells):
            assert list(table.columns[: len(RUN_LABELS)]) == list(RUN_LABELS)
            assert (table["point"] == int(spec.run_id.split("-")[1][1:])).all()
        assert list(spells.columns[len(RUN_LABELS) + 1 :]) == list(SPELL_COLUMNS)
        assert list(result.spells.columns) == list(SPELL_COLUMNS)


def test_sample_points_are_a_seeded_latin_hypercube_or_sobol_design() -> None:
    ranges = {"market.customers": (100.0, 1000.0), "market.visible_weight": (0.2, 0.6)}
    ints = integer_keys(tiny(), [*ranges, "market.nope", "firms.9.name"])
    assert ints == {"market.customers"}
    lhs = sample_points(ranges, "lhs", 8, seed=7, integers=ints)
    assert lhs == sample_points(ranges, "lhs", 8, seed=7, integers=ints)
    assert lhs != sample_points(ranges, "lhs", 8, seed=8, integers=ints)
    weights = np.array([p["market.visible_weight"] for p in lhs])
    # a Latin hypercube puts exactly one point in each of the 8 equal slices of each range
    assert sorted(np.floor((weights - 0.2) / 0.4 * 8).astype(int)) == list(range(8))
    assert all(isinstance(p["market.customers"], int) for p in lhs)
    assert all(100 <= p["market.customers"] <= 1000 for p in lhs)
    sobol = sample_points(ranges, "sobol", 16, seed=7)
    assert len(sobol) == 16
    assert len({p["market.visible_weight"] for p in sobol}) == 16
    assert all(isinstance(p["market.customers"], float) for p in sobol)


def test_parse_sample_and_range() -> None:
    assert parse_sample("lhs:10") == ("lhs", 10)
    assert parse_sample("Sobol:64") == ("sobol", 64)
    assert parse_range("market.visible_weight=0.2:0.6") == ("market.visible_weight", (0.2, 0.6))
    for bad in ["lhs", "grid:4", "lhs:x", "lhs:0", "sobol:10", "lhs:200001"]:
        with pytest.raises(cxsim.ScenarioError):
            parse_sample(bad)
    with pytest.raises(cxsim.ScenarioError, match="sobol:8 or sobol:16"):
        parse_sample("sobol:10")
    for bad in ["a=1", "a=1:2:3", "a=2:1", "a=0:inf", "a=x:1", "=0:1"]:
        with pytest.raises(cxsim.ScenarioError):
            parse_range(bad)
    with pytest.raises(cxsim.ScenarioError, match="--sample"):
        parse_vary("market.visible_weight=0.2:0.6")
    assert parse_vary("name=a:b") == ("name", ["a:b"])


def test_spells_carry_the_customer_id_of_customer_spells() -> None:
    (spec,) = make_plan([tiny()], replicates=1, root_seed=9)
    result = run_one(spec)
    assert spec.spells
    model = cxsim.CXModel(tiny(), rng=np.random.default_rng(spec.seed_sequence())).run()
    expected = model.customer_spells()
    spells = result.labelled_spells()
    assert list(spells.columns[len(RUN_LABELS) :]) == list(SPELL_COLUMNS)
    batches = list(result.spell_batches(rows=7))  # the batches add up to the whole
    assert len(batches) > 1
    pd.testing.assert_frame_equal(pd.concat(batches, ignore_index=True), spells)
    assert spells["customer"].tolist() == expected["customer"].tolist()
    assert spells["firm"].tolist() == expected["firm"].astype(str).tolist()
    assert spells["start_step"].tolist() == expected["start_step"].tolist()
    assert spells["event"].tolist() == expected["churned"].tolist()
    ended = expected["end_step"].notna().to_numpy()
    np.testing.assert_array_equal(
        spells["start_step"].to_numpy()[ended] + spells["duration"].to_numpy()[ended],
        expected["end_step"].to_numpy()[ended].astype(int),
    )


def test_ranges_and_samples_give_values_without_float_noise() -> None:
    _, values = parse_vary("k=0:1:11")
    assert values == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    assert "0.6000000000000001" not in repr(values)
    assert parse_vary("k=0.3:0.9:7")[1] == [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    ranges = {"a": (0.1, 0.7), "b": (0.0, 3.0)}
    for point in sample_points(ranges, "lhs", 16, seed=3) + sample_points(ranges, "sobol", 8, 3):
        for value in point.values():
            assert value == float(f"{value:.12g}")  # no digits past the 12th significant
            assert len(repr(value)) <= 14


def test_a_baseline_that_names_no_point_is_refused_before_anything_runs(tmp_path: Path) -> None:
    from cxsim.job import Job, JobError, execute

    points = grid({"market.visible_weight": [0.3, 0.6], "steps": [4, 5]})
    out = tmp_path / "out"
    refused = {
        "market.visible_weight=0.45,steps=4": "names no point of the sweep",
        "market.visible_weight=0.3": "names 2 points of the sweep; give a value for each",
        "market.customers=100": "market.customers is not varied by this sweep",
        "steps": "expected key.path=value",
    }
    for text, message in refused.items():
        job = Job(command="sweep", scenarios=[tiny()], out=out, points=points, baseline=text)
        with pytest.raises(JobError, match=message) as err:
            execute(job)
        assert "--baseline" in str(err.value)
        assert "\n" not in str(err.value)
        assert not out.exists()
    assert Job(command="sweep", scenarios=[tiny()], out=out, points=points).baseline_point() is None
    found = Job(
        command="sweep",
        scenarios=[tiny()],
        out=out,
        points=points,
        baseline="steps=5, market.visible_weight=0.6000000000000001",
    )
    assert found.baseline_point() == 3
    with pytest.raises(JobError, match="no sweep point"):
        Job(command="run", scenarios=[tiny()], out=out, baseline="steps=5").check()
