"""P1 as a 2x2: CEO commitment (lukewarm 0.4 / committed 0.9) x CCO (none / empowered), and the
boundary: how committed must the CEO be before an empowered CCO closes the gap?

    python experiments/cco_2x2.py [--replicates 30] [--customers 20000] [--steps N]
                                  [--out experiments/results/cco_2x2] [--workers N] [--resume]
                                  [--seed 42] [--boundary 0.1,0.25,0.4,0.55,0.7,0.85,1.0]

Every cell is the focal firm of scenarios/ceo_led.yaml with two keys changed:
``firms.0.leadership.ceo_commitment`` and ``firms.0.cco`` (null, or an empowered CCO:
commitment 0.9, authority 1, reach 1, ceo_backing 1). Its effective authority is
``authority x min(ceo_backing, ceo_commitment)`` (``cxsim.firm.cco_authority``).

The runs go through cxsim's job layer (``cxsim.job``, as ``cxsim compare`` and ``cxsim sweep``
run them), so results folders are resumable (``--resume``) and only files cxsim wrote there are
ever replaced. Replicate r has the same seed in every cell and sweep point (common random
numbers), so differences are paired by replicate. Output, all inside ``--out``:

    OUT/                          a cxsim compare folder of the four cells (summary.csv, ...)
      cco_2x2_cells.csv           focal firm, per cell and metric: mean and 95% t interval
      cco_2x2_differences.csv     paired differences between cells with 95% t intervals
      cco_2x2_boundary.csv        empowered CCO, CEO commitment swept: retained and its paired
                                  gap to the CEO-led + CCO cell (CEO commitment 0.9)
      figures/cco_2x2.png         the 2x2 (retained, frontline commitment)
      figures/cco_2x2_boundary.png  the boundary curve and the gap
      boundary/                   a cxsim sweep folder of the swept CEO commitments

The swept commitments equal to a cell's (0.4 and 0.9) are taken from that cell, not rerun.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "ceo_led.yaml"
CEO = "firms.0.leadership.ceo_commitment"
LOW, HIGH = 0.4, 0.9
EMPOWERED_CCO = {"commitment": 0.9, "authority": 1.0, "reach": 1.0, "ceo_backing": 1.0}
BOUNDARY = (0.1, 0.25, 0.4, 0.55, 0.7, 0.85, 1.0)


@dataclass(frozen=True)
class Cell:
    """One cell of the 2x2: its label, the CEO's commitment and whether a CCO is empowered."""

    label: str
    ceo_commitment: float
    cco: bool


CELLS = (
    Cell("neither", LOW, False),
    Cell("CCO only", LOW, True),
    Cell("CEO-led alone", HIGH, False),
    Cell("CEO-led + CCO", HIGH, True),
)
REFERENCE = CELLS[3].label
#: the focal firm's outcomes reported per cell (``churn_monthly`` is derived, see ``focal``)
METRICS = ("retained", "churn_monthly", "commitment_frontline", "invisible_quality", "nps")
NAMES = {
    "retained": "retained",
    "churn_monthly": "monthly churn",
    "commitment_frontline": "frontline commitment",
    "invisible_quality": "invisible quality",
    "nps": "NPS",
}
#: (minuend, subtrahend, what the difference isolates)
DIFFERENCES = (
    ("CEO-led + CCO", "CEO-led alone", "removing an empowered CCO from a CEO-led firm"),
    ("CCO only", "neither", "a CCO under a lukewarm CEO"),
    ("CEO-led alone", "CCO only", "a committed CEO vs an empowered CCO under a lukewarm CEO"),
)


# --------------------------------------------------------------------------- scenarios


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {"market.customers": args.customers}
    if args.steps is not None:
        out["steps"] = args.steps
    return out


def cell_scenario(cell: Cell, common: dict[str, Any]) -> Any:
    """ceo_led.yaml with the cell's CEO commitment and CCO (and the common overrides)."""
    from cxsim import apply_overrides, load_scenario

    overrides = {
        **common,
        "name": cell.label,
        CEO: cell.ceo_commitment,
        "firms.0.cco": dict(EMPOWERED_CCO) if cell.cco else None,
    }
    return apply_overrides(load_scenario(BASE), overrides)


