"""Loading scenarios: defaults, YAML 1.2, overrides, and one clear line for every bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

import cxsim
from cxsim import ScenarioError, apply_overrides, load_scenario

from .conftest import ROOT, small_scenario, write_yaml

SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))


def test_scenarios_are_shipped() -> None:
    names = {p.stem for p in SHIPPED}
    required = {
        "cco_only",
        "ceo_led",
        "invisible_war",
        "service_only",
        "foundational",
        "transformational",
        "boardroom",
        "diagonal",
        "eras",
    }
    assert required <= names


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_scenario_loads_runs_and_explains_itself(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    header = text.split("\nname:", 1)[0]
    for word in ("Represents:", "Tests:", "Look at:"):
        assert word in header, f"{path.name} header lacks {word!r}"
    scenario = load_scenario(path)
    small = apply_overrides(scenario, {"market.customers": 500, "steps": 8})
    ts = cxsim.CXModel(small, rng=1).run().timeseries()
    assert len(ts) == 8 * len(scenario.firms)


def test_headline_files_share_market_and_rival() -> None:
    files = ["cco_only", "ceo_led", "invisible_war"]
    loaded = {f: load_scenario(ROOT / "scenarios" / f"{f}.yaml") for f in files}
    markets = {f: s.market for f, s in loaded.items()}
    assert markets["cco_only"] == markets["ceo_led"] == markets["invisible_war"]
    rival = loaded["cco_only"].firms[1]
    assert loaded["ceo_led"].firms[1] == rival
    copier = loaded["invisible_war"].firms[1]
    assert copier.copies is not None
    assert copier.copies.firm == loaded["invisible_war"].firms[0].name
    assert copier.model_copy(update={"copies": None}) == rival
    assert loaded["invisible_war"].firms[0] == loaded["ceo_led"].firms[0]


def test_defaults_from_a_dict() -> None:
    s = load_scenario({"firms": [{"name": "A"}, {"name": "B"}]})
    assert s.steps == 260
    assert s.market.customers == 20_000
    assert s.firms[0].cco is None
    assert load_scenario(s) is s


def test_yaml_1_2_semantics(tmp_path: Path) -> None:
    path = tmp_path / "y.yaml"
    path.write_text(
        "market:\n  customers: 1e3\n  quality_noise: 1e-2\nfirms:\n  - name: no\n  - name: yes\n"
    )
    s = load_scenario(path)
    assert s.market.quality_noise == pytest.approx(0.01)
    assert [f.name for f in s.firms] == ["no", "yes"]


def _error(tmp_path: Path, text: str, name: str = "bad.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    message = str(err.value)
    assert "\n" not in message
    assert "Traceback" not in message
    return message


BASE = """\
name: t
firms:
  - name: A
    leadership:
      ceo_commitment: {value}
  - name: B
"""


def test_out_of_bounds_names_file_line_and_key(tmp_path: Path) -> None:
    msg = _error(tmp_path, BASE.format(value=1.5), "ceo_led.yaml")
    assert msg == "ceo_led.yaml:5: firms.0.leadership.ceo_commitment: must be <= 1, got 1.5"


def test_wrong_type(tmp_path: Path) -> None:
    msg = _error(tmp_path, BASE.format(value="high"))
    assert msg.startswith("bad.yaml:5: firms.0.leadership.ceo_commitment: must be a number")


def test_unknown_key_suggests(tmp_path: Path) -> None:
    msg = _error(tmp_path, "firms:\n  - name: A\n    empowerement: 0.5\n  - name: B\n")
    assert msg == "bad.yaml:3: firms.0.empowerement: unknown key (did you mean 'empowerment'?)"


def test_missing_required_key(tmp_path: Path) -> None:
    msg = _error(tmp_path, "firms:\n  - name: A\n  - initial_share: 2\n")
    assert "firms.1.name: required key is missing" in msg


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("firms:\n  - name: A\n", "needs at least 2"),
        ("firms:\n  - name: A\n  - name: A\n", "firm names must be unique"),
        ("firms:\n  - name: A\n  - name: B\n    copies: {firm: Z}\n", "no firm named 'Z'"),
        ("firms:\n  - name: A\n  - name: B\n    copies: {firm: B}\n", "cannot copy itself"),
        (
            "market:\n  eras: [{start_week: 50}, {start_week: 10}]\n"
            "firms: [{name: A}, {name: B}]\n",
            "eras must be listed in order",
        ),
        ("firms: [{name: A}, {name: B}]\nmarket:\n  brand_weight: 0.9\n", "must be <= 1"),
        ("firms: [{name: A}, {name: B}\n", "not valid YAML"),
        ("- 1\n- 2\n", "must be a mapping"),
        ("firms: [{name: A}, {name: B}]\nfirms: []\n", "not valid YAML"),
        ("market: 3\nfirms: [{name: A}, {name: B}]\n", "market: must be a mapping"),
    ],
)
def test_each_kind_of_bad_scenario(tmp_path: Path, text: str, fragment: str) -> None:
    assert fragment in _error(tmp_path, text)


def test_empty_and_missing_files(tmp_path: Path) -> None:
    assert "empty" in _error(tmp_path, "")
    with pytest.raises(ScenarioError, match="no such scenario file"):
        load_scenario(tmp_path / "nope.yaml")


def test_apply_overrides() -> None:
    base = load_scenario(small_scenario())
    s = apply_overrides(base, {"firms.0.leadership.ceo_commitment": 0.3, "steps": 10})
    assert s.firms[0].leadership.ceo_commitment == 0.3
    assert s.steps == 10
    assert base.steps == 30  # the original is untouched
    made = apply_overrides(base, {"firms.1.cco.authority": 1.0})
    assert made.firms[1].cco is not None
    assert made.firms[1].cco.authority == 1.0
    assert made.firms[1].cco.reach == cxsim.scenario.CCO().reach
    with pytest.raises(ScenarioError, match=r"firms\.0\.leadership\.ceo_comitment: unknown key"):
        apply_overrides(base, {"firms.0.leadership.ceo_comitment": 0.3})
    with pytest.raises(ScenarioError, match="must be <= 1"):
        apply_overrides(base, {"market.visible_weight": 3})
    with pytest.raises(ScenarioError, match="no item '7'"):
        apply_overrides(base, {"firms.7.empowerment": 0.3})
    with pytest.raises(ScenarioError, match="not a key path"):
        apply_overrides(base, {"market..customers": 3})


def test_dict_source_is_not_mutated(tmp_path: Path) -> None:
    data = small_scenario()
    before = repr(data)
    load_scenario(data)
    assert repr(data) == before
    assert load_scenario(write_yaml(tmp_path / "s.yaml", data)) == load_scenario(data)
