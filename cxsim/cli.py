"""The ``cxsim`` command: run, compare, sweep, validate, plot.

Exit codes: 0 success, 1 a run failed (the others are kept), 2 bad input (one line on stderr,
nothing written), 130 interrupted (finished runs kept; rerun with ``--resume``).
Set ``CXSIM_DEBUG=1`` to see a traceback instead of the one-line message.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .figures import draw_figures
from .results import ResultStore, StoreError, metadata
from .runner import grid, make_plan, parse_vary, run_plan, scenario_labels
from .scenario import Scenario, ScenarioError, apply_overrides, load_scenario, parse_value

app = typer.Typer(
    name="cxsim",
    help="Culture vs. strategy in customer experience: run, compare and sweep scenarios.",
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
)
out_console = Console(width=None if Console().is_terminal else 140)
err_console = Console(stderr=True, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_SEED = 42


class InputError(Exception):
    """Bad command-line input: reported in one line, exit code 2."""


def _one_line_errors(func: F) -> F:
    """Turn known errors into one line on stderr and an exit code; no traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (ScenarioError, StoreError, InputError) as exc:
            if os.environ.get("CXSIM_DEBUG"):
                raise
            err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            err_console.print("interrupted", markup=False)
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


# --------------------------------------------------------------------------- input


def _parse_sets(sets: list[str]) -> dict[str, Any]:
    out = {}
    for item in sets:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--set {item!r}: expected key.path=value")
        out[key.strip()] = parse_value(value)
    return out


def _load(paths: list[Path], sets: list[str], steps: int | None) -> list[Scenario]:
    overrides = _parse_sets(sets)
    if steps is not None:
        if steps < 1:
            raise InputError(f"--steps must be >= 1, got {steps}")
        overrides["steps"] = steps
    scenarios = []
    for path in paths:
        scenario = load_scenario(path)
        if overrides:
            try:
                scenario = apply_overrides(scenario, overrides)
            except ScenarioError as exc:
                raise ScenarioError(f"{path.name}: --set {exc}") from None
        scenarios.append(scenario)
    return scenarios


def _design(path: Path) -> list[dict[str, Any]]:
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise InputError(f"{path}: no such design file") from None
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputError(f"{path}: cannot read the design table ({exc})") from None
    if table.empty or len(table.columns) == 0:
        raise InputError(f"{path}: the design table has no rows")
    return [{k: parse_value(v) for k, v in row.items()} for row in table.to_dict("records")]


# --------------------------------------------------------------------------- execution


def _execute(
    command: str,
    scenarios: list[Scenario],
    replicates: int,
    seed: int,
    workers: int | None,
    out: Path,
    resume: bool,
    points: list[dict[str, Any]] | None = None,
    record: str = "every",
    spells: bool = True,
) -> None:
    if workers is None:
        workers = os.cpu_count() or 1
    if workers < 1:
        raise InputError(f"--workers must be >= 1, got {workers}")
    plan = make_plan(scenarios, replicates, seed, points, record, spells)
    store = ResultStore(out, plan)
    done = store.prepare(resume)
    todo = [s for s in plan if s.run_id not in done]
    names = [s.scenario_name for s in plan]
    varied = {
        k: sorted({p[k] for p in points or [{}] if k in p}, key=str)
        for k in dict.fromkeys(k for p in points or [] for k in p)
    }
    resolved = {
        label: s.model_dump(mode="json")
        for label, s in zip(scenario_labels(scenarios), scenarios, strict=True)
    }
    meta = metadata(
        command,
        resolved,
        plan,
        seed,
        replicates,
        {"varied": varied, "record": record, "workers": workers},
    )
    failed = 0
    if done:
        err_console.print(f"resuming: {len(done)} of {len(plan)} runs already finished")
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    )
    try:
        with progress:
            task = progress.add_task(
                f"{command} ({len(set(names))} scenario(s))", total=len(plan), completed=len(done)
            )
            for result in run_plan(todo, workers=workers):
                store.write(result)
                if result.status != "ok":
                    failed += 1
                    err_console.print(
                        f"run {result.spec.run_id} failed: {result.error}", markup=False
                    )
                progress.advance(task)
    except KeyboardInterrupt:
        finished = len(store.finished())
        err_console.print(
            f"interrupted: {finished} of {len(plan)} runs are saved in {out}; run the same"
            " command with --resume to finish",
            markup=False,
        )
        raise typer.Exit(130) from None
    tables = store.assemble(meta, compare=command == "compare")
    draw_figures(out)
    _report(tables["summary"], out, command)
    if failed or (tables["runs"]["status"] != "ok").any():
        err_console.print(f"{failed} run(s) failed; see {out / 'runs.csv'}", markup=False)
        raise typer.Exit(1)


