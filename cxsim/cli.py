"""The ``cxsim`` command: run, compare, sweep, validate, plot; list scenarios and parameters.

Exit codes: 0 success, 1 a run failed (the others are kept), 2 bad input or an unusable output
folder (one line on stderr, nothing written), 130 interrupted by Ctrl-C and 143 by SIGTERM
(129 SIGHUP): finished runs kept; rerun with ``--resume``.
Set ``CXSIM_DEBUG=1`` to see a traceback instead of the one-line message.

(Over 350 lines: the running commands share their option types, and the sweep's input checks
(``--vary``/``--sample`` keys, the ``--design`` table with errors naming its row and column)
raise this module's ``InputError`` and show deprecations through its ``say``; parsing itself is
in :mod:`cxsim.designs`.)
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import re
import signal
import textwrap
import threading
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, TypeVar

import pandas as pd
import typer

from . import cluster
from .cluster import ClusterError
from .designs import grid, integer_keys, parse_range, parse_sample, parse_vary, sample_points
from .job import Interrupted, Job, JobError, draw, execute, out_console, say
from .limits import DEFAULT_MAX_CUSTOMER_WEEKS, DEFAULT_MAX_RUNS, LimitError, check_runs
from .scenario import (
    Scenario,
    ScenarioError,
    apply_overrides,
    current_key,
    load_scenario,
    parse_value,
    shipped_scenarios,
)
from .schema import ScenarioDeprecation
from .store import StoreError, open_for_figures

app = typer.Typer(
    name="cxsim",
    help="Culture vs. strategy in customer experience: run, compare and sweep scenarios.",
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
)
F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_SEED = 42


class InputError(Exception):
    """Bad command-line input: reported in one line, exit code 2."""


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, handled like Ctrl-C: finished runs are kept."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.code = 128 + signum


def _terminate(signum: int, frame: Any) -> None:
    raise Terminated(signum)


def _exit_code(exc: KeyboardInterrupt) -> int:
    return exc.code if isinstance(exc, Terminated) else 130


def _one_line_errors(func: F) -> F:
    """Turn known errors into one line on stderr and an exit code; no traceback.

    SIGTERM and SIGHUP are turned into the same clean stop as Ctrl-C.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        previous = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGHUP):
                previous[sig] = signal.signal(sig, _terminate)
        try:
            return func(*args, **kwargs)
        except (ScenarioError, StoreError, InputError, JobError, ClusterError) as exc:
            if os.environ.get("CXSIM_DEBUG"):
                raise
            say(f"error: {exc}")
            raise typer.Exit(2) from None
        except Interrupted as exc:  # the job said what it saved
            raise typer.Exit(exc.code) from None
        except KeyboardInterrupt as exc:
            say("interrupted")
            raise typer.Exit(_exit_code(exc)) from None
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    return wrapper  # type: ignore[return-value]


def _show_version(value: bool) -> None:
    if value:
        from . import __version__

        out_console.print(f"cxsim {__version__}", markup=False, highlight=False)
        raise typer.Exit(0)


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="show the version and exit"
        ),
    ] = False,
) -> None:
    """Culture vs. strategy in customer experience: run, compare and sweep scenarios."""


# --------------------------------------------------------------------------- input


def _parse_sets(sets: list[str]) -> dict[str, Any]:
    out = {}
    for item in sets:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--set {item!r}: expected key.path=value")
        out[key.strip()] = parse_value(value)
    return out


