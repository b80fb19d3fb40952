"""Per-entity state declared once: each variable's name, dtype, meaning, initial value and what a
newcomer resets it to.

The staff (``cxsim.organization.Staff``) and the customers (``cxsim.customers.Customers``) are
structs of arrays, one entry per seat or per customer. Each declares its state variables as
dataclass fields with :func:`state` as their metadata; building the arrays and replacing an
occupant (a hire into a seat, a customer starting a spell at a new firm) loop over
:func:`declared`, so a new variable is one field of the class and nothing else has to remember
it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["Rule", "StateVar", "declared", "state"]

#: the values a rule gives a set of newcomers (a scalar is broadcast), from what they are told
Rule = Callable[[Any], ArrayLike]
_KEY = "cxsim.state"


@dataclass(frozen=True)
class StateVar:
    """One declared state variable.

    ``initial`` gives the values everyone starts with (``None``: a property of the seat, set by
    the structure builder); ``on_new`` what a newcomer gets (``None``: kept, it belongs to the
    seat or travels with the customer). Both are called with one context object describing the
    newcomers and return an array (or a scalar, broadcast to all of them).
    """

    name: str
    dtype: type
    meaning: str
    initial: Rule | None
    on_new: Rule | None

    def values(self, rule: Rule, context: Any, n: int) -> np.ndarray:
        """``rule(context)`` as a fresh array of ``n`` values of this variable's dtype."""
        return np.broadcast_to(np.asarray(rule(context)), (n,)).astype(self.dtype)


def state(
    dtype: type, meaning: str, initial: Rule | None = None, on_new: Rule | None = None
) -> dict[str, Any]:
    """The metadata of a dataclass field that declares a state array (see :class:`StateVar`):
    ``name: np.ndarray = field(metadata=state(...))``."""
    return {_KEY: (dtype, meaning, initial, on_new)}


def declared(cls: type) -> tuple[StateVar, ...]:
    """The state variables a dataclass declares, in the order of its fields."""
    return tuple(StateVar(f.name, *f.metadata[_KEY]) for f in fields(cls) if _KEY in f.metadata)
