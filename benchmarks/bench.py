"""The scale benchmark of issue 11: cxsim against Mesa, the step's parts, sweeps and memory.

Run: ``.venv/bin/python benchmarks/bench.py [--quick] [--out benchmarks/bench.json]``.
It prints a table of the goals (figure, goal, met or not) and writes every figure as JSON.

How it measures, so that ratios mean something on a shared machine:

- one thread per process (OMP/OPENBLAS/MKL_NUM_THREADS=1, set before numpy is imported);
- every timed case lives in this one process and is timed in alternating rounds (one slice
  of each case per round, the order rotating), and each figure is the median over the rounds
  (at least 7; 3 with ``--quick``): contention from other processes hits all cases alike;
- a cxsim case is one model per size, built once (its warm-up is not timed), whose 260 weeks
  are split into consecutive slices, one per round; each slice is timed submodel by submodel
  (the organization layer, the customer submodels, the weekly reporters);
- peak memory is measured in a fresh subprocess per run (``ru_maxrss`` of that child only),
  the whole ``cxsim run`` command at 10^6 customers x 520 weeks with its spell log;
- sweep throughput runs one plan through ``runner.run_plan`` as the CLI does (1 worker: in
  this process; 2 workers: a spawned process pool), alternating 1 and 2 workers;
- flat memory: 1,000 small runs through ``run_plan`` in this process, its resident memory
  read after the first 100 and after the last.

Benchmarks are not tests: ``tests/test_bench.py`` runs ``--quick`` end to end and checks the
JSON's shape, never a timing.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy is imported, here and in every child process

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import asdict, dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

import cxsim  # noqa: E402
from cxsim import runner  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "ceo_led.yaml"

#: the submodels of ``CXModel.step`` by layer (the method names the step calls)
ORGANIZATION = ("_turnover", "_train", "_cascade", "_capabilities", "_listen_and_redesign")
CUSTOMERS = ("_interact", "_problems", "_update_customers", "_churn")
REPORTERS = ("_record",)


@dataclass(frozen=True)
class Settings:
    """The sizes of one benchmark: full, or ``--quick`` (seconds, for the test)."""

    rounds: int = 7
    sizes: tuple[int, ...] = (10_000, 100_000, 1_000_000)
    weeks: int = 260
    mesa_agents: int = 10_000
    mesa_steps: int = 3  # per round
    numpy_customers: int = 100_000
    numpy_repeats: int = 20  # per round
    big_organization: tuple[int, int, int] = (20, 20, 50)  # executives x span x team, per firm
    big_org_customers: int = 10_000
    big_org_weeks: int = 52
    full_run: tuple[int, int] = (1_000_000, 520)  # customers, weeks of the whole `cxsim run`
    memory_runs: tuple[tuple[int, int], ...] = ((100_000, 260), (1_000_000, 520))
    sweep_runs: int = 40
    sweep_run_size: tuple[int, int] = (2_000, 104)
    sweep_rounds: int = 3
    flat_runs: int = 1_000
    flat_run_size: tuple[int, int] = (200, 10)


QUICK = Settings(
    rounds=3,
    sizes=(1_000, 10_000),
    weeks=12,
    mesa_agents=1_000,
    mesa_steps=1,
    numpy_customers=10_000,
    numpy_repeats=5,
    big_organization=(5, 5, 10),
    big_org_customers=1_000,
    big_org_weeks=3,
    full_run=(5_000, 20),
    memory_runs=(),
    sweep_runs=4,
    sweep_run_size=(300, 10),
    sweep_rounds=1,
    flat_runs=60,
    flat_run_size=(100, 3),
)


# --------------------------------------------------------------------------- timed cases


def _scenario(customers: int, steps: int, organization: tuple[int, int, int] | None = None):
    overrides: dict[str, Any] = {"market.customers": customers, "steps": steps}
    if organization is not None:
        keys = ("executives", "span_of_control", "team_size")
        for f in range(2):
            for key, value in zip(keys, organization, strict=True):
                overrides[f"firms.{f}.organization.{key}"] = value
    return cxsim.apply_overrides(cxsim.load_scenario(SCENARIO), overrides)


@dataclass
class Case:
    """One timed case: ``run(k)`` does its k-th slice and returns per-part seconds."""

    name: str
    run: Callable[[int], dict[str, float]]
    samples: list[dict[str, float]] = field(default_factory=list)

    def median(self, part: str) -> float:
        return statistics.median(s[part] for s in self.samples)


class TimedModel:
    """A CXModel built once (warm-up not timed) whose weeks are run in slices, each submodel's
    wall time summed per slice by wrapping the bound methods the step calls."""

    def __init__(self, customers: int, weeks: int, slices: int, organization=None) -> None:
        self.model = cxsim.CXModel(_scenario(customers, weeks, organization), rng=1)
        self.customers = customers
        self.staff = self.model.organization.size
        self.slices = [len(a) for a in np.array_split(np.arange(weeks), slices)]
        self.parts: dict[str, float] = {}
        for name in (*ORGANIZATION, *CUSTOMERS, *REPORTERS):
            setattr(self.model, name, self._timed(name, getattr(self.model, name)))

    def _timed(self, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.parts[name] = self.parts.get(name, 0.0) + time.perf_counter() - start

        return timed

    def __call__(self, k: int) -> dict[str, float]:
        weeks = self.slices[k]
        self.parts = {}
        start = time.perf_counter()
        self.model.run(weeks)
        total = time.perf_counter() - start
        customers = {n: self.parts.get(n, 0.0) for n in CUSTOMERS}
        reporters = sum(self.parts.get(n, 0.0) for n in REPORTERS)
        # the organization layer: its submodels, strategy programs and the step's own code
        organization = total - reporters - sum(customers.values())
        out = {
            "ns_per_customer_step": total / (self.customers * weeks) * 1e9,
            "ns_per_member_step": organization / (self.staff * weeks) * 1e9,
            "seconds": total,
            f"{PART}reporters": reporters,
            f"{PART}organization": organization,
        }
        out.update({f"{PART}{n}": s for n, s in customers.items()})
        return out


#: the prefix of a part's seconds in a TimedModel sample
PART = "seconds of "


def shares(samples: list[dict[str, float]]) -> dict[str, float]:
    """Each part's share of the step, from its seconds summed over every round."""
    total = sum(s["seconds"] for s in samples)
    parts = [k for k in samples[0] if k.startswith(PART)]
    return {f"{k.removeprefix(PART)}_share": sum(s[k] for s in samples) / total for k in parts}