@contextlib.contextmanager
def _deprecations() -> Iterator[None]:
    """Show each old scenario key as one warning line on stderr (the run goes on)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ScenarioDeprecation)
        yield
    for w in caught:
        if issubclass(w.category, ScenarioDeprecation):
            say(f"warning: {w.message}")
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _load(paths: list[Path], sets: list[str], steps: int | None) -> list[Scenario]:
    overrides = _parse_sets(sets)
    if steps is not None:
        if steps < 1:
            raise InputError(f"--steps must be >= 1, got {steps}")
        overrides["steps"] = steps
    scenarios = []
    with _deprecations():
        for path in paths:
            scenario = load_scenario(path)
            if overrides:
                try:
                    scenario = apply_overrides(scenario, overrides)
                except ScenarioError as exc:
                    raise ScenarioError(f"{path.name}: --set {exc}") from None
            scenarios.append(scenario)
    return scenarios


def _sample(
    text: str, vary: list[str], scenario: Scenario, seed: int, max_runs: int
) -> list[dict[str, Any]]:
    """The points of ``--sample KIND:N`` over the ``--vary key=lo:hi`` ranges."""
    kind, n = parse_sample(text, max_points=max_runs)
    ranges: dict[str, tuple[float, float]] = {}
    for item in vary:
        key, bounds = parse_range(item)
        with _deprecations():
            key = current_key(key, "--vary")
        if key in ranges:
            raise InputError(f"--vary {key} is given twice")
        ranges[key] = bounds
    integers = integer_keys(scenario, ranges)
    return sample_points(ranges, kind, n, seed, integers, max_points=max_runs)


def _design(path: Path, scenario: Scenario, max_runs: int) -> list[dict[str, Any]]:
    """The points of a design table, one per row; a blank cell keeps the scenario's value.

    Every row is checked against the scenario here, so that an error names the file, the row
    (1 is the first row under the header) and the column, not just a key path.
    """
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise InputError(f"{path}: no such design file") from None
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputError(f"{path}: cannot read the design table ({exc})") from None
    if table.empty or len(table.columns) == 0:
        raise InputError(f"{path}: the design table has no rows")
    try:
        check_runs(len(table), max_runs)
    except LimitError as exc:
        raise InputError(f"{path}: {exc}") from None
    with _deprecations():
        keys = {column: current_key(column.strip(), str(path)) for column in table.columns}
    points = []
    for row, cells in enumerate(table.itertuples(index=False, name=None), start=1):
        point = {
            keys[column]: parse_value(cell)
            for column, cell in zip(table.columns, cells, strict=True)
            if cell.strip()
        }
        try:
            apply_overrides(scenario, point)
        except ScenarioError as exc:
            raise InputError(_design_error(path, row, str(exc), keys)) from None
        points.append(point)
    return points


def _design_error(path: Path, row: int, message: str, keys: dict[str, str]) -> str:
    """``path: row N, column C: problem``, naming the column as the file spells it."""
    for column, key in sorted(keys.items(), key=lambda item: -len(item[1])):
        if message.startswith(f"{key}: "):
            return f"{path}: row {row}, column {column}: {message.removeprefix(f'{key}: ')}"
    return f"{path}: row {row}: {message}"


# --------------------------------------------------------------------------- execution


def _out_folder(out: str) -> Path:
    """The --out folder as the user meant it: never empty, ``~`` expanded once, here."""
    if not out.strip():
        raise InputError("--out is empty: give the folder to write results to")
    return Path(out).expanduser()


def _execute(command: str, scenarios: list[Scenario], out: str, **options: Any) -> None:
    """Build the command's job from its options and run it; exit 1 if a run failed."""
    job = Job(command=command, scenarios=scenarios, out=_out_folder(out), **options)
    if not execute(job):
        raise typer.Exit(1)


# --------------------------------------------------------------------------- commands

#: the options every running command shares, passed on to ``Job`` under the same names
_COMMON = (
    "replicates",
    "seed",
    "workers",
    "resume",
    "overwrite",
    "max_runs",
    "max_customer_weeks",
    "record",
    "scheduler",
)


def _common(arguments: dict[str, Any]) -> dict[str, Any]:
    """The shared options among a command's arguments (its ``locals()``), as ``Job`` names them."""
    return {k: arguments[k] for k in _COMMON}


