"""Figure selection: which figures a results folder gets, drawn from its saved tables.

``plots`` turns a DataFrame into a Figure; this module decides which figures a folder's tables
support and writes them. It never runs the model.

Degenerate but valid results (no churn, a firm without customers, one step, one replicate, a
sweep of one point or of text values) never stop a draw: a figure shows what can be shown, and
one that cannot be drawn at all is skipped with one warning line. A folder whose files cannot be
read raises :class:`StoreError` with one line naming the file.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .results import StoreError

__all__ = ["draw_figures"]

Warn = Callable[[str], None]
CanWrite = Callable[[Path], bool]

#: the metrics drawn over time, one figure each
OUTCOMES = ["churn_rate", "customers", "market_share", "nps", "satisfaction"]
CULTURE = ["culture_leaders", "culture_managers", "culture_frontline"]
QUALITY = ["visible_quality", "invisible_quality"]
#: the end-of-run metrics drawn against each varied parameter
SWEEP_METRICS = ["retained", "market_share", "churn_rate", "culture_frontline"]

_TS_COLUMNS = ["scenario", "firm", "replicate", "step", *OUTCOMES, *CULTURE, *QUALITY]
_SPELL_COLUMNS = ["scenario", "firm", "replicate", "duration", "event", "start_step"]
#: columns that must hold numbers (or booleans) for the figures to mean anything
_NUMERIC = {*_TS_COLUMNS, *_SPELL_COLUMNS, *SWEEP_METRICS} - {"scenario", "firm"}


class _Skip(Exception):
    """This figure cannot be drawn from these results; the message says why."""


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def _reason(exc: BaseException) -> str:
    """What went wrong reading a file, in a few words (no path, no traceback)."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if "': " in text:  # pyarrow: "Could not open Parquet input source '<path>': <reason>"
        text = text.split("': ", 1)[1]
    return text[:200]


# --------------------------------------------------------------------------- reading


def _read_metadata(out: Path) -> dict[str, Any]:
    path = out / "metadata.json"
    if not path.exists():
        raise StoreError(f"{path}: cannot read (no such file; not a cxsim results folder?)")
    try:
        meta = json.loads(path.read_bytes())
    except OSError as exc:
        raise StoreError(f"{path}: cannot read ({_reason(exc)})") from None
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        raise StoreError(f"{path}: cannot read (not valid JSON)") from None
    if not isinstance(meta, dict):
        raise StoreError(f"{path}: cannot read (not a JSON object)")
    varied = meta.get("varied", {})
    if not isinstance(varied, dict | list) or not all(isinstance(k, str) for k in varied):
        raise StoreError(f"{path}: 'varied' is not a list of parameter names")
    return meta


def _steps(meta: dict[str, Any], out: Path) -> int:
    """The longest run's weeks (the survival grid), from the resolved scenarios."""
    try:
        steps = max(int(s["steps"]) for s in meta["scenarios"].values())
    except (KeyError, TypeError, ValueError, AttributeError):
        raise StoreError(
            f"{out / 'metadata.json'}: no 'scenarios' with their 'steps' (needed for survival)"
        ) from None
    if steps < 1:
        raise StoreError(f"{out / 'metadata.json'}: scenario steps must be >= 1, got {steps}")
    return steps


def _firm_order(meta: dict[str, Any]) -> dict[str, list[str]] | None:
    """Each scenario's firms in position order, from the resolved scenarios (None if absent)."""
    try:
        return {
            str(label): [str(f["name"]) for f in s["firms"]]
            for label, s in meta["scenarios"].items()
        }
    except (KeyError, TypeError, AttributeError):
        return None


def _read_table(path: Path, columns: list[str]) -> pd.DataFrame:
    """A saved table with the columns a figure needs; StoreError naming the file otherwise."""
    if not path.is_file():
        raise StoreError(f"{path}: cannot read (not a file)")
    try:
        df = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many kinds; any of them means unreadable
        raise StoreError(f"{path}: cannot read ({_reason(exc)})") from None
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise StoreError(f"{path}: missing column(s) {', '.join(missing)}")
    for col in columns:
        if col in _NUMERIC and not pd.api.types.is_numeric_dtype(df[col]):
            raise StoreError(f"{path}: column {col} is not numeric ({df[col].dtype})")
    return df