def sweep_values(grid: Sequence[float]) -> list[float]:
    """The swept CEO commitments not already run as a cell with an empowered CCO."""
    return [v for v in grid if not any(math.isclose(v, c) for c in (LOW, HIGH))]


# --------------------------------------------------------------------------- running


def run_jobs(args: argparse.Namespace) -> bool:
    """Run (or resume) the 2x2 compare job and the boundary sweep job; True if all succeeded."""
    from cxsim.job import Job, execute

    common = _overrides(args)
    cells = [cell_scenario(c, common) for c in CELLS]
    options = {
        "replicates": args.replicates,
        "seed": args.seed,
        "workers": args.workers,
        "resume": args.resume,
    }
    ok = execute(Job(command="compare", scenarios=cells, out=args.out, **options))
    values = sweep_values(args.boundary)
    if values:
        swept = cell_scenario(Cell("empowered CCO, CEO commitment swept", HIGH, True), common)
        if swept.model_dump(exclude={"name"}) != cells[3].model_dump(exclude={"name"}):
            raise RuntimeError("the sweep's scenario at CEO 0.9 is not the CEO-led + CCO cell")
        job = Job(
            command="sweep",
            scenarios=[swept],
            out=args.out / "boundary",
            points=[{CEO: v} for v in values],
            record="final",
            spells=False,
            **options,
        )
        ok = execute(job) and ok
    return ok


# --------------------------------------------------------------------------- analysis


def focal(metrics: pd.DataFrame) -> pd.DataFrame:
    """The focal firm's rows, with ``churn_monthly`` = 1 - (1 - w)^(52/12) from the last-year
    mean weekly churn ``w``."""
    out = metrics[metrics["firm_position"] == 0].copy()
    out["churn_monthly"] = 1.0 - (1.0 - out["churn_rate_weekly"]) ** (52 / 12)
    return out


def _wide(rows: pd.DataFrame, key: str, metric: str) -> pd.DataFrame:
    """Replicates as rows, ``key`` values as columns."""
    return rows.pivot(index="replicate", columns=key, values=metric)


def cell_table(rows: pd.DataFrame, scenarios: dict[str, Any]) -> pd.DataFrame:
    """Per cell and metric: mean and 95% t interval over replicates."""
    from cxsim.firm import cco_authority
    from cxsim.schema import Firm
    from cxsim.stats import t_interval

    out = []
    for cell in CELLS:
        firm = Firm.model_validate(scenarios[cell.label]["firms"][0])
        values = rows[rows["scenario"] == cell.label]
        for metric in METRICS:
            mean, low, high = t_interval(values[metric].to_numpy())
            out.append(
                {
                    "cell": cell.label,
                    "ceo_commitment": cell.ceo_commitment,
                    "cco": "empowered" if cell.cco else "none",
                    "cco_effective_authority": cco_authority(firm),
                    "metric": metric,
                    "mean": mean,
                    "ci_low": low,
                    "ci_high": high,
                    "n": int(values[metric].notna().sum()),
                }
            )
    return pd.DataFrame(out)


def _paired(a: pd.Series, b: pd.Series) -> dict[str, float | int]:
    from cxsim.stats import t_interval

    diff = (a - b).dropna().to_numpy()
    mean, low, high = t_interval(diff)
    return {"diff_mean": mean, "diff_ci_low": low, "diff_ci_high": high, "n": int(diff.size)}


def difference_table(rows: pd.DataFrame) -> pd.DataFrame:
    """The paired differences of ``DIFFERENCES`` for every metric, with 95% t intervals."""
    out = []
    for metric in METRICS:
        wide = _wide(rows, "scenario", metric)
        for minuend, subtrahend, meaning in DIFFERENCES:
            out.append(
                {
                    "difference": f"({minuend}) - ({subtrahend})",
                    "isolates": meaning,
                    "metric": metric,
                    **_paired(wide[minuend], wide[subtrahend]),
                }
            )
    return pd.DataFrame(out)


