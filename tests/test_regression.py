"""Regression pin: the full weekly table and spell log of two shipped scenarios at a fixed seed.

A restructuring must leave results identical; a change of the model's behaviour must re-pin
these files on purpose (``python -m tests.make_regression``) and say so in the CHANGELOG.
Integer columns must match exactly, floats to 1e-12 (relative): the last bits of a float sum
can depend on the CPU's vector instructions, the science does not.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import cxsim

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "regression"
#: scenario file -> overrides that keep the run small
CASES = {
    "ceo_led": {"market.customers": 2000, "steps": 104},
    "invisible_war": {"market.customers": 2000, "steps": 104},
}
SEED = 7
#: columns renamed since the pin (issue 7), old -> new: the pinned values are compared under the
#: new names, every one of them; a re-pin writes the new names and makes this map a no-op
RENAMED = {
    "culture_leaders": "commitment_leaders",
    "culture_managers": "commitment_managers",
    "culture_frontline": "commitment_frontline",
    "churn_rate": "churn_rate_weekly",
    "empowerment": "empowerment_frontline",
}


def produce(name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The weekly table and the spell log of a pinned case, as the model makes them now."""
    scenario = cxsim.load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    scenario = cxsim.apply_overrides(scenario, CASES[name])
    model = cxsim.CXModel(scenario, rng=SEED).run()
    ts = model.timeseries().reset_index(drop=True)
    ts["firm"] = ts["firm"].astype(str)
    spells = model.customer_spells().reset_index(drop=True)
    spells["firm"] = spells["firm"].astype(str)
    return ts, spells


def _same(new: pd.DataFrame, old: pd.DataFrame) -> None:
    """Every pinned column, in its order, identical; a column added since the pin (a new
    output: one entry in cxsim/outputs.py) is allowed and not compared."""
    assert [c for c in new.columns if c in old.columns] == list(old.columns)
    assert len(new) == len(old)
    for col in old.columns:
        a, b = new[col], old[col]
        if pd.api.types.is_float_dtype(b):
            pd.testing.assert_series_equal(a, b, check_exact=False, rtol=1e-12, atol=1e-15)
        else:
            assert a.astype(str).tolist() == b.astype(str).tolist(), col


@pytest.mark.parametrize("name", sorted(CASES))
def test_results_are_as_pinned(name: str) -> None:
    ts, spells = produce(name)
    _same(ts, pd.read_parquet(DATA / f"{name}.timeseries.parquet").rename(columns=RENAMED))
    _same(spells, pd.read_parquet(DATA / f"{name}.spells.parquet"))