# --------------------------------------------------------------------------- checks


def _defined(df: pd.DataFrame, column: str, what: str) -> None:
    if not np.isfinite(df[column].to_numpy(float)).any():
        raise _Skip(f"{column} is undefined {what} (NaN)")


# --------------------------------------------------------------------------- writing


class _Writer:
    """Writes files into a results folder atomically, asking ``can_write`` first, and keeps
    the list of files written."""

    def __init__(self, out: Path, warn: Warn, can_write: CanWrite | None) -> None:
        self.out = out
        self.warn = warn
        self.can_write = can_write
        self.written: list[Path] = []

    def _rel(self, path: Path) -> str:
        return path.relative_to(self.out).as_posix()

    def file(self, path: Path, write: Callable[[Path], None]) -> None:
        """Write ``path`` through a temporary sibling and ``os.replace``: an interrupted write
        leaves the old file or none, never half a file, and no temporary file."""
        if self.can_write is not None and not self.can_write(path):
            self.warn(f"{self._rel(path)}: exists and was not written by cxsim; left alone")
            return
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            path.parent.mkdir(exist_ok=True)
            write(tmp)
            os.replace(tmp, path)
        except OSError as exc:
            _unlink(tmp)
            raise StoreError(f"{path}: cannot write ({_reason(exc)})") from None
        except BaseException:
            _unlink(tmp)
            raise
        self.written.append(path)

    def figure(self, name: str, make: Callable[[], Any]) -> None:
        """Draw one figure and write it as PNG and SVG; skip it with one warning line if the
        results cannot support it."""
        from matplotlib import pyplot as plt

        fig = None
        try:
            fig = make()
            for ext in ("png", "svg"):
                self.file(
                    self.out / "figures" / f"{name}.{ext}",
                    lambda tmp, ext=ext: fig.savefig(tmp, format=ext, dpi=150),
                )
        except _Skip as why:
            self.warn(f"figure {name} skipped: {why}")
        except StoreError:
            raise
        except Exception as exc:  # a figure is never worth losing the rest of the results
            self.warn(f"figure {name} skipped: cannot draw ({type(exc).__name__}: {_reason(exc)})")
        finally:
            if fig is not None:
                plt.close(fig)


