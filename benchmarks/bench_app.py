"""Responsiveness of the classroom app: milliseconds per step plus redraw.

Run: ``.venv/bin/python benchmarks/bench_app.py [SCENARIO] [--customers N] [--steps N]``.
It renders the app's page with ``solara.render`` (what the server renders for one browser, less
the network) and presses Step ``--steps`` times, timing each press: the model's week, then every
component redrawn (the org chart through Mesa's network-space drawing, the curves, the
satisfaction distribution, the numbers) and their PNGs encoded. Then it times each part alone.
The classroom default is a scenario's organizations (about 400 staff per firm) and 3,000
customers; the goal (issue 10) is a step plus redraw well under a second. A benchmark, not a
timed test: the numbers depend on the machine and on what else it runs.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from collections.abc import Callable
from typing import Any

import ipyvuetify as vw
import solara
from matplotlib.figure import Figure

from cxsim import app


def _ms(times: list[tuple[float, float]]) -> str:
    """Median and max wall time, and median CPU time (what the process itself spent: on a
    machine busy with other work, wall time also counts the waits for a core)."""
    wall = [w for w, _ in times]
    cpu = [c for _, c in times]
    return (
        f"median {1000 * statistics.median(wall):.0f} ms, max {1000 * max(wall):.0f} ms; "
        f"CPU median {1000 * statistics.median(cpu):.0f} ms (n={len(times)})"
    )


def _timed(call: Callable[[], Any]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    call()
    return time.perf_counter() - wall, time.process_time() - cpu


def _png(fig: Figure, **kw: Any) -> None:
    fig.savefig(io.BytesIO(), format="png", **kw)


def _org(model: app.ClassroomModel) -> None:
    fig = Figure()
    ax = fig.add_subplot()
    app._viz.draw_space(model.grid, app.portray, ax=ax, layout_alg=app._org_layout)
    app._org_decorations(ax)
    _png(fig, bbox_inches="tight")  # as Mesa's space component encodes it


def bench_page(scenario: str, customers: int, steps: int) -> list[tuple[float, float]]:
    """(wall, CPU) seconds per Step press of the rendered page (step + every redraw)."""
    app.CLASSROOM_CUSTOMERS = customers
    app.DEFAULT_SCENARIO = scenario
    _, rc = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    try:
        step = rc.find(vw.Btn, children=["Step"]).widget
        step.click()  # warm: fonts, caches
        return [_timed(step.click) for _ in range(steps)]
    finally:
        rc.close()


def bench_parts(scenario: str, customers: int, steps: int) -> dict[str, list[tuple[float, float]]]:
    """(wall, CPU) seconds per call of each part alone, on a model ``steps`` weeks into its run."""
    model = app.ClassroomModel(scenario, customers=customers)
    parts: dict[str, Callable[[], Any]] = {
        "model step": model.step,
        "org chart (Mesa network space)": lambda: _org(model),
        "curves": lambda: _png(app.curves_figure(model)),
        "satisfaction": lambda: _png(app.satisfaction_figure(model)),
        "numbers": lambda: app.now_markdown(model),
    }
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in parts}
    for _ in range(steps):
        for name, part in parts.items():
            times[name].append(_timed(part))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scenario", nargs="?", default="ceo_led")
    parser.add_argument("--customers", type=int, default=app.CLASSROOM_CUSTOMERS)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    staff = app.ClassroomModel(args.scenario, customers=args.customers).organization.size
    print(f"{args.scenario}: {staff} staff, {args.customers} customers")
    page = bench_page(args.scenario, args.customers, args.steps)
    print(f"step + redraw (page, Step pressed): {_ms(page)}")
    for name, times in bench_parts(args.scenario, args.customers, args.steps).items():
        print(f"  {name:32s} {_ms(times)}")


if __name__ == "__main__":
    main()
