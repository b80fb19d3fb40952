"""P1 and P2 emerge from the mechanisms with the shipped scenarios, and stop where they should.

These tests check outcomes the code never states: they fail if a change to a mechanism removes
the pattern or its boundary. Smaller markets and fewer replicates than experiments/p1_p2.sh.
"""

from __future__ import annotations

import numpy as np
import pytest

import cxsim
from cxsim.runner import make_plan, run_one

from .conftest import ROOT

pytestmark = pytest.mark.slow
REPLICATES = 6


def _metrics(name: str, **overrides) -> dict[str, np.ndarray]:
    scenario = cxsim.load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    scenario = cxsim.apply_overrides(scenario, {"market.customers": 6000, **overrides})
    plan = make_plan([scenario], REPLICATES, root_seed=2026, spells=False)
    rows = [run_one(spec).metrics for spec in plan]
    return {
        metric: np.array(
            [[r.loc[r.firm_position == p, metric].item() for p in (0, 1)] for r in rows]
        )
        for metric in ["retained", "commitment_frontline", "visible_quality", "market_share"]
    }


def test_p1_ceo_led_retains_more_and_a_backed_cco_closes_the_gap() -> None:
    cco, ceo, backed = _metrics("cco_only"), _metrics("ceo_led"), _metrics("cco_backed")
    gap = ceo["retained"][:, 0] - cco["retained"][:, 0]  # paired by replicate seed
    assert (gap > 0).all()
    assert (ceo["commitment_frontline"][:, 0] > cco["commitment_frontline"][:, 0] + 0.1).all()
    closed = backed["retained"][:, 0] - cco["retained"][:, 0]
    assert closed.mean() > 0.8 * gap.mean()


def test_p2_copier_matches_visible_quality_but_loses_retention() -> None:
    war = _metrics("invisible_war")
    focal, copier = war["visible_quality"][:, 0], war["visible_quality"][:, 1]
    assert np.abs(focal - copier).max() < 0.03
    assert (war["retained"][:, 1] < war["retained"][:, 0] - 0.05).all()


def test_p2_boundary_copying_works_when_only_the_visible_counts() -> None:
    war = _metrics("invisible_war", **{"market.visible_weight": 1.0, "firms.1.copies.lag_weeks": 0})
    diff = war["retained"][:, 1] - war["retained"][:, 0]
    assert abs(diff.mean()) < 3 * diff.std(ddof=1) / np.sqrt(len(diff)) + 0.005
