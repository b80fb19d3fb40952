"""How big a job is, before it starts: runs, customer-weeks, memory per run, and the workers the
machine can hold. Small inputs must not start unbounded work (``-r 1000000000``, a
``lo:hi:100000000`` range, ``--workers 1000``); each limit has a one-line error that names it
and says how to change it.

The costs are measured, not guessed: see the constants' comments for the commands.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DEFAULT_MAX_CUSTOMER_WEEKS",
    "DEFAULT_MAX_RUNS",
    "LimitError",
    "PlanCost",
    "available_memory",
    "check_runs",
    "choose_workers",
    "plan_cost",
]

#: runs in one job (a results folder holds one sub-folder per run)
DEFAULT_MAX_RUNS = 100_000
#: customer-weeks in one job: ~14 hours of one core at SECONDS_PER_CUSTOMER_WEEK
DEFAULT_MAX_CUSTOMER_WEEKS = 1e12
#: time per customer per week: `benchmarks/bench.py` gives 20-40 ns per customer-step at 10^5
#: and 10^6 customers on the 2-core development machine, and a run's warm-up weeks (not in a
#: job's customer-weeks) add up to 40%; rounded up (small runs cost more per customer)
SECONDS_PER_CUSTOMER_WEEK = 50e-9
#: peak bytes per customer of a run, with its weekly table and spell log: invisible_war.yaml at
#: 10^6 customers x 260 weeks peaks at 533 MB RSS, 177 MB of it the imports (~360 B/customer)
BYTES_PER_CUSTOMER = 400
#: peak bytes per staff member: ~680 B measured at 2M staff (two 100x50x200 firms, 1.49 GB
#: peak RSS; ~420 B of it the Mesa agent, ~110 B the arrays), rounded up
BYTES_PER_STAFF = 1_000
#: a worker process with numpy, pandas, scipy, numba, Mesa and cxsim imported and its
#: compiled kernels loaded (peak RSS 291 MiB, ~100 MiB of it numba's LLVM)
BYTES_PER_WORKER = 300 * 2**20
#: bytes per row of the weekly table (~30 columns) kept until the run ends
BYTES_PER_ROW = 400


class LimitError(ValueError):
    """A job over a limit; ``str(err)`` is one line naming the limit and how to change it."""


@dataclass(frozen=True)
class PlanCost:
    """The size of a job: what it will take in time and memory."""

    runs: int
    customer_weeks: float
    peak_run_bytes: int

    def seconds(self, workers: int) -> float:
        """A rough wall-clock estimate on ``workers`` processes."""
        return self.customer_weeks * SECONDS_PER_CUSTOMER_WEEK / max(workers, 1)


def _staff(firm: dict[str, Any]) -> int:
    org = firm.get("organization") or {}
    e, s, t = org.get("executives", 6), org.get("span_of_control", 6), org.get("team_size", 10)
    return 1 + (firm.get("cco") is not None) + e + e * s + e * s * t


def run_bytes(scenario: dict[str, Any]) -> int:
    """Peak memory of one run of a resolved scenario (its ``model_dump(mode='json')``)."""
    customers = int(scenario["market"]["customers"])
    firms = scenario["firms"]
    staff = sum(_staff(f) for f in firms)
    rows = int(scenario["steps"]) * len(firms)
    return customers * BYTES_PER_CUSTOMER + staff * BYTES_PER_STAFF + rows * BYTES_PER_ROW


def check_runs(runs: int, max_runs: int) -> None:
    """Refuse a plan of more than ``max_runs`` runs before it is built."""
    if runs > max_runs:
        raise LimitError(
            f"the job has {runs:,} runs, over the limit of {max_runs:,} (raise it with --max-runs)"
        )


def plan_cost(scenarios: list[dict[str, Any]]) -> PlanCost:
    """The cost of running each of these resolved scenarios once."""
    weeks = sum(float(s["market"]["customers"]) * float(s["steps"]) for s in scenarios)
    peak = max((run_bytes(s) for s in scenarios), default=0)
    return PlanCost(runs=len(scenarios), customer_weeks=weeks, peak_run_bytes=peak)


def available_memory() -> int:
    """Memory available to new processes now (Linux MemAvailable; else physical memory)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 2**40  # unknown: do not refuse on a guess


def _gb(n: float) -> str:
    return f"{n / 2**30:.1f} GB"


def choose_workers(
    requested: int | None, cost: PlanCost, cores: int | None = None, memory: int | None = None
) -> int:
    """The worker count for a job: what was asked for, if the machine can hold it.

    ``None`` means as many as the cores and memory allow (at least one). A request for more
    workers than cores, or than memory holds, is refused with the largest count that fits.
    """
    cores = cores or os.cpu_count() or 1
    memory = available_memory() if memory is None else memory
    per_worker = BYTES_PER_WORKER + cost.peak_run_bytes
    if cost.peak_run_bytes > memory:
        raise LimitError(
            f"one run needs about {_gb(cost.peak_run_bytes)} of memory and"
            f" {_gb(memory)} is available; use fewer customers or a smaller organization"
        )
    fits = max(1, memory // per_worker)
    if requested is None:
        return int(max(1, min(cores, fits, cost.runs)))
    if requested < 1:
        raise LimitError(f"--workers must be >= 1, got {requested}")
    if requested > cores:
        raise LimitError(
            f"--workers {requested}: this machine has {cores} core(s); use --workers {cores}"
            " or fewer"
        )
    if requested > fits:
        raise LimitError(
            f"--workers {requested}: each worker needs about {_gb(per_worker)} and"
            f" {_gb(memory)} is available; use --workers {fits} or fewer"
        )
    return requested
