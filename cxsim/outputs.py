"""Every output of cxsim, declared once: the weekly reporters and the end-of-run metrics.

A reporter (``Output``) is a column of ``CXModel.timeseries()``: its name, plot label and unit,
dtype, kind (a *stock* is the state at the end of the week, a *flow* what happened during it),
a one-line definition and how it is computed from the week's ``Context``. An end-of-run metric
(``Metric``) names its source column and its reducer (which may also read the run's market
parameters, as ``lifetime_value`` does). Everything else derives from these: the
columns and their dtypes, the Mesa model reporters ``"<column>@<firm>"`` (``cxsim.collector``),
plot labels (``LABELS``), the figures over time (``FIGURES``), the CLI's headline table
(``HEADLINE``), the sweep figures (``SWEEP_METRICS``), the metrics of each run
(``end_of_run``) and the ODD §4 tables (``cxsim.docs``). Adding a column is one entry in
``OUTPUTS``. (A little over 350 lines: the declaration tables are the module, kept together.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from . import rules
from .customers import SUMMED
from .finance import Finance
from .organization import Level
from .schema import Market

__all__ = [
    "COLUMNS",
    "END_METRICS",
    "FIGURES",
    "HEADLINE",
    "INT_COLUMNS",
    "KEYS",
    "LABELS",
    "METRICS",
    "OUTPUTS",
    "REDUCERS",
    "SWEEP_METRICS",
    "Context",
    "Metric",
    "Output",
    "end_of_run",
    "label",
    "lifetime_value",
    "observation_rng",
    "week_row",
]

STOCK, FLOW = "stock", "flow"
#: ``Output.figure`` of a column drawn over time in a figure of its own, named after it
OWN = "own"
#: weeks in the window of the ``last_year_mean`` reducer
YEAR = 52


@dataclass
class Context:
    """What the reporters read at the end of a week (ODD §3, step 11).

    ``week`` is ``None`` before the first week, when only stocks are observed.
    """

    model: Any  # the CXModel (not imported: the model imports this module)
    # per firm, this week: before (customers at its start), churned, acquired (none at step 0)
    flows: Mapping[str, np.ndarray]
    empowerment: np.ndarray  # realized empowerment of every staff member
    week: Any = None  # the week's interactions (model.Week), or None before the first week
    complaints: np.ndarray | None = None  # complaints per firm this week
    money: Finance | None = None  # this week's finance (ODD §7.11)

    @cached_property
    def n_firms(self) -> int:
        """Number of firms."""
        return len(self.model.firm_names)

    def _mean(self, total: np.ndarray, k: np.ndarray) -> np.ndarray:
        """Each firm's ``total`` over its ``k`` (NaN for none)."""
        return total / np.where(k > 0, k, np.nan)

    @cached_property
    def customers(self) -> np.ndarray:
        """Customers per firm now (read once, by several reporters)."""
        return self.model._counts

    @property
    def interactions(self) -> np.ndarray:
        """This week's interactions per firm (counted once, by the model's customer update)."""
        return self.week.counts

    @property
    def problems(self) -> np.ndarray:
        """This week's problems per firm (counted once, by the model's problem funnel)."""
        return self.week.problem_counts

    def interaction_mean(self, part: int) -> np.ndarray:
        """Mean over each firm's interactions this week (NaN for none) of the interactions'
        quality (``part`` 0), its visible (1) or invisible (2) part, from the sums the step
        keeps as it makes them (``Week.sums``): no pass over the interactions."""
        return self._mean(self.week.sums[part], self.interactions)

    def customer_mean(self, name: str) -> np.ndarray:
        """Mean of a summed customer variable (``SUMMED``) over each firm's current
        customers (NaN for none), from the customers' cached sums: no pass over them."""
        return self._mean(self.model.customers.totals[SUMMED.index(name)], self.customers)

    def frontline_mean(self, values: np.ndarray) -> np.ndarray:
        """Mean of a per-staff ``values`` over each firm's frontline staff."""
        model = self.model
        front = values[model._front_staff]
        return self._mean(np.bincount(model._front_firm, front, self.n_firms), model._front_count)

    def level_mean(self, levels: tuple[Level, ...]) -> list[float]:
        """Mean commitment of each firm's staff at ``levels`` (NaN if it has none); ``mean()``
        of the selected members, not a bincount, so the pinned values stay bit-identical."""
        commitment = self.model.organization.commitment
        return [  # np.add.reduce(x) / n is x.mean(), without its Python wrapper
            float(np.add.reduce(commitment[staff])) / staff.size if staff.size else float("nan")
            for staff in self.model._staff_at(levels)  # firms, not staff: a handful of passes
        ]

    def design(self) -> np.ndarray:
        """Each firm's touchpoint design weighted by touchpoint traffic."""
        return (self.model.strategies.design * self.model._traffic_share).sum(axis=1)


