"""Scenario discovery for strategists (issue 9, item 3): where does leading with culture beat
leading with programs on five-year profit?

Over a Latin hypercube (``scipy.stats.qmc``) of the levers a firm controls (``LEVERS``), each
point runs the headline market (``scenarios/ceo_led.yaml``: the focal firm and its rival) twice,
with one seed (common random numbers):

* **culture-led**: the focal firm sets the point's *culture* levers (CEO commitment, its CCO's
  authority and backing, empowerment, voice of the customer, champions' budget) and runs the
  shipped programs at their shipped intensities and costs;
* **program-led**: the focal firm sets the point's *program* intensities, each costing in
  proportion to its intensity at the shipped unit cost (``UNIT_COST``, an assumption), and keeps
  the culture levers of the CCO-only firm (``scenarios/cco_only.yaml``: a lukewarm CEO, a CCO
  with little backing).

The outcome is the focal firm's cumulative profit over the run (five years) in the culture-led
run minus the program-led run. PRIM (Friedman & Fisher 1999, the ``ema_workbench``
implementation) finds the box of levers where culture-led wins most often, stated as rules a
strategist can read, with the box's coverage and density. CEO commitment itself costs nothing
in the model: the comparison prices programs and champions, not a CEO's time.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .experiment import Workers, run_into, save_figure, size_overrides
from .runner import make_plan
from .scenario import apply_overrides, load_scenario
from .store import ResultStore

__all__ = ["LEVERS", "UNIT_COST", "arms_of", "find_box", "lever_sample", "run_discovery"]

ROOT = Path(__file__).resolve().parent.parent
_F = "firms.0."
#: the culture levers: key -> (range, the CCO-only firm's value the program-led arm keeps)
CULTURE: dict[str, tuple[tuple[float, float], float]] = {
    _F + "leadership.ceo_commitment": ((0.2, 1.0), 0.4),
    _F + "cco.authority": ((0.0, 1.0), 0.5),
    _F + "cco.ceo_backing": ((0.0, 1.0), 0.2),
    _F + "empowerment_policy": ((0.0, 0.9), 0.3),
    _F + "voice_of_customer": ((0.0, 1.0), 0.7),
    _F + "champions.budget_per_week": ((0.0, 8000.0), 0.0),
}
#: the programs whose intensities the program-led arm sets
PROGRAMS = ("journey_mapping", "frontline_training", "hiring_profile", "service_tools")
#: $ per week per unit of intensity: the shipped cost over the shipped intensity (ceo_led.yaml:
#: 6,000 at 0.6, 6,000 at 0.6, 2,000 at 0.5, 3,000 at 0.3). An assumption: a program's cost
#: scales with its intensity.
UNIT_COST: dict[str, float] = {
    "journey_mapping": 10_000.0,
    "frontline_training": 10_000.0,
    "hiring_profile": 4_000.0,
    "service_tools": 10_000.0,
}
#: every lever sampled: key -> range
LEVERS: dict[str, tuple[float, float]] = {
    **{k: r for k, (r, _) in CULTURE.items()},
    **{f"{_F}programs.{p}.intensity": (0.0, 1.0) for p in PROGRAMS},
}


def lever_sample(n: int, seed: int) -> pd.DataFrame:
    """``n`` points of a scrambled Latin hypercube over ``LEVERS``."""
    from scipy.stats import qmc

    unit = qmc.LatinHypercube(d=len(LEVERS), seed=np.random.default_rng(seed)).random(n)
    low = np.array([lo for lo, _ in LEVERS.values()])
    high = np.array([hi for _, hi in LEVERS.values()])
    return pd.DataFrame(qmc.scale(unit, low, high), columns=list(LEVERS))


def arms_of(point: Mapping[str, float]) -> dict[str, dict[str, Any]]:
    """The overrides of the two arms at one point: ``culture`` and ``programs``."""
    culture = {k: float(point[k]) for k in CULTURE}
    programs: dict[str, Any] = {k: v for k, (_, v) in CULTURE.items()}
    for p in PROGRAMS:
        x = float(point[f"{_F}programs.{p}.intensity"])
        programs[f"{_F}programs.{p}.intensity"] = x
        programs[f"{_F}programs.{p}.cost_per_week"] = x * UNIT_COST[p]
    return {"culture": culture, "programs": programs}


def find_box(x: pd.DataFrame, wins: np.ndarray, threshold: float = 0.8) -> dict[str, Any]:
    """PRIM's box (the first on its peeling trajectory, so the widest, whose density reaches
    ``threshold``, or the densest if none does) of the points where ``wins``: its rules (the
    levers it cuts), coverage and density."""
    with warnings.catch_warnings():
        # ema_workbench 2.5 warns about its optional parallel backend and pandas deprecations
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim

        p = prim.Prim(x.copy(), np.asarray(wins, dtype=bool), threshold=threshold,
                      peel_alpha=0.1)  # fmt: skip
        box = p.find_box()
        traj = box.peeling_trajectory
        ok = traj[traj["density"] >= threshold]
        i = int(ok.index[0]) if len(ok) else int(traj["density"].idxmax())
        box.select(i)
        limits, initial = box.box_lims[i], box.box_lims[0]
    rules = []
    for key in x.columns:  # a lever is in a rule only where the box cuts it
        lo, hi = float(limits.loc[0, key]), float(limits.loc[1, key])
        restricted_lo = lo > float(initial.loc[0, key]) + 1e-12
        restricted_hi = hi < float(initial.loc[1, key]) - 1e-12
        if restricted_lo or restricted_hi:
            rules.append({"lever": key, "low": lo if restricted_lo else None,
                          "high": hi if restricted_hi else None})  # fmt: skip
    row = traj.loc[i]
    return {
        "rules": rules,
        "coverage": float(row["coverage"]),
        "density": float(row["density"]),
        "mass": float(row["mass"]),
        "threshold": threshold,
    }


def run_discovery(
    out: Path, points: int = 200, customers: int = 3000, steps: int | None = None,
    seed: int = 2026, workers: Workers = 1, resume: bool = False, root: Path = ROOT,
    warmup: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Run both arms at every point into the results folder ``out``; write ``points.csv``
    (levers and outcome), ``box.json`` (PRIM's rules) and a figure. Returns the summary."""
    x = lever_sample(points, seed)
    base = load_scenario(root / "scenarios" / "ceo_led.yaml").model_dump(mode="json")
    size = size_overrides(customers, steps, warmup)
    scenarios = []
    for p, row in x.iterrows():
        for arm, over in arms_of(row.to_dict()).items():
            s = apply_overrides(base, {**size, **over})
            scenarios.append(s.model_copy(update={"name": f"{arm}@{p}"}))
    plan = make_plan(scenarios, 1, seed, record="every", spells=False)
    with ResultStore(out, plan) as store:
        run_into(store, workers, resume, "discovery")
        ts = store.read("timeseries", [s.run_id for s in plan])
        focal = ts[ts["firm"] == "Focal"].groupby("scenario", sort=False)["profit"].sum()
        gain = np.array([focal[f"culture@{p}"] - focal[f"programs@{p}"] for p in range(points)])
        table = x.assign(culture_minus_programs=gain, culture_wins=gain > 0)
        box = find_box(x, gain > 0)
        summary = {
            "points": points,
            "customers": customers,
            "steps": steps,
            "share_culture_wins": float(np.mean(gain > 0)),
            "median_gain": float(np.median(gain)),
            "box": box,
            "unit_cost": UNIT_COST,
        }
        store.write_csv(store.out / "points.csv", table)
        store.write_text(store.out / "summary.json", json.dumps(summary, indent=1) + "\n")
        fig = figure(table, box)
        save_figure(store, store.out / "discovery.png", fig)
    return summary


