"""The results folder: one shape for every command, written run by run so nothing is lost.

```
OUT/
  .cxsim-results          the marker: this folder is cxsim's (written first)
  .cxsim-manifest         every file cxsim wrote here (the only files it ever deletes)
  .cxsim.lock             held by the job writing the folder (its process id)
  runs/<run_id>/          one folder per finished run (timeseries, metrics, spells, status)
  plan.json               the runs this folder is for, and their hash (checked by --resume)
  timeseries.parquet      tidy: one row per run, step and firm
  spells.parquet          one row per customer spell: duration, event, scenario, firm, replicate
  metrics.parquet         one row per run and firm: the end-of-run metrics summary.csv averages
  runs.csv                one row per run: inputs, seed, status, error, seconds
  summary.csv             per scenario (and point) and firm: metric mean and 95% CI
  survival_tests.csv      log-rank tests between scenarios, with a note where undefined
  metadata.json           resolved scenarios, seeds, versions, time, command line
  figures/                PNG and SVG
```

Analysis reads these files; it never re-runs the model. ``cxsim.store`` owns the folder;
this module assembles its tables and computes their statistics.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .runner import METRICS, RunSpec
from .store import ResultStore, StoreError

__all__ = [
    "StoreError",
    "assemble",
    "difference_table",
    "summary_table",
]


def assemble(
    store: ResultStore, metadata: dict[str, Any], compare: bool
) -> dict[str, pd.DataFrame]:
    """Write the consolidated tables and metadata of a store's folder; return the tables."""
    out = store.out
    runs = store.runs_table()
    store.write_csv(out / "runs.csv", runs)
    ok_ids = set(runs.loc[runs.status == "ok", "run_id"])
    ok = [s.run_id for s in store.plan if s.run_id in ok_ids]
    ts = store.read("timeseries", ok)
    metrics = store.read("metrics", ok)
    spells = store.read("spells", ok)
    for name, df in (("timeseries", ts), ("spells", spells), ("metrics", metrics)):
        path = out / f"{name}.parquet"
        if not df.empty:
            store.write_parquet(path, df)
        elif store.owns(path):
            path.unlink(missing_ok=True)  # an earlier job's table must not pass for this one's
    points = sorted({k for s in store.plan for k in s.point})
    summary = summary_table(metrics, points)
    if compare and not metrics.empty:
        summary = summary.merge(
            difference_table(metrics, points),
            on=["scenario", *points, "firm_position", "metric"],
            how="left",
        )
    if not summary.empty:
        store.write_csv(out / "summary.csv", summary)
    meta = dict(metadata)
    meta.update(
        {
            "runs": len(store.plan),
            "runs_ok": int((runs.status == "ok").sum()),
            "runs_failed": int((runs.status == "error").sum()),
            "runs_missing": int((runs.status == "missing").sum()),
        }
    )
    store.write_text(out / "metadata.json", json.dumps(meta, indent=2, default=str))
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