class Boltzmann:
    """Mesa's own BoltzmannWealth example (mesa.examples), as shipped, with n agents."""

    def __init__(self, agents: int, steps: int) -> None:
        from mesa.examples import BoltzmannWealth

        self.model = BoltzmannWealth(n=agents, seed=1)  # the example's own 10 x 10 grid
        self.agents, self.steps = agents, steps

    def __call__(self, k: int) -> dict[str, float]:
        start = time.perf_counter()
        for _ in range(self.steps):
            self.model.step()
        seconds = time.perf_counter() - start
        return {"us_per_agent_step": seconds / (self.agents * self.steps) * 1e6}


class NumpyFloor:
    """The floor of a vectorized step: 5 float attributes per customer, each adapted toward a
    target as numpy is usually written, ``x += rate * (target - x)``."""

    def __init__(self, customers: int, repeats: int) -> None:
        rng = np.random.default_rng(1)
        self.attributes = [rng.random(customers) for _ in range(5)]
        self.targets = [rng.random(customers) for _ in range(5)]
        self.customers, self.repeats = customers, repeats

    def __call__(self, k: int) -> dict[str, float]:
        start = time.perf_counter()
        for _ in range(self.repeats):
            for x, target in zip(self.attributes, self.targets, strict=True):
                x += 0.05 * (target - x)
        seconds = time.perf_counter() - start
        return {"ns_per_customer": seconds / (self.customers * self.repeats) * 1e9}


