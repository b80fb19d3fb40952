"""The customer population as a struct of arrays, its caches behind one door, and the log of
customer spells at firms.

Per-customer state is declared once, in :class:`Customers`, with what every customer starts
with and what a customer starting a spell at a new firm resets it to. Each firm's histogram of
NPS answers, each customer's satisfaction part of the churn intensity and each firm's sums of
satisfaction and expectation are cached, so that neither the weekly churn step nor the weekly
reporters need a full pass over the customers (of ``exp()``, of a histogram, of a sum). They
depend on a customer's firm, satisfaction and expectation only, and those change only through
:meth:`Customers.change` (and the era drift, :meth:`Customers.drift_expectations`), which keep
the caches in step: the arrays they guard are read-only to everyone else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import kernels, rules
from .schema import Market
from .state import declared, state

__all__ = ["CUSTOMER_STATE", "Arrivals", "Customers", "SpellLog"]

#: the state the caches depend on: written only by ``Customers.change``
GUARDED = ("firm", "satisfaction", "expectation")
#: the state whose per-firm sums are cached (``Customers.totals``; the reporters' means)
SUMMED = ("satisfaction", "expectation")
#: answers 0–10 to "how likely are you to recommend ...?"
ANSWERS = 11


@dataclass(frozen=True, eq=False)
class Arrivals:
    """Customers starting a spell: every customer at step 0 when the market is created, later
    each churner at the rival it moves to. What a state variable starts at is a rule over this."""

    firm: np.ndarray  # the firm each one joins
    step: int
    market: Market
    rng: np.random.Generator
    settled: np.ndarray | None = None  # per firm: the expectation its delivery settles at


def _joined(a: Arrivals) -> np.ndarray:
    return a.firm


def _neutral(a: Arrivals) -> float:
    return a.market.satisfaction_neutral


def _expectation(a: Arrivals) -> np.ndarray:
    m = a.market
    mean = m.initial_expectation
    if mean is None:  # what the firm delivers as it starts (``settled``; 0.5 if not given)
        mean = 0.5 if a.settled is None else a.settled[a.firm]
    return np.clip(a.rng.normal(mean, m.expectation_spread, len(a.firm)), 0, 1)


def _now(a: Arrivals) -> int:
    return a.step


def _not_yet(a: Arrivals) -> bool:
    return False


def _fresh_budget(a: Arrivals) -> np.ndarray:
    return a.rng.standard_exponential(len(a.firm))


@dataclass(frozen=True, eq=False)
class Customers:
    """Every customer in the market; index = customer id. No Python object per customer.

    Frozen: arrays change in place, never by rebinding. ``firm``, ``satisfaction`` and
    ``expectation``, and the caches ``answers``, ``hazard`` and ``totals``, are read-only views;
    :meth:`change` writes them.
    """

    firm: np.ndarray = field(metadata=state(np.int64, "current firm", _joined, _joined))
    satisfaction: np.ndarray = field(
        metadata=state(
            np.float64, "0–1 repurchase intention: memory of experiences", _neutral, _neutral
        )
    )
    expectation: np.ndarray = field(  # no new-spell value: it comes with the customer
        metadata=state(np.float64, "0–1: what the customer expects of an interaction", _expectation)
    )
    start_step: np.ndarray = field(metadata=state(np.int64, "step the spell began", _now, _now))
    recovered_before: np.ndarray = field(
        metadata=state(np.bool_, "had a problem recovered at this firm", _not_yet, _not_yet)
    )
    churn_budget: np.ndarray = field(
        metadata=state(np.float64, "Exp(1) churn budget left", _fresh_budget, _fresh_budget)
    )
    market: Market = field(repr=False)
    n_firms: int
    #: each firm's histogram of 0–10 NPS answers ``(F, 11)`` (cache)
    answers: np.ndarray = field(init=False, repr=False)
    #: each customer's satisfaction part of the churn intensity, ``h₀ e^{κ(n − s)}`` (cache)
    hazard: np.ndarray = field(init=False, repr=False)
    #: each firm's sum of every ``SUMMED`` variable over its customers ``(len(SUMMED), F)``
    #: (cache, kept by adding what changes: equal to a full sum up to float rounding)
    totals: np.ndarray = field(init=False, repr=False)
    _writable: dict[str, np.ndarray] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        writable = {name: getattr(self, name) for name in GUARDED}
        writable["answers"] = self._answers(writable["firm"], writable["satisfaction"])
        writable["hazard"] = self._hazard(writable["satisfaction"])
        writable["totals"] = np.array([self._total(self.firm, writable[n]) for n in SUMMED])
        for name, array in writable.items():
            view = array.view()
            view.flags.writeable = False
            object.__setattr__(self, name, view)
        object.__setattr__(self, "_writable", writable)

    @classmethod
    def create(
        cls,
        market: Market,
        shares: np.ndarray,
        rng: np.random.Generator,
        settled: np.ndarray | None = None,
    ) -> Customers:
        """``market.customers`` customers allocated to firms in proportion to ``shares`` (largest
        remainder), each starting its first spell at step 0 with its declared initial state;
        ``settled`` is each firm's settled expectation, the mean of its customers' starting
        expectation when ``market.initial_expectation`` is null."""
        n = market.customers
        shares = np.asarray(shares, dtype=float) / np.sum(shares)
        counts = np.floor(shares * n).astype(int)
        rest = np.argsort(-(shares * n - counts), kind="stable")[: n - counts.sum()]
        counts[rest] += 1
        everyone = Arrivals(np.repeat(np.arange(len(shares)), counts), 0, market, rng, settled)
        initial = {var.name: var.values(var.initial, everyone, n) for var in CUSTOMER_STATE}
        return cls(**initial, market=market, n_firms=len(shares))

    @property
    def size(self) -> int:
        """Number of customers."""
        return len(self.firm)

    @property
    def counts(self) -> np.ndarray:
        """Customers per firm, read off the answer histograms (so never out of step)."""
        return self.answers.sum(axis=1)

    def raw(self, name: str) -> np.ndarray:
        """The guarded array ``name`` itself, for compiled code to read (``cxsim.kernels``: numba
        runs read-only arrays many times slower). Never written outside :meth:`change`."""
        return self._writable[name]

    def change(
        self,
        who: np.ndarray,
        *,
        firm: np.ndarray | None = None,
        satisfaction: np.ndarray | None = None,
        expectation: np.ndarray | None = None,
    ) -> None:
        """Set the firm, satisfaction and/or expectation of customers ``who`` (distinct ids,
        increasing), and update their NPS answers, churn terms and their firms' sums to match:
        the one way to change any of them."""
        w = self._writable

        def values(name: str, given: Any) -> np.ndarray:  # as written: the array's dtype
            dtype = w[name].dtype
            if given is None:  # unchanged: a firm that is not read, values as they are
                return w[name][:0] if name == "firm" else w[name][who]
            return np.ascontiguousarray(np.broadcast_to(np.asarray(given, dtype=dtype), who.shape))

        s_new = values("satisfaction", satisfaction)
        kernels.change(
            who,
            values("firm", firm),
            s_new,
            values("expectation", expectation),
            firm is not None,
            w["firm"],
            w["satisfaction"],
            w["expectation"],
            w["answers"],
            w["totals"],
        )
        w["hazard"][who] = self._hazard(s_new)  # what the pass wrote

    def drift_expectations(self, drift: float) -> None:
        """Every customer's expectation moves by ``drift``, kept within 0–1 (an era's drift, ODD
        §7.7); a pass over every customer, so the firms' sums of expectation are recounted."""
        e = self._writable["expectation"]
        np.add(e, drift, out=e)
        np.clip(e, 0.0, 1.0, out=e)
        self._writable["totals"][SUMMED.index("expectation")] = self._total(self.firm, e)

    def _total(self, firm: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Each firm's sum of ``values`` over all customers, summed pairwise (``np.sum``): a
        running total starts from it, so its rounding error (about log2(n) ulps, where a
        sequential sum of a million equal values is off by a few parts in 10^12) is kept."""
        return np.array([values[firm == f].sum() for f in range(self.n_firms)])

    def start_spells(
        self, who: np.ndarray, firm: np.ndarray, step: int, rng: np.random.Generator
    ) -> None:
        """Customers ``who`` start a spell at ``firm`` in ``step``: every declared variable takes
        its new-spell value (firm and satisfaction through :meth:`change`); the rest is kept."""
        arrivals = Arrivals(firm, step, self.market, rng)
        new = {
            var.name: var.values(var.on_new, arrivals, len(who))
            for var in CUSTOMER_STATE
            if var.on_new is not None
        }
        self.change(who, **{name: new.pop(name) for name in GUARDED if name in new})
        for name, values in new.items():
            getattr(self, name)[who] = values

    def _answers(self, firm: np.ndarray, satisfaction: np.ndarray) -> np.ndarray:
        """Each firm's histogram of the answers of these customers ``(F, 11)``."""
        keys = firm * ANSWERS + rules.nps_score(satisfaction)
        counts = np.bincount(keys, minlength=ANSWERS * self.n_firms)
        return counts.reshape(self.n_firms, ANSWERS)

    def _hazard(self, satisfaction: np.ndarray) -> np.ndarray:
        """The satisfaction part of these customers' churn intensity."""
        m = self.market
        base = rules.per_week(m.base_churn_per_month, 52.0 / 12.0)
        return rules.satisfaction_hazard(
            satisfaction, float(base), m.churn_sensitivity, m.satisfaction_neutral
        )

    def to_frame(self) -> pd.DataFrame:
        """A snapshot as a DataFrame (one row per customer), for inspection and teaching."""
        columns: dict[str, Any] = {"customer": np.arange(self.size)}
        columns.update({var.name: getattr(self, var.name) for var in CUSTOMER_STATE})
        return pd.DataFrame(columns)


#: the per-customer state, as :class:`Customers` declares it
CUSTOMER_STATE = declared(Customers)


@dataclass
class SpellLog:
    """Closed spells appended in vectorized chunks; open spells are read off the customers."""

    _chunks: list[tuple[np.ndarray, ...]] = field(default_factory=list)

    def close(self, customer: np.ndarray, firm: np.ndarray, start: np.ndarray, end: int) -> None:
        """Log the spells of ``customer`` at ``firm``, begun at ``start``, as ended at ``end``."""
        if len(customer):  # kept small (ids, weeks and firms fit): millions of spells
            self._chunks.append(
                (
                    customer.astype(np.int32),
                    firm.astype(np.int16),
                    start.astype(np.int32),
                    np.full(len(customer), end, dtype=np.int32),
                )
            )

    def columns(self, customers: Customers, end: int) -> dict[str, np.ndarray]:
        """Every spell, sorted by customer and then start: ``customer``, ``firm`` (its index),
        ``start_step``, ``duration`` (to ``end`` for a spell still running), as ``int32``, and
        ``event`` (churned). Built a column at a time, each temporary freed before the next is
        made: a run of a million customers has millions of spells."""
        def closed(i: int) -> np.ndarray:  # one column of the closed spells
            return np.concatenate([np.zeros(0, np.int32), *(chunk[i] for chunk in self._chunks)])

        n = customers.size
        n_closed = sum(len(chunk[0]) for chunk in self._chunks)

        def joined(i: int, of_open: Any) -> np.ndarray:  # the closed spells first, then the open
            out = np.empty(n_closed + n, dtype=np.int32)
            out[:n_closed] = closed(i)
            out[n_closed:] = of_open
            return out

        # sorted by customer, then start: a customer's closed spells were logged as they ended,
        # so in order of start, and its open spell started after them all; a stable sort by
        # customer alone keeps that order
        customer = joined(0, np.arange(n))
        order = np.argsort(customer, kind="stable")
        out = {"customer": customer[order]}
        del customer
        out["firm"] = joined(1, customers.firm)[order]
        out["start_step"] = joined(2, customers.start_step)[order]
        duration = joined(3, end)[order]
        out["duration"] = np.subtract(duration, out["start_step"], out=duration)
        out["event"] = order < n_closed  # the closed spells come first
        return out

    def frame(self, customers: Customers, firm_names: list[str]) -> pd.DataFrame:
        """One row per spell: ``customer, firm, start_step, end_step`` (NA while open), churned."""
        cols = self.columns(customers, 0)
        end = pd.array(cols["start_step"].astype(np.int64) + cols["duration"], dtype="Int64")
        end[~cols["event"]] = pd.NA
        return pd.DataFrame(
            {
                "customer": cols["customer"].astype(np.int64),
                "firm": pd.Categorical.from_codes(cols["firm"], categories=firm_names),
                "start_step": cols["start_step"].astype(np.int64),
                "end_step": end,
                "churned": cols["event"],
            }
        )
