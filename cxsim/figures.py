"""What a results folder gets from its saved tables: the figures and derived tables, declared
once in :func:`derived`, each with the statistic it needs and the condition under which it applies.

For each one, :mod:`cxsim.stats` computes the statistic (DataFrame to DataFrame),
:mod:`cxsim.plots` (or :mod:`cxsim.sweep_plots`) draws it (DataFrame to Figure), and this
module decides, reads and writes. It never runs the model.

Degenerate but valid results (no churn, a firm without customers, one step, one replicate, a
sweep of one point or of text values) never stop a draw: a figure shows what can be shown, and
one that cannot be drawn at all is skipped with one warning line. A folder whose files cannot be
read raises :class:`StoreError` with one line naming the file.

Length (about 520 lines): the declaration needs the defensive reading of a folder (each saved
table checked for exactly the columns the declared figures use) and atomic writing; those ~150
lines are folder I/O and belong with :mod:`cxsim.store` once it is free to change.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import outputs, stats
from .store import StoreError, write_atomic

__all__ = ["Derived", "Saved", "derived", "draw_figures"]

Warn = Callable[[str], None]
CanWrite = Callable[[Path], bool]

#: the metrics drawn over time, one figure each
OUTCOMES = [name for name, cols in outputs.FIGURES.items() if cols == [name]]
CULTURE = outputs.FIGURES["culture_by_level"]
QUALITY = outputs.FIGURES["quality_visible_invisible"]
#: the end-of-run metrics drawn against each varied parameter
SWEEP_METRICS = outputs.SWEEP_METRICS
#: weeks of the rolling mean a noisy weekly flow is drawn with (a quarter), per column
SMOOTH = {"churn_rate_weekly": 13}
#: a grid of more parameters than fit this many panels is drawn as a design (scatter)
MAX_PANELS = 12
#: design points per bin of a partial-dependence line, and the most bins
POINTS_PER_BIN, MAX_BINS = 4, 8

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


def _read_table(path: Path, columns: list[str], lean: bool = False) -> pd.DataFrame:
    """A saved table with the columns a figure needs; StoreError naming the file otherwise.
    ``lean`` (the spell log, a row per customer spell): read only those columns, and the
    scenario and firm names as categories, not a string per row."""
    if not path.is_file():
        raise StoreError(f"{path}: cannot read (not a file)")
    try:
        if lean:
            import pyarrow.parquet as pq  # pandas' parquet engine, already loaded to read

            names = pq.read_schema(path).names
            df = pd.read_parquet(
                path,
                columns=[c for c in columns if c in names],
                read_dictionary=[c for c in ("scenario", "firm") if c in names],
            )
        else:
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
        try:
            path.parent.mkdir(exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{path}: cannot write ({_reason(exc)})") from None
        write_atomic(path, write)
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


# --------------------------------------------------------------------------- what a folder gets


@dataclass(frozen=True)
class Saved:
    """A results folder's saved tables (None where the folder has none) and its metadata."""

    out: Path
    timeseries: pd.DataFrame | None
    spells: pd.DataFrame | None
    metrics: pd.DataFrame | None
    varied: list[str]
    steps: int  #: the survival grid: the longest run's weeks (0 without spells)
    firms: dict[str, list[str]] | None  #: each scenario's firms in position order


@dataclass(frozen=True)
class Derived:
    """One figure or table a results folder gets from its saved tables.

    ``applies``: whether this folder gets it at all (if not, it is silently absent).
    ``statistic()``: what it shows, computed from the saved tables by :mod:`cxsim.stats`; raises
    ``_Skip`` (one warning line) where the results cannot support a figure. ``draw``: the
    :mod:`cxsim.plots` function that turns the statistic into a Figure, or None for a table
    (written as ``name``, a CSV, unless empty). ``note``: a warning line about a table written.
    """

    name: str
    applies: bool
    statistic: Callable[[], Any]
    draw: Callable[[Any], Any] | None = None
    note: Callable[[pd.DataFrame], str | None] | None = None