def time_cases(s: Settings, say: Callable[[str], None]) -> dict[str, Any]:
    """Every in-process case, in alternating rounds; medians of the rounds."""
    say("building the models (warm-up weeks are not timed) ...")
    cases = [Case("mesa", Boltzmann(s.mesa_agents, s.mesa_steps))]
    cases += [Case(f"cxsim_{n}", TimedModel(n, s.weeks, s.rounds)) for n in s.sizes]
    big = TimedModel(s.big_org_customers, s.big_org_weeks, s.rounds, s.big_organization)
    cases += [Case("big_organization", big)]
    cases += [Case("numpy", NumpyFloor(s.numpy_customers, s.numpy_repeats))]
    # the objects built so far (Mesa's agents among them) are left out of every later garbage
    # collection: a collection during one case would otherwise traverse every other case's
    gc.collect()
    gc.freeze()
    for k in range(s.rounds):
        say(f"round {k + 1} of {s.rounds}")
        order = cases[k % len(cases) :] + cases[: k % len(cases)]
        for case in order:
            case.samples.append(case.run(k))
    gc.unfreeze()
    out: dict[str, Any] = {}
    for case in cases:
        keys = case.samples[0].keys()
        out[case.name] = {key: case.median(key) for key in keys}
        out[case.name]["rounds"] = len(case.samples)
    for case in cases:
        if isinstance(case.run, TimedModel):
            out[case.name] = {k: v for k, v in out[case.name].items() if not k.startswith(PART)}
            out[case.name].update(shares(case.samples))
    for n, case in zip(s.sizes, cases[1 : 1 + len(s.sizes)], strict=True):
        model: TimedModel = case.run  # type: ignore[assignment]
        out[case.name].update(customers=n, staff=model.staff, weeks=s.weeks)
    out["big_organization"].update(
        customers=s.big_org_customers, staff=big.staff, weeks=s.big_org_weeks
    )
    out["mesa"].update(agents=s.mesa_agents, grid="10 x 10 (the example's own)")
    out["numpy"].update(customers=s.numpy_customers)
    return out


# --------------------------------------------------------------------------- per run, in children

