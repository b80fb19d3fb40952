"""The classroom app without a browser: live changes to a running model, the levers generated
from the schema, the About tab taken from the README, the org as a Mesa network space, and the
page itself rendered with ``solara.render`` and driven through its widgets."""

from __future__ import annotations

import re
from typing import Any

import ipyvuetify as vw
import numpy as np
import pandas as pd
import pytest
import solara
from typer.testing import CliRunner

import cxsim
from cxsim import app
from cxsim.cli import app as cli
from cxsim.organization import Level

from .conftest import ROOT


def _scenario(customers: int = 800, **overrides: Any) -> cxsim.Scenario:
    return cxsim.apply_overrides(
        cxsim.load_scenario("ceo_led"), {"market.customers": customers, **overrides}
    )


# --------------------------------------------------------------------------- live changes


def test_an_empty_change_leaves_the_run_as_it_was() -> None:
    whole = cxsim.CXModel(_scenario(), rng=5).run(12)
    paused = cxsim.CXModel(_scenario(), rng=5).run(6)
    paused.apply_changes({})
    paused.run(6)
    pd.testing.assert_frame_equal(whole.timeseries(), paused.timeseries())


def test_a_change_acts_from_the_next_week_on() -> None:
    key = "firms.0.leadership.ceo_commitment"
    plain = cxsim.CXModel(_scenario(), rng=5).run(12).timeseries()
    changed = cxsim.CXModel(_scenario(), rng=5).run(6)
    changed.apply_changes({key: 0.0})
    assert changed.scenario.firms[0].leadership.ceo_commitment == 0.0
    changed = changed.run(6).timeseries()
    before = plain.step <= 6
    pd.testing.assert_frame_equal(plain[before], changed[before])
    focal = (changed.firm == "Focal") & (changed.step == 12)
    assert (
        changed.loc[focal, "commitment_leaders"].item()
        < plain.loc[focal, "commitment_leaders"].item() - 0.05
    )


def test_any_seed_text_gives_a_run_and_the_same_text_the_same_run() -> None:
    assert app._seed(" 42 ") == 42
    assert app._seed("class of 2026") == app._seed("class of 2026") != app._seed("class")


def test_the_app_model_is_the_cli_run_of_the_same_scenario_and_seed() -> None:
    model = app.ClassroomModel("ceo_led", seed="7", customers=800)
    for _ in range(4):
        model.step()
    direct = cxsim.CXModel(_scenario(), rng=7).run(4)
    pd.testing.assert_frame_equal(model.timeseries(), direct.timeseries())


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"market.customers": 500}, "set when the model is built"),
        ({"firms.0.cco": None}, "shape and its CCO"),
        ({"firms.0.organization.team_size": 3}, "shape and its CCO"),
    ],
)
def test_what_a_running_model_cannot_change_is_refused(
    overrides: dict[str, Any], message: str
) -> None:
    model = cxsim.CXModel(_scenario(), rng=1).run(2)
    with pytest.raises(ValueError, match=message):
        model.apply_changes(overrides)


def test_a_firms_change_leaves_the_other_firms_seats_alone() -> None:
    # both firms of diagonal.yaml have champions: drawn one firm after the other
    scenario = cxsim.apply_overrides(cxsim.load_scenario("diagonal"), {"market.customers": 800})
    model = cxsim.CXModel(scenario, rng=3).run(2)
    org = model.organization
    second = org.firm == 1
    ties, champions = org.ties[second].toarray(), org.champion[second].copy()
    count = scenario.firms[0].champions.count
    model.apply_changes({"firms.0.champions.count": count + 5})
    before = org.champion.copy()
    model.apply_changes({"firms.0.champions.count": count + 6})
    assert np.array_equal(org.ties[second].toarray(), ties)
    assert np.array_equal(org.champion[second], champions)
    first = org.firm == 0
    assert org.champion[first].sum() == count + 6
    appointed = org.champion & ~before
    assert appointed.any()
    assert np.allclose(org.commitment[appointed], scenario.firms[0].champions.commitment)


# --------------------------------------------------------------------------- levers


def test_the_levers_come_from_the_schema() -> None:
    scenario = cxsim.load_scenario("invisible_war")
    keys = {lever.key: lever for lever in app.levers(scenario, 0)}
    ceo = keys["firms.0.leadership.ceo_commitment"]
    described = cxsim.schema.Leadership.model_fields["ceo_commitment"].description
    assert (ceo.description, ceo.low, ceo.high) == (described, 0.0, 1.0)
    assert ceo.value(scenario) == scenario.firms[0].leadership.ceo_commitment
    for name in ("authority", "ceo_backing", "reach"):
        assert f"firms.0.cco.{name}" in keys
    assert not keys["firms.0.cco"].live  # a CCO's seat is built with the organization
    assert "firms.0.copies.lag_weeks" not in keys
    copier = {lever.key: lever for lever in app.levers(scenario, 1)}
    assert copier["firms.1.copies.lag_weeks"].value(scenario) == 26
    for lever in [*keys.values(), *copier.values()]:  # every lever sets a valid scenario
        value = lever.value(scenario)
        moved = (not value) if lever.kind == "switch" else lever.high
        cxsim.apply_overrides(scenario, lever.overrides(moved))
    journey = keys["firms.0.programs.journey_mapping.intensity"]
    assert journey.overrides(0) == {"firms.0.programs.journey_mapping": None}


