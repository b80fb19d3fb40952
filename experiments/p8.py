"""P8 as a 2x2: leadership (CEO commitment 0.35 / 0.9) x programs (none / all four), with the P8
mechanisms on and, as a control, off: are programs multiplied by leadership or added to it?

    python experiments/p8.py [--replicates 30] [--customers 20000] [--steps N]
                             [--out experiments/results/p8] [--workers N] [--resume] [--seed 42]

Every cell is the focal firm of scenarios/ceo_led.yaml without its CCO (``firms.0.cco`` null),
with ``firms.0.leadership.ceo_commitment`` 0.35 or 0.9 and either none of its four programs
(journey mapping, frontline training, hiring profile, service tools: each null) or all four as
in ceo_led.yaml. The P8 mechanisms (ODD §7.2, §7.3, §7.9) are

    market.training_transfer_support  training's skill transfers as far as the manager supports it
    market.redesign_ownership         redesigns land as far as the executives own them
    market.socialization              hires move toward the commitment of the peers they join
    market.training_culture_effect    training's pull on the anchor, times manager commitment

at the scenario's values ("on") or all 0 ("off", the control: programs then act additively).

The runs go through cxsim's job layer (``cxsim.job``), so both folders are resumable
(``--resume``) and only files cxsim wrote there are ever replaced. Replicate r has the same seed
in every cell of both arms (common random numbers), so the interaction

    (both - leaders only) - (programs only - neither)

is computed replicate by replicate, and so is its difference between the arms. Output, all
inside ``--out``:

    OUT/                     a cxsim compare folder: the four cells, mechanisms on
      p8_cells.csv           focal firm, per arm, cell and metric: mean and 95% t interval
      p8_interactions.csv    per arm: the programs' effect at each leadership level and the
                             interaction; and the interaction on - off; 95% t intervals
      figures/p8.png         interaction plot of retained, mechanisms on and off
      mechanisms_off/        a cxsim compare folder: the four cells, mechanisms off

The helpers for the overrides, paired differences and printed intervals are those of
experiments/cco_2x2.py (P1's 2x2), loaded from the file next to this one.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "ceo_led.yaml"
CEO = "firms.0.leadership.ceo_commitment"
LOW, HIGH = 0.35, 0.9
PROGRAMS = ("journey_mapping", "frontline_training", "hiring_profile", "service_tools")
#: the P8 mechanisms, all switched off in the control arm
MECHANISMS = (
    "market.training_transfer_support",
    "market.redesign_ownership",
    "market.socialization",
    "market.training_culture_effect",
)
ON, OFF = "on", "off"
#: the control arm's folder inside ``--out`` (the mechanisms-on arm is ``--out`` itself)
OFF_FOLDER = "mechanisms_off"


def _sibling(name: str) -> ModuleType:
    """``experiments/<name>.py`` as a module (experiments/ is not a package)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load experiments/{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


_P1 = _sibling("cco_2x2")
_overrides = _P1._overrides  # market.customers and steps from the command line
_paired = _P1._paired  # paired difference of two per-replicate series, 95% t interval
_text = _P1._text  # "mean [low, high]" per row
_wide = _P1._wide  # replicates as rows


@dataclass(frozen=True)
class Cell:
    """One cell of the 2x2: its label, the CEO's commitment and whether the programs run."""

    label: str
    ceo_commitment: float
    programs: bool


CELLS = (
    Cell("neither", LOW, False),
    Cell("programs only", LOW, True),
    Cell("leaders only", HIGH, False),
    Cell("both", HIGH, True),
)
#: the focal firm's outcomes reported per cell (``skill`` from the weekly table, final week)
METRICS = ("retained", "commitment_frontline", "invisible_quality", "visible_quality", "skill")
#: the outcomes whose interaction is reported
INTERACTION_METRICS = ("retained", "skill", "commitment_frontline")
NAMES = {
    "retained": "retained",
    "commitment_frontline": "frontline commitment",
    "invisible_quality": "invisible quality",
    "visible_quality": "visible quality",
    "skill": "frontline skill",
}
#: contrasts within an arm: (name, {cell: sign})
CONTRASTS = (
    ("programs | leaders low", {"programs only": 1, "neither": -1}),
    ("programs | leaders high", {"both": 1, "leaders only": -1}),
    ("interaction", {"both": 1, "leaders only": -1, "programs only": -1, "neither": 1}),
)
INTERACTION_DIFFERENCE = "interaction on - off"


# --------------------------------------------------------------------------- scenarios


def cell_scenario(cell: Cell, mechanisms: str, common: dict[str, Any]) -> Any:
    """ceo_led.yaml without its CCO, with the cell's CEO commitment and programs, and the P8
    mechanisms at the scenario's values (``on``) or 0 (``off``)."""
    from cxsim import apply_overrides, load_scenario

    overrides: dict[str, Any] = {
        **common,
        "name": cell.label,
        CEO: cell.ceo_commitment,
        "firms.0.cco": None,
    }
    if not cell.programs:
        overrides.update({f"firms.0.programs.{p}": None for p in PROGRAMS})
    if mechanisms == OFF:
        overrides.update(dict.fromkeys(MECHANISMS, 0.0))
    return apply_overrides(load_scenario(BASE), overrides)


def folder(out: Path, mechanisms: str) -> Path:
    """The arm's cxsim results folder."""
    return out if mechanisms == ON else out / OFF_FOLDER


# --------------------------------------------------------------------------- running


def run_jobs(args: argparse.Namespace) -> bool:
    """Run (or resume) the two compare jobs, mechanisms on then off; True if all succeeded."""
    from cxsim.job import Job, execute

    common = _overrides(args)
    ok = True
    for mechanisms in (ON, OFF):  # on first: its folder holds the other
        cells = [cell_scenario(c, mechanisms, common) for c in CELLS]
        job = Job(
            command="compare",
            scenarios=cells,
            out=folder(args.out, mechanisms),
            replicates=args.replicates,
            seed=args.seed,
            workers=args.workers,
            resume=args.resume,
        )
        ok = execute(job) and ok
    return ok


# --------------------------------------------------------------------------- analysis


def focal(metrics: pd.DataFrame, timeseries: pd.DataFrame) -> pd.DataFrame:
    """The focal firm's end-of-run rows, with ``skill`` (frontline skill in the final week)."""
    rows = metrics[metrics["firm_position"] == 0]
    keys = ["scenario", "replicate", "firm"]
    last = timeseries["step"] == timeseries.groupby(["scenario", "replicate"])["step"].transform(
        "max"
    )
    skill = timeseries.loc[last, [*keys, "skill"]]
    return rows.merge(skill, on=keys, how="left", validate="one_to_one")


def cell_table(rows: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per arm, cell and metric: mean and 95% t interval over replicates."""
    from cxsim.stats import t_interval

    out = []
    for mechanisms, arm in rows.items():
        for cell in CELLS:
            values = arm[arm["scenario"] == cell.label]
            for metric in METRICS:
                mean, low, high = t_interval(values[metric].to_numpy())
                out.append(
                    {
                        "mechanisms": mechanisms,
                        "cell": cell.label,
                        "ceo_commitment": cell.ceo_commitment,
                        "programs": "all four" if cell.programs else "none",
                        "metric": metric,
                        "mean": mean,
                        "ci_low": low,
                        "ci_high": high,
                        "n": int(values[metric].notna().sum()),
                    }
                )
    return pd.DataFrame(out)


def contrast(wide: pd.DataFrame, signs: dict[str, int]) -> pd.Series:
    """Per replicate: the signed sum of the cells' values."""
    return sum((sign * wide[cell] for cell, sign in signs.items()), pd.Series(0.0, wide.index))


def interaction_table(rows: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per arm and metric of ``INTERACTION_METRICS``: the programs' effect at each leadership
    level and the interaction; then the interaction on - off; all paired by replicate."""
    out = []
    interactions: dict[tuple[str, str], pd.Series] = {}
    for metric in INTERACTION_METRICS:
        for mechanisms, arm in rows.items():
            wide = _wide(arm, "scenario", metric)
            for name, signs in CONTRASTS:
                values = contrast(wide, signs)
                if name == "interaction":
                    interactions[mechanisms, metric] = values
                zero = pd.Series(0.0, values.index)
                out.append(
                    {"contrast": name, "mechanisms": mechanisms, "metric": metric}
                    | _paired(values, zero)
                )
        on, off = interactions[ON, metric], interactions[OFF, metric]
        out.append(
            {"contrast": INTERACTION_DIFFERENCE, "mechanisms": "on - off", "metric": metric}
            | _paired(on, off)
        )
    table = pd.DataFrame(out)
    table["significant"] = (table["diff_ci_low"] > 0) | (table["diff_ci_high"] < 0)
    return table


def _same_seeds(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Refuse to pair two arms whose replicate r does not share its seed."""
    seeds_a = a.groupby("replicate")["seed"].first()
    seeds_b = b.groupby("replicate")["seed"].first()
    if not seeds_a.equals(seeds_b):
        raise SystemExit("error: the two arms' replicate seeds differ; rerun both without --resume")


# --------------------------------------------------------------------------- figure


def figure(cells: pd.DataFrame) -> Any:
    """Interaction plot of retained: programs none / all four, one line per leadership level,
    mechanisms on (left) and off (right)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4.2), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    retained = cells[cells["metric"] == "retained"]
    for ax, mechanisms in zip(axes, (ON, OFF), strict=True):
        arm = retained[retained["mechanisms"] == mechanisms]
        for ceo, marker, dx in ((LOW, "o", -0.03), (HIGH, "s", 0.03)):
            part = arm[np.isclose(arm["ceo_commitment"], ceo)]
            part = part.set_index("programs").loc[["none", "all four"]]
            ax.errorbar(
                np.array([0.0, 1.0]) + dx,
                part["mean"],
                yerr=[part["mean"] - part["ci_low"], part["ci_high"] - part["mean"]],
                marker=marker,
                capsize=4,
                label=f"CEO commitment {ceo:g}: " + " / ".join(part["cell"]),
            )
        ax.set_xticks([0, 1], ["no programs", "all four programs"])
        ax.set_xlim(-0.4, 1.4)
        ax.set_title(f"P8 mechanisms {mechanisms}")
        ax.legend(loc="best", fontsize=8)
    axes[0].set_ylabel("focal firm: initial customers retained (mean, 95% CI)")
    fig.suptitle("P8: programs x leadership (ceo_led.yaml's focal firm, no CCO)")
    return fig


# --------------------------------------------------------------------------- output


def show(cells: pd.DataFrame, contrasts: pd.DataFrame) -> None:
    """Print the two tables: mean [95% CI]."""
    by_cell = cells.assign(value=_text(cells, "")).pivot(
        index=["mechanisms", "cell"], columns="metric", values="value"
    )
    order = [(m, c.label) for m in (ON, OFF) for c in CELLS]
    by_contrast = contrasts.assign(value=_text(contrasts, "diff_")).pivot(
        index=["mechanisms", "contrast"], columns="metric", values="value"
    )
    rows = [(m, name) for m in (ON, OFF) for name, _ in CONTRASTS]
    rows.append(("on - off", INTERACTION_DIFFERENCE))
    with pd.option_context("display.width", 250, "display.max_columns", 20):
        print("\nFocal firm by cell: mean [95% t interval] over replicates")
        print(by_cell.loc[order, list(METRICS)].rename(columns=NAMES))
        print("\nPrograms' effect and interaction, paired by replicate: mean [95% t interval]")
        print(by_contrast.loc[rows, list(INTERACTION_METRICS)].rename(columns=NAMES))
        print("  interaction = (both - leaders only) - (programs only - neither)")


def write_outputs(out: Path, cells: pd.DataFrame, contrasts: pd.DataFrame) -> list[Path]:
    """Write the tables and the figure into the mechanisms-on folder, through cxsim's store (so
    a file cxsim did not write is never overwritten); return the paths written."""
    from cxsim.store import open_for_figures

    tables = {"p8_cells.csv": cells, "p8_interactions.csv": contrasts}
    fig = figure(cells)
    written = []
    with open_for_figures(out) as store:
        for name, df in tables.items():
            store.write_csv(out / name, df)
            written.append(out / name)
        (out / "figures").mkdir(exist_ok=True)
        path = out / "figures" / "p8.png"
        store.write_bytes_atomic(path, lambda tmp: fig.savefig(tmp, format="png", dpi=150))
        written.append(path)
    return written


def analyse(args: argparse.Namespace) -> None:
    """Read both folders (never re-running), compute, print and write the tables and figure."""
    from cxsim import load_results

    rows = {}
    for mechanisms in (ON, OFF):
        res = load_results(folder(args.out, mechanisms))
        rows[mechanisms] = focal(res.metrics, res.timeseries)
    _same_seeds(rows[ON], rows[OFF])
    cells = cell_table(rows)
    contrasts = interaction_table(rows)
    show(cells, contrasts)
    for path in write_outputs(args.out, cells, contrasts):
        print(f"wrote {path}")


# --------------------------------------------------------------------------- command line


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line (the options of ``experiments/cco_2x2.py``'s 2x2)."""
    p = _P1.arguments(__doc__, ROOT / "experiments" / "results" / "p8")
    args = p.parse_args(argv)
    args.out = args.out.expanduser()
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run both arms, then analyse; exit codes as ``cco_2x2.run_experiment``'s."""
    return _P1.run_experiment(parse(argv), run_jobs, analyse)


if __name__ == "__main__":
    sys.exit(main())
