"""Pattern-oriented calibration of cxsim (ODD §8): one command, resumable, on the project's runner.

    python experiments/calibrate.py                      # 256 points, about 10 min on 2 cores
    python experiments/calibrate.py --resume             # finish an interrupted search
    python experiments/calibrate.py --points 64 --customers 2000   # a quick look

A Latin hypercube (``scipy.stats.qmc``, seeded) over the unsourced parameters of
``cxsim.calibration.SEARCH``; each point runs the calibration scenarios (the default market and
the three headline scenarios) and is measured after the warm-up against every target of
``cxsim.calibration.TARGETS``. A point is accepted when it meets all of them at once. P1–P8 are
never looked at. Writes into ``--out`` (a cxsim results folder: never a folder of yours):

* ``points.csv``: every point, its parameter values, each target's value and whether it is met;
* ``accepted.csv``: the points that meet every target;
* ``calibration.png``: per parameter, where the accepted points lie in its range, and the
  share of points meeting each target;
* the runs, under ``runs/``, so that ``--resume`` redoes only what is missing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from cxsim import calibration as cal
from cxsim.designs import sample_points
from cxsim.runner import make_plan, run_plan
from cxsim.scenario import load_scenario
from cxsim.store import ResultStore, StoreError, write_atomic

ROOT = Path(__file__).resolve().parent.parent


def scenarios(customers: int, steps: int | None) -> list:
    """The calibration scenarios: the default market's firms and the headline scenarios."""
    out = []
    for name in cal.CALIBRATION_SCENARIOS:
        path = ROOT / "scenarios" / f"{name}.yaml"
        data = (
            load_scenario(path).model_dump(mode="json") if path.exists() else cal.default_market()
        )
        data["market"]["customers"] = customers
        if steps is not None:
            data["steps"] = steps
        out.append(load_scenario(data))
    return out


def evaluate(store: ResultStore, plan: list, points: list[dict]) -> pd.DataFrame:
    """One row per point: its parameters, every target's value and whether it is met."""
    ids = [s.run_id for s in plan]
    metrics = store.read("metrics", ids)
    stays = store.read("timeseries", ids)
    rows = []
    for p, point in enumerate(points):
        m = metrics[metrics["point"] == p]
        s = stays[stays["point"] == p]
        if m.empty:
            continue
        runs = [
            cal.measures_of(m[m["run_id"] == r], s[s["run_id"] == r]) for r in m["run_id"].unique()
        ]
        values = cal.summarize(runs)
        met = cal.met(values)
        rows.append(
            {"point": p, **point, **values, **{f"met_{k}": v for k, v in met.items()},
             "accepted": all(met.values())}
        )  # fmt: skip
    return pd.DataFrame(rows)


