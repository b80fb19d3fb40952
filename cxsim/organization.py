"""The organizations: every firm's staff as one set of arrays, one entry per seat, an influence
operator in factored form, and Mesa agents that are read-only views of the seats.

Per-member state is declared once, in :class:`Staff`: a *seat* variable (level, boss,
susceptibility, ...) is set when the organization is built and stays when its occupant leaves;
an *occupant* variable (commitment, skill, tenure, ...) declares what a hire brings, and the
founders are hired the same way (:meth:`Staff.hire`).

The influence matrix W of the culture cascade (ODD.md §7.4) has two parts. Line ties (boss, CEO,
CCO) and champion ties are few, about one per member, and are kept as one sparse matrix over all
firms (block-diagonal by firm). Peer ties are many (a team of t has t(t − 1) of them) but all
alike: each member is pulled by the mean of the other members of its group. They are applied in
factored form, from group sums, so memory stays proportional to the number of members.

(About 400 lines: the seat/occupant declaration, the vectorised builder and the influence
operator are one structure and are read together.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import mesa
import numpy as np
import scipy.sparse as sp

from .firm import FirmParameters
from .rules import funded_projects, per_week
from .schema import ByLevel, Firm
from .state import Rule, declared, state

__all__ = [
    "OCCUPANT",
    "SEAT",
    "STAFF_STATE",
    "Level",
    "Newcomers",
    "Staff",
    "StaffMember",
    "build_organization",
]


class Level(IntEnum):
    """Organizational level of a staff member."""

    CEO = 0
    CCO = 1
    EXECUTIVE = 2
    MANAGER = 3
    FRONTLINE = 4


@dataclass(frozen=True, eq=False)
class Newcomers:
    """People taking seats: every seat when an organization is founded, later the seats whose
    occupants left. What an occupant variable starts at is a rule over this."""

    seat: np.ndarray  # member ids of the seats taken
    firm: np.ndarray  # the firm of each seat
    commitment: np.ndarray  # each newcomer's own customer-first commitment, drawn by the caller
    params: FirmParameters


def _seat(dtype: type, meaning: str) -> dict[str, Any]:
    """A property of the seat: set when the organization is built, kept when its occupant leaves."""
    return state(dtype, meaning)


def _occupant(dtype: type, meaning: str, hired: Rule) -> dict[str, Any]:
    """A property of whoever fills the seat: what a hire brings, and the founders are hired too."""
    return state(dtype, meaning, initial=hired, on_new=hired)


def _own_commitment(new: Newcomers) -> np.ndarray:
    return new.commitment


def _initial_skill(new: Newcomers) -> np.ndarray:
    return new.params.initial_skill[new.firm]


@dataclass(eq=False)
class Staff:
    """Struct-of-arrays state of every staff seat of every firm (index = member id).

    Row i of the row-stochastic influence matrix W is ``ties[i]`` plus ``peer_share[i]`` on each
    other member of group ``group[i]``; :meth:`influence` applies W, :attr:`weights` builds it.
    """

    firm: np.ndarray = field(metadata=_seat(np.int64, "employer (firm index)"))
    level: np.ndarray = field(metadata=_seat(np.int64, "place in the hierarchy (a Level)"))
    division: np.ndarray = field(
        metadata=_seat(np.int64, "the executive's division the seat is in (-1: the CEO, the CCO)")
    )
    boss: np.ndarray = field(
        metadata=_seat(np.int64, "member id of the line boss (-1: the CEO, the CCO)")
    )
    champion: np.ndarray = field(
        metadata=_seat(np.bool_, "a grassroots CX champion's seat (its hire is a champion too)")
    )
    susceptibility: np.ndarray = field(
        metadata=_seat(np.float64, "λ: share of the occupant's view set by others")
    )
    group: np.ndarray = field(
        metadata=_seat(np.int64, "peer group: a firm's executives, a division's managers, a team")
    )
    peer_share: np.ndarray = field(
        metadata=_seat(np.float64, "weight in W of each other member of the peer group")
    )
    turnover_weekly: np.ndarray = field(
        metadata=_seat(np.float64, "probability that the occupant leaves in a week")
    )
    accountability: np.ndarray = field(
        metadata=_seat(
            np.float64, "multiplier of the culture change rate from a CCO's CX metrics (1: none)"
        )
    )
    anchor: np.ndarray = field(
        metadata=_occupant(np.float64, "x₀: the occupant's own prior commitment", _own_commitment)
    )
    commitment: np.ndarray = field(
        metadata=_occupant(np.float64, "x: customer-first commitment now", _own_commitment)
    )
    skill: np.ndarray = field(
        metadata=_occupant(np.float64, "frontline skill (visible, trainable)", _initial_skill)
    )
    tenure_weeks: np.ndarray = field(
        metadata=_occupant(np.int64, "weeks since the occupant was hired", lambda n: 0)
    )
    ties: sp.csr_matrix = field(repr=False)  # the line and champion part of W, row-normalized
    frontline_of: list[np.ndarray] = field(default_factory=list)  # per firm: member ids

    @property
    def size(self) -> int:
        """Number of staff members of all firms."""
        return len(self.firm)

    def hire(self, new: Newcomers) -> None:
        """Fill seats with newcomers: every occupant variable takes its declared hire value; the
        seat's own variables stay."""
        for var in OCCUPANT:
            getattr(self, var.name)[new.seat] = var.values(var.on_new, new, len(new.seat))

    def influence(self, x: np.ndarray) -> np.ndarray:
        """``W @ x`` without building W: the sparse line and champion ties, plus each member's
        peers as its group's sum less its own value (O(members), however large the teams)."""
        sums = np.bincount(self.group, weights=x)
        return self.ties @ x + self.peer_share * (sums[self.group] - x)

    @property
    def weights(self) -> sp.csr_matrix:
        """The full row-stochastic influence matrix W (rows of anchors are empty).

        Built on demand, for tests, oracles and small organizations: its peer part holds
        ``t(t − 1)`` entries per team of ``t``. The model itself uses :meth:`influence`.
        """
        n = self.size
        size = np.bincount(self.group, minlength=n)
        member = np.flatnonzero((self.peer_share > 0) & (size[self.group] > 1))
        g = self.group[member]
        # group members in order of group, and where each group starts in that order
        order = np.argsort(self.group, kind="stable")
        start = np.concatenate([[0], np.cumsum(size)[:-1]])
        rows = np.repeat(member, size[g])
        first = np.repeat(np.cumsum(size[g]) - size[g], size[g])
        cols = order[np.repeat(start[g], size[g]) + np.arange(len(rows)) - first]
        keep = rows != cols
        peers = sp.csr_matrix((self.peer_share[rows[keep]], (rows[keep], cols[keep])), shape=(n, n))
        w = (self.ties + peers).tocsr()
        w.eliminate_zeros()
        return w


