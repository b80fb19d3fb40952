"""The customer population as a struct of arrays, and the log of customer spells at firms."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["Customers", "SpellLog"]


@dataclass
class Customers:
    """Every customer in the market; index = customer id. No Python object per customer."""

    firm: np.ndarray  # int: current firm
    satisfaction: np.ndarray  # 0–1 (repurchase intention scale)
    expectation: np.ndarray  # 0–1
    start_step: np.ndarray  # step the current spell began
    recovered_before: np.ndarray  # bool: had a problem recovered at the current firm
    churn_budget: np.ndarray  # Exp(1) budget of cumulative churn intensity left at this firm

    @classmethod
    def create(
        cls,
        n: int,
        shares: np.ndarray,
        satisfaction: float,
        expectation: float,
        expectation_spread: float,
        rng: np.random.Generator,
    ) -> Customers:
        """Allocate ``n`` customers to firms in proportion to ``shares`` (largest remainder)."""
        shares = np.asarray(shares, dtype=float) / np.sum(shares)
        counts = np.floor(shares * n).astype(int)
        rest = np.argsort(-(shares * n - counts), kind="stable")[: n - counts.sum()]
        counts[rest] += 1
        firm = np.repeat(np.arange(len(shares)), counts)
        exp = np.clip(rng.normal(expectation, expectation_spread, n), 0.0, 1.0)
        return cls(
            firm=firm,
            satisfaction=np.full(n, satisfaction),
            expectation=exp,
            start_step=np.zeros(n, dtype=np.int64),
            recovered_before=np.zeros(n, dtype=bool),
            churn_budget=rng.standard_exponential(n),
        )

    @property
    def size(self) -> int:
        return len(self.firm)

    def to_frame(self) -> pd.DataFrame:
        """A snapshot as a DataFrame (one row per customer), for inspection and teaching."""
        return pd.DataFrame(
            {
                "customer": np.arange(self.size),
                "firm": self.firm,
                "satisfaction": self.satisfaction,
                "expectation": self.expectation,
                "start_step": self.start_step,
                "recovered_before": self.recovered_before,
            }
        )


@dataclass
class SpellLog:
    """Closed spells appended in vectorized chunks; open spells are read off the customers."""

    _chunks: list[tuple[np.ndarray, ...]] = field(default_factory=list)

    def close(self, customer: np.ndarray, firm: np.ndarray, start: np.ndarray, end: int) -> None:
        if len(customer):
            self._chunks.append(
                (customer.copy(), firm.copy(), start.copy(), np.full(len(customer), end))
            )

    def frame(self, customers: Customers, firm_names: list[str]) -> pd.DataFrame:
        """One row per spell: ``customer, firm, start_step, end_step`` (NA while open), churned."""
        if self._chunks:
            c, f, s, e = (np.concatenate(parts) for parts in zip(*self._chunks, strict=True))
        else:
            c = f = s = e = np.array([], dtype=np.int64)
        n = customers.size
        cust = np.concatenate([c, np.arange(n)])
        firm = np.concatenate([f, customers.firm])
        start = np.concatenate([s, customers.start_step])
        end = pd.array(np.concatenate([e, np.zeros(n, dtype=np.int64)]), dtype="Int64")
        end[len(c) :] = pd.NA
        churned = np.concatenate([np.ones(len(c), dtype=bool), np.zeros(n, dtype=bool)])
        df = pd.DataFrame(
            {
                "customer": cust.astype(np.int64),
                "firm": pd.Categorical.from_codes(firm.astype(int), categories=firm_names),
                "start_step": start.astype(np.int64),
                "end_step": end,
                "churned": churned,
            }
        )
        return df.sort_values(["customer", "start_step"], kind="stable").reset_index(drop=True)
