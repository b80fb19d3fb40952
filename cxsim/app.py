"""The classroom: a live SolaraViz app of the model, with the main levers as sliders.

Serve it with ``cxsim app [SCENARIO] [--port N] [--host H]`` (bound to 127.0.0.1 unless told
otherwise) or ``solara run cxsim/app.py``. It shows the organizations as a Mesa network space
(each member coloured by commitment and shaped by level), the customers' satisfaction by firm,
and live curves of churn, market share, NPS, culture by level and visible vs invisible quality.

The levers are generated from the scenario schema (``cxsim.schema``), labelled with their key
and description. Moving one during a run changes the running model from the next week
(``CXModel.apply_changes``) and the curves mark the week; Reset starts a new run of the chosen
scenario with the levers where they are. The About tab is the README's sections "What is it?",
"How it works", "Things to notice" and "Things to try" (:func:`about_markdown`), so the two
cannot drift apart.

Needs the ``app`` extra (``pip install -e '.[app]'``): Mesa's visualization, Solara with its
front-end assets (so it works without internet) and networkx.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import re
import threading
import typing
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import solara
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator
from pydantic import BaseModel
from solara.components.applayout import sidebar_portal

# absolute imports: ``solara run cxsim/app.py`` runs this file as a script
from cxsim.model import CXModel
from cxsim.network import network_space, stored_layout
from cxsim.organization import Level, StaffMember
from cxsim.scenario import apply_overrides, load_scenario, shipped_scenarios
from cxsim.schema import Scenario


def _mesa_visualization() -> Any:
    """Import Mesa's visualization without Solara's rules-of-hooks lint of Mesa's own code:
    Mesa 3.3's ``ComponentsView`` trips it (a warning at import, about code we do not own);
    our components are checked as usual."""
    before = solara.settings.main.check_hooks
    solara.settings.main.check_hooks = "off"
    try:
        return importlib.import_module("mesa.visualization")
    finally:
        solara.settings.main.check_hooks = before


_viz = _mesa_visualization()
SolaraViz = _viz.SolaraViz
make_space_component = _viz.make_space_component
AgentPortrayalStyle = _viz.components.AgentPortrayalStyle
force_update = _viz.utils.force_update

__all__ = [
    "ABOUT_SECTIONS",
    "Change",
    "ClassroomModel",
    "Kept",
    "Lever",
    "Page",
    "about_markdown",
    "curves_figure",
    "levers",
    "now_markdown",
    "satisfaction_figure",
]

#: the scenario the app opens with (``cxsim app SCENARIO`` sets it through this variable)
DEFAULT_SCENARIO = os.environ.get("CXSIM_APP_SCENARIO", "ceo_led")
#: the classroom default: the scenario's organizations (a few hundred staff each) and a market
#: of a few thousand customers, so that a step and its redraw take well under a second
CLASSROOM_CUSTOMERS = 3000
DEFAULT_SEED = 42

# --------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class Change:
    """A live change: made after week ``week``, so in force from week ``week + 1``."""

    week: int
    label: str


@dataclass
class Kept:
    """The levers moved in this browser session, kept for the next Reset of the same scenario
    (choosing another scenario drops them)."""

    scenario: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)

    def for_scenario(self, name: str) -> dict[str, Any]:
        """The overrides to build ``name`` with (none if it is not the scenario they were for)."""
        if name != self.scenario:
            self.scenario, self.overrides = name, {}
        return dict(self.overrides)

    def update(self, name: str, overrides: dict[str, Any]) -> None:
        """Remember ``overrides`` for scenario ``name``; a block set replaces its own keys."""
        if name != self.scenario:
            self.scenario, self.overrides = name, {}
        for key, value in overrides.items():
            for old in [k for k in self.overrides if k.startswith(key + ".")]:
                del self.overrides[old]
            self.overrides.pop(key, None)
            self.overrides[key] = value


def _seed(seed: int | str) -> int:
    """The seed field as a number: digits as they are, any other text hashed (so a typo in
    class never stops the page, and the same text still gives the same run)."""
    text = str(seed).strip()
    if re.fullmatch(r"\d{1,18}", text):
        return int(text)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")


class ClassroomModel(CXModel):
    """A ``CXModel`` built from a scenario's name and the app's fields, its staff placed on a
    Mesa network space (``grid``), that stops at the scenario's last week and takes live
    changes between weeks (:meth:`change`, thread-safe against a playing run)."""

    def __init__(
        self,
        scenario: str = DEFAULT_SCENARIO,
        seed: int | str = DEFAULT_SEED,
        customers: int = CLASSROOM_CUSTOMERS,
        kept: Kept | None = None,
    ) -> None:
        self.kept = kept if kept is not None else Kept()
        built = apply_overrides(
            load_scenario(scenario),
            {"market.customers": int(customers), **self.kept.for_scenario(scenario)},
        )
        self.seed = _seed(seed)
        super().__init__(built, rng=self.seed)
        self.scenario_name = scenario
        self.grid = network_space(self)
        self.changes: list[Change] = []
        self._lock = threading.Lock()
        self.running = self.steps < self.scenario.steps

    def step(self) -> None:
        """One week, never while a change is being applied; stops after the last week."""
        with self._lock:
            super().step()
        self.running = self.steps < self.scenario.steps

    def change(self, overrides: dict[str, Any], label: str, live: bool = True) -> None:
        """Apply ``overrides`` from the next week (``live``) and mark the week; keep them for
        the next Reset either way."""
        if live:
            with self._lock:
                self.apply_changes(overrides)
                self.changes.append(Change(self.steps, label))
        self.kept.update(self.scenario_name, overrides)


# --------------------------------------------------------------------------- the levers


def _schema_field(path: str) -> Any:
    """The pydantic field of a key path below ``Scenario`` (list items as ``0``)."""
    cls: Any = Scenario
    info = None
    for key in path.split("."):
        if key.isdigit():
            continue
        info = cls.model_fields[key]
        inner = [info.annotation]
        while inner:
            t = inner.pop()
            if isinstance(t, type) and issubclass(t, BaseModel):
                cls = t
                break
            inner.extend(typing.get_args(t))
    return info


def _bounds(info: Any) -> tuple[float | None, float | None]:
    low = high = None
    for meta in [
        *info.metadata,
        *(m for a in typing.get_args(info.annotation) for m in getattr(a, "__metadata__", ())),
    ]:
        for item in getattr(meta, "metadata", [meta]):
            low = getattr(item, "ge", getattr(item, "gt", low))
            high = getattr(item, "le", high)
    return low, high


@dataclass(frozen=True)
class Lever:
    """One slider or switch: a scenario key, its description from the schema, its range."""

    key: str  # full key path, e.g. firms.0.leadership.ceo_commitment
    kind: str  # "float", "int" or "switch"
    description: str
    low: float = 0.0
    high: float = 1.0
    step: float = 0.01
    live: bool = True  # False: takes effect on Reset
    off: str | None = None  # the block a slider at 0 removes (a program at intensity 0)
    on: Any = None  # what a switch turned on sets: {} is the block with its defaults

    @property
    def name(self) -> str:
        """The key below the firm (or the market): what the slider is labelled with."""
        return re.sub(r"^firms\.\d+\.", "", self.key)

    def value(self, scenario: Scenario) -> Any:
        """The lever's value in ``scenario``: a switch is on when its block exists; a program
        that is not run has intensity 0."""
        node: Any = scenario
        for key in self.key.split("."):
            if node is None:
                break
            node = node[int(key)] if key.isdigit() else getattr(node, key)
        if self.kind == "switch":
            return node is not None
        return 0 if node is None else node

    def overrides(self, value: Any) -> dict[str, Any]:
        """The key-path overrides that set the lever to ``value``."""
        if self.kind == "switch":
            return {self.key: self.on if value else None}
        if self.off is not None and value == 0:
            return {self.off: None}
        return {self.key: int(value) if self.kind == "int" else float(value)}


def _lever(key: str, kind: str = "float", **kw: Any) -> Lever:
    info = _schema_field(key)
    text = info.description or ""
    if kind != "switch":
        low, high = _bounds(info)
        kw.setdefault("low", low if low is not None else 0.0)
        kw.setdefault("high", high if high is not None else 1.0)
    return Lever(key, kind, text, **kw)


def levers(scenario: Scenario, firm: int) -> list[Lever]:
    """The levers of firm ``firm`` in ``scenario``, generated from the schema: leadership,
    CCO, programs, policies, champions, brand promise, a copier's lag; and the market's
    visible weight. Blocks the firm lacks show only their switch."""
    f = scenario.firms[firm]
    at = f"firms.{firm}."
    out = [_lever(at + "leadership.ceo_commitment")]
    out.append(_lever(at + "cco", "switch", live=False, on={}))
    if f.cco is not None:
        out += [_lever(at + f"cco.{k}") for k in ("authority", "ceo_backing", "reach")]
    for name in type(f.programs).model_fields:
        program = _schema_field(at + f"programs.{name}")
        lever = _lever(at + f"programs.{name}.intensity", off=at + f"programs.{name}")
        text = f"{name.replace('_', ' ')}: {program.description}; intensity 0 = not run"
        out.append(replace(lever, description=text))
    out.append(_lever(at + "empowerment_policy"))
    out.append(_lever(at + "voice_of_customer"))
    out.append(_lever(at + "champions", "switch", on={}))
    if f.champions is not None:
        ch = f.champions
        top = max(ch.count * ch.project_cost_per_week, ch.budget_per_week, 1.0)
        out.append(
            _lever(at + "champions.budget_per_week", high=top, step=ch.project_cost_per_week)
        )
    out.append(_lever(at + "brand_promise", "switch", on=0.8))
    if f.brand_promise is not None:
        out.append(_lever(at + "brand_promise"))
    if f.copies is not None and f.copies.lag_weeks > 0:
        out.append(_lever(at + "copies.lag_weeks", "int", low=1, high=156, step=1))
    out.append(_lever("market.visible_weight"))
    return out


# --------------------------------------------------------------------------- the views

_LEVEL_STYLE = {  # marker, size
    Level.CEO: ("*", 520),
    Level.CCO: ("D", 130),
    Level.EXECUTIVE: ("s", 70),
    Level.MANAGER: ("^", 28),
    Level.FRONTLINE: ("o", 9),
}
_COMMITMENT = mpl.colormaps["RdYlGn"]
_FIRM_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
_labels = threading.local()


def portray(agent: StaffMember) -> AgentPortrayalStyle:
    """A staff member: coloured by commitment (red 0 to green 1), shaped by level."""
    marker, size = _LEVEL_STYLE[agent.level]
    return AgentPortrayalStyle(
        color=_COMMITMENT(agent.commitment),
        marker=marker,
        size=size,
        zorder=1,  # one z-order for all: Mesa 3.3's _scatter masks by z-order wrongly otherwise
        linewidths=0.0,
    )


def _org_layout(graph: Any, **_: Any) -> dict[int, tuple[float, float]]:
    _labels.firms = graph.graph.get("firms", [])
    return stored_layout(graph)


def _org_decorations(ax: Any) -> None:
    """Faint ties, firm names, the level legend and the commitment colour bar."""
    for ties in ax.collections:
        if isinstance(ties, LineCollection):
            ties.set(color="#9a9a9a", linewidth=0.3, linestyle="-", alpha=0.6)
    for name, x in getattr(_labels, "firms", []):
        ax.text(x, 3.55, name, ha="center", va="bottom", fontsize=10, weight="bold")
    handles = [
        Line2D([], [], marker=m, linestyle="", color="grey", label=lvl.name.lower())
        for lvl, (m, _) in _LEVEL_STYLE.items()
    ]
    ax.legend(handles=handles, loc="upper left", fontsize=7, frameon=False)
    mappable = mpl.cm.ScalarMappable(mpl.colors.Normalize(0, 1), _COMMITMENT)
    bar = ax.figure.colorbar(mappable, ax=ax, fraction=0.03, pad=0.01)
    bar.set_label("customer-first commitment (0–1)")
    ax.set_title("The organizations: who listens to whom", pad=22)


OrgChart = make_space_component(
    agent_portrayal=portray,
    post_process=_org_decorations,
    layout_alg=_org_layout,
)


def _series(model: CXModel, column: str, firm: str) -> np.ndarray:
    return np.asarray(model.datacollector.model_vars[f"{column}@{firm}"], dtype=float)


def _marks(ax: Any, model: ClassroomModel) -> None:
    """A dotted line between the week before a live change and the week it acts."""
    for change in getattr(model, "changes", []):
        ax.axvline(change.week + 0.5, color="black", linestyle=":", linewidth=1)


def _rolling(x: np.ndarray, weeks: int = 4) -> np.ndarray:
    """Trailing mean over ``weeks`` (fewer at the start), NaN where ``x`` is."""
    ok = ~np.isnan(x)
    sums = np.cumsum(np.where(ok, x, 0.0))
    counts = np.cumsum(ok)
    lag = np.concatenate([np.zeros(weeks), sums[:-weeks]]) if len(x) > weeks else np.zeros(len(x))
    lag_n = np.concatenate([np.zeros(weeks), counts[:-weeks]]) if len(x) > weeks else lag * 0
    n = counts - lag_n
    out = np.divide(sums - lag, n, out=np.full(len(x), np.nan), where=n > 0)
    out[~ok] = np.nan
    return out


def curves_figure(model: ClassroomModel) -> Figure:
    """The live curves, one colour per firm: churn, market share, NPS, culture by level and
    visible vs invisible quality, each with its unit; dotted lines mark the live changes."""
    fig = Figure(figsize=(7.5, 5), dpi=100)  # fixed margins: a constrained layout costs a redraw
    fig.subplots_adjust(left=0.08, right=0.99, bottom=0.09, top=0.94, wspace=0.38, hspace=0.42)
    axes = fig.subplots(2, 3).ravel()
    week = np.arange(model.steps + 1)
    panels = [  # column, scale, title, unit
        ("churn_rate_weekly", 100, "weekly churn (4-week mean)", "% of customers per week"),
        ("market_share", 100, "market share", "% of customers"),
        ("nps", 1, "NPS", "% promoters − % detractors"),
    ]
    for f, firm in enumerate(model.firm_names):
        colour = _FIRM_COLOURS[f % len(_FIRM_COLOURS)]
        for ax, (column, scale, _, _) in zip(axes, panels, strict=False):
            y = _series(model, column, firm) * scale
            ax.plot(
                week, _rolling(y) if column == "churn_rate_weekly" else y, color=colour, label=firm
            )
        for column, style in (
            ("commitment_leaders", "-"),
            ("commitment_managers", "--"),
            ("commitment_frontline", ":"),
        ):
            axes[3].plot(week, _series(model, column, firm), color=colour, linestyle=style)
        for column, style in (("visible_quality", "-"), ("invisible_quality", "--")):
            axes[4].plot(week, _series(model, column, firm), color=colour, linestyle=style)
    titles = [(t, u) for _, _, t, u in panels]
    titles += [("culture by level", "commitment (0–1)"), ("visible vs invisible", "quality (0–1)")]
    for ax, (title, unit) in zip(axes, titles, strict=False):
        ax.set_title(title, fontsize=9)
        ax.set_ylabel(unit, fontsize=7)
        ax.set_xlabel("week", fontsize=7)
        ax.tick_params(labelsize=6)
        ax.xaxis.set_major_locator(MaxNLocator(4))  # fewer ticks: tick labels are most of a draw
        ax.yaxis.set_major_locator(MaxNLocator(4))
        ax.set_xlim(0, max(model.steps, 10))
        _marks(ax, model)
    key = axes[5]
    key.axis("off")
    handles = [
        Line2D([], [], color=_FIRM_COLOURS[f % len(_FIRM_COLOURS)], label=name)
        for f, name in enumerate(model.firm_names)
    ]
    handles += [
        Line2D([], [], color="grey", linestyle=s, label=t)
        for s, t in (("-", "leaders / visible"), ("--", "managers / invisible"), (":", "frontline"))
    ]
    handles.append(Line2D([], [], color="black", linestyle=":", label="a live change"))
    key.legend(handles=handles, loc="center", fontsize=7, frameon=False)
    return fig


def satisfaction_figure(model: CXModel) -> Figure:
    """Each firm's customers by satisfaction now: the share of them in each tenth of 0–1."""
    fig = Figure(figsize=(5, 3.4), dpi=80)
    fig.subplots_adjust(left=0.13, right=0.98, bottom=0.15, top=0.9)
    ax = fig.subplots()
    c = model.customers
    bins = np.linspace(0, 1, 21)
    for f, firm in enumerate(model.firm_names):
        mine = c.satisfaction[c.firm == f]
        if mine.size:
            share, _ = np.histogram(mine, bins)
            ax.stairs(
                100 * share / mine.size, bins, color=_FIRM_COLOURS[f % 6], label=firm, linewidth=1.5
            )
    ax.set_xlabel("satisfaction (0–1)")
    ax.set_ylabel("customers (% of the firm's)")
    ax.set_title(f"customers' satisfaction by firm, week {model.steps}", fontsize=10)
    ax.legend(fontsize=8)
    return fig