def figure(table: pd.DataFrame, box: Mapping[str, Any]) -> Any:
    """The outcome over the two levers PRIM restricts first (or CEO commitment and journey
    mapping), wins and losses marked, the box drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [r["lever"] for r in box["rules"]][:2]
    defaults = [_F + "leadership.ceo_commitment", _F + "programs.journey_mapping.intensity"]
    keys += [k for k in defaults if k not in keys][: 2 - len(keys)]
    fig, ax = plt.subplots(figsize=(6.5, 5))
    wins = table["culture_wins"].to_numpy(bool)
    ax.scatter(table.loc[wins, keys[0]], table.loc[wins, keys[1]], c="C2", s=14,
               label="culture-led earns more")  # fmt: skip
    ax.scatter(table.loc[~wins, keys[0]], table.loc[~wins, keys[1]], c="C3", s=14, marker="x",
               label="program-led earns more")  # fmt: skip
    rules = {r["lever"]: r for r in box["rules"]}
    lims = []
    for k in keys:
        lo, hi = LEVERS[k]
        r = rules.get(k, {})
        lims.append((r.get("low") if r.get("low") is not None else lo,
                     r.get("high") if r.get("high") is not None else hi))  # fmt: skip
    (x0, x1), (y0, y1) = lims
    ax.add_patch(plt.Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec="k", lw=1.5,
                               ls="--", label="PRIM box (these two levers)"))  # fmt: skip
    ax.set_xlabel(keys[0].removeprefix(_F))
    ax.set_ylabel(keys[1].removeprefix(_F))
    ax.set_title(f"Five-year profit: culture-led vs program-led (n = {len(table)} points)\n"
                 f"box coverage {box['coverage']:.0%}, density {box['density']:.0%}",
                 fontsize=9)  # fmt: skip
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    return fig