def derived(saved: Saved) -> list[Derived]:
    """Every figure and table a folder gets from its saved tables, in the order written: the
    one place that decides what a results folder holds beyond the tables its runs wrote."""
    ts, spells = saved.timeseries is not None, saved.spells is not None
    return [
        *(
            Derived(
                m,
                ts,
                partial(_over_time, saved, m, smooth=SMOOTH.get(m, 1)),
                _plot("outcome_curve", m, None, _smoothed(SMOOTH.get(m, 1))),
            )
            for m in OUTCOMES
        ),
        Derived(
            "culture_by_level", ts, partial(_over_time, saved, *CULTURE), _plot("culture_by_level")
        ),
        Derived(
            "quality_visible_invisible",
            ts,
            partial(_over_time, saved, *QUALITY),
            _plot("quality_parts"),
        ),
        Derived("survival", spells, partial(_survival, saved), _plot("survival_curves")),
        Derived("retained", spells, partial(_retention, saved), _plot("retention_curves")),
        Derived(
            "cumulative_churn",
            spells,
            partial(_cumulative_churn, saved),
            _plot("cumulative_churn_curves"),
        ),
        Derived(
            "survival_tests.csv",
            spells and saved.spells["scenario"].nunique() > 1,
            partial(_logrank, saved),
            note=_undefined_tests,
        ),
        *_sweeps(saved),
    ]


# --------------------------------------------------------------------------- statistics needed


def _plot(name: str, *args: object, unpack: bool = False) -> Callable[[Any], Any]:
    """``plots.<name>(statistic, *args)`` (``sweep_plots`` for a ``sweep_`` name;
    ``*statistic`` if ``unpack``); matplotlib is imported only when a figure is drawn."""

    def draw(statistic: Any) -> Any:
        from . import plots, sweep_plots

        module = sweep_plots if name.startswith("sweep_") else plots
        first = tuple(statistic) if unpack else (statistic,)
        return getattr(module, name)(*first, *args)

    return draw


def _over_time(
    saved: Saved, *columns: str, smooth: int = 1
) -> pd.DataFrame | dict[str, pd.DataFrame]:
    """Each column's band per scenario, firm and step (one column: its band; several: a dict);
    skip if every value is undefined. ``smooth`` > 1: each replicate's weekly values are first
    replaced by their rolling mean over that many weeks (weekly churn is mostly noise)."""
    ts = saved.timeseries
    if ts.empty:
        raise _Skip("timeseries.parquet has no rows")
    if not any(np.isfinite(ts[c].to_numpy(float)).any() for c in columns):
        are = "is" if len(columns) == 1 else "are"
        raise _Skip(f"{' and '.join(columns)} {are} undefined in every run (NaN)")
    if smooth > 1:
        ts = _rolling(ts, list(columns), smooth)
    bands = {c: stats.replicate_bands(ts, ["scenario", "firm", "step"], c) for c in columns}
    return bands[columns[0]] if len(columns) == 1 else bands


def _rolling(ts: pd.DataFrame, columns: list[str], weeks: int) -> pd.DataFrame:
    """Each replicate's ``columns`` replaced by their trailing mean over ``weeks`` weeks
    (fewer at the start; NaN weeks are left out of the mean)."""
    keys = ["scenario", "firm", "replicate"]
    ts = ts.sort_values([*keys, "step"], kind="stable")
    rolled = (
        ts.groupby(keys, sort=False, observed=True, dropna=False)[columns]
        .rolling(weeks, min_periods=1)
        .mean()
        .reset_index(level=list(range(len(keys))), drop=True)
    )
    return ts.assign(**{c: rolled[c] for c in columns})


def _smoothed(weeks: int) -> str | None:
    return f"{weeks}-week rolling mean" if weeks > 1 else None


def _survival(saved: Saved) -> pd.DataFrame:
    spells = saved.spells
    if spells.empty:
        raise _Skip("no customer spells")
    if not spells["event"].to_numpy(bool).any():
        raise _Skip("no churn events in any replicate")
    return stats.survival_bands(spells, saved.steps)