def now_markdown(model: ClassroomModel) -> str:
    """A table of the state now, per firm: the numbers the curves show, readable from afar."""
    rows = [
        ("CEO commitment (0–1)", lambda f, firm: model.scenario.firms[f].leadership.ceo_commitment),
        ("customers", lambda f, firm: _series(model, "customers", firm)[-1]),
        (
            "weekly churn, 4-week mean (%)",
            lambda f, firm: _rolling(100 * _series(model, "churn_rate_weekly", firm))[-1],
        ),
        ("NPS", lambda f, firm: _series(model, "nps", firm)[-1]),
        *[
            (
                f"{lvl} commitment (0–1)",
                lambda f, firm, c=f"commitment_{lvl}": _series(model, c, firm)[-1],
            )
            for lvl in ("leaders", "managers", "frontline")
        ],
        ("visible quality (0–1)", lambda f, firm: _series(model, "visible_quality", firm)[-1]),
        ("invisible quality (0–1)", lambda f, firm: _series(model, "invisible_quality", firm)[-1]),
    ]
    head = "| | " + " | ".join(model.firm_names) + " |\n|---|" + "---:|" * len(model.firm_names)
    lines = [f"**Week {model.steps} of {model.scenario.steps}** ({model.scenario_name})", "", head]
    for title, read in rows:
        cells = []
        for f, firm in enumerate(model.firm_names):
            v = float(read(f, firm))
            cells.append("–" if np.isnan(v) else f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3f}")
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    changes = getattr(model, "changes", [])
    if changes:
        lines += ["", "Live changes in this run:", ""]
        lines += [f"- from week {c.week + 1}: {c.label}" for c in changes]
    return "\n".join(lines)


