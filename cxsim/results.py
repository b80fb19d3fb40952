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
from typing import Any

import pandas as pd

from .runner import METRICS, RunSpec
from .stats import difference_table, summary_table
from .store import ResultStore, StoreError

__all__ = ["StoreError", "assemble"]


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
    summary = summary_table(metrics, points, METRICS)
    if compare and not metrics.empty:
        summary = summary.merge(
            difference_table(metrics, points, METRICS),
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