def _retention(saved: Saved) -> pd.DataFrame:
    if not (saved.spells["start_step"] == 0).any():
        raise _Skip("no initial customers")
    return stats.retention_bands(saved.spells, saved.steps)


def _cumulative_churn(saved: Saved) -> pd.DataFrame:
    """Share of each firm's initial customers lost by each week: one minus the share retained,
    replicate by replicate, so its mean rises (never falls) week by week; the band is the
    retained band reflected and clipped to [0, 1] (a t band can overshoot a share)."""
    kept = _retention(saved)
    return kept.assign(
        mean=1.0 - kept["mean"],
        low=(1.0 - kept["high"]).clip(0.0, 1.0),
        high=(1.0 - kept["low"]).clip(0.0, 1.0),
    )


def _logrank(saved: Saved) -> pd.DataFrame:
    firms = saved.firms
    if firms is not None and not set(saved.spells["scenario"]) <= set(firms):
        firms = None  # metadata does not describe these scenarios: pair firms as in spells
    return stats.logrank_tests(saved.spells, firms)


def _undefined_tests(tests: pd.DataFrame) -> str | None:
    undefined = tests[tests["p_value"].isna()]
    if undefined.empty:
        return None
    reasons = "; ".join(dict.fromkeys(undefined["note"].str.removeprefix("undefined: ")))
    return (
        f"survival test undefined for {len(undefined)} of {len(tests)}"
        f" firm pair(s) ({reasons}); its p_value is left blank"
    )


def _sweeps(saved: Saved) -> list[Derived]:
    """The sweep figures. On a full grid: each metric against each parameter, one panel per
    combination of the others (an interaction shows as panels that differ), and a heatmap of
    ``retained`` per firm for two parameters. On a design table (points not on a grid): each
    metric against each parameter as a scatter of the points with a partial-dependence line,
    and ``retained`` over the plane of the first two parameters."""
    on = saved.metrics is not None
    varied = saved.varied
    names = _param_names(saved)
    grid = on and _is_grid(saved.metrics, varied)
    out = []
    for param in varied:
        others = [p for p in varied if p != param]
        for metric in SWEEP_METRICS:
            name = f"sweep_{metric}_vs_{param}"
            if grid:
                draw = _plot("sweep_lines", param, metric, others, names)
                out.append(Derived(name, on, partial(_sweep_bands, saved, metric), draw))
            else:
                draw = _plot("sweep_scatter", param, metric, names, unpack=True)
                out.append(Derived(name, on, partial(_design_bands, saved, param, metric), draw))
    two = len(varied) == 2
    heat = _plot("sweep_heatmap", *varied[:2], "retained", names)
    out.append(
        Derived(
            "sweep_heatmap_retained", grid and two, partial(_sweep_bands, saved, "retained"), heat
        )
    )
    plane = _plot("sweep_map", *varied[:2], "retained", names)
    out.append(
        Derived(
            "sweep_map_retained",
            on and not grid and len(varied) >= 2,
            partial(_sweep_bands, saved, "retained"),
            plane,
        )
    )
    return out


def _is_grid(metrics: pd.DataFrame, varied: list[str]) -> bool:
    """Whether the points run are every combination of the values each parameter takes (and
    the combinations of all but one fit in ``MAX_PANELS`` panels)."""
    if len(varied) <= 1:
        return True
    points = metrics[varied].drop_duplicates()
    levels = [points[p].nunique(dropna=False) for p in varied]
    if len(points) != int(np.prod(levels)):
        return False
    return int(np.prod(levels)) // max(levels) <= MAX_PANELS


def _param_names(saved: Saved) -> dict[str, str]:
    """A readable label per varied key path: ``firms.0.cco.ceo_backing`` reads
    "Focal: cco ceo backing" (the firm's name where every scenario gives it the same one)."""
    names = {}
    for key in saved.varied:
        parts = key.split(".")
        if len(parts) >= 3 and parts[0] == "firms" and parts[1].isdigit():
            i = int(parts[1])
            named = {f[i] for f in (saved.firms or {}).values() if i < len(f)}
            who = named.pop() if len(named) == 1 else f"firm {i}"
            rest = parts[2:]
        else:
            who, rest = parts[0], parts[1:]
        names[key] = f"{who}: {' '.join(rest).replace('_', ' ')}" if rest else who.replace("_", " ")
    return names