ScenarioArg = Annotated[
    Path,
    typer.Argument(
        help="scenario YAML file, or a shipped scenario's name (cxsim scenarios lists them)",
        show_default=False,
    ),
]
Replicates = Annotated[int, typer.Option("--replicates", "-r", help="replicates per scenario")]
Steps = Annotated[int | None, typer.Option(help="weeks to run (default: the scenario's steps)")]
Seed = Annotated[int, typer.Option(help="root seed; replicate seeds are spawned from it")]
Workers = Annotated[
    int | None, typer.Option(help="worker processes (default: the cores that memory allows)")
]
Sets = Annotated[
    list[str] | None,
    typer.Option("--set", help="override a scenario key, e.g. firms.0.cco.authority=1"),
]
Resume = Annotated[bool, typer.Option(help="keep finished runs in --out and do only the rest")]
Overwrite = Annotated[
    bool,
    typer.Option(help="replace an unfinished job's results in --out (its finished runs are lost)"),
]
MaxRuns = Annotated[int, typer.Option(help="refuse a job of more runs than this")]
MaxCustomerWeeks = Annotated[
    float, typer.Option(help="refuse a job of more customer-weeks (customers x weeks x runs)")
]


Record = Annotated[
    str, typer.Option(help="keep the weekly table of 'every' step or only the 'final' one")
]
Scheduler = Annotated[
    str | None,
    typer.Option(
        help="run on a Dask cluster: its scheduler's address (tcp://HOST:PORT, started with"
        " 'dask scheduler'), or 'local' to start one here with --workers processes; results are"
        " the same as without"
    ),
]
OutFolder = Annotated[
    str,
    typer.Option(help="output folder: new, empty, or written by cxsim (others are refused)"),
]


@app.command()
@_one_line_errors
def run(
    scenario: ScenarioArg,
    replicates: Replicates = 10,
    steps: Steps = None,
    seed: Seed = DEFAULT_SEED,
    workers: Workers = None,
    set_: Sets = None,
    out: OutFolder = "results/run",
    record: Record = "every",
    resume: Resume = False,
    overwrite: Overwrite = False,
    max_runs: MaxRuns = DEFAULT_MAX_RUNS,
    max_customer_weeks: MaxCustomerWeeks = DEFAULT_MAX_CUSTOMER_WEEKS,
    scheduler: Scheduler = None,
) -> None:
    """Run one scenario with replicates; write tables and figures to --out.

    SCENARIO is a YAML file or, if no such file exists, the name of a scenario shipped with
    cxsim: cxsim run ceo_led runs scenarios/ceo_led.yaml (cxsim scenarios lists them).
    """
    _execute("run", _load([scenario], set_ or [], steps), out, **_common(locals()))


@app.command()
@_one_line_errors
def compare(
    scenarios: Annotated[
        list[Path],
        typer.Argument(
            help="scenario YAML files or shipped scenario names; the first is the baseline for"
            " differences"
        ),
    ],
    replicates: Replicates = 10,
    steps: Steps = None,
    seed: Seed = DEFAULT_SEED,
    workers: Workers = None,
    set_: Sets = None,
    out: OutFolder = "results/compare",
    record: Record = "every",
    resume: Resume = False,
    overwrite: Overwrite = False,
    max_runs: MaxRuns = DEFAULT_MAX_RUNS,
    max_customer_weeks: MaxCustomerWeeks = DEFAULT_MAX_CUSTOMER_WEEKS,
    scheduler: Scheduler = None,
) -> None:
    """Compare scenarios on common random numbers; differences to the first with 95% CIs."""
    if len(scenarios) < 2:
        raise InputError("compare needs two or more scenario files (for one, use cxsim run)")
    _execute("compare", _load(scenarios, set_ or [], steps), out, **_common(locals()))