Compute = Callable[[Context], Any]


@dataclass(frozen=True)
class Output:
    """A weekly reporter: one column of ``CXModel.timeseries()``, one value per firm."""

    name: str
    label: str  # for plot axes, without the unit
    unit: str
    dtype: type  # int or float
    kind: str  # STOCK or FLOW
    definition: str  # one line, for the ODD §4 table
    compute: Compute
    figure: str = ""  # the figure over time that draws it: OWN (its own), a panel's name, or ""


def _nps(c: Context) -> np.ndarray:
    """NPS of each firm's customers now, at the end of the week (after its churn)."""
    answers, n = c.model.customers.answers, c.customers
    net = 100.0 * (answers[:, 9:].sum(axis=1) - answers[:, :7].sum(axis=1))
    return np.divide(net, n, out=np.full(c.n_firms, np.nan), where=n > 0)


def observation_rng(rng: np.random.Generator) -> np.random.Generator:
    """A generator for draws that only observe the model, independent of ``rng`` and drawing
    nothing from it: a child spawned from ``rng``'s seed sequence, or, for a bit generator
    without one (legacy seeding), seeded from its current state. Deterministic given the seed."""
    bits = rng.bit_generator
    seed_seq = getattr(bits, "seed_seq", None)
    try:
        child = seed_seq.spawn(1)[0]
    except (AttributeError, NotImplementedError, TypeError):  # none, or a seedless one
        child = np.random.SeedSequence(_state_entropy(bits.state))
    return np.random.default_rng(child)


def _state_entropy(state: Any) -> list[int]:
    """The numbers of a bit generator's state (nested dicts of ints and arrays), as entropy."""
    if isinstance(state, Mapping):
        return [x for key in sorted(state) for x in _state_entropy(state[key])]
    if isinstance(state, np.ndarray):
        return [int(x) & (2**64 - 1) for x in state.ravel()]
    if isinstance(state, int | np.integer):
        return [int(state) & (2**128 - 1)]
    return []  # the bit generator's name


def _escalations(c: Context) -> np.ndarray:
    """The one random draw of the reporters, from the model's ``observation_rng``: it draws
    nothing from ``model.rng``, so the reporters cannot move the model's history."""
    rate = c.model.scenario.market.escalation_rate
    return c.model.observation_rng.binomial(c.complaints.astype(np.int64), rate)


_LEADERS = (Level.CEO, Level.CCO, Level.EXECUTIVE)
_CULTURE, _QUALITY = "culture_by_level", "quality_visible_invisible"  # panel figures