def figure(table: pd.DataFrame, search: dict[str, tuple[float, float]], path: Path) -> None:
    """Marginals of the accepted points over each searched range, and each target's pass rate."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = list(search)
    n = len(keys) + 1
    cols = 4
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.4 * rows), squeeze=False)
    ok = table["accepted"]
    for ax, key in zip(axes.flat, keys, strict=False):
        lo, hi = search[key]
        bins = np.linspace(lo, hi, 11)
        ax.hist(table[key], bins=bins, color="0.85", label="all points")
        ax.hist(table.loc[ok, key], bins=bins, color="C0", label="accepted")
        default = cal.default_of(key)
        ax.axvline(default, color="C3", lw=1.5, label="default")
        ax.set_title(key.removeprefix("market."), fontsize=9)
        ax.tick_params(labelsize=7)
    ax = axes.flat[len(keys)]
    met = [c for c in table.columns if c.startswith("met_")]
    ax.barh([c.removeprefix("met_") for c in met], [table[c].mean() for c in met], color="C2")
    ax.set_xlim(0, 1)
    ax.set_title("share of points meeting each target", fontsize=9)
    ax.tick_params(labelsize=7)
    for extra in list(axes.flat)[n:]:
        extra.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(f"calibration: {int(ok.sum())} of {len(table)} points meet every target")
    fig.tight_layout()
    write_atomic(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110))
    plt.close(fig)


def check_defaults(customers: int, replicates: int, seed: int, workers: int) -> pd.DataFrame:
    """Every target and its value at the current defaults (pooled over the calibration
    scenarios and ``replicates``), and whether it is met: ODD §8.3's table."""
    plan = make_plan(scenarios(customers, None), replicates, seed, spells=False)
    runs = []
    for result in run_plan(plan, workers, run=cal.run_measured):
        if result.status != "ok":
            raise RuntimeError(f"run {result.spec.run_id} failed: {result.error}")
        runs.append(cal.measures_of(result.metrics, result.timeseries))
    values = cal.summarize(runs)
    met = cal.met(values)
    rows = []
    for t in cal.TARGETS:
        keys = t.keys(values)
        shown = ", ".join(f"{values[k]:.4g}" for k in keys)
        rows.append({"target": t.name, "range": f"[{t.low:g}, {t.high:g}]", "value": shown,
                     "met": met[t.name], "source": t.source})  # fmt: skip
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=192, help="Latin hypercube points")
    ap.add_argument("--stage", type=int, default=2, choices=sorted(cal.STAGES), help="ranges")
    ap.add_argument("--customers", type=int, default=4000, help="customers per run")
    ap.add_argument("--replicates", type=int, default=1, help="replicates per point and scenario")
    ap.add_argument("--steps", type=int, default=None, help="weeks per run (default: scenario's)")
    ap.add_argument("--seed", type=int, default=20261123, help="seeds the design and the runs")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "experiments/results/calibration")
    ap.add_argument("--resume", action="store_true", help="finish an interrupted search")
    ap.add_argument(
        "--overwrite", action="store_true", help="replace an unfinished search in --out"
    )
    ap.add_argument(
        "--check-defaults",
        type=int,
        metavar="REPLICATES",
        help="only measure the current defaults against every target, with this many "
        "replicates of each calibration scenario (nothing is written)",
    )
    args = ap.parse_args(argv)
    if args.check_defaults:
        table = check_defaults(args.customers, args.check_defaults, args.seed, args.workers)
        print(table.drop(columns="source").to_string(index=False))
        return 0 if table["met"].all() else 1

    search = cal.STAGES[args.stage]
    points = sample_points(search, "lhs", args.points, args.seed)
    plan = make_plan(
        scenarios(args.customers, args.steps), args.replicates, args.seed, points, spells=False
    )
    try:
        with ResultStore(args.out, plan) as store:
            done = store.open(resume=args.resume, overwrite=args.overwrite)
            # point by point, so that an interrupted search has whole points to show
            todo = sorted(
                (s for s in plan if s.run_id not in done), key=lambda s: (s.point_index, s.index)
            )
            print(f"{len(plan)} runs ({len(points)} points), {len(todo)} to do", file=sys.stderr)
            for i, result in enumerate(run_plan(todo, args.workers, run=cal.run_measured), 1):
                store.write(result)
                if result.status != "ok":
                    print(f"run {result.spec.run_id} failed: {result.error}", file=sys.stderr)
                if i % 50 == 0:
                    print(f"{i} of {len(todo)} done", file=sys.stderr)
            table = evaluate(store, plan, points)
            store.write_csv(store.out / "points.csv", table)
            store.write_csv(store.out / "accepted.csv", table[table["accepted"]])
            figure(table, search, store.out / "calibration.png")
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: run the same command with --resume to finish", file=sys.stderr)
        return 130
    accepted = table[table["accepted"]]
    print(f"{len(accepted)} of {len(table)} points meet every target")
    met = [c for c in table.columns if c.startswith("met_")]
    print(table[met].mean().rename("share of points meeting").to_string())
    if len(accepted):
        print("accepted region (min, max):")
        print(accepted[list(search)].agg(["min", "max"]).T.to_string())
        best = cal.central_point(accepted, search)
        print("the central accepted point (where the defaults are set):")
        print(best[list(search)].to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
