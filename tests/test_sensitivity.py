"""cxsim.sensitivity (Morris and Sobol) and cxsim.discovery (PRIM): designs, pairing and
analyses on planted answers, without runs; one tiny end-to-end run of each."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxsim import discovery, sensitivity
from cxsim.patterns import EXPERIMENTS
from cxsim.scenario import apply_overrides, load_scenario

from .conftest import ROOT


def test_every_factor_is_a_valid_key_of_every_pattern_scenario() -> None:
    bases, terms = sensitivity._bases(EXPERIMENTS, {"market.customers": 100}, ROOT)
    assert set(terms) == {e.pattern for e in EXPERIMENTS}
    lows = {f: lo for f, (lo, _) in sensitivity.FACTORS.items()}
    for data in bases.values():
        over = {k: lows[f] for f in sensitivity.FACTORS for k in sensitivity.keys_of(f, data)}
        resolved = apply_overrides(data, over)  # raises on an unknown key or a bad value
        for firm in resolved.firms:  # an organization factor reaches every firm
            assert firm.organization.ceo_visibility == lows["organization.ceo_visibility"]
            if firm.cco is not None:
                assert firm.cco.accountability == lows["cco.accountability"]


def test_each_patterns_contrast_pairs_the_runs_of_one_point() -> None:
    terms = {"P1": [("a", "Focal", 1.0), ("b", "Focal", -1.0)], "P2": [("c", "X", 1.0),
             ("c", "Y", -1.0)]}  # fmt: skip
    rows = []
    for p in range(2):
        for name, firm, value in [("a", "Focal", 0.6 + p), ("b", "Focal", 0.5), ("c", "X", 0.3),
                                  ("c", "Y", 0.4)]:  # fmt: skip
            rows.append({"scenario": f"{name}@{p}", "firm": firm, "retained": value})
    y = sensitivity.effects_at_points(pd.DataFrame(rows), terms, 2)
    np.testing.assert_allclose(y["P1"], [0.1, 1.1])
    np.testing.assert_allclose(y["P2"], [-0.1, -0.1])
    signs = sensitivity.sign_table(y, {"P1": 1, "P2": 1})
    assert signs.set_index("pattern")["share_expected_sign"].to_dict() == {"P1": 1.0, "P2": 0.0}


def _planted(x: np.ndarray, names: list[str]) -> pd.DataFrame:
    i, j = names.index("market.problem_defection"), names.index("market.skill_weight")
    return pd.DataFrame({"P1": 0.1 * x[:, i], "P2": -0.2 * x[:, j]})


def test_morris_and_sobol_find_the_factor_that_matters() -> None:
    from SALib.sample import morris, sobol

    names = list(sensitivity.FACTORS)
    problem = sensitivity._problem(names)
    x = morris.sample(problem, 6, num_levels=4, seed=1)
    table = sensitivity.morris_table(problem, x, _planted(x, names), seed=1)
    for pattern, factor in [("P1", "market.problem_defection"), ("P2", "market.skill_weight")]:
        t = table[table["pattern"] == pattern]
        assert t.iloc[0]["factor"] == factor
        assert (t.iloc[1:]["mu_star"] < 1e-12).all()
    assert sensitivity.top_factors(table, ["P1", "P2"], 1) == [
        "market.problem_defection", "market.skill_weight"]  # fmt: skip
    few = ["market.problem_defection", "market.skill_weight", "market.visible_weight"]
    problem = sensitivity._problem(few)
    x = sobol.sample(problem, 256, calc_second_order=False, seed=2)
    s = sensitivity.sobol_table(problem, _planted(x, few), seed=2).set_index(["pattern", "factor"])
    assert s.loc[("P1", "market.problem_defection"), "S1"] == pytest.approx(1, abs=0.1)
    assert s.loc[("P1", "market.problem_defection"), "ST"] == pytest.approx(1, abs=0.1)
    assert abs(s.loc[("P1", "market.skill_weight"), "ST"]) < 0.05
    assert s.loc[("P2", "market.skill_weight"), "ST"] == pytest.approx(1, abs=0.1)


def test_the_lever_sample_gives_two_valid_arms_with_costs_in_proportion() -> None:
    x = discovery.lever_sample(16, seed=3)
    for key, (lo, hi) in discovery.LEVERS.items():
        assert x[key].between(lo, hi).all()
        assert x[key].nunique() == 16  # a Latin hypercube: every stratum once
    base = load_scenario(ROOT / "scenarios" / "ceo_led.yaml")
    arms = discovery.arms_of(x.iloc[0].to_dict())
    culture = apply_overrides(base, arms["culture"]).firms[0]
    programs = apply_overrides(base, arms["programs"]).firms[0]
    assert culture.leadership.ceo_commitment == pytest.approx(x.iloc[0, 0])
    assert culture.programs == base.firms[0].programs  # the shipped programs
    assert programs.leadership.ceo_commitment == 0.4  # the CCO-only firm's culture
    jm = programs.programs.journey_mapping
    assert jm.cost_per_week == pytest.approx(jm.intensity * 10_000)


def test_prim_finds_a_planted_box_as_rules() -> None:
    x = discovery.lever_sample(250, seed=4)
    ceo = "firms.0.leadership.ceo_commitment"
    jm = "firms.0.programs.journey_mapping.intensity"
    wins = (x[ceo] > 0.6) & (x[jm] < 0.5)
    box = discovery.find_box(x, wins.to_numpy())
    rules = {r["lever"]: r for r in box["rules"]}
    assert set(rules) == {ceo, jm}
    assert rules[ceo]["low"] == pytest.approx(0.6, abs=0.1)
    assert rules[ceo]["high"] is None
    assert rules[jm]["high"] == pytest.approx(0.5, abs=0.1)
    assert rules[jm]["low"] is None
    assert box["density"] >= 0.8
    assert box["coverage"] >= 0.9