_PEAK = """
import os, resource, sys, tempfile, time
for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[v] = "1"
import numpy as np
import cxsim
from cxsim import runner
from cxsim.store import ResultStore
n, weeks = int(sys.argv[1]), int(sys.argv[2])
overrides = {"market.customers": n, "steps": weeks}
sc = cxsim.apply_overrides(cxsim.load_scenario(sys.argv[3]), overrides)
spec = runner.make_plan([sc], 1, 42)[0]
start = time.perf_counter()
result = runner.run_one(spec)
assert result.status == "ok", result.error
with tempfile.TemporaryDirectory() as tmp, ResultStore(tmp, [spec]) as store:
    store.open()
    store.write(result)  # its tables on disk, the spell log labelled a batch at a time
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _child_run(customers: int, weeks: int, what: str, seconds: str, kib: str) -> dict[str, Any]:
    """A run measured in a child: its size, what ran, wall seconds and peak MiB (from the
    child's printed seconds and ``ru_maxrss`` in KiB)."""
    return {
        "customers": customers,
        "weeks": weeks,
        "what": what,
        "seconds": float(seconds),
        "peak_mib": int(kib) / 1024,
    }


def peak_of_run(customers: int, weeks: int) -> dict[str, Any]:
    """One run as a worker does it (``runner.run_one``, spell log included) and its tables
    written as the CLI writes them (no figures), in a fresh child."""
    done = subprocess.run(
        [sys.executable, "-c", _PEAK, str(customers), str(weeks), str(SCENARIO)],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, kib = done.stdout.split()
    what = "runner.run_one + ResultStore.write (the run and its tables, no figures)"
    return _child_run(customers, weeks, what, seconds, kib)


def whole_cli_run(customers: int, weeks: int) -> dict[str, Any]:
    """The whole ``cxsim run`` command (1 replicate, spell log, tables, figures) in a child:
    wall time and its peak resident memory (the child's ``ru_maxrss``)."""
    with tempfile.TemporaryDirectory() as tmp:
        code = (
            "import resource, sys, time\n"
            "from cxsim.cli import app\n"
            "start = time.perf_counter()\n"
            "try:\n"
            "    app(sys.argv[1:])\n"
            "except SystemExit as e:\n"
            "    assert not e.code, e.code\n"
            "print(time.perf_counter() - start,"
            " resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
        )
        args = ["run", str(SCENARIO), "--replicates", "1", "--workers", "1"]
        args += ["--set", f"market.customers={customers}", "--steps", str(weeks)]
        args += ["--out", str(Path(tmp) / "run")]
        done = subprocess.run(
            [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
        )
        if done.returncode:
            raise RuntimeError(f"cxsim run failed: {done.stderr[-2000:]}")
        seconds, kib = done.stderr.strip().splitlines()[-1].split()
    return _child_run(
        customers, weeks, "cxsim run (1 replicate, spell log, tables, figures)", seconds, kib
    )


# --------------------------------------------------------------------------- sweeps


def sweep_throughput(s: Settings, say: Callable[[str], None]) -> dict[str, Any]:
    """Runs per minute of one plan through ``run_plan`` with 1 and 2 workers (alternating), the
    parallel efficiency, and the harness's share: worker time not spent inside ``run_one``.

    Each figure is given twice: over the whole sweep (the pool's start-up included: spawning a
    worker imports cxsim, mesa and pandas, about 2 s) and in the steady state that a sweep of
    thousands of runs sees, from the moment every worker has returned its first run.
    """
    customers, weeks = s.sweep_run_size
    scenario = _scenario(customers, weeks)
    plan = runner.make_plan([scenario], s.sweep_runs, 7)
    keys = ("rpm", "rpm_steady", "harness", "harness_steady")
    found: dict[int, dict[str, list[float]]] = {w: {k: [] for k in keys} for w in (1, 2)}
    for k in range(s.sweep_rounds):
        for workers in (1, 2) if k % 2 == 0 else (2, 1):
            say(f"sweep: {len(plan)} runs on {workers} worker(s)")
            start = time.perf_counter()
            done, inside = [], []
            for result in runner.run_plan(plan, workers=workers):
                done.append(time.perf_counter() - start)
                inside.append(result.seconds)
            wall = done[-1]
            f = found[workers]
            f["rpm"].append(60.0 * len(plan) / wall)
            f["harness"].append(1.0 - sum(inside) / (wall * workers))
            span = wall - done[workers - 1]  # after each worker's first run
            steady = len(plan) - workers
            f["rpm_steady"].append(60.0 * steady / span)
            # the ideal: every worker busy in run_one all the time, workers / mean run seconds
            ideal = workers * steady / sum(inside[workers:])
            f["harness_steady"].append(1.0 - (steady / span) / ideal)
    med = {w: {k: statistics.median(v) for k, v in f.items()} for w, f in found.items()}
    return {
        "runs": len(plan),
        "run_size": {"customers": customers, "weeks": weeks},
        "rounds": s.sweep_rounds,
        "runs_per_minute_1": med[1]["rpm"],
        "runs_per_minute_2": med[2]["rpm"],
        "speedup_2": med[2]["rpm"] / med[1]["rpm"],
        "parallel_efficiency_2": med[2]["rpm"] / (2 * med[1]["rpm"]),
        "harness_share_1": med[1]["harness"],
        "harness_share_2": med[2]["harness"],
        "steady_runs_per_minute_1": med[1]["rpm_steady"],
        "steady_runs_per_minute_2": med[2]["rpm_steady"],
        "steady_speedup_2": med[2]["rpm_steady"] / med[1]["rpm_steady"],
        "steady_parallel_efficiency_2": med[2]["rpm_steady"] / (2 * med[1]["rpm_steady"]),
        "steady_harness_share_1": med[1]["harness_steady"],
        "steady_harness_share_2": med[2]["harness_steady"],
    }


def _rss_mib() -> float:
    """This process's resident memory now (Linux /proc; 0 elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def flat_memory(s: Settings, say: Callable[[str], None]) -> dict[str, Any]:
    """Resident memory of this process over many small runs through ``run_plan`` (in process):
    after the first tenth and after the last, each after a garbage collection."""
    customers, weeks = s.flat_run_size
    scenario = cxsim.apply_overrides(_scenario(customers, weeks), {"market.warmup_weeks": 4})
    plan = runner.make_plan([scenario], s.flat_runs, 11)
    say(f"memory: {len(plan)} small runs in this process")
    early = max(len(plan) // 10, 1)
    after_early = 0.0
    for i, result in enumerate(runner.run_plan(plan, workers=1), start=1):
        assert result.status == "ok", result.error
        if i == early:
            gc.collect()
            after_early = _rss_mib()
    gc.collect()
    last = _rss_mib()
    return {
        "runs": len(plan),
        "run_size": {"customers": customers, "weeks": weeks},
        "rss_mib_after_first": after_early,
        "first": early,
        "rss_mib_after_last": last,
        "growth_mib": last - after_early,
    }


# --------------------------------------------------------------------------- goals and table


def goals(r: dict[str, Any], s: Settings) -> list[dict[str, Any]]:
    """Each goal of issue 11 as (name, figure, goal, met)."""
    mesa_ns = r["timed"]["mesa"]["us_per_agent_step"] * 1e3
    rows: list[dict[str, Any]] = []

    def add(name: str, figure: float, goal: str, met: bool, unit: str = "") -> None:
        rows.append({"goal": name, "figure": figure, "unit": unit, "target": goal, "met": met})

    big = [n for n in s.sizes if n >= 100_000] or list(s.sizes[-1:])
    for n in big:
        t = r["timed"][f"cxsim_{n}"]
        ratio = mesa_ns / t["ns_per_customer_step"]
        add(f"Mesa / cxsim per agent-step at {n:,}", ratio, ">= 200", ratio >= 200, "x")
    mid = 100_000 if 100_000 in s.sizes else s.sizes[-1]
    t_mid = r["timed"][f"cxsim_{mid}"]
    floor = r["timed"]["numpy"]["ns_per_customer"]
    ratio = t_mid["ns_per_customer_step"] / floor
    add(f"cxsim / numpy 5-float update at {mid:,}", ratio, "<= 2.5", ratio <= 2.5, "x")
    for n in big:
        t = r["timed"][f"cxsim_{n}"]
        add(f"reporters' share of the step at {n:,}", t["reporters_share"], "<= 0.05",
            t["reporters_share"] <= 0.05)  # fmt: skip
        add(f"organization layer's share at {n:,}", t["organization_share"], "<= 0.10",
            t["organization_share"] <= 0.10)  # fmt: skip
    full = r["full_run"]
    label = f"{full['customers']:,} x {full['weeks']} weeks, whole cxsim run"
    add(f"{label}: seconds", full["seconds"], "<= 30", full["seconds"] <= 30, "s")
    add(f"{label}: peak memory", full["peak_mib"], "<= 512", full["peak_mib"] <= 512, "MiB")
    for run in r["memory"]:
        if (run["customers"], run["weeks"]) == (full["customers"], full["weeks"]):
            add(f"{label[: -len('whole cxsim run')]}the run and its tables (no figures): peak"
                " memory", run["peak_mib"], "<= 512", run["peak_mib"] <= 512, "MiB")  # fmt: skip
    if len(s.sizes) >= 2:
        a, b = s.sizes[-2], s.sizes[-1]
        ratio = (
            r["timed"][f"cxsim_{b}"]["ns_per_customer_step"]
            / r["timed"][f"cxsim_{a}"]["ns_per_customer_step"]
        )
        add(f"cost per customer-step {b:,} / {a:,}", ratio, "<= 1.25", ratio <= 1.25, "x")
    sw = r["sweep"]
    add("sweep throughput 2 workers / 1 (steady state)", sw["steady_speedup_2"], ">= 1.75",
        sw["steady_speedup_2"] >= 1.75, "x")  # fmt: skip
    add("harness share of a 2-worker sweep (steady state)", sw["steady_harness_share_2"],
        "< 0.05", sw["steady_harness_share_2"] < 0.05)  # fmt: skip
    fm = r["flat_memory"]
    add(f"parent memory growth over {fm['runs']:,} runs", fm["growth_mib"], "flat (< 20 MiB)",
        fm["growth_mib"] < 20, "MiB")  # fmt: skip
    return rows


def table(r: dict[str, Any]) -> str:
    """The printed report: measured figures, then the goals."""
    lines = ["", "measured (median of alternating rounds, one thread per process)"]
    t = r["timed"]
    lines.append(
        f"  Mesa BoltzmannWealth, {t['mesa']['agents']:,} agents: "
        f"{t['mesa']['us_per_agent_step']:.2f} us/agent-step"
    )
    lines.append(
        f"  numpy 5-float update, {t['numpy']['customers']:,}: "
        f"{t['numpy']['ns_per_customer']:.1f} ns/customer"
    )
    head = f"  {'cxsim':<18}{'staff':>8}{'ns/cust-step':>14}{'ns/member-step':>16}"
    head += f"{'reporters':>11}{'org layer':>11}{'interact':>10}{'update':>8}{'churn':>7}"
    lines.append(head)
    for name, row in t.items():
        if not name.startswith("cxsim_") and name != "big_organization":
            continue
        label = f"{row['customers']:,} x {row['weeks']}w" + (" (org)" if "big" in name else "")
        lines.append(
            f"  {label:<18}{row['staff']:>8,}{row['ns_per_customer_step']:>14.1f}"
            f"{row['ns_per_member_step']:>16.1f}{row['reporters_share']:>11.1%}"
            f"{row['organization_share']:>11.1%}{row['_interact_share']:>10.1%}"
            f"{row['_update_customers_share']:>8.1%}{row['_churn_share']:>7.1%}"
        )
    for m in [*r["memory"], r["full_run"]]:
        lines.append(
            f"  {m['what']}, {m['customers']:,} x {m['weeks']} weeks: {m['seconds']:.1f} s, "
            f"peak {m['peak_mib']:.0f} MiB"
        )
    sw = r["sweep"]
    lines.append(
        f"  sweep of {sw['runs']} runs ({sw['run_size']['customers']:,} customers x "
        f"{sw['run_size']['weeks']} weeks), runs/min on 1 and 2 workers:"
    )
    for label, pre in (("whole sweep, pool start-up included", ""), ("steady state", "steady_")):
        lines.append(
            f"    {label}: {sw[pre + 'runs_per_minute_1']:.0f} and "
            f"{sw[pre + 'runs_per_minute_2']:.0f} (efficiency "
            f"{sw[pre + 'parallel_efficiency_2']:.0%}, harness {sw[pre + 'harness_share_1']:.1%}"
            f" and {sw[pre + 'harness_share_2']:.1%})"
        )
    fm = r["flat_memory"]
    lines.append(
        f"  parent memory over {fm['runs']:,} runs: {fm['rss_mib_after_first']:.0f} MiB after "
        f"{fm['first']}, {fm['rss_mib_after_last']:.0f} MiB after all"
    )
    lines += ["", f"  {'goal':<58}{'figure':>12}  {'target':<16}met"]
    for g in r["goals"]:
        figure = f"{g['figure']:.3g} {g['unit']}".strip()
        lines.append(
            f"  {g['goal']:<58}{figure:>12}  {g['target']:<16}{'yes' if g['met'] else 'NO'}"
        )
    return "\n".join(lines)


def markdown(r: dict[str, Any]) -> str:
    """The goals as the README's table (a test checks the README shows the committed JSON)."""
    rows = ["| goal (issue 11) | target | measured | met |", "|---|---|---|---|"]
    for g in r["goals"]:
        figure = f"{g['figure']:.3g} {g['unit']}".strip()
        target = g["target"].replace("<=", "≤").replace(">=", "≥")
        rows.append(f"| {g['goal']} | {target} | {figure} | {'yes' if g['met'] else 'no'} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Measure, print the table, write the JSON; return the results."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, seconds: for the test")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "bench.json")
    args = parser.parse_args(argv)
    s = QUICK if args.quick else Settings()

    def say(text: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)

    results: dict[str, Any] = {
        "quick": args.quick,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "cxsim": cxsim.__version__,
            "cpus": os.cpu_count(),
            "load_average_at_start": os.getloadavg(),
        },
        "settings": asdict(s),
    }
    # the children first: nothing of this process's models is resident yet
    say(f"whole cxsim run at {s.full_run[0]:,} x {s.full_run[1]} weeks in a child ...")
    results["full_run"] = whole_cli_run(*s.full_run)
    results["memory"] = [peak_of_run(n, w) for n, w in s.memory_runs]
    results["flat_memory"] = flat_memory(s, say)
    results["sweep"] = sweep_throughput(s, say)
    results["timed"] = time_cases(s, say)
    results["machine"]["load_average_at_end"] = os.getloadavg()
    results["goals"] = goals(results, s)
    print(table(results))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten: {args.out}")
    return results


if __name__ == "__main__":
    main()