@app.command()
@_one_line_errors
def sweep(
    scenario: ScenarioArg,
    vary: Annotated[
        list[str] | None,
        typer.Option(
            help="key.path=v1,v2,... or key.path=lo:hi:n (repeat for a full grid); with"
            " --sample, key.path=lo:hi"
        ),
    ] = None,
    sample: Annotated[
        str | None,
        typer.Option(
            help="sample points over the --vary lo:hi ranges: lhs:N (Latin hypercube, N"
            " points), sobol:N (N a power of 2) or morris:N (N trajectories of k+1 points for k"
            " ranges; analyse with cxsim.designs.morris_effects), seeded from --seed; int keys"
            " are rounded"
        ),
    ] = None,
    design: Annotated[
        Path | None,
        typer.Option(
            help="CSV design table: one row per point, columns are key paths; a blank cell"
            " keeps the scenario's value"
        ),
    ] = None,
    baseline: Annotated[
        str | None,
        typer.Option(
            help="key.path=value[,key.path=value]: the point every other point is compared to,"
            " replicate by replicate, in differences.csv"
        ),
    ] = None,
    replicates: Replicates = 3,
    steps: Steps = None,
    seed: Seed = DEFAULT_SEED,
    workers: Workers = None,
    set_: Sets = None,
    record: Record = "final",
    out: OutFolder = "results/sweep",
    resume: Resume = False,
    overwrite: Overwrite = False,
    max_runs: MaxRuns = DEFAULT_MAX_RUNS,
    max_customer_weeks: MaxCustomerWeeks = DEFAULT_MAX_CUSTOMER_WEEKS,
    scheduler: Scheduler = None,
) -> None:
    """Sweep levers over a grid (--vary), a sample (--sample) or a design table (--design)."""
    if bool(vary) == (design is not None):
        raise InputError("give either --vary (one or more) or --design, not both or neither")
    if sample is not None and design is not None:
        raise InputError("--sample samples the --vary lo:hi ranges; it does not go with --design")
    loaded = _load([scenario], set_ or [], steps)
    if design is not None:
        points = _design(design, loaded[0], max_runs)
    elif sample is not None:
        points = _sample(sample, vary or [], loaded[0], seed, max_runs)
    else:
        varies: dict[str, list[Any]] = {}
        for item in vary or []:
            key, values = parse_vary(item, max_points=max_runs)
            with _deprecations():
                key = current_key(key, "--vary")
            if key in varies:
                raise InputError(f"--vary {key} is given twice; give all its values in one --vary")
            varies[key] = values
        try:
            check_runs(math.prod(len(v) for v in varies.values()), max_runs)
        except LimitError as exc:
            raise InputError(str(exc)) from None
        points = grid(varies)
    options = _common(locals())
    _execute("sweep", loaded, out, points=points, baseline=baseline, **options)


@app.command()
@_one_line_errors
def validate(
    scenarios: Annotated[
        list[Path], typer.Argument(help="scenario YAML files or shipped scenario names to check")
    ],
) -> None:
    """Check scenario files without running them."""
    bad = 0
    for path in scenarios:
        try:
            with _deprecations():
                s = load_scenario(path)
        except ScenarioError as exc:
            bad += 1
            say(f"error: {exc}")
            continue
        firms = ", ".join(f.name for f in s.firms)
        out_console.print(
            f"ok {path}: {s.name}, {s.steps} weeks, firms {firms}", markup=False, highlight=False
        )
    if bad:
        raise typer.Exit(2)


# --------------------------------------------------------------------------- listings

#: the width of the listings (scenarios, parameters)
WIDTH = 100


def _print(text: str) -> None:
    out_console.print(text, markup=False, highlight=False, soft_wrap=True)


def _wrapped(text: str, indent: str) -> str:
    return textwrap.fill(
        text, WIDTH, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False
    )


def _pattern(path: Path) -> str:
    """The pattern a shipped scenario tests, from its ``# Tests: P1 ...`` comment, or ''."""
    found = re.search(r"^# Tests: (P\d+)", path.read_text(encoding="utf-8"), re.MULTILINE)
    return found.group(1) if found else ""


@app.command()
@_one_line_errors
def scenarios() -> None:
    """List the scenarios shipped with cxsim: name, the pattern it tests, description."""
    shipped = shipped_scenarios()
    rows = []
    with _deprecations():
        for name, path in shipped.items():
            rows.append((name, _pattern(path), load_scenario(path).description))
    width = max((len(name) for name in shipped), default=0) + 2
    for name, pattern, description in rows:
        head = f"{name:<{width}}{pattern:<5}"
        _print(_wrapped(description, " " * len(head)).replace(" " * len(head), head, 1))
    folder = next(iter(shipped.values())).parent if shipped else "(none found)"
    _print(f"\n{len(shipped)} scenarios in {folder}")
    _print("run one by name (cxsim run ceo_led) or copy its file to change it")


