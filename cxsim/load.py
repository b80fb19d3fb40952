"""Read a results folder back: its tables and metadata in one object, without re-running.

The columns of every table are described in docs/data.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .store import MARKER, StoreError

__all__ = ["Results", "load_results"]


@dataclass(frozen=True)
class Results:
    """A results folder's tables (empty where the job wrote none: ``differences`` without a
    sweep's ``--baseline``, ``survival_tests`` without two scenarios to compare)."""

    folder: Path
    timeseries: pd.DataFrame
    metrics: pd.DataFrame
    spells: pd.DataFrame
    runs: pd.DataFrame
    summary: pd.DataFrame
    metadata: dict[str, Any]
    steps: pd.DataFrame
    differences: pd.DataFrame
    survival_tests: pd.DataFrame


def _table(path: Path) -> pd.DataFrame:
    if not path.exists():
        return pd.DataFrame()
    try:
        return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    except Exception as exc:  # any unreadable table is one line naming the file
        raise StoreError(f"{path}: cannot read ({type(exc).__name__})") from None


def load_results(folder: str | Path) -> Results:
    """The tables and metadata of a results folder written by cxsim.

    Raises ``StoreError`` (one line) for a folder that is not cxsim's or whose job has not
    written its tables yet.
    """
    out = Path(folder).expanduser()
    if not (out / MARKER).is_file():
        raise StoreError(f"{out}: not a cxsim results folder (no {MARKER} marker)")
    meta_path = out / "metadata.json"
    try:
        metadata = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StoreError(
            f"{out}: no metadata.json (an unfinished job: finish it with --resume)"
        ) from None
    except (OSError, ValueError) as exc:
        raise StoreError(f"{meta_path}: cannot read ({type(exc).__name__})") from None
    if not isinstance(metadata, dict):
        raise StoreError(f"{meta_path}: not a cxsim metadata file")
    return Results(
        folder=out,
        timeseries=_table(out / "timeseries.parquet"),
        metrics=_table(out / "metrics.parquet"),
        spells=_table(out / "spells.parquet"),
        runs=_table(out / "runs.csv"),
        summary=_table(out / "summary.csv"),
        metadata=metadata,
        steps=_table(out / "steps.parquet"),
        differences=_table(out / "differences.csv"),
        survival_tests=_table(out / "survival_tests.csv"),
    )
