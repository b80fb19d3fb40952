"""Finance (ODD.md §7.11): what a week of serving customers earns and costs each firm.

A pure submodel, kept out of the reporters so that the accounting is one function with its
inputs in plain view; ``CXModel._record`` runs it after churn and before the reporters read it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .schema import Market

__all__ = ["Finance", "weekly_finance"]


@dataclass(frozen=True)
class Finance:
    """One week's money per firm, in $ (arrays of shape ``(F,)``)."""

    revenue: np.ndarray
    cost_to_serve: np.ndarray
    cx_spend: np.ndarray
    profit: np.ndarray


def weekly_finance(
    customers: np.ndarray,
    complaints: np.ndarray,
    program_spend: np.ndarray,
    champions_budget: np.ndarray,
    market: Market,
) -> Finance:
    """Revenue and cost to serve of the week's ``customers`` (those served during the week:
    counted at its start), CX spend (programs run ``(F, P)``, champions' budget,
    ``recovery_cost`` per complaint) and profit.

    The simulated customers are a sample of ``market.represented_customers``: per-firm counts of
    customers and complaints are scaled by ``represented_customers / customers`` before they
    are priced, so money does not depend on how many customers are simulated. Programs and
    champions' budgets are absolute dollars and are not scaled.
    """
    scale = market.represented_customers / market.customers
    cx_spend = program_spend.sum(axis=1) + complaints * scale * market.recovery_cost
    cx_spend += champions_budget
    revenue = customers * scale * market.revenue_per_customer_week
    cost_to_serve = customers * scale * market.cost_to_serve_per_customer_week
    return Finance(revenue, cost_to_serve, cx_spend, revenue - cost_to_serve - cx_spend)