def Curves(model: ClassroomModel) -> Any:
    """The live curves (a SolaraViz component)."""
    return solara.FigureMatplotlib(curves_figure(model), format="png")


def Satisfaction(model: ClassroomModel) -> Any:
    """The satisfaction distribution by firm (a SolaraViz component)."""
    return solara.FigureMatplotlib(satisfaction_figure(model), format="png")


def Now(model: ClassroomModel) -> Any:
    """The state now, as numbers (a SolaraViz component)."""
    return solara.Markdown(now_markdown(model))


# --------------------------------------------------------------------------- About

#: the README sections the About tab shows, in this order
ABOUT_SECTIONS = ("What is it?", "How it works", "Things to notice", "Things to try")


def _readme() -> str:
    here = Path(__file__).resolve().parent.parent / "README.md"
    if here.is_file():
        return here.read_text(encoding="utf-8")
    meta = metadata.metadata("cxsim")  # an installed wheel: its long description
    return str(meta.get_payload() or meta.get("Description", ""))


def about_markdown(readme: str | None = None) -> str:
    """The About tab: the README's ``ABOUT_SECTIONS``, each as it is there."""
    text = _readme() if readme is None else readme
    parts = re.split(r"^## ", text, flags=re.MULTILINE)
    found = {p.split("\n", 1)[0].strip(): p.split("\n", 1)[1] for p in parts[1:] if "\n" in p}
    missing = [s for s in ABOUT_SECTIONS if s not in found]
    if missing:
        raise LookupError(f"README.md has no section {', '.join(missing)}")
    return "\n\n".join(f"## {s}\n{found[s].strip()}" for s in ABOUT_SECTIONS)