def _sweep_bands(saved: Saved, metric: str) -> pd.DataFrame:
    """The metric's band per scenario, firm and point (every varied parameter)."""
    if saved.metrics.empty:
        raise _Skip("metrics.parquet has no rows")
    _defined(saved.metrics, metric, "at every point")
    return stats.replicate_bands(saved.metrics, ["scenario", "firm", *saved.varied], metric)


def _design_bands(saved: Saved, param: str, metric: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The metric's band per design point, and the partial-dependence line of ``param``: the
    band of the point means in each bin of ``param`` (each value, if it takes few), centred
    at the mean of ``param`` in the bin."""
    points = _sweep_bands(saved, metric)
    col = points[param]
    numeric = (
        pd.api.types.is_numeric_dtype(col)
        and not pd.api.types.is_bool_dtype(col)
        and bool(np.isfinite(col.to_numpy(float)).all())
    )
    distinct = col.nunique(dropna=False)
    if numeric and distinct > MAX_BINS:
        bins = min(MAX_BINS, max(2, distinct // POINTS_PER_BIN))
        uniq = np.sort(col.unique())  # bin the distinct values: a point stays in one bin
        of = np.arange(len(uniq)) * bins // len(uniq)
        centres = pd.Series(uniq).groupby(of).transform("mean").to_numpy()
        centre = col.map(dict(zip(uniq, centres, strict=True)))
    else:
        centre = col
    trend = stats.replicate_bands(
        points.assign(_centre=centre.to_numpy()), ["scenario", "firm", "_centre"], "mean"
    )
    return points, trend.rename(columns={"_centre": param})


# --------------------------------------------------------------------------- drawing


def draw_figures(
    out: Path,
    *,
    warn: Warn | None = None,
    can_write: CanWrite | None = None,
) -> list[Path]:
    """(Re)draw every figure of a results folder from its saved tables, and write the tables
    derived from them (``survival_tests.csv``); never runs the model.

    ``warn`` receives one line per figure skipped or file left alone (default: stderr).
    ``can_write(path)``, if given, is asked before each file is written (figures and
    ``survival_tests.csv``); a file it refuses is left alone. Returns the files written.
    Raises :class:`StoreError` (one line naming the file) if the folder cannot be read.
    """
    saved = _read(Path(out))
    writer = _Writer(saved.out, warn or _stderr, can_write)
    for item in derived(saved):
        if not item.applies:
            continue
        if item.draw is not None:
            writer.figure(item.name, lambda item=item: item.draw(item.statistic()))
            continue
        table = item.statistic()
        if table.empty:
            continue
        path = saved.out / item.name
        writer.file(path, lambda tmp, table=table: table.to_csv(tmp, index=False))
        note = item.note(table) if item.note is not None else None
        if path in writer.written and note:
            writer.warn(f"{item.name}: {note}")
    return writer.written


def _read(out: Path) -> Saved:
    """Read (and check) every table a folder's figures need first, so a corrupt folder fails
    before anything is written."""
    meta = _read_metadata(out)
    varied = list(meta.get("varied", {}))
    ts_file, spells_file = out / "timeseries.parquet", out / "spells.parquet"
    metrics_file = out / "metrics.parquet"
    ts = spells = metrics = None
    steps = 0
    if not varied and ts_file.exists():
        ts = _read_table(ts_file, _TS_COLUMNS)
    if not varied and spells_file.exists():
        spells = _read_table(spells_file, _SPELL_COLUMNS, lean=True)
        steps = _steps(meta, out)
    if varied and metrics_file.exists():
        metrics = _read_table(metrics_file, ["scenario", "firm", *varied, *SWEEP_METRICS])
    return Saved(out, ts, spells, metrics, varied, steps, _firm_order(meta))
