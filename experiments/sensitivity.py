"""Morris screening of the headline outcomes over every unsourced parameter (issue 9, item 2).

    python experiments/sensitivity.py                  # 8 trajectories, ~650 runs, ~5 min
    python experiments/sensitivity.py --resume         # finish an interrupted screening
    python experiments/sensitivity.py --trajectories 2 --customers 1000 --steps 52   # a quick look

Elementary effects (Morris 1991; Campolongo et al. 2007's mu*) from SALib, on the project's
runner and results folder (parallel, resumable, nothing of yours overwritten). Each point of the
Morris design runs the three headline scenarios with common random numbers, and gives two
outcomes, each a difference of the focal firm's initial customers retained after the run:

* **P1 gap**: the CEO-led firm (``ceo_led.yaml``) minus the CCO-only firm (``cco_only.yaml``);
* **P2 deficit**: the copier minus the firm it copies (``invisible_war.yaml``).

Factors are the parameters calibrated within a range (``cxsim.calibration.SEARCH``) and the
modelling assumptions of ODD §7 (``ASSUMPTIONS`` below), over ranges their meaning allows. A
factor with a large mu* moves the outcome; one with sigma near mu* does so through interactions
or non-linearly. Writes ``morris.csv`` (mu*, its 95% bootstrap interval, mu, sigma per outcome
and factor), ``outcomes.csv`` (each point's factors and outcomes) and ``morris.png``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxsim import calibration as cal
from cxsim.runner import make_plan, run_plan
from cxsim.scenario import load_scenario
from cxsim.store import ResultStore, StoreError, write_atomic

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ("cco_only", "ceo_led", "invisible_war")
#: the modelling assumptions screened besides the calibrated parameters: factor -> range.
#: ``organization.*`` applies to every firm, ``cco.*`` to the focal firm's CCO.
ASSUMPTIONS: dict[str, tuple[float, float]] = {
    "market.visible_weight": (0.3, 0.7),
    "market.skill_weight": (0.3, 0.7),
    "market.empowerment_weight": (0.3, 0.7),
    "market.manager_support_weight": (0.2, 0.8),
    "market.training_transfer_support": (0.0, 1.0),
    "market.redesign_ownership": (0.0, 1.0),
    "market.socialization": (0.0, 0.6),
    "market.training_culture_effect": (0.0, 0.05),
    "market.hiring_profile_effect": (0.2, 0.8),
    "market.training_rate": (0.02, 0.1),
    "market.design_improvement_rate": (0.005, 0.02),
    "organization.ceo_visibility": (0.0, 0.5),
    "organization.peer_weight": (0.2, 1.0),
    "cco.accountability": (0.0, 2.0),
}
FACTORS: dict[str, tuple[float, float]] = {**cal.SEARCH, **ASSUMPTIONS}
OUTCOMES = ("p1_gap", "p2_deficit")


def keys_of(factor: str, firms: int = 2) -> list[str]:
    """The scenario key paths a factor sets (an organization factor, every firm's)."""
    if factor.startswith("organization."):
        return [f"firms.{i}.{factor}" for i in range(firms)]
    if factor.startswith("cco."):
        return [f"firms.0.{factor}"]
    return [factor]


def design(trajectories: int, seed: int) -> tuple[dict[str, Any], np.ndarray]:
    """The SALib problem and its Morris sample (``trajectories`` x (factors + 1) points)."""
    from SALib.sample import morris

    problem = {
        "num_vars": len(FACTORS),
        "names": list(FACTORS),
        "bounds": [list(b) for b in FACTORS.values()],
    }
    x = morris.sample(problem, trajectories, num_levels=4, seed=seed)
    return problem, x


def points_of(x: np.ndarray) -> list[dict[str, float]]:
    """One override dict per design row, every factor expanded to its key paths."""
    return [
        {key: float(v) for factor, v in zip(FACTORS, row, strict=True) for key in keys_of(factor)}
        for row in x
    ]


def outcomes(metrics: pd.DataFrame, n_points: int) -> pd.DataFrame:
    """P1 gap and P2 deficit per point (one replicate per point: common seeds pair them)."""
    m = metrics.set_index(["scenario", "point", "firm_position"])["retained"]
    rows = []
    for p in range(n_points):
        try:
            p1 = m[("ceo_led", p, 0)] - m[("cco_only", p, 0)]
            p2 = m[("invisible_war", p, 1)] - m[("invisible_war", p, 0)]
        except KeyError:
            p1 = p2 = np.nan
        rows.append({"point": p, "p1_gap": p1, "p2_deficit": p2})
    return pd.DataFrame(rows)


def analyse(problem: dict[str, Any], x: np.ndarray, y: pd.DataFrame, seed: int) -> pd.DataFrame:
    """mu*, its bootstrap interval, mu and sigma per outcome and factor (SALib)."""
    from SALib.analyze import morris

    out = []
    for outcome in OUTCOMES:
        res = morris.analyze(
            problem, x, y[outcome].to_numpy(), conf_level=0.95, num_levels=4, seed=seed
        )
        for i, name in enumerate(problem["names"]):
            out.append(
                {
                    "outcome": outcome,
                    "factor": name,
                    "mu_star": float(res["mu_star"][i]),
                    "mu_star_conf": float(res["mu_star_conf"][i]),
                    "mu": float(res["mu"][i]),
                    "sigma": float(res["sigma"][i]),
                }
            )
    table = pd.DataFrame(out)
    return table.sort_values(["outcome", "mu_star"], ascending=[True, False], ignore_index=True)


def figure(table: pd.DataFrame, y: pd.DataFrame, path: Path) -> None:
    """One bar chart of mu* (with its interval) per outcome, largest first."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 7))
    titles = {
        "p1_gap": "P1 gap: CEO-led − CCO-only, retained",
        "p2_deficit": "P2 deficit: copier − copied, retained",
    }
    for ax, outcome in zip(axes, OUTCOMES, strict=True):
        t = table[table["outcome"] == outcome].iloc[::-1]
        at = np.arange(len(t))
        mu, conf = t["mu_star"].to_numpy(float), t["mu_star_conf"].to_numpy(float)
        ax.barh(at, mu, xerr=conf, color="C0", alpha=0.8, label="mu*")
        ax.scatter(t["sigma"].to_numpy(float), at, color="C3", marker="x", label="sigma", zorder=3)
        ax.set_yticks(at, [str(f) for f in t["factor"]])
        mean = y[outcome].mean()
        ax.set_title(f"{titles[outcome]}\n(mean over the design {mean:+.3f}, n = {len(y)})")
        ax.set_xlabel("Morris mu* (share of initial customers), 95% bootstrap interval")
        ax.tick_params(axis="y", labelsize=7)
        ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    write_atomic(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110))
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trajectories", type=int, default=8, help="Morris trajectories (r)")
    ap.add_argument("--customers", type=int, default=4000, help="customers per run")
    ap.add_argument("--steps", type=int, default=None, help="weeks per run (default: 260)")
    ap.add_argument("--seed", type=int, default=20261123, help="seeds the design and the runs")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "experiments/results/sensitivity")
    ap.add_argument("--resume", action="store_true", help="finish an interrupted screening")
    ap.add_argument("--overwrite", action="store_true", help="replace an unfinished screening")
    args = ap.parse_args(argv)

    problem, x = design(args.trajectories, args.seed)
    points = points_of(x)
    scenarios = []
    for name in SCENARIOS:
        data = load_scenario(ROOT / "scenarios" / f"{name}.yaml").model_dump(mode="json")
        data["market"]["customers"] = args.customers
        if args.steps is not None:
            data["steps"] = args.steps
        data["name"] = name
        scenarios.append(load_scenario(data))
    plan = make_plan(scenarios, 1, args.seed, points, record="final", spells=False)
    try:
        with ResultStore(args.out, plan) as store:
            done = store.open(resume=args.resume, overwrite=args.overwrite)
            todo = [s for s in plan if s.run_id not in done]
            print(f"{len(plan)} runs ({len(points)} points), {len(todo)} to do", file=sys.stderr)
            for i, result in enumerate(run_plan(todo, args.workers), 1):
                store.write(result)
                if result.status != "ok":
                    print(f"run {result.spec.run_id} failed: {result.error}", file=sys.stderr)
                if i % 100 == 0:
                    print(f"{i} of {len(todo)} done", file=sys.stderr)
            metrics = store.read("metrics", [s.run_id for s in plan])
            y = outcomes(metrics, len(points))
            if y[list(OUTCOMES)].isna().any().any():
                print("some runs failed: rerun with --resume", file=sys.stderr)
                return 1
            table = analyse(problem, x, y, args.seed)
            factors = pd.DataFrame(x, columns=list(FACTORS))
            store.write_csv(store.out / "outcomes.csv", pd.concat([y, factors], axis=1))
            store.write_csv(store.out / "morris.csv", table)
            figure(table, y, store.out / "morris.png")
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: run the same command with --resume to finish", file=sys.stderr)
        return 130
    for outcome in OUTCOMES:
        t = table[table["outcome"] == outcome].head(8)
        print(f"{outcome}: mean {y[outcome].mean():+.4f}, sd {y[outcome].std():.4f}; top factors")
        print(t[["factor", "mu_star", "mu_star_conf", "sigma"]].round(4).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