def About(model: CXModel) -> Any:
    """The About tab (a SolaraViz component on page 1)."""
    return solara.Markdown(about_markdown())


# --------------------------------------------------------------------------- the page


@solara.component
def LeverCard(model: solara.Reactive[ClassroomModel]) -> None:
    """The sidebar card of live levers for one firm, generated from the schema."""
    m = model.value
    firm, set_firm = solara.use_state(0)
    _, set_version = solara.use_state(0)
    error, set_error = solara.use_state("")
    firm = min(firm, len(m.firm_names) - 1)

    def move(lever: Lever, value: Any) -> None:
        where = m.firm_names[firm] if lever.key.startswith("firms.") else "market"
        shown = ("on" if value else "off") if lever.kind == "switch" else f"{value:g}"
        try:
            m.change(lever.overrides(value), f"{where} {lever.name} {shown}", live=lever.live)
        except ValueError as exc:  # a ScenarioError too: shown on the card, the run goes on
            set_error(str(exc))
        else:
            set_error("")
        set_version(lambda v: v + 1)
        force_update()

    with solara.Card("Levers: live, from the next week"):
        solara.Select(
            "firm the levers act on",
            value=m.firm_names[firm],
            values=list(m.firm_names),
            on_value=lambda name: set_firm(m.firm_names.index(name)),
        )
        if error:
            solara.Error(error)
        for lever in levers(m.scenario, firm):
            value = lever.value(m.scenario)
            if not lever.live and lever.key in m.kept.overrides:  # waiting for Reset
                value = m.kept.overrides[lever.key] is not None
            note = "" if lever.live else " (on Reset)"
            solara.Text(f"{lever.description}{note}", style={"font-size": "0.75em"})
            if lever.kind == "switch":
                solara.Switch(
                    label=lever.name, value=bool(value), on_value=lambda v, lv=lever: move(lv, v)
                )
            elif lever.kind == "int":
                solara.SliderInt(
                    lever.name,
                    value=int(value),
                    min=int(lever.low),
                    max=int(lever.high),
                    step=int(lever.step),
                    thumb_label="always",
                    on_value=lambda v, lv=lever: move(lv, v),
                )
            else:
                solara.SliderFloat(
                    lever.name,
                    value=float(value),
                    min=lever.low,
                    max=lever.high,
                    step=lever.step,
                    thumb_label="always",
                    on_value=lambda v, lv=lever: move(lv, v),
                )
        if m.kept.overrides:
            solara.Text(
                "kept for the next Reset: "
                + ", ".join(f"{k} = {v}" for k, v in m.kept.overrides.items()),
                style={"font-size": "0.75em"},
            )

        def back() -> None:
            m.kept.overrides = {}
            model.value = ClassroomModel(
                m.scenario_name, m.seed, m.scenario.market.customers, m.kept
            )
            force_update()

        solara.Button("Back to the scenario's own values (new run)", on_click=back, text=True)