def boundary_table(rows: pd.DataFrame, swept: pd.DataFrame, grid: Sequence[float]) -> pd.DataFrame:
    """Empowered CCO at each CEO commitment of ``grid``: retained, frontline commitment and the
    paired gap in retained to the CEO-led + CCO cell (``significant``: its interval excludes 0)."""
    from cxsim.stats import t_interval

    from_cells = {LOW: "CCO only", HIGH: REFERENCE}
    points: dict[float, tuple[str, pd.DataFrame]] = {}
    for value in sorted({*grid, HIGH}):
        cell = next((name for c, name in from_cells.items() if math.isclose(value, c)), None)
        if cell is not None:
            points[value] = (f"2x2: {cell}", rows[rows["scenario"] == cell])
        else:
            at = np.isclose(swept[CEO].astype(float), value)
            points[value] = ("boundary sweep", swept[at])
    reference = rows[rows["scenario"] == REFERENCE].set_index("replicate")["retained"]
    out = []
    for value, (source, values) in points.items():
        retained = t_interval(values["retained"].to_numpy())
        frontline = t_interval(values["commitment_frontline"].to_numpy())
        gap = _paired(values.set_index("replicate")["retained"], reference)
        out.append(
            {
                "ceo_commitment": value,
                "source": source,
                "retained_mean": retained[0],
                "retained_ci_low": retained[1],
                "retained_ci_high": retained[2],
                "commitment_frontline_mean": frontline[0],
                "commitment_frontline_ci_low": frontline[1],
                "commitment_frontline_ci_high": frontline[2],
                "gap_mean": gap["diff_mean"],
                "gap_ci_low": gap["diff_ci_low"],
                "gap_ci_high": gap["diff_ci_high"],
                "n": gap["n"],
                "significant": bool(gap["diff_ci_low"] > 0 or gap["diff_ci_high"] < 0),
            }
        )
    return pd.DataFrame(out)


def boundary_verdict(table: pd.DataFrame) -> str:
    """Where the gap in retained to the CEO-led + CCO firm stops being significant."""
    below = table[table["ceo_commitment"] < HIGH - 1e-9].sort_values("ceo_commitment")
    if below.empty:
        return "no swept CEO commitment below the reference (0.9)"
    significant = below[below["significant"]]
    if significant.empty:
        return (
            f"no significant gap at any swept CEO commitment from {below['ceo_commitment'].min():g}"
            f" to {HIGH:g}"
        )
    last = significant["ceo_commitment"].max()
    later = below[below["ceo_commitment"] > last]
    first = f"{later['ceo_commitment'].min():g}" if not later.empty else f"{HIGH:g} (the reference)"
    return (
        f"the gap in retained to the CEO-led + CCO firm (CEO {HIGH:g}) is significant up to CEO"
        f" commitment {last:g} and no longer significant from {first}"
    )