#: the per-member state, as :class:`Staff` declares it
STAFF_STATE = declared(Staff)
SEAT = tuple(v for v in STAFF_STATE if v.on_new is None)
OCCUPANT = tuple(v for v in STAFF_STATE if v.on_new is not None)


def _per_level(level: np.ndarray, values: ByLevel) -> np.ndarray:
    """Each member's value for its level: executives, managers, frontline (0 for the CEO and
    the CCO)."""
    table = np.zeros(len(Level))
    table[[Level.EXECUTIVE, Level.MANAGER, Level.FRONTLINE]] = (
        values.executives,
        values.managers,
        values.frontline,
    )
    return table[level]


def _champion_ties(
    firm: Firm,
    chosen: np.ndarray,
    division: np.ndarray,
    sizes: tuple[int, int, int],
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cross-silo ties of a firm's champions: (target, champion, weight), ids within the firm.

    Each champion's targets are drawn among the staff (executives, managers, frontline) outside
    its division, ``ties_per_champion`` of them without replacement: one draw per champion
    (ties vectorised), in the order the champions were chosen, so a seed gives the same ties.
    """
    ch = firm.champions
    n_exec, n_mgr, n_front = sizes
    span, team = n_mgr // n_exec, n_front // n_mgr
    n_staff = n_exec + n_mgr + n_front
    first_staff = len(division) - n_staff  # the CEO and the CCO come first
    n_others = n_staff - (1 + span + span * team)  # staff outside one division
    n_funded = min(len(chosen), funded_projects(ch.budget_per_week, ch.project_cost_per_week))
    weight = ch.tie_weight * np.where(np.arange(len(chosen)) < n_funded, 1.0, ch.unfunded_factor)
    active = (weight > 0) & (n_others > 0)
    k = min(ch.ties_per_champion, n_others)
    sources = chosen[active]
    draws = [rng.choice(n_others, size=k, replace=False) for _ in range(len(sources))]
    pos = np.concatenate(draws).astype(np.int64) if draws else np.zeros(0, dtype=np.int64)
    # the j-th staff member outside division d: skip d's executive, managers and frontline
    # (three ascending blocks of the staff, in member-id order)
    d = np.repeat(division[sources], k)
    blocks = [(d, 1), (n_exec + d * span, span), (n_exec + n_mgr + d * span * team, span * team)]
    for block_start, length in blocks:
        pos = pos + length * (pos >= block_start)
    targets = first_staff + pos
    return targets, np.repeat(sources, k), np.repeat(weight[active], k)


def _firm_block(
    firm: Firm, index: int, offset: int, params: FirmParameters, rng: np.random.Generator
) -> dict[str, Any]:
    """Seats of one firm (every seat variable of :class:`Staff`, peer groups numbered from 0
    within the firm), its founders' own commitment, and its line and champion ties (member ids
    from ``offset``), rows normalized with the peer ties as in W.

    Random draws, in this order: founders' commitment, the CCO's reached divisions, champions,
    and each champion's targets.
    """
    org = firm.organization
    has_cco = firm.cco is not None
    n_exec, span, team = org.executives, org.span_of_control, org.team_size
    n_mgr = n_exec * span
    n_front = n_mgr * team
    top = 1 + int(has_cco)  # the CEO and the CCO, ids 0 and 1 within the firm
    execs = top + np.arange(n_exec)
    mgrs = top + n_exec + np.arange(n_mgr)
    fronts = top + n_exec + n_mgr + np.arange(n_front)
    n = top + n_exec + n_mgr + n_front

    level = np.concatenate(
        [
            np.full(top, Level.CCO),
            np.full(n_exec, Level.EXECUTIVE),
            np.full(n_mgr, Level.MANAGER),
            np.full(n_front, Level.FRONTLINE),
        ]
    ).astype(np.int64)
    level[0] = Level.CEO
    exec_div = np.arange(n_exec)
    mgr_div = np.repeat(exec_div, span)
    division = np.concatenate([np.full(top, -1), exec_div, mgr_div, np.repeat(mgr_div, team)])
    boss = np.concatenate([np.full(top, -1), np.zeros(n_exec, np.int64), execs.repeat(span)])
    boss = np.concatenate([boss, mgrs.repeat(team)])
    boss[top:] += offset

    lam = _per_level(level, org.susceptibility)  # the CEO and the CCO are stubborn anchors
    culture, spread = params.initial_culture[index], params.initial_culture_spread[index]
    commitment = np.clip(rng.normal(culture, spread, n), 0, 1)
    commitment[0] = firm.leadership.ceo_commitment
    if has_cco:
        commitment[1] = firm.cco.commitment
    turnover = per_week(_per_level(level, org.turnover_per_year), 52.0)  # they do not leave

    # executives: the CEO, and in the divisions the CCO reaches, the CCO in proportion to its
    # effective authority (it takes that share of the CEO's voice on CX matters, as far as the
    # CEO's own commitment backs it: firm.cco_authority); in those divisions everyone is held
    # accountable by the CCO's CX metrics, which speeds their change
    share = np.zeros(n_exec)
    accountability = np.ones(n)
    if has_cco:
        authority = params.cco_authority[index]
        reached = rng.choice(n_exec, size=round(firm.cco.reach * n_exec), replace=False)
        share[reached] = authority
        accountability[np.isin(division, reached)] = 1.0 + firm.cco.accountability * authority
    to_cco = share > 0
    # managers and frontline: their boss, weight 1, and the CEO as they see it, weight
    # ceo_visibility (rows are normalized below)
    below = np.concatenate([mgrs, fronts])
    rows = [execs, execs[to_cco], below, below]
    cols = [
        np.zeros(n_exec, np.int64),
        np.ones(int(to_cco.sum()), np.int64),
        boss[below] - offset,
        np.zeros(len(below), np.int64),
    ]
    vals = [
        1.0 - share,
        share[to_cco],
        np.ones(len(below)),
        np.full(len(below), org.ceo_visibility),
    ]

    champion = np.zeros(n, dtype=bool)
    ch = firm.champions
    if ch is not None and ch.count > 0:
        chosen = rng.choice(below, size=min(ch.count, len(below)), replace=False)
        champion[chosen] = True
        held = params.champion_commitment[index]
        commitment[chosen] = held
        lam[chosen] = lam[chosen] * (1.0 - held)  # committed champions hold their view
        t, s, w = _champion_ties(firm, chosen, division, (n_exec, n_mgr, n_front), rng)
        rows, cols, vals = [*rows, t], [*cols, s], [*vals, w]

    # peer groups: the CEO and the CCO alone, the executives, each executive's managers, and
    # each manager's team; within a group of g, each member's g − 1 peers share peer_weight
    group = np.concatenate(
        [
            np.arange(top),
            np.full(n_exec, top),
            top + 1 + mgr_div,
            top + 1 + n_exec + np.arange(n_mgr).repeat(team),
        ]
    )
    g = np.bincount(group)[group]
    peer = np.where(g > 1, org.peer_weight / np.maximum(g - 1, 1), 0.0)

    # rows of W sum to 1: the raw line and champion ties plus the whole peer weight
    rows, cols, vals = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    row_sum = np.bincount(rows, weights=vals, minlength=n) + np.where(g > 1, org.peer_weight, 0.0)
    inv = np.divide(1.0, row_sum, out=np.zeros_like(row_sum), where=row_sum > 0)
    return {
        "firm": np.full(n, index),
        "level": level,
        "division": division,
        "boss": boss,
        "champion": champion,
        "susceptibility": lam,
        "group": group,
        "peer_share": peer * inv,
        "turnover_weekly": turnover,
        "accountability": accountability,
        "commitment": commitment,
        "tie_row": rows + offset,
        "tie_col": cols + offset,
        "tie_weight": vals * inv[rows],
        "frontline": fronts + offset,
        "size": n,
        "groups": top + 1 + n_exec + n_mgr,
    }


def build_organization(
    firms: list[Firm], params: FirmParameters, rng: np.random.Generator
) -> Staff:
    """Build every firm's org network and its row-stochastic influence, and hire the founders
    (ODD.md §5, §7.4)."""
    blocks, offset, group_offset = [], 0, 0
    for index, firm in enumerate(firms):
        block = _firm_block(firm, index, offset, params, rng)
        block["group"] = block["group"] + group_offset
        blocks.append(block)
        offset += block["size"]
        group_offset += block["groups"]

    def cat(key: str) -> np.ndarray:
        return np.concatenate([b[key] for b in blocks])

    ties = sp.csr_matrix(
        (cat("tie_weight"), (cat("tie_row"), cat("tie_col"))), shape=(offset, offset)
    )
    ties.eliminate_zeros()
    seats = {var.name: cat(var.name).astype(var.dtype) for var in SEAT}
    founders = Newcomers(np.arange(offset), seats["firm"], cat("commitment"), params)
    occupants = {var.name: var.values(var.initial, founders, offset) for var in OCCUPANT}
    return Staff(**seats, **occupants, ties=ties, frontline_of=[b["frontline"] for b in blocks])


class StaffMember(mesa.Agent):
    """A Mesa agent that is a read-only view of one seat of an organization.

    ``index`` is the seat (its member id in :class:`Staff`); every property reads the arrays as
    they are now, and the weekly update runs on the arrays, never on agents. Turnover replaces
    the seat's occupant, not the agent: after a hire the same agent shows the newcomer's
    commitment and skill, and a tenure of 0. ``model.agents_by_type[StaffMember]`` gives the
    usual Mesa view (select, groupby, ...), e.g. for drawing the organization.
    """

    def __init__(self, model: mesa.Model, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def org(self) -> Staff:
        """The arrays this agent views."""
        return self.model.organization

    @property
    def firm(self) -> str:
        """Name of the seat's firm."""
        return self.model.scenario.firms[int(self.org.firm[self.index])].name

    @property
    def level(self) -> Level:
        """The seat's level."""
        return Level(int(self.org.level[self.index]))

    @property
    def is_champion(self) -> bool:
        """Whether the seat is a champion's."""
        return bool(self.org.champion[self.index])

    @property
    def commitment(self) -> float:
        """The occupant's customer-first commitment now."""
        return float(self.org.commitment[self.index])

    @property
    def skill(self) -> float:
        """The occupant's skill."""
        return float(self.org.skill[self.index])

    @property
    def tenure_weeks(self) -> int:
        """Weeks since the occupant was hired (or the organization founded)."""
        return int(self.org.tenure_weeks[self.index])