def _unlink(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


# --------------------------------------------------------------------------- figures


def draw_figures(
    out: Path,
    *,
    warn: Warn | None = None,
    can_write: CanWrite | None = None,
) -> list[Path]:
    """(Re)draw every figure of a results folder from its saved tables; never runs the model.

    ``warn`` receives one line per figure skipped or file left alone (default: stderr).
    ``can_write(path)``, if given, is asked before each file is written (figures and
    ``survival_tests.csv``); a file it refuses is left alone. Returns the files written.
    Raises :class:`StoreError` (one line naming the file) if the folder cannot be read.
    """
    out = Path(out)
    warn = warn or _stderr
    meta = _read_metadata(out)
    varied = list(meta.get("varied", {}))
    ts_file, spells_file = out / "timeseries.parquet", out / "spells.parquet"
    metrics_file = out / "metrics.parquet"
    # read (and check) every table first, so a corrupt folder fails before anything is written
    ts = spells = metrics = None
    steps = 0
    if not varied and ts_file.exists():
        ts = _read_table(ts_file, _TS_COLUMNS)
    if not varied and spells_file.exists():
        spells = _read_table(spells_file, _SPELL_COLUMNS)
        steps = _steps(meta, out)
    if varied and metrics_file.exists():
        metrics = _read_table(metrics_file, ["scenario", "firm", *varied, *SWEEP_METRICS])
    writer = _Writer(out, warn, can_write)

    if ts is not None:
        _draw_timeseries(writer, ts)
    if spells is not None:
        _draw_survival(writer, spells, steps, _firm_order(meta))
    if metrics is not None:
        _draw_sweeps(writer, metrics, varied)
    return writer.written


def _draw_timeseries(writer: _Writer, ts: pd.DataFrame) -> None:
    """Outcomes, culture and quality over time (one step gives one point per line)."""
    from . import plots

    def need(columns: list[str]) -> None:
        if ts.empty:
            raise _Skip("timeseries.parquet has no rows")
        if not any(np.isfinite(ts[c].to_numpy(float)).any() for c in columns):
            are = "is" if len(columns) == 1 else "are"
            raise _Skip(f"{' and '.join(columns)} {are} undefined in every run (NaN)")

    def outcome(metric: str) -> Any:
        need([metric])
        return plots.outcome_curve(ts, metric)

    def panels(columns: list[str], draw: Callable[[pd.DataFrame], Any]) -> Callable[[], Any]:
        def make() -> Any:
            need(columns)
            return draw(ts)

        return make

    for metric in OUTCOMES:
        writer.figure(metric, lambda metric=metric: outcome(metric))
    writer.figure("culture_by_level", panels(CULTURE, plots.culture_by_level))
    writer.figure("quality_visible_invisible", panels(QUALITY, plots.quality_parts))


def _draw_survival(
    writer: _Writer, spells: pd.DataFrame, steps: int, firms: dict[str, list[str]] | None
) -> None:
    """Kaplan–Meier survival and retention bands, and log-rank tests between scenarios."""
    from . import plots

    def survival() -> Any:
        if spells.empty:
            raise _Skip("no customer spells")
        if not spells["event"].to_numpy(bool).any():
            raise _Skip("no churn events in any replicate")
        return plots.survival_curves(plots.survival_bands(spells, steps))

    def retained() -> Any:
        if not (spells["start_step"] == 0).any():
            raise _Skip("no initial customers")
        return plots.retention_curves(plots.retention_bands(spells, steps))

    writer.figure("survival", survival)
    writer.figure("retained", retained)
    if spells["scenario"].nunique() < 2:
        return
    if firms is not None and not set(spells["scenario"]) <= set(firms):
        firms = None  # metadata does not describe these scenarios: pair firms as in spells
    tests = plots.logrank_tests(spells, firms)
    if tests.empty:
        return
    path = writer.out / "survival_tests.csv"
    writer.file(path, lambda tmp: tests.to_csv(tmp, index=False))
    undefined = tests[tests["p_value"].isna()]
    if path in writer.written and not undefined.empty:
        reasons = "; ".join(dict.fromkeys(undefined["note"].str.removeprefix("undefined: ")))
        writer.warn(
            f"survival_tests.csv: log-rank test undefined for {len(undefined)} of {len(tests)}"
            f" firm pair(s) ({reasons}); its p_value is left blank"
        )


def _draw_sweeps(writer: _Writer, metrics: pd.DataFrame, varied: list[str]) -> None:
    """Each end-of-run metric against each varied parameter; a heatmap for two parameters."""
    from . import plots

    def line(param: str, metric: str) -> Any:
        if metrics.empty:
            raise _Skip("metrics.parquet has no rows")
        _defined(metrics, metric, "at every point")
        return plots.sweep_lines(metrics, param, metric)

    for param in varied:
        for metric in SWEEP_METRICS:
            writer.figure(f"sweep_{metric}_vs_{param}", lambda p=param, m=metric: line(p, m))
    if len(varied) == 2:

        def heatmap() -> Any:
            if metrics.empty:
                raise _Skip("metrics.parquet has no rows")
            firm = str(metrics["firm"].iloc[0])
            _defined(metrics[metrics["firm"] == firm], "retained", f"for {firm} at every point")
            return plots.sweep_heatmap(metrics, varied[0], varied[1], "retained", firm)

        writer.figure("sweep_heatmap_retained", heatmap)
