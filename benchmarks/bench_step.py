"""Throughput of the weekly step: nanoseconds per customer-step and peak memory.

Run: ``.venv/bin/python benchmarks/bench_step.py [customers ...] [--steps N]``.
Performance goals live here, not in timed tests. DESIGN.md §6 aims at a few hundredths of a
microsecond per customer-step (10^6 customers x 520 weeks in about 30 s, under 0.5 GiB).
"""

from __future__ import annotations

import argparse
import resource
import time

import cxsim


def bench(customers: int, steps: int, seed: int = 1) -> dict[str, float]:
    """Time ``steps`` weeks of the CEO-led headline scenario at ``customers`` customers."""
    scenario = cxsim.apply_overrides(
        cxsim.load_scenario("scenarios/ceo_led.yaml"),
        {"market.customers": customers, "steps": steps},
    )
    start = time.perf_counter()
    model = cxsim.CXModel(scenario, rng=seed)
    built = time.perf_counter()
    model.run()
    done = time.perf_counter()
    return {
        "customers": customers,
        "steps": steps,
        "init_s": built - start,
        "run_s": done - built,
        "ns_per_customer_step": (done - built) / (customers * steps) * 1e9,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("customers", nargs="*", type=int, default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--steps", type=int, default=52)
    args = parser.parse_args()
    print(
        f"{'customers':>10} {'steps':>6} {'init s':>7} {'run s':>7} {'ns/cust-step':>13} "
        f"{'peak MiB':>9}"
    )
    for n in args.customers:
        r = bench(n, args.steps)
        print(
            f"{r['customers']:>10} {r['steps']:>6} {r['init_s']:>7.2f} {r['run_s']:>7.2f} "
            f"{r['ns_per_customer_step']:>13.1f} {r['peak_rss_mib']:>9.0f}"
        )


if __name__ == "__main__":
    main()
