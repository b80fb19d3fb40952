"""The results folder: one shape for every command, written run by run so nothing is lost.

```
OUT/
  runs/<run_id>/          one folder per finished run (timeseries, metrics, spells, status)
  plan.json               the runs this folder is for (checked by --resume)
  timeseries.parquet      tidy: one row per run, step and firm
  spells.parquet          one row per customer spell: duration, event, scenario, firm, replicate
  metrics.parquet         one row per run and firm: the end-of-run metrics summary.csv averages
  runs.csv                one row per run: inputs, seed, status, error, seconds
  summary.csv             per scenario (and point) and firm: metric mean and 95% CI
  survival_tests.csv      log-rank tests between scenarios (compare)
  metadata.json           resolved scenarios, seeds, versions, time, command line
  figures/                PNG and SVG
```

Analysis reads these files; it never re-runs the model.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .runner import METRICS, RunResult, RunSpec

__all__ = [
    "ResultStore",
    "StoreError",
    "difference_table",
    "summary_table",
]

_OUTPUTS = [
    "timeseries.parquet",
    "spells.parquet",
    "metrics.parquet",
    "runs.csv",
    "summary.csv",
    "survival_tests.csv",
    "metadata.json",
    "plan.json",
]


class StoreError(RuntimeError):
    """The output folder cannot be used (one readable line)."""


def _plan_record(spec: RunSpec) -> dict[str, Any]:
    return {
        "run_id": spec.run_id,
        "scenario": spec.scenario_name,
        "replicate": spec.replicate,
        "entropy": str(spec.entropy),
        "spawn_key": list(spec.spawn_key),
        "point": spec.point,
        "record": spec.record,
        "spells": spec.spells,
        "digest": hashlib.sha256(
            json.dumps(spec.scenario, sort_keys=True, default=str).encode()
        ).hexdigest()[:16],
    }


class ResultStore:
    """Writes each run as it finishes and assembles the tables at the end."""

    def __init__(self, out: Path, plan: list[RunSpec]) -> None:
        self.out = Path(out)
        self.plan = plan
        self.runs_dir = self.out / "runs"

    # ------------------------------------------------------------------ set-up

    def prepare(self, resume: bool) -> set[str]:
        """Make the folder ready; return the ids of runs already finished (with ``resume``).

        Without ``resume`` earlier cxsim outputs in the folder are replaced (other files are
        left alone). With ``resume`` the folder must hold the same plan.
        """
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            probe = self.out / ".cxsim-write-test"
            probe.write_text("ok")
            probe.unlink()
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise StoreError(f"{self.out}: cannot write the output folder ({reason})") from None
        plan_file = self.out / "plan.json"
        records = [_plan_record(s) for s in self.plan]
        if resume and plan_file.exists():
            try:
                old = json.loads(plan_file.read_text())
            except (OSError, ValueError):
                old = None
            if old != records:
                raise StoreError(
                    f"{self.out}: --resume needs the same command; this folder holds a different"
                    " plan (other scenarios, values, replicates or seed)"
                )
            return self.finished()
        if not resume:
            shutil.rmtree(self.runs_dir, ignore_errors=True)
            shutil.rmtree(self.out / "figures", ignore_errors=True)
            for name in _OUTPUTS:
                (self.out / name).unlink(missing_ok=True)
        self.runs_dir.mkdir(exist_ok=True)
        _atomic_write(plan_file, json.dumps(records, indent=1))
        return self.finished() if resume else set()

    def finished(self) -> set[str]:
        """Runs whose status file says ok (written last, so their tables are complete)."""
        done = set()
        if not self.runs_dir.exists():
            return done
        for status in self.runs_dir.glob("*/status.json"):
            try:
                if json.loads(status.read_text()).get("status") == "ok":
                    done.add(status.parent.name)
            except (OSError, ValueError):
                continue
        return done

    # ------------------------------------------------------------------ per run

    def write(self, result: RunResult) -> None:
        """Write one run's tables, then its status file (so a half-written run never counts)."""
        folder = self.runs_dir / result.spec.run_id
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("timeseries", "metrics", "spells"):
            df = getattr(result, name)
            if df is not None:
                tmp = folder / f".{name}.parquet.tmp"
                df.to_parquet(tmp, index=False)
                os.replace(tmp, folder / f"{name}.parquet")
        status = {
            "run_id": result.spec.run_id,
            "status": result.status,
            "error": result.error,
            "seconds": round(result.seconds, 3),
        }
        _atomic_write(folder / "status.json", json.dumps(status))

    # ------------------------------------------------------------------ assembly

    def _read(self, name: str, ids: Iterable[str]) -> pd.DataFrame:
        frames = []
        for run_id in ids:
            path = self.runs_dir / run_id / f"{name}.parquet"
            if path.exists():
                frames.append(pd.read_parquet(path))
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def runs_table(self) -> pd.DataFrame:
        rows = []
        for spec in self.plan:
            status_file = self.runs_dir / spec.run_id / "status.json"
            status = {"status": "missing", "error": "", "seconds": np.nan}
            if status_file.exists():
                try:
                    status.update(json.loads(status_file.read_text()))
                except (OSError, ValueError):
                    status["status"] = "missing"
            row = {
                "run_id": spec.run_id,
                "scenario": spec.scenario_name,
                "replicate": spec.replicate,
                "seed": spec.seed,
                "seed_entropy": str(spec.entropy),
                "seed_spawn_key": " ".join(map(str, spec.spawn_key)),
            }
            row.update(spec.point)
            row.update(
                {"status": status["status"], "error": status["error"], "seconds": status["seconds"]}
            )
            rows.append(row)
        return pd.DataFrame(rows)

    def assemble(self, metadata: dict[str, Any], compare: bool) -> dict[str, pd.DataFrame]:
        """Write the consolidated tables and metadata; return them for the caller's report."""
        runs = self.runs_table()
        _atomic_csv(runs, self.out / "runs.csv")
        ok = [
            s.run_id for s in self.plan if s.run_id in set(runs.loc[runs.status == "ok", "run_id"])
        ]
        ts = self._read("timeseries", ok)
        metrics = self._read("metrics", ok)
        spells = self._read("spells", ok)
        if not ts.empty:
            _atomic_parquet(ts, self.out / "timeseries.parquet")
        if not spells.empty:
            _atomic_parquet(spells, self.out / "spells.parquet")
        if not metrics.empty:
            _atomic_parquet(metrics, self.out / "metrics.parquet")
        points = sorted({k for s in self.plan for k in s.point})
        summary = summary_table(metrics, points)
        if compare and not metrics.empty:
            summary = summary.merge(
                difference_table(metrics, points),
                on=["scenario", *points, "firm_position", "metric"],
                how="left",
            )
        if not summary.empty:
            _atomic_csv(summary, self.out / "summary.csv")
        meta = dict(metadata)
        meta.update(
            {
                "runs": len(self.plan),
                "runs_ok": int((runs.status == "ok").sum()),
                "runs_failed": int((runs.status == "error").sum()),
                "runs_missing": int((runs.status == "missing").sum()),
            }
        )
        _atomic_write(self.out / "metadata.json", json.dumps(meta, indent=2, default=str))
        return {
            "runs": runs,
            "timeseries": ts,
            "metrics": metrics,
            "spells": spells,
            "summary": summary,
        }