def _report(summary: pd.DataFrame, out: Path, command: str) -> None:
    if summary.empty:
        return
    shown = [
        "retained",
        "churn_rate",
        "market_share",
        "culture_frontline",
        "invisible_quality",
        "visible_quality",
    ]
    table = Table(
        title=f"End of run: mean ±95% CI half-width across replicates; Δ vs the first scenario "
        f"({out / 'summary.csv'})"
    )
    keys = [
        c
        for c in summary.columns
        if c
        not in {
            "metric",
            "mean",
            "ci_low",
            "ci_high",
            "n",
            "firm_position",
            "diff_mean",
            "diff_ci_low",
            "diff_ci_high",
        }
    ]
    for k in keys:
        table.add_column(k)
    for m in shown:
        table.add_column(m, justify="right")
    for key, group in summary.groupby(keys, sort=False, dropna=False):
        cells = [str(v) for v in (key if isinstance(key, tuple) else (key,))]
        by_metric = group.set_index("metric")
        for m in shown:
            r = by_metric.loc[m]
            cell = f"{r['mean']:.3g} ±{(r['ci_high'] - r['ci_low']) / 2:.2g}"
            if command == "compare" and pd.notna(r.get("diff_mean")) and r.get("diff_mean") != 0:
                cell += f" (Δ {r['diff_mean']:+.2g})"
            cells.append(cell)
        table.add_row(*cells)
    out_console.print(table)
    out_console.print(f"results: {out}  figures: {out / 'figures'}")


# --------------------------------------------------------------------------- commands

ScenarioArg = Annotated[Path, typer.Argument(help="scenario YAML file", show_default=False)]
Replicates = Annotated[int, typer.Option("--replicates", "-r", help="replicates per scenario")]
Steps = Annotated[int | None, typer.Option(help="weeks to run (default: the scenario's steps)")]
Seed = Annotated[int, typer.Option(help="root seed; replicate seeds are spawned from it")]
Workers = Annotated[int | None, typer.Option(help="worker processes (default: all cores)")]
Sets = Annotated[
    list[str] | None,
    typer.Option("--set", help="override a scenario key, e.g. firms.0.cco.authority=1"),
]
Resume = Annotated[bool, typer.Option(help="keep finished runs in --out and do only the rest")]


@app.command()
@_one_line_errors
def run(
    scenario: ScenarioArg,
    replicates: Replicates = 10,
    steps: Steps = None,
    seed: Seed = DEFAULT_SEED,
    workers: Workers = None,
    set_: Sets = None,
    out: Annotated[Path, typer.Option(help="output folder")] = Path("results/run"),
    resume: Resume = False,
) -> None:
    """Run one scenario with replicates; write tables and figures to --out."""
    scenarios = _load([scenario], set_ or [], steps)
    _execute("run", scenarios, replicates, seed, workers, out, resume)


@app.command()
@_one_line_errors
def compare(
    scenarios: Annotated[
        list[Path],
        typer.Argument(help="scenario YAML files; the first is the baseline for differences"),
    ],
    replicates: Replicates = 10,
    steps: Steps = None,
    seed: Seed = DEFAULT_SEED,
    workers: Workers = None,
    set_: Sets = None,
    out: Annotated[Path, typer.Option(help="output folder")] = Path("results/compare"),
    resume: Resume = False,
) -> None:
    """Compare scenarios on common random numbers; differences to the first with 95% CIs."""
    loaded = _load(scenarios, set_ or [], steps)
    _execute("compare", loaded, replicates, seed, workers, out, resume)


@app.command()
@_one_line_errors
def sweep(
    scenario: ScenarioArg,
    vary: Annotated[
        list[str] | None,
        typer.Option(help="key.path=v1,v2,... or key.path=lo:hi:n (repeat for a full grid)"),
    ] = None,
    design: Annotated[
        Path | None, typer.Option(help="CSV design table: one row per point, columns are key paths")
    ] = None,
    replicates: Replicates = 3,
    steps: Steps = None,
    seed: Seed = DEFAULT_SEED,
    workers: Workers = None,
    set_: Sets = None,
    record: Annotated[str, typer.Option(help="record metrics 'every' step or only 'final'")] = (
        "final"
    ),
    out: Annotated[Path, typer.Option(help="output folder")] = Path("results/sweep"),
    resume: Resume = False,
) -> None:
    """Sweep levers over a grid (--vary) or a design table (--design), with replicates."""
    if bool(vary) == (design is not None):
        raise InputError("give either --vary (one or more) or --design, not both or neither")
    loaded = _load([scenario], set_ or [], steps)
    if design is not None:
        points = _design(design)
    else:
        varies: dict[str, list[Any]] = {}
        for item in vary or []:
            key, values = parse_vary(item)
            varies[key] = values
        points = grid(varies)
    _execute("sweep", loaded, replicates, seed, workers, out, resume, points, record, spells=False)


@app.command()
@_one_line_errors
def validate(
    scenarios: Annotated[list[Path], typer.Argument(help="scenario YAML files to check")],
) -> None:
    """Check scenario files without running them."""
    bad = 0
    for path in scenarios:
        try:
            s = load_scenario(path)
        except ScenarioError as exc:
            bad += 1
            err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
            continue
        firms = ", ".join(f.name for f in s.firms)
        out_console.print(
            f"ok {path}: {s.name}, {s.steps} weeks, firms {firms}", markup=False, highlight=False
        )
    if bad:
        raise typer.Exit(2)


@app.command()
@_one_line_errors
def plot(
    folder: Annotated[Path, typer.Argument(help="a results folder written by cxsim")],
) -> None:
    """Redraw the figures of a results folder from its saved tables (never re-runs)."""
    if not folder.is_dir():
        raise InputError(f"{folder}: no such results folder")
    written = draw_figures(folder)
    out_console.print(f"{len(written)} figure files in {folder / 'figures'}", markup=False)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
