"""experiments/sensitivity.py: its design, its outcomes and its Morris analysis, without runs."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from cxsim import load_scenario
from cxsim.scenario import apply_overrides

from .conftest import ROOT, load_script


@pytest.fixture(scope="module")
def sens() -> ModuleType:
    return load_script("sensitivity")


def test_every_factor_is_a_valid_key_of_every_headline_scenario(sens: ModuleType) -> None:
    _, x = sens.design(1, seed=3)
    assert x.shape == (len(sens.FACTORS) + 1, len(sens.FACTORS))
    lows = np.array([lo for lo, _ in sens.FACTORS.values()])
    highs = np.array([hi for _, hi in sens.FACTORS.values()])
    assert ((x >= lows - 1e-12) & (x <= highs + 1e-12)).all()
    points = sens.points_of(x)
    for name in sens.SCENARIOS:
        scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
        resolved = apply_overrides(scenario, points[0])  # raises on an unknown key
        assert resolved.firms[1].organization.ceo_visibility == pytest.approx(
            points[0]["firms.1.organization.ceo_visibility"]
        )


def test_outcomes_pair_the_scenarios_of_one_point(sens: ModuleType) -> None:
    rows = []
    for p in range(2):
        for scenario, retained in [("cco_only", (0.5, 0.4)), ("ceo_led", (0.6 + p, 0.3)),
                                   ("invisible_war", (0.6, 0.45))]:  # fmt: skip
            for position, value in enumerate(retained):
                rows.append(
                    {"scenario": scenario, "point": p, "firm_position": position, "retained": value}
                )
    y = sens.outcomes(pd.DataFrame(rows), 3)
    np.testing.assert_allclose(y["p1_gap"][:2], [0.1, 1.1])
    np.testing.assert_allclose(y["p2_deficit"][:2], [-0.15, -0.15])
    assert y.loc[2, ["p1_gap", "p2_deficit"]].isna().all()  # a point with no runs


def test_morris_analysis_finds_the_factor_that_matters(sens: ModuleType) -> None:
    problem, x = sens.design(6, seed=1)
    names = problem["names"]
    i, j = names.index("market.problem_defection"), names.index("market.skill_weight")
    # the P1 gap depends on one factor only, the P2 deficit on another, twice as strongly
    y = pd.DataFrame({"p1_gap": 0.1 * x[:, i], "p2_deficit": -0.2 * x[:, j]})
    table = sens.analyse(problem, x, y, seed=1)
    for outcome, factor in [("p1_gap", names[i]), ("p2_deficit", names[j])]:
        t = table[table["outcome"] == outcome]
        assert t.iloc[0]["factor"] == factor
        assert (t.iloc[1:]["mu_star"] < 1e-12).all()