# --------------------------------------------------------------------------- statistics


def t_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided t confidence interval of independent replicate values."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    n = values.size
    if n == 0:
        return (np.nan, np.nan, np.nan)
    mean = float(values.mean())
    if n == 1:
        return (mean, mean, mean)
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * values.std(ddof=1) / np.sqrt(n))
    return (mean, mean - half, mean + half)


def summary_table(metrics: pd.DataFrame, points: list[str]) -> pd.DataFrame:
    """Per scenario, point and firm: each end-of-run metric's mean and 95% CI over replicates."""
    if metrics.empty:
        return pd.DataFrame()
    rows = []
    keys = ["scenario", *points, "firm_position", "firm"]
    for key, group in metrics.groupby(keys, sort=False, dropna=False):
        for metric in METRICS:
            mean, lo, hi = t_interval(group[metric].to_numpy())
            row = dict(zip(keys, key, strict=True))
            row.update(
                {
                    "metric": metric,
                    "mean": mean,
                    "ci_low": lo,
                    "ci_high": hi,
                    "n": int(group[metric].notna().sum()),
                }
            )
            rows.append(row)
    return pd.DataFrame(rows)


def difference_table(metrics: pd.DataFrame, points: list[str]) -> pd.DataFrame:
    """Difference of each scenario's firm to the first scenario's firm in the same position.

    Replicate r of every scenario shares its seed, so differences are paired by replicate.
    """
    first = metrics["scenario"].iloc[0]
    base = metrics[metrics["scenario"] == first].set_index(["replicate", "firm_position", *points])
    rows = []
    for (scenario, *rest), group in metrics.groupby(
        ["scenario", *points, "firm_position"], sort=False, dropna=False
    ):
        g = group.set_index(["replicate", "firm_position", *points])
        joined = g[METRICS].merge(
            base[METRICS], left_index=True, right_index=True, suffixes=("", "_base")
        )
        for metric in METRICS:
            diff = (joined[metric] - joined[f"{metric}_base"]).to_numpy()
            mean, lo, hi = t_interval(diff)
            row = {"scenario": scenario}
            row.update(dict(zip([*points, "firm_position"], rest, strict=True)))
            row.update({"metric": metric, "diff_mean": mean, "diff_ci_low": lo, "diff_ci_high": hi})
            rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- metadata


def versions() -> dict[str, str]:
    import mesa
    import numpy
    import pandas
    import scipy

    from . import __version__

    return {
        "cxsim": __version__,
        "mesa": mesa.__version__,
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
        "scipy": scipy.__version__,
        "python": platform.python_version(),
    }


def metadata(
    command: str,
    scenarios: dict[str, Any],
    plan: list[RunSpec],
    root_seed: int,
    replicates: int,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The self-description of a results folder."""
    seeds = {}
    for spec in plan:
        seeds.setdefault(
            spec.replicate,
            {"entropy": str(spec.entropy), "spawn_key": list(spec.spawn_key), "seed": spec.seed},
        )
    out = {
        "command": command,
        "command_line": " ".join(["cxsim", *sys.argv[1:]]),
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "versions": versions(),
        "root_seed": root_seed,
        "replicates": replicates,
        "replicate_seeds": [seeds[r] for r in sorted(seeds)],
        "scenarios": scenarios,
    }
    out.update(extra or {})
    return out


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _atomic_csv(df: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    df.to_csv(tmp, index=False)
    os.replace(tmp, path)


def _atomic_parquet(df: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    df.to_parquet(tmp, index=False)
    os.replace(tmp, path)