def test_a_live_change_is_marked_on_the_curves() -> None:
    model = app.ClassroomModel("ceo_led", customers=800)
    for _ in range(3):
        model.step()
    model.change({"firms.0.leadership.ceo_commitment": 0.2}, "Focal ceo 0.2")
    model.step()
    assert model.changes == [app.Change(3, "Focal ceo 0.2")]
    assert model.kept.overrides == {"firms.0.leadership.ceo_commitment": 0.2}
    fig = app.curves_figure(model)
    marks = [
        line
        for line in fig.axes[0].get_lines()
        if list(line.get_xdata()) == [3.5, 3.5] and line.get_linestyle() == ":"
    ]
    assert len(marks) == 1
    assert "from week 4: Focal ceo 0.2" in app.now_markdown(model)
    again = app.ClassroomModel("ceo_led", customers=800, kept=model.kept)  # Reset keeps it
    assert again.scenario.firms[0].leadership.ceo_commitment == 0.2
    other = app.ClassroomModel("cco_only", customers=800, kept=model.kept)  # not elsewhere
    assert other.scenario.firms[0].leadership.ceo_commitment != 0.2


# --------------------------------------------------------------------------- views


def test_the_org_is_a_mesa_network_space() -> None:
    model = app.ClassroomModel("ceo_led", customers=800)
    space = model.grid
    org = model.organization
    assert len(space.agents) == org.size
    for agent in model.agents_by_type[cxsim.StaffMember]:
        assert agent.cell.coordinate == agent.index
        assert agent in agent.cell.agents
    ceo = int(np.flatnonzero(org.level == Level.CEO)[0])
    execs = set(np.flatnonzero((org.level == Level.EXECUTIVE) & (org.firm == 0)).tolist())
    assert execs <= set(space.G.neighbors(ceo))
    assert all(org.level[n] != Level.FRONTLINE for n in space.G.neighbors(ceo))
    pos = app.stored_layout(space.G)
    assert pos[ceo][1] > pos[min(execs)][1]  # the CEO on top


def test_about_is_the_readmes_sections() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    about = app.about_markdown()
    for title in app.ABOUT_SECTIONS:
        body = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", readme, re.M | re.S)
        assert body is not None, title
        assert body.group(1).strip() in about
    with pytest.raises(LookupError, match="Things to try"):
        app.about_markdown(readme.replace("## Things to try", "## Something else"))


def _page_text(rc: Any) -> str:
    """The text of every Markdown on the page (the grid's items too, which ``find`` skips)."""
    found: list[str] = []

    def walk(widget: Any) -> None:
        template = getattr(widget, "template", None)
        if isinstance(template, str):
            found.append(template)
        for part in [
            *(getattr(widget, "children", None) or []),
            *(getattr(widget, "items", None) or []),
        ]:
            if not isinstance(part, str):
                walk(part)

    walk(rc.container)
    return " ".join(re.sub(r"<[^>]+>", " ", "\n".join(found)).split())


def test_the_page_steps_and_takes_a_slider_mid_run() -> None:
    _, rc = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    try:
        assert "Week 0 of 260" in _page_text(rc)
        step = rc.find(vw.Btn, children=["Step"])
        step.widget.click()
        step.widget.click()
        assert "Week 2 of 260" in _page_text(rc)
        slider = rc.find(vw.Slider, label="leadership.ceo_commitment")
        assert slider.widget.v_model == 0.9
        slider.widget.v_model = 0.1
        text = _page_text(rc)
        assert "from week 3: Focal leadership.ceo_commitment 0.1" in text
        assert "CEO commitment (0–1) 0.100 0.400" in text
        step.widget.click()
        assert "Week 3 of 260" in _page_text(rc)
        rc.find(vw.Btn, children=["Reset"]).widget.click()
        text = _page_text(rc)
        assert "Week 0 of 260" in text
        assert "CEO commitment (0–1) 0.100 0.400" in text  # kept for the new run
        assert "Live changes" not in text
    finally:
        rc.close()


def test_cli_app_refuses_an_unknown_scenario_in_one_line() -> None:
    result = CliRunner().invoke(cli, ["app", "no_such_scenario"])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1
    assert "error:" in result.output
    shown = CliRunner().invoke(cli, ["app", "--help"], env={"COLUMNS": "200"})
    assert "127.0.0.1" in shown.output


def test_the_levers_follow_the_chosen_firm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app, "DEFAULT_SCENARIO", "invisible_war")
    _, rc = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    try:
        assert not rc.find(vw.Slider, label="copies.lag_weeks").widgets  # the focal firm's
        rc.find(vw.Select, label="firm the levers act on").widget.v_model = "Rival"
        lag = rc.find(vw.Slider, label="copies.lag_weeks")
        assert lag.widget.v_model == 26
        lag.widget.v_model = 52
        assert "from week 1: Rival copies.lag_weeks 52" in _page_text(rc)
    finally:
        rc.close()