#: the weekly reporters, in column order (ODD §4). ``c`` is the week's ``Context``.
OUTPUTS: tuple[Output, ...] = (
    Output("customers", "customers", "count", int, STOCK,
       "customers at the firm at the end of the week", lambda c: c.customers, OWN),
    Output("acquired", "customers won", "per week", int, FLOW,
       "customers who switched to the firm from a rival this week",
       lambda c: c.flows["acquired"]),
    Output("churned", "customers lost", "per week", int, FLOW,
       "customers who left the firm for a rival this week", lambda c: c.flows["churned"]),
    Output("churn_rate_weekly", "weekly churn rate", "share of customers", float, FLOW,
       "`churned` over the customers at the start of the week",
       lambda c: np.divide(c.flows["churned"], c.flows["before"], out=np.zeros(c.n_firms),
                           where=c.flows["before"] > 0), OWN),
    Output("market_share", "market share", "0–1", float, STOCK,
       "`customers` over all customers in the market",
       lambda c: c.customers / c.model.customers.size, OWN),
    Output("satisfaction", "mean satisfaction", "0–1", float, STOCK,
       "mean satisfaction of the firm's customers",
       lambda c: c.customer_mean("satisfaction"), OWN),
    Output("nps", "NPS", "% promoters − % detractors", float, STOCK,
       "NPS of the firm's customers at the end of the week, after its churn (answers 9–10 "
       "minus 0–6)", _nps, OWN),
    Output("expectation", "mean expectation", "0–1", float, STOCK,
       "mean expectation of the firm's customers",
       lambda c: c.customer_mean("expectation")),
    Output("interactions", "interactions", "per week", int, FLOW,
       "customer interactions with the firm's frontline staff this week",
       lambda c: c.interactions),
    Output("problems", "problems", "per week", int, FLOW,
       "interactions that went wrong", lambda c: c.problems),
    Output("complaints", "complaints", "per week", int, FLOW,
       "problems the customer reported", lambda c: c.complaints),
    Output("silent_problems", "silent problems", "per week", int, FLOW,
       "problems never reported (`problems` − `complaints`)",
       lambda c: c.problems - c.complaints),
    Output("escalations", "escalations to management", "per week", int, FLOW,
       "complaints that reached management: Binomial(`complaints`, `escalation_rate`)",
       _escalations),
    Output("recoveries", "recoveries", "per week", int, FLOW,
       "complaints resolved", lambda c: c.week.resolved_counts),
    Output("commitment_leaders", "leaders' commitment", "0–1", float, STOCK,
       "mean commitment of the CEO, the CCO (if any) and the executives",
       lambda c: c.level_mean(_LEADERS), _CULTURE),
    Output("commitment_managers", "managers' commitment", "0–1", float, STOCK,
       "mean commitment of the managers", lambda c: c.level_mean((Level.MANAGER,)), _CULTURE),
    Output("commitment_frontline", "frontline commitment", "0–1", float, STOCK,
       "mean commitment of the frontline staff",
       lambda c: c.frontline_mean(c.model.organization.commitment), _CULTURE),
    Output("empowerment_frontline", "frontline empowerment", "0–1", float, STOCK,
       "mean realized empowerment of the frontline staff (§7.5), not the "
       "`firms[].empowerment` policy", lambda c: c.frontline_mean(c.empowerment)),
    Output("quality", "interaction quality", "0–1", float, FLOW,
       "mean quality of the week's interactions",
       lambda c: c.interaction_mean(0)),
    Output("visible_quality", "visible quality", "0–1", float, FLOW,
       "mean visible part (design and skill) of the week's interactions",
       lambda c: c.interaction_mean(1), _QUALITY),
    Output("invisible_quality", "invisible quality", "0–1", float, FLOW,
       "mean invisible part (commitment × empowerment) of the week's interactions",
       lambda c: c.interaction_mean(2), _QUALITY),
    Output("design", "touchpoint design", "0–1", float, STOCK,
       "the firm's touchpoint design, weighted by touchpoint traffic", Context.design),
    Output("skill", "frontline skill", "0–1", float, STOCK,
       "mean skill of the frontline staff",
       lambda c: c.frontline_mean(c.model.organization.skill)),
    Output("revenue", "revenue", "$ per week", float, FLOW,
       "earned by the customers served during the week (those at its start): customers × "
       "`represented_customers` / market `customers` × `revenue_per_customer_week` (§7.11)",
       lambda c: c.money.revenue),
    Output("cx_spend", "CX spend", "$ per week", float, FLOW,
       "programs run + champions' budget + `recovery_cost` per complaint, complaints scaled "
       "as customers are for `revenue` (§7.11)",
       lambda c: c.money.cx_spend),
    Output("profit", "profit", "$ per week", float, FLOW,
       "`revenue` − cost to serve (customers served, scaled as for `revenue`, × "
       "`cost_to_serve_per_customer_week`) − `cx_spend` (§7.11)", lambda c: c.money.profit),
)  # fmt: skip