def _key_prefix(prefix: str) -> str:
    """A key prefix as the parameter list spells list items: ``firms.0.cco`` -> ``firms[].cco``."""
    return re.sub(r"\.\d+(?=\.|$)", "[]", prefix.strip())


@app.command()
@_one_line_errors
def parameters(
    prefix: Annotated[
        str,
        typer.Argument(
            help="show only the keys that start with this (e.g. market.churn), or if none does,"
            " that contain it (e.g. churn)"
        ),
    ] = "",
) -> None:
    """List the scenario keys with their defaults, ranges and meanings (as in ODD.md §7.0)."""
    from .docs import parameter_rows

    wanted = _key_prefix(prefix)
    every = parameter_rows()
    rows = [row for row in every if row[0].startswith(wanted)]
    rows = rows or [row for row in every if wanted in row[0]]
    if not rows:
        raise InputError(f"no scenario key starts with or contains {prefix!r}")
    for key, meaning, default, bounds, source in rows:
        shown = default if default else '""'
        _print(f"{key} = {shown}" + (f"  range {bounds}" if bounds else ""))
        if meaning:
            _print(_wrapped(meaning, "    "))
        _print(_wrapped(f"source: {source}", "    "))
    _print(f"\n{len(rows)} keys; list items are firms[].x in this list, firms.0.x in --set")


#: the settings of ``cxsim experiment --quick``: every experiment end to end, small and short
QUICK = {"replicates": 2, "customers": 500, "steps": 40, "warmup": 4}
#: the global sensitivity and the scenario discovery, at their default size and with --quick
SENSITIVITY = {"customers": 3000, "trajectories": 4, "sobol_n": 64}
SENSITIVITY_QUICK = {"customers": 100, "steps": 5, "warmup": 2, "trajectories": 1, "sobol_n": 2}
DISCOVERY = {"points": 200, "customers": 3000}
DISCOVERY_QUICK = {"points": 12, "customers": 100, "steps": 5, "warmup": 2}
#: the studies ``cxsim experiment`` runs besides the pattern experiments
STUDIES = ("sensitivity", "discovery")


def _run_studies(
    chosen: list[Any], studies: list[str], root: Path, quick: bool, size: dict[str, Any],
    seed: int, workers: Any, resume: bool,
) -> None:  # fmt: skip
    """The pattern experiments named, then the studies named, into ``root``; ``workers``: a
    number of local processes or a Dask cluster's executor."""
    from .discovery import run_discovery
    from .experiment import run_experiment
    from .sensitivity import run_sensitivity

    for exp in chosen:
        say(f"{exp.pattern} {exp.name}: running")
        result = run_experiment(
            exp, root / exp.name, seed=seed, workers=workers, resume=resume,
            grid_replicates=2 if quick else None, **size,
        )  # fmt: skip
        say(f"{exp.pattern} {exp.name}: {result['verdict']} ({root / exp.name})")
    if "sensitivity" in studies:
        say("sensitivity: Morris over every unsourced parameter, then Sobol")
        settings = SENSITIVITY_QUICK if quick else SENSITIVITY
        run_sensitivity(root / "sensitivity", seed=seed, workers=workers, resume=resume,
                        **settings)  # fmt: skip
        say(f"sensitivity: done ({root / 'sensitivity-sobol'})")
    if "discovery" in studies:
        say("discovery: culture-led vs program-led over the firm's levers")
        settings = DISCOVERY_QUICK if quick else DISCOVERY
        box = run_discovery(root / "discovery", seed=seed, workers=workers, resume=resume,
                            **settings)["box"]  # fmt: skip
        say(f"discovery: box of {len(box['rules'])} rules, density {box['density']:.0%} "
            f"({root / 'discovery'})")  # fmt: skip


