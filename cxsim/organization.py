"""The organizations: every firm's staff as one set of arrays, an influence operator in factored
form, and Mesa agents that are views onto those arrays.

The influence matrix W of the culture cascade (ODD.md §7.4) has two parts. Line ties (boss, CEO,
CCO) and champion ties are few, about one per member, and are kept as one sparse matrix over all
firms (block-diagonal by firm). Peer ties are many (a team of t has t(t − 1) of them) but all
alike: each member is pulled by the mean of the other members of its group. They are applied in
factored form, from group sums, so memory stays proportional to the number of members.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import mesa
import numpy as np
import scipy.sparse as sp

from .rules import funded_projects, per_week
from .scenario import ByLevel, Firm

__all__ = ["Level", "Organization", "StaffMember", "build_organization"]


class Level(IntEnum):
    """Organizational level of a staff member."""

    CEO = 0
    CCO = 1
    EXECUTIVE = 2
    MANAGER = 3
    FRONTLINE = 4


@dataclass
class Organization:
    """Struct-of-arrays state of every staff member of every firm (index = member id).

    Row i of the row-stochastic influence matrix W is ``ties[i]`` plus ``peer_share[i]`` on each
    other member of group ``group[i]``; :meth:`influence` applies W, :attr:`weights` builds it.
    """

    firm: np.ndarray  # int: firm index
    level: np.ndarray  # int: Level
    division: np.ndarray  # int: executive's division within the firm (-1 for CEO/CCO)
    boss: np.ndarray  # int: member id of the line boss (-1 for the CEO and the CCO)
    champion: np.ndarray  # bool: a grassroots CX champion
    susceptibility: np.ndarray  # lambda in Friedkin–Johnsen
    anchor: np.ndarray  # x0: own prior commitment
    commitment: np.ndarray  # x: customer-first commitment now
    skill: np.ndarray  # frontline skill (visible, trainable)
    tenure_weeks: np.ndarray
    ties: sp.csr_matrix  # the line and champion part of W, row-normalized like W
    group: np.ndarray  # int: peer group (executives of a firm, an executive's managers, a team)
    peer_share: np.ndarray  # weight in W of each other member of one's group (0: no peer ties)
    turnover_weekly: np.ndarray  # per member
    frontline_of: list[np.ndarray] = field(default_factory=list)  # per firm: member ids

    @property
    def size(self) -> int:
        """Number of staff members of all firms."""
        return len(self.firm)

    def mean_by(self, values: np.ndarray, firm: int, levels: tuple[Level, ...]) -> float:
        """Mean of ``values`` over one firm's members at ``levels`` (NaN if there are none)."""
        mask = (self.firm == firm) & np.isin(self.level, levels)
        return float(values[mask].mean()) if mask.any() else float("nan")

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


def _firm_block(firm: Firm, offset: int, rng: np.random.Generator) -> dict[str, Any]:
    """Members of one firm, its line and champion ties (raw weights, member ids from
    ``offset``), and its peer groups (numbered from 0 within the firm).

    Random draws, in this order: anchors, the CCO's reached divisions, champions, and each
    champion's targets.
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
    anchor = np.clip(rng.normal(org.initial_culture, org.initial_culture_spread, n), 0, 1)
    anchor[0] = firm.leadership.ceo_commitment
    if has_cco:
        anchor[1] = firm.cco.commitment
    turnover = per_week(_per_level(level, org.turnover_per_year), 52.0)  # they do not leave

    # executives: the CEO, and in the divisions the CCO reaches, the CCO in proportion to its
    # authority as backed by the CEO (it takes that share of the CEO's voice on CX matters)
    share = np.zeros(n_exec)
    if has_cco:
        n_reached = round(firm.cco.reach * n_exec)
        share[rng.choice(n_exec, size=n_reached, replace=False)] = (
            firm.cco.authority * firm.cco.ceo_backing
        )
    to_cco = share > 0
    # managers and frontline: their boss, weight 1 (rows are normalized later)
    below = np.concatenate([mgrs, fronts])
    rows = [execs, execs[to_cco], below]
    cols = [np.zeros(n_exec, np.int64), np.ones(int(to_cco.sum()), np.int64), boss[below] - offset]
    vals = [1.0 - share, share[to_cco], np.ones(len(below))]

    champion = np.zeros(n, dtype=bool)
    ch = firm.champions
    if ch is not None and ch.count > 0:
        chosen = rng.choice(below, size=min(ch.count, len(below)), replace=False)
        champion[chosen] = True
        anchor[chosen] = ch.commitment
        lam[chosen] = lam[chosen] * (1.0 - ch.commitment)  # committed champions hold their view
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

    return {
        "level": level,
        "division": division,
        "boss": boss,
        "champion": champion,
        "susceptibility": lam,
        "anchor": anchor,
        "skill": np.full(n, org.initial_skill),
        "turnover_weekly": turnover,
        "group": group,
        "peer": peer,
        "peer_total": np.where(g > 1, org.peer_weight, 0.0),
        "tie_row": np.concatenate(rows) + offset,
        "tie_col": np.concatenate(cols) + offset,
        "tie_weight": np.concatenate(vals),
        "frontline": fronts + offset,
        "size": n,
        "groups": top + 1 + n_exec + n_mgr,
    }


def build_organization(firms: list[Firm], rng: np.random.Generator) -> Organization:
    """Build every firm's org network and its row-stochastic influence (ODD.md §5, §7.4)."""
    blocks, offset, group_offset = [], 0, 0
    for firm in firms:
        block = _firm_block(firm, offset, rng)
        block["group"] = block["group"] + group_offset
        blocks.append(block)
        offset += block["size"]
        group_offset += block["groups"]

    def cat(key: str) -> np.ndarray:
        return np.concatenate([b[key] for b in blocks])

    rows, cols, raw = cat("tie_row"), cat("tie_col"), cat("tie_weight")
    row_sum = np.bincount(rows, weights=raw, minlength=offset) + cat("peer_total")
    inv = np.divide(1.0, row_sum, out=np.zeros_like(row_sum), where=row_sum > 0)
    ties = sp.csr_matrix((raw * inv[rows], (rows, cols)), shape=(offset, offset))
    ties.eliminate_zeros()
    anchor = cat("anchor")
    return Organization(
        firm=np.repeat(np.arange(len(firms)), [b["size"] for b in blocks]),
        level=cat("level"),
        division=cat("division"),
        boss=cat("boss"),
        champion=cat("champion"),
        susceptibility=cat("susceptibility"),
        anchor=anchor,
        commitment=anchor.copy(),
        skill=cat("skill"),
        tenure_weeks=np.zeros(offset),
        ties=ties,
        group=cat("group"),
        peer_share=cat("peer") * inv,
        turnover_weekly=cat("turnover_weekly"),
        frontline_of=[b["frontline"] for b in blocks],
    )


class StaffMember(mesa.Agent):
    """A member of a firm's organization: a Mesa agent whose state lives in the arrays.

    ``model.agents_by_type[StaffMember]`` gives the usual Mesa view (select, groupby, ...)
    while the weekly update runs on the arrays.
    """

    def __init__(self, model: mesa.Model, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def org(self) -> Organization:
        return self.model.organization

    @property
    def firm(self) -> str:
        return self.model.scenario.firms[int(self.org.firm[self.index])].name

    @property
    def level(self) -> Level:
        return Level(int(self.org.level[self.index]))

    @property
    def commitment(self) -> float:
        return float(self.org.commitment[self.index])

    @property
    def skill(self) -> float:
        return float(self.org.skill[self.index])

    @property
    def is_champion(self) -> bool:
        return bool(self.org.champion[self.index])
