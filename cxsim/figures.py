"""Figure selection: which figures a results folder gets, drawn from its saved tables.

``plots`` turns a DataFrame into a Figure; this module decides which figures a folder's tables
support and writes them. It never runs the model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from .results import StoreError, _atomic_csv

__all__ = ["draw_figures"]


def draw_figures(out: Path) -> list[Path]:
    """(Re)draw every figure of a results folder from its saved tables; never runs the model."""
    from matplotlib import pyplot as plt

    from . import plots

    out = Path(out)
    meta_file = out / "metadata.json"
    if not meta_file.exists():
        raise StoreError(f"{out}: not a cxsim results folder (no metadata.json)")
    meta = json.loads(meta_file.read_text())
    fig_dir = out / "figures"
    fig_dir.mkdir(exist_ok=True)
    written: list[Path] = []

    def save(fig: Any, name: str) -> None:
        for ext in ("png", "svg"):
            path = fig_dir / f"{name}.{ext}"
            fig.savefig(path, dpi=150)
            written.append(path)
        plt.close(fig)

    varied = list(meta.get("varied", {}))
    ts_file, spells_file = out / "timeseries.parquet", out / "spells.parquet"
    if ts_file.exists():
        ts = pd.read_parquet(ts_file)
        if ts["step"].nunique() > 1 and not varied:
            for metric in ["churn_rate", "customers", "market_share", "nps", "satisfaction"]:
                save(plots.outcome_curve(ts, metric), metric)
            save(plots.culture_by_level(ts), "culture_by_level")
            save(plots.quality_parts(ts), "quality_visible_invisible")
    if spells_file.exists() and not varied:
        spells = pd.read_parquet(spells_file)
        steps = int(max(s["steps"] for s in meta["scenarios"].values()))
        save(plots.survival_curves(plots.survival_bands(spells, steps)), "survival")
        save(plots.retention_curves(plots.retention_bands(spells, steps)), "retained")
        tests = plots.logrank_tests(spells)
        if not tests.empty:
            _atomic_csv(tests, out / "survival_tests.csv")
    metrics_file = out / "metrics.parquet"
    if varied and metrics_file.exists():
        metrics = pd.read_parquet(metrics_file)
        for param in varied:
            for metric in ["retained", "market_share", "churn_rate", "culture_frontline"]:
                save(plots.sweep_lines(metrics, param, metric), f"sweep_{metric}_vs_{param}")
        if len(varied) == 2:
            firm = str(metrics["firm"].iloc[0])
            save(
                plots.sweep_heatmap(metrics, varied[0], varied[1], "retained", firm),
                "sweep_heatmap_retained",
            )
    return written