@app.command()
@_one_line_errors
def experiment(
    name: Annotated[
        str,
        typer.Argument(
            help="a pattern experiment (p1_ceo_led, ..., or P1-P8), sensitivity, discovery, "
            "or all"
        ),
    ],
    quick: Annotated[
        bool,
        typer.Option(
            help="every experiment small and short (patterns: 2 replicates of 500 customers for "
            "40 weeks): checks that each runs end to end (for CI); its findings are not results"
        ),
    ] = False,
    replicates: Replicates = 30,
    customers: Annotated[int, typer.Option(help="customers in each pattern run's market")] = 10_000,
    seed: Seed = 2026,
    workers: Workers = None,
    scheduler: Scheduler = None,
    resume: Resume = False,
    out: Annotated[
        str, typer.Option(help="folder holding one results folder per experiment")
    ] = "experiments/results/patterns",
    findings: Annotated[
        str, typer.Option(help="the findings page written after 'all' (not with --quick)")
    ] = "docs/findings.md",
) -> None:
    """Run the pattern experiments P1-P8 (cxsim/patterns.py): each effect with its 95%
    interval at 1, 3 and 5 years, its boundary sweep and crossing, its two-lever grid, and a
    verdict; the global sensitivity of the effects (Morris, then Sobol of the headline
    outcomes); and the scenario discovery (PRIM: where culture-led beats program-led on
    profit). After 'all', write the findings page from their outputs."""
    from . import findings as findings_page
    from .patterns import EXPERIMENTS, by_name

    studies = list(STUDIES) if name == "all" else [name] if name in STUDIES else []
    try:
        chosen = list(EXPERIMENTS) if name == "all" else [] if studies else [by_name(name)]
    except KeyError as exc:
        raise JobError(str(exc.args[0]) + ", sensitivity, discovery or all") from None
    size = dict(QUICK) if quick else {"replicates": replicates, "customers": customers}
    root = _out_folder(out) / ("quick" if quick else "")
    n_workers = workers or os.cpu_count() or 1
    with cluster.executor(scheduler, n_workers) as pool:
        where = pool if pool is not None else n_workers
        _run_studies(chosen, studies, root, quick, size, seed, where, resume)
    if name == "all" and not quick:
        page = Path(findings).expanduser()
        findings_page.write(root, page.parent / "findings", page, [e.name for e in chosen])
        say(f"findings: {page}")


@app.command()
@_one_line_errors
def plot(
    folder: Annotated[Path, typer.Argument(help="a results folder written by cxsim")],
) -> None:
    """Redraw the figures of a results folder from its saved tables (never re-runs)."""
    with open_for_figures(folder.expanduser()) as store:
        written = draw(store, strict=True)
    out_console.print(f"{len(written)} figure files in {folder / 'figures'}", markup=False)


@app.command("app")
@_one_line_errors
def classroom_app(
    scenario: Annotated[
        str, typer.Argument(help="the scenario it opens with: a shipped name or a YAML file")
    ] = "ceo_led",
    port: Annotated[int, typer.Option(help="port to serve on (0: any free port)")] = 8765,
    host: Annotated[
        str,
        typer.Option(
            help="address to listen on; the default serves this machine only (0.0.0.0: the"
            " whole network)"
        ),
    ] = "127.0.0.1",
) -> None:
    """Serve the classroom app (needs the app extra: pip install -e '.[app]'): the model live
    in a browser, with sliders; open the address it prints. Ctrl-C stops it."""
    import subprocess
    import sys
    from importlib.util import find_spec

    if find_spec("solara") is None or find_spec("networkx") is None:
        raise InputError("the app needs the app extra: pip install -e '.[app]'")
    with _deprecations():
        load_scenario(scenario)  # a bad name or file is one line here, not a page error
    path = Path(scenario)
    env = {**os.environ, "CXSIM_APP_SCENARIO": str(path.resolve()) if path.is_file() else scenario}
    command = [sys.executable, "-m", "solara", "run", "cxsim.app", "--production"]
    command += ["--host", host, "--port", str(port), "--no-open", "--no-check-version"]
    say(f"serving the classroom app on http://{host}:{port} (Ctrl-C stops it)")
    raise typer.Exit(subprocess.call(command, env=env))


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
