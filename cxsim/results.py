"""The results folder: one shape for every command, written run by run so nothing is lost.

```
OUT/
  .cxsim-results          the marker: this folder is cxsim's (written first)
  .cxsim-manifest         every file cxsim wrote here (the only files it ever deletes)
  .cxsim.lock             held by the job writing the folder (its process id)
  runs/<run_id>/          one folder per finished run (timeseries, metrics, spells, status)
  plan.json               the runs this folder is for, and their hash (checked by --resume)
  timeseries.parquet      tidy: one row per run, step and firm
  spells.parquet          one row per customer spell: customer, firm, start, duration, event
  metrics.parquet         one row per run and firm: the end-of-run metrics summary.csv averages
  steps.parquet           per scenario, point, firm, step and weekly column: mean and 95% CI
  runs.csv                one row per run: inputs, seed, status, error, seconds
  summary.csv             per scenario (and point) and firm: metric mean and 95% CI
  differences.csv         a sweep with --baseline: paired differences of each point to it
  survival_tests.csv      survival compared between scenarios, paired across replicates
  metadata.json           resolved scenarios, seeds, versions, time, command line
  figures/                PNG and SVG
```

Analysis reads these files; it never re-runs the model. ``cxsim.store`` owns the folder,
``cxsim.stats`` computes the statistics, ``cxsim.figures`` decides the figures and derived tables;
this module assembles the consolidated tables and the metadata.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from .outputs import OUTPUTS
from .runner import METRICS, RunSpec
from .stats import difference_table, step_summary, summary_table
from .store import ResultStore, StoreError

__all__ = ["StoreError", "assemble"]


def assemble(
    store: ResultStore,
    metadata: dict[str, Any],
    compare: bool,
    baseline_point: int | None = None,
) -> dict[str, pd.DataFrame]:
    """Write the consolidated tables and metadata of a store's folder; return the tables (all
    but the spell log, which is copied run by run and not read whole).

    ``compare``: add the paired differences to the first scenario to summary.csv.
    ``baseline_point``: a sweep's ``--baseline`` point (its index), to which differences.csv
    gives every other point's paired differences.
    """
    out = store.out
    runs = store.runs_table()
    store.write_csv(out / "runs.csv", runs)
    ok_ids = set(runs.loc[runs.status == "ok", "run_id"])
    ok = [s.run_id for s in store.plan if s.run_id in ok_ids]
    ts = store.read("timeseries", ok)
    metrics = store.read("metrics", ok)
    # the spell log (a row per customer spell) is copied run by run, never read whole
    if not store.concat_to("spells", ok, out / "spells.parquet"):
        _write_or_remove(store, out / "spells.parquet", pd.DataFrame())  # no spells: no file
    points = sorted({k for s in store.plan for k in s.point})
    steps = step_summary(ts, points, [o.name for o in OUTPUTS])
    tables = (("timeseries", ts), ("metrics", metrics), ("steps", steps))
    for name, df in tables:
        _write_or_remove(store, out / f"{name}.parquet", df)
    summary = summary_table(metrics, points, METRICS)
    if compare and not metrics.empty:
        merged = ["scenario", *points, "firm_position", "metric"]
        diff = difference_table(metrics, points, METRICS)
        summary = summary.merge(
            diff[[*merged, "diff_mean", "diff_ci_low", "diff_ci_high"]], on=merged, how="left"
        )
    _write_or_remove(store, out / "summary.csv", summary)
    differences = pd.DataFrame()
    if baseline_point is not None and not metrics.empty:
        differences = difference_table(metrics, points, METRICS, baseline_point)
    _write_or_remove(store, out / "differences.csv", differences)
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
        "summary": summary,
        "steps": steps,
        "differences": differences,
    }


def _write_or_remove(store: ResultStore, path: Path, df: pd.DataFrame) -> None:
    """Write a table (parquet or CSV by its suffix); with no rows, remove the file an earlier
    job wrote there, so that it cannot pass for this job's."""
    if df.empty:
        if store.owns(path):
            path.unlink(missing_ok=True)
    elif path.suffix == ".parquet":
        store.write_parquet(path, df)
    else:
        store.write_csv(path, df)


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