@solara.component
def _SidebarEnd(children: list[Any] | None = None) -> None:
    """``solara.Sidebar``, but at the sidebar's end: Solara orders the sidebar's parts by the
    depth of the component that adds them, which would put the levers above SolaraViz's own
    cards (play, step, reset; the model's parameters)."""
    sidebar_portal.use_portal_add(children or [], 1 << 30)


def model_params(kept: Kept, scenario: str = DEFAULT_SCENARIO) -> dict[str, Any]:
    """SolaraViz's model parameters: the scenario, the seed and the market's size (on Reset),
    and the session's kept levers (fixed)."""
    names = list(shipped_scenarios())
    if scenario not in names:
        names.insert(0, scenario)
    return {
        "scenario": {
            "type": "Select",
            "value": scenario,
            "values": names,
            "label": "scenario (on Reset; cxsim scenarios lists them)",
        },
        "seed": {
            "type": "InputText",
            "value": str(DEFAULT_SEED),
            "label": "seed (on Reset): the same seed, the same run",
        },
        "customers": {
            "type": "SliderInt",
            "value": CLASSROOM_CUSTOMERS,
            "min": 500,
            "max": 20_000,
            "step": 500,
            "label": "customers in the market (on Reset)",
        },
        "kept": kept,
    }


COMPONENTS: list[tuple[Any, int]] = [
    (OrgChart, 0),
    (Curves, 0),
    (Satisfaction, 0),
    (Now, 0),
    (About, 1),
]


@solara.component
def Page() -> None:
    """The app: Mesa's SolaraViz (play, pause, step, reset, model parameters, components)
    and the live levers, one model per browser session."""
    kept = solara.use_memo(Kept, [])
    first = solara.use_memo(lambda: ClassroomModel(DEFAULT_SCENARIO, kept=kept), [])
    model = solara.use_reactive(first)
    with _SidebarEnd():
        LeverCard(model)
    SolaraViz(
        model,
        components=COMPONENTS,
        model_params=model_params(kept),
        name="cxsim classroom: culture vs. strategy in customer experience",
        play_interval=150,
    )