def _same_seeds(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Refuse to pair two folders whose replicate r does not share its seed."""
    seeds_a = a.groupby("replicate")["seed"].first()
    seeds_b = b.groupby("replicate")["seed"].first()
    both = seeds_a.index.intersection(seeds_b.index)
    if not (seeds_a[both] == seeds_b[both]).all():
        raise SystemExit("error: the boundary sweep's seeds differ from the 2x2's; rerun both")


# --------------------------------------------------------------------------- figures


def figure_2x2(cells: pd.DataFrame) -> Any:
    """Interaction plot: retained and frontline commitment by CEO commitment, CCO or not."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4.2), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, metric in zip(axes, ("retained", "commitment_frontline"), strict=True):
        for cco, marker, dx in (("none", "o", -0.015), ("empowered", "s", 0.015)):
            part = cells[(cells["metric"] == metric) & (cells["cco"] == cco)]
            part = part.sort_values("ceo_commitment")
            ax.errorbar(
                part["ceo_commitment"] + dx,
                part["mean"],
                yerr=[part["mean"] - part["ci_low"], part["ci_high"] - part["mean"]],
                marker=marker,
                capsize=4,
                label=("no" if cco == "none" else cco) + " CCO: " + " / ".join(part["cell"]),
            )
        ax.set_xticks([LOW, HIGH], [f"lukewarm CEO ({LOW:g})", f"committed CEO ({HIGH:g})"])
        ax.set_xlim(LOW - 0.15, HIGH + 0.15)
        ax.set_ylabel(f"focal firm: {NAMES[metric]} (mean, 95% CI)")
        ax.legend(loc="best", fontsize=8)
    fig.suptitle("P1 2x2: CEO commitment x empowered CCO")
    return fig


def figure_boundary(table: pd.DataFrame, cells: pd.DataFrame) -> Any:
    """Retained against CEO commitment with an empowered CCO, and its paired gap to the
    CEO-led + CCO firm."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4.2), layout="constrained")
    left, right = fig.subplots(1, 2)
    x = table["ceo_commitment"]
    left.plot(x, table["retained_mean"], marker="o", label="empowered CCO")
    left.fill_between(x, table["retained_ci_low"], table["retained_ci_high"], alpha=0.25)
    no_cco = cells[(cells["metric"] == "retained") & (cells["cco"] == "none")]
    left.errorbar(
        no_cco["ceo_commitment"],
        no_cco["mean"],
        yerr=[no_cco["mean"] - no_cco["ci_low"], no_cco["ci_high"] - no_cco["mean"]],
        fmt="x",
        color="grey",
        capsize=4,
        label="no CCO (2x2 cells)",
    )
    left.set_xlabel("CEO commitment")
    left.set_ylabel("focal firm: retained (mean, 95% CI)")
    left.legend(fontsize=8)
    sig = table["significant"]
    yerr = [table["gap_mean"] - table["gap_ci_low"], table["gap_ci_high"] - table["gap_mean"]]
    right.errorbar(x, table["gap_mean"], yerr=yerr, fmt="none", capsize=4, color="C0")
    right.plot(x[sig], table["gap_mean"][sig], "o", color="C0", label="significant")
    right.plot(
        x[~sig], table["gap_mean"][~sig], "o", mfc="white", color="C0", label="not significant"
    )
    right.axhline(0, color="black", linewidth=0.8)
    right.set_xlabel("CEO commitment (empowered CCO)")
    right.set_ylabel(f"retained minus CEO-led + CCO ({HIGH:g}), 95% CI")
    right.legend(fontsize=8)
    fig.suptitle("P1 boundary: the CEO commitment an empowered CCO needs")
    return fig


# --------------------------------------------------------------------------- output


def _text(df: pd.DataFrame, prefix: str) -> list[str]:
    """``mean [low, high]`` per row, from the columns ``prefix`` + mean / ci_low / ci_high."""
    columns = [f"{prefix}{c}" for c in ("mean", "ci_low", "ci_high")]
    return [f"{m:.3g} [{lo:.3g}, {hi:.3g}]" for m, lo, hi in df[columns].to_numpy()]


def show(cells: pd.DataFrame, diffs: pd.DataFrame, boundary: pd.DataFrame, verdict: str) -> None:
    """Print the three tables: mean [95% CI]."""
    order = [f"({a}) - ({b})" for a, b, _ in DIFFERENCES]
    by_cell = cells.assign(value=_text(cells, "")).pivot(
        index="cell", columns="metric", values="value"
    )
    by_diff = diffs.assign(value=_text(diffs, "diff_")).pivot(
        index="difference", columns="metric", values="value"
    )
    curve = boundary.assign(retained=_text(boundary, "retained_"), gap=_text(boundary, "gap_"))[
        ["ceo_commitment", "source", "retained", "gap", "significant"]
    ]
    with pd.option_context("display.width", 250, "display.max_columns", 20):
        print("\nFocal firm by cell: mean [95% t interval] over replicates")
        print(by_cell.loc[[c.label for c in CELLS], list(METRICS)].rename(columns=NAMES))
        print("\nPaired differences (replicate by replicate): mean [95% t interval]")
        print(by_diff.loc[order, list(METRICS)].rename(columns=NAMES))
        for a, b, meaning in DIFFERENCES:
            print(f"  ({a}) - ({b}): {meaning}")
        print(f"\nBoundary: empowered CCO, CEO commitment swept; gap = retained - {REFERENCE}")
        print(curve.to_string(index=False))
        print(f"  {verdict}")


def write_outputs(
    out: Path, cells: pd.DataFrame, diffs: pd.DataFrame, boundary: pd.DataFrame
) -> list[Path]:
    """Write the tables and figures into the 2x2 results folder, through cxsim's store (so a
    file cxsim did not write is never overwritten); return the paths written."""
    from cxsim.store import open_for_figures

    tables = {
        "cco_2x2_cells.csv": cells,
        "cco_2x2_differences.csv": diffs,
        "cco_2x2_boundary.csv": boundary,
    }
    figures = {
        "cco_2x2.png": figure_2x2(cells),
        "cco_2x2_boundary.png": figure_boundary(boundary, cells),
    }
    written = []
    with open_for_figures(out) as store:
        for name, df in tables.items():
            store.write_csv(out / name, df)
            written.append(out / name)
        (out / "figures").mkdir(exist_ok=True)
        for name, fig in figures.items():
            path = out / "figures" / name
            store.write_bytes_atomic(
                path, lambda tmp, fig=fig: fig.savefig(tmp, format="png", dpi=150)
            )
            written.append(path)
    return written


def analyse(args: argparse.Namespace) -> None:
    """Read both folders (never re-running), compute, print and write the tables and figures."""
    from cxsim import load_results

    res = load_results(args.out)
    rows = focal(res.metrics)
    swept = pd.DataFrame(columns=[CEO, "replicate", "retained", "commitment_frontline", "seed"])
    if sweep_values(args.boundary):
        sweep = load_results(args.out / "boundary")
        swept = focal(sweep.metrics)
        _same_seeds(rows, swept)
    cells = cell_table(rows, res.metadata["scenarios"])
    diffs = difference_table(rows)
    boundary = boundary_table(rows, swept, args.boundary)
    verdict = boundary_verdict(boundary)
    show(cells, diffs, boundary, verdict)
    for path in write_outputs(args.out, cells, diffs, boundary):
        print(f"wrote {path}")


# --------------------------------------------------------------------------- command line


def _grid(text: str) -> list[float]:
    try:
        values = sorted({float(v) for v in text.split(",") if v.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a comma-separated list of numbers: {text!r}"
        ) from None
    if not values or not all(0 <= v <= 1 for v in values):
        raise argparse.ArgumentTypeError("CEO commitments must be in 0..1")
    return values


def arguments(doc: str, out: Path) -> argparse.ArgumentParser:
    """The options every 2x2 experiment takes (also ``experiments/p8.py``'s)."""
    p = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    p.add_argument("--replicates", "-r", type=int, default=30, help="replicates per cell")
    p.add_argument("--customers", type=int, default=20000, help="market.customers")
    p.add_argument("--steps", type=int, default=None, help="weeks (default: the scenario's)")
    p.add_argument("--seed", type=int, default=42, help="root seed (as cxsim's --seed)")
    p.add_argument("--workers", type=int, default=None, help="worker processes")
    p.add_argument(
        "--out",
        type=Path,
        default=out,
        help="output folder: new, empty, or written by cxsim (others are refused)",
    )
    p.add_argument("--resume", action="store_true", help="keep finished runs, do only the rest")
    return p


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    p = arguments(__doc__, ROOT / "experiments" / "results" / "cco_2x2")
    p.add_argument(
        "--boundary",
        type=_grid,
        default=list(BOUNDARY),
        help="CEO commitments swept with an empowered CCO (comma-separated)",
    )
    args = p.parse_args(argv)
    args.out = args.out.expanduser()
    return args


def run_experiment(
    args: argparse.Namespace,
    run_jobs: Callable[[argparse.Namespace], bool],
    analyse: Callable[[argparse.Namespace], None],
) -> int:
    """Run, then analyse; 0 on success, 1 if a run failed, 2 on bad input, 130 if interrupted."""
    from cxsim import ScenarioError
    from cxsim.job import Interrupted, JobError
    from cxsim.store import StoreError

    try:
        if not run_jobs(args):
            print("some runs failed; rerun with --resume to redo them", file=sys.stderr)
            return 1
        analyse(args)
    except (ScenarioError, StoreError, JobError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Interrupted as exc:
        return exc.code
    except KeyboardInterrupt:
        print("interrupted: rerun with --resume to finish", file=sys.stderr)
        return 130
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """The 2x2 and its boundary: run, then analyse."""
    return run_experiment(parse(argv), run_jobs, analyse)


if __name__ == "__main__":
    sys.exit(main())