#: the key columns of every row, with their definitions
KEYS = {"step": "week, from 1 (the state after that week)", "firm": "the firm's name"}
COLUMNS = [*KEYS, *(o.name for o in OUTPUTS)]
INT_COLUMNS = ["step", *(o.name for o in OUTPUTS if o.dtype is int)]


def _figures() -> dict[str, list[str]]:
    figures: dict[str, list[str]] = {}
    for o in OUTPUTS:
        if o.figure:
            figures.setdefault(o.name if o.figure == OWN else o.figure, []).append(o.name)
    return figures


#: the figures over time, in drawing order: figure name -> the columns it draws
FIGURES = _figures()
_BY_NAME = {o.name: o for o in OUTPUTS}


# --------------------------------------------------------------------------- end-of-run metrics

#: how a metric reduces a run to one value per firm
REDUCERS = {
    "final": "value at the last step",
    "last_year_mean": f"mean over the last {YEAR} weeks (all weeks in a shorter run)",
    "initial_retained": "share of the firm's customers at step 0 still with it at the end",
    "lifetime_value": (
        "yearly margin per customer × r / (1 + i − r) (§7.11): r = (1 − w)^52 the yearly"
        f" retention, w the mean over the last {YEAR} weeks (all weeks in a shorter run);"
        " margin = 52 × (`revenue_per_customer_week` − `cost_to_serve_per_customer_week`),"
        " i = `discount_rate_per_year`; infinite if neither churn nor discounting"
    ),
}


@dataclass(frozen=True)
class Metric:
    """An end-of-run metric: one value per run and firm (``metrics.parquet``, ``summary.csv``).

    ``headline`` metrics make the CLI's end-of-run table, ``sweep`` metrics are drawn against
    each parameter a sweep varies; label and unit default to the source column's.
    """

    name: str
    source: str  # a column of OUTPUTS, or "spells" (the customer spell log)
    reducer: str  # a key of REDUCERS
    headline: bool = False
    sweep: bool = False
    label: str = ""
    unit: str = ""

    def axis_label(self) -> str:
        """``label (unit)``, from the source column unless given."""
        if self.label:
            return f"{self.label} ({self.unit})" if self.unit else self.label
        return label(self.source)


def _m(name: str, reducer: str, headline: bool = False, sweep: bool = False) -> Metric:
    return Metric(name, name, reducer, headline, sweep)


#: the end-of-run metrics, in the order of the CLI table and summary.csv
END_METRICS: tuple[Metric, ...] = (
    _m("customers", "final"),
    Metric(
        "retained",
        source="spells",
        reducer="initial_retained",
        headline=True,
        sweep=True,
        label="initial customers retained",
        unit="share",
    ),
    _m("churn_rate_weekly", "last_year_mean", headline=True, sweep=True),
    _m("market_share", "final", headline=True, sweep=True),
    _m("nps", "last_year_mean"),
    _m("satisfaction", "last_year_mean"),
    _m("commitment_leaders", "final"),
    _m("commitment_managers", "final"),
    _m("commitment_frontline", "final", headline=True, sweep=True),
    _m("invisible_quality", "last_year_mean", headline=True),
    _m("visible_quality", "last_year_mean", headline=True),
    _m("profit", "last_year_mean"),
    Metric(
        "lifetime_value",
        source="churn_rate_weekly",
        reducer="lifetime_value",
        label="customer lifetime value",
        unit="$ per customer",
    ),
)
METRICS = [m.name for m in END_METRICS]
#: the metrics of the table printed at the end of a job, in its order
HEADLINE = [m.name for m in END_METRICS if m.headline]
#: the metrics drawn against each parameter a sweep varies
SWEEP_METRICS = [m.name for m in END_METRICS if m.sweep]
_METRIC = {m.name: m for m in END_METRICS}


