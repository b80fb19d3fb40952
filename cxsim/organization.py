"""The organizations: every firm's staff as one set of arrays, a sparse influence matrix, and
Mesa agents that are views onto those arrays.

All firms share one block-diagonal influence matrix, so the culture cascade of the whole market
is one sparse matrix–vector product a week.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import mesa
import numpy as np
import scipy.sparse as sp

from .rules import funded_projects, per_week
from .scenario import Firm

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
    """Struct-of-arrays state of every staff member of every firm (index = member id)."""

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
    weights: sp.csr_matrix  # row-stochastic influence matrix W (rows of anchors are empty)
    turnover_weekly: np.ndarray  # per member
    frontline_of: list[np.ndarray] = field(default_factory=list)  # per firm: member ids

    @property
    def size(self) -> int:
        return len(self.firm)

    def mean_by(self, values: np.ndarray, firm: int, levels: tuple[Level, ...]) -> float:
        mask = (self.firm == firm) & np.isin(self.level, levels)
        return float(values[mask].mean()) if mask.any() else float("nan")


def _firm_block(
    firm: Firm, offset: int, rng: np.random.Generator
) -> tuple[dict[str, np.ndarray], list[tuple[int, int, float]]]:
    """Members and weighted influence ties (target, source, weight) of one firm."""
    org = firm.organization
    has_cco = firm.cco is not None
    n_exec, span, team = org.executives, org.span_of_control, org.team_size
    n_mgr = n_exec * span
    n_front = n_mgr * team
    ceo = offset
    cco = offset + 1 if has_cco else -1
    first_exec = offset + 1 + int(has_cco)
    execs = first_exec + np.arange(n_exec)
    mgrs = execs[-1] + 1 + np.arange(n_mgr)
    fronts = mgrs[-1] + 1 + np.arange(n_front)
    n = 1 + int(has_cco) + n_exec + n_mgr + n_front

    level = np.concatenate(
        [
            [Level.CEO],
            [Level.CCO] * int(has_cco),
            np.full(n_exec, Level.EXECUTIVE),
            np.full(n_mgr, Level.MANAGER),
            np.full(n_front, Level.FRONTLINE),
        ]
    ).astype(np.int64)
    exec_div = np.arange(n_exec)
    mgr_div = np.repeat(exec_div, span)
    front_div = np.repeat(mgr_div, team)
    division = np.concatenate([[-1] * (1 + int(has_cco)), exec_div, mgr_div, front_div])
    boss = np.concatenate(
        [
            [-1] * (1 + int(has_cco)),
            np.full(n_exec, ceo),
            np.repeat(execs, span),
            np.repeat(mgrs, team),
        ]
    ).astype(np.int64)

    lam_by_level = {
        Level.CEO: 0.0,
        Level.CCO: 0.0,
        Level.EXECUTIVE: org.susceptibility.executives,
        Level.MANAGER: org.susceptibility.managers,
        Level.FRONTLINE: org.susceptibility.frontline,
    }
    lam = np.array([lam_by_level[Level(v)] for v in level])
    anchor = np.clip(rng.normal(org.initial_culture, org.initial_culture_spread, n), 0, 1)
    anchor[0] = firm.leadership.ceo_commitment
    if has_cco:
        anchor[1] = firm.cco.commitment
    per_year = {
        Level.CEO: 0.0,
        Level.CCO: 0.0,
        Level.EXECUTIVE: org.turnover_per_year.executives,
        Level.MANAGER: org.turnover_per_year.managers,
        Level.FRONTLINE: org.turnover_per_year.frontline,
    }
    turnover = np.array([per_year[Level(v)] for v in level])
    turnover = per_week(turnover, 52.0)

    ties: list[tuple[int, int, float]] = []
    # executives: the CEO, and in the divisions the CCO reaches, the CCO in proportion to its
    # authority as backed by the CEO (it takes that share of the CEO's voice on CX matters)
    if has_cco:
        pull = firm.cco.authority * firm.cco.ceo_backing
        n_reached = round(firm.cco.reach * n_exec)
        reached = set(rng.choice(n_exec, size=n_reached, replace=False).tolist())
    else:
        pull, reached = 0.0, set()
    for d, e in enumerate(execs):
        share = pull if d in reached else 0.0
        ties.append((int(e), ceo, 1.0 - share))
        if share > 0:
            ties.append((int(e), cco, share))
    # peers inside each group share peer_weight; the boss tie has weight 1 (normalized later)
    for group in [execs, *np.split(mgrs, n_exec), *np.split(fronts, n_mgr)]:
        if len(group) > 1 and org.peer_weight > 0:
            w = org.peer_weight / (len(group) - 1)
            for i in group:
                ties.extend((int(i), int(j), w) for j in group if j != i)
    for i in np.concatenate([mgrs, fronts]):
        ties.append((int(i), int(boss[i - offset]), 1.0))

    champion = np.zeros(n, dtype=bool)
    ch = firm.champions
    if ch is not None and ch.count > 0:
        pool = np.concatenate([mgrs, fronts]) - offset
        chosen = rng.choice(pool, size=min(ch.count, len(pool)), replace=False)
        champion[chosen] = True
        anchor[chosen] = ch.commitment
        lam[chosen] = lam[chosen] * (1.0 - ch.commitment)  # committed champions hold their view
        n_funded = min(len(chosen), funded_projects(ch.budget_per_week, ch.project_cost_per_week))
        staff = np.concatenate([execs, mgrs, fronts]) - offset
        for k, c in enumerate(chosen):
            weight = ch.tie_weight * (1.0 if k < n_funded else ch.unfunded_factor)
            others = staff[division[staff] != division[c]]
            if weight <= 0 or len(others) == 0:
                continue
            targets = rng.choice(others, size=min(ch.ties_per_champion, len(others)), replace=False)
            ties.extend((int(t) + offset, int(c) + offset, weight) for t in targets)

    skill = np.full(n, org.initial_skill)
    arrays = {
        "level": level,
        "division": division,
        "boss": boss,
        "champion": champion,
        "susceptibility": lam,
        "anchor": anchor,
        "skill": skill,
        "turnover_weekly": turnover,
        "frontline": fronts,
        "size": np.array([n]),
    }
    return arrays, ties


def build_organization(firms: list[Firm], rng: np.random.Generator) -> Organization:
    """Build every firm's org network and its row-stochastic influence matrix."""
    blocks, ties, offset = [], [], 0
    frontline_of = []
    firm_idx = []
    for f, firm in enumerate(firms):
        arrays, firm_ties = _firm_block(firm, offset, rng)
        n = int(arrays["size"][0])
        blocks.append(arrays)
        ties.extend(firm_ties)
        frontline_of.append(arrays["frontline"])
        firm_idx.append(np.full(n, f))
        offset += n
    cat = {
        k: np.concatenate([b[k] for b in blocks])
        for k in blocks[0]
        if k not in {"frontline", "size"}
    }
    t = np.array(ties, dtype=float).reshape(-1, 3)
    w = sp.csr_matrix((t[:, 2], (t[:, 0].astype(int), t[:, 1].astype(int))), shape=(offset, offset))
    row = np.asarray(w.sum(axis=1)).ravel()
    inv = np.divide(1.0, row, out=np.zeros_like(row), where=row > 0)
    w = sp.csr_matrix(sp.diags(inv) @ w)
    anchor = cat["anchor"]
    return Organization(
        firm=np.concatenate(firm_idx),
        level=cat["level"],
        division=cat["division"],
        boss=cat["boss"],
        champion=cat["champion"],
        susceptibility=cat["susceptibility"],
        anchor=anchor,
        commitment=anchor.copy(),
        skill=cat["skill"],
        tenure_weeks=np.zeros(offset),
        weights=w,
        turnover_weekly=cat["turnover_weekly"],
        frontline_of=frontline_of,
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
