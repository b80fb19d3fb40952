"""Throughput of the weekly step: nanoseconds per customer-step and peak memory.

Run: ``.venv/bin/python benchmarks/bench_step.py [customers ...] [--steps N] [--organization
ExSxT]``; ``--organization 100x50x200`` gives both firms the largest organization the schema
allows (about 10^6 staff each). Peak memory is the process's, so run one size at a time to read
it for that size alone.
Performance goals live here, not in timed tests. DESIGN.md §6 aims at a few hundredths of a
microsecond per customer-step (10^6 customers x 520 weeks in about 30 s, under 0.5 GiB).
"""

from __future__ import annotations

import argparse
import resource
import time

import cxsim

ORG_KEYS = ("executives", "span_of_control", "team_size")


def _organization(text: str) -> tuple[int, int, int]:
    """``"100x50x200"`` -> (executives, span_of_control, team_size)."""
    try:
        executives, span, team = (int(p) for p in text.lower().split("x"))
    except ValueError as err:
        raise argparse.ArgumentTypeError(
            f"expected ExSxT such as 100x50x200, got {text!r}"
        ) from err
    return executives, span, team


def bench(
    customers: int, steps: int, seed: int = 1, organization: tuple[int, int, int] | None = None
) -> dict[str, float]:
    """Time ``steps`` weeks of the CEO-led headline scenario at ``customers`` customers, with
    every firm's organization ``(executives, span_of_control, team_size)`` if given."""
    overrides: dict[str, int] = {"market.customers": customers, "steps": steps}
    if organization is not None:
        for f in range(2):  # the focal firm and its rival
            for key, value in zip(ORG_KEYS, organization, strict=True):
                overrides[f"firms.{f}.organization.{key}"] = value
    scenario = cxsim.apply_overrides(cxsim.load_scenario("scenarios/ceo_led.yaml"), overrides)
    start = time.perf_counter()
    model = cxsim.CXModel(scenario, rng=seed)
    built = time.perf_counter()
    model.run()
    done = time.perf_counter()
    return {
        "customers": customers,
        "steps": steps,
        "staff": model.organization.size,
        "init_s": built - start,
        "run_s": done - built,
        "ns_per_customer_step": (done - built) / (customers * steps) * 1e9,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("customers", nargs="*", type=int, default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--steps", type=int, default=52)
    parser.add_argument(
        "--organization",
        type=_organization,
        default=None,
        metavar="ExSxT",
        help="executives x span_of_control x team_size of both firms (default: the scenario's)",
    )
    args = parser.parse_args()
    print(
        f"{'customers':>10} {'staff':>8} {'steps':>6} {'init s':>7} {'run s':>7} "
        f"{'ns/cust-step':>13} {'peak MiB':>9}"
    )
    for n in args.customers:
        r = bench(n, args.steps, organization=args.organization)
        print(
            f"{r['customers']:>10} {r['staff']:>8} {r['steps']:>6} {r['init_s']:>7.2f} "
            f"{r['run_s']:>7.2f} {r['ns_per_customer_step']:>13.1f} {r['peak_rss_mib']:>9.0f}"
        )


if __name__ == "__main__":
    main()