def label(name: str) -> str:
    """The axis label, with unit, of a column or an end-of-run metric."""
    if name in _BY_NAME:
        o = _BY_NAME[name]
        return f"{o.label} ({o.unit})"
    return _METRIC[name].axis_label()


#: axis labels with units of every column and metric (``plots.LABELS``)
LABELS = {name: label(name) for name in [*COLUMNS[len(KEYS) :], *METRICS]}


def lifetime_value(churn_rate_weekly: Any, market: Market) -> Any:
    """Customer lifetime value, $ per customer (ODD §7.11), from the mean weekly churn rate w:
    yearly margin × ``rules.lifetime_value_multiple(r, i)``, r = (1 − w)^52 the yearly
    retention, yearly margin = 52 × (revenue − cost to serve per customer-week)."""
    margin = YEAR * (market.revenue_per_customer_week - market.cost_to_serve_per_customer_week)
    retention = (1.0 - np.asarray(churn_rate_weekly, dtype=float)) ** YEAR
    with np.errstate(divide="ignore", invalid="ignore"):  # r = 1, i = 0: infinite (or 0 · ∞)
        value = margin * rules.lifetime_value_multiple(retention, market.discount_rate_per_year)
    if isinstance(churn_rate_weekly, pd.Series):
        return pd.Series(value, index=churn_rate_weekly.index)
    return value


def end_of_run(ts: pd.DataFrame, spells: pd.DataFrame, market: Market) -> pd.DataFrame:
    """``END_METRICS`` of one run, indexed by firm, from its weekly table, spell log (``firm``,
    ``start_step`` and ``event`` of ``runner.SPELL_COLUMNS``) and market parameters (the
    scenario's ``market``, read by the ``lifetime_value`` reducer)."""
    final = ts[ts["step"] == ts["step"].max()].set_index("firm")
    last_year = ts[ts["step"] > ts["step"].max() - YEAR].groupby("firm", sort=False)
    first = spells.loc[spells["start_step"] == 0, ["firm", "event"]]
    reduce: dict[str, Callable[[str], pd.Series]] = {
        "final": lambda col: final[col],
        "last_year_mean": lambda col: last_year[col].mean(),
        "initial_retained": lambda _: (
            (~first["event"])
            .groupby(first["firm"], observed=True)
            .mean()
            .reindex(final.index)
            .astype(float)
        ),
        "lifetime_value": lambda col: lifetime_value(last_year[col].mean(), market),
    }
    out = pd.DataFrame(index=final.index)
    for m in END_METRICS:
        out[m.name] = reduce[m.reducer](m.source)
    return out


# --------------------------------------------------------------------------- each week


#: the reporters by dtype, each group converted to Python numbers in one call
_BY_DTYPE = {t: [o for o in OUTPUTS if o.dtype is t] for t in (int, float)}


def week_row(ctx: Context) -> dict[str, list[Any]]:
    """Every reporter's per-firm values, as Python numbers, in column order; before the first
    week (``ctx.week`` is ``None``) a flow has no value yet: 0 for a count, NaN otherwise.

    The values of each dtype are stacked into one ``(reporters, firms)`` array and converted
    at once: a week's collection costs a few calls for all reporters and firms."""
    row: dict[str, list[Any]] = {}
    for dtype, group in _BY_DTYPE.items():
        shown = [o for o in group if ctx.week is not None or o.kind != FLOW]
        values = np.array([o.compute(ctx) for o in shown], dtype=dtype)
        per_firm = values.reshape(len(shown), ctx.n_firms).tolist()
        row.update(zip((o.name for o in shown), per_firm, strict=True))
        none = 0 if dtype is int else float("nan")
        row.update((o.name, [none] * ctx.n_firms) for o in group if o.name not in row)
    return {o.name: row[o.name] for o in OUTPUTS}
