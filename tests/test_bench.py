"""The scale benchmark (``benchmarks/bench.py``) runs end to end in its quick mode and writes a
JSON of the expected shape. Benchmarks are not tests: no timing is asserted here."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench", ROOT / "benchmarks" / "bench.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _positive(value: float) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and value > 0


def test_quick_benchmark_writes_every_figure(tmp_path: Path) -> None:
    bench = _bench()
    out = tmp_path / "bench.json"
    returned = bench.main(["--quick", "--out", str(out)])
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["quick"] is True
    assert set(data) >= {"machine", "settings", "timed", "memory", "full_run", "sweep"}
    assert set(data) >= {"flat_memory", "goals"}
    assert data["goals"] == json.loads(json.dumps(returned["goals"]))
    timed = data["timed"]
    assert _positive(timed["mesa"]["us_per_agent_step"])
    assert _positive(timed["numpy"]["ns_per_customer"])
    for n in data["settings"]["sizes"]:
        row = timed[f"cxsim_{n}"]
        assert row["rounds"] == data["settings"]["rounds"]
        assert _positive(row["ns_per_customer_step"])
        assert _positive(row["ns_per_member_step"])
        shares = [row["reporters_share"], row["organization_share"]]
        shares += [row[f"{p}_share"] for p in ("_interact", "_problems", "_update_customers")]
        shares.append(row["_churn_share"])
        assert all(0 <= s <= 1 for s in shares)
        assert sum(shares) == pytest.approx(1.0, abs=0.05)  # the parts make up the step
    assert _positive(data["full_run"]["seconds"])
    assert _positive(data["full_run"]["peak_mib"])
    sweep = data["sweep"]
    for key in ("runs_per_minute_1", "runs_per_minute_2", "speedup_2", "steady_speedup_2"):
        assert _positive(sweep[key])
    assert sweep["speedup_2"] == pytest.approx(
        sweep["runs_per_minute_2"] / sweep["runs_per_minute_1"]
    )
    assert -1 < sweep["harness_share_2"] < 1
    assert data["flat_memory"]["runs"] == data["settings"]["flat_runs"]
    for goal in data["goals"]:
        assert set(goal) == {"goal", "figure", "unit", "target", "met"}
        assert isinstance(goal["met"], bool)


def test_the_readme_shows_the_committed_measurement() -> None:
    bench = _bench()
    measured = json.loads((ROOT / "benchmarks" / "bench.json").read_text(encoding="utf-8"))
    assert not measured["quick"]
    assert bench.markdown(measured) in (ROOT / "README.md").read_text(encoding="utf-8")
