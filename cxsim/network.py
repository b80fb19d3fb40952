"""The organizations as a Mesa network space: each staff member's Mesa agent sits on its seat's
node, so that Mesa's own space drawing (``make_space_component``) shows the culture cascade.

The graph holds the influence ties of ODD §7.4 that are one person listening to another: each
member's line boss, the CCO for the executives it reaches, and the champions' cross-silo ties.
Two kinds of ties in W are left out of the graph because they would join almost everyone to
everyone: the peers within a group, and the CEO as every manager and frontline member reads it
(``organization.ceo_visibility``).

Needs ``networkx`` (the ``app`` extra); the model itself never imports this module.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np
from mesa.discrete_space import Network

from .model import CXModel
from .organization import Level, Staff

__all__ = ["influence_graph", "network_space", "stored_layout", "tree_layout"]

#: the height of each level in the drawing (frontline rows are staggered below 0.5)
_HEIGHT = {
    Level.CEO: 3.3,
    Level.CCO: 3.0,
    Level.EXECUTIVE: 2.3,
    Level.MANAGER: 1.3,
    Level.FRONTLINE: 0.0,
}
_GAP = 0.12  # between firms, as a share of a firm's width


def tree_layout(org: Staff) -> np.ndarray:
    """(x, y) of every seat: each firm an org chart of width 1 side by side, the CEO on top,
    each boss above the middle of its people, the frontline in three staggered rows."""
    pos = np.zeros((org.size, 2))
    level = org.level
    for f in range(int(org.firm.max()) + 1):
        seats = np.flatnonzero(org.firm == f)
        x0 = f * (1.0 + _GAP)
        front = seats[level[seats] == Level.FRONTLINE]
        k = np.arange(front.size)
        pos[front, 0] = x0 + (k + 0.5) / max(front.size, 1)
        pos[front, 1] = 0.25 * (k % 3)
        for lvl in (Level.MANAGER, Level.EXECUTIVE):
            below = seats[(level[seats] == lvl + 1) & (org.boss[seats] >= 0)]
            sums = np.bincount(org.boss[below], pos[below, 0], org.size)
            count = np.bincount(org.boss[below], minlength=org.size)
            mine = seats[level[seats] == lvl]
            pos[mine, 0] = np.where(
                count[mine] > 0, sums[mine] / np.maximum(count[mine], 1), x0 + 0.5
            )
        for lvl, x in ((Level.CEO, 0.5), (Level.CCO, 0.62)):
            pos[seats[level[seats] == lvl], 0] = x0 + x
        for lvl, y in _HEIGHT.items():
            if lvl != Level.FRONTLINE:
                pos[seats[level[seats] == lvl], 1] = y
    return pos


def influence_graph(org: Staff, firm_names: list[str] | None = None) -> nx.Graph:
    """The members (nodes ``0..n-1``, each with its ``pos`` from :func:`tree_layout`) and who
    listens to whom (edges): line, CCO and champion ties, without peers and without the CEO as
    staff below the executives read it. ``graph.graph["firms"]`` holds each firm's label and
    the middle of its drawing."""
    graph = nx.Graph()
    pos = tree_layout(org)
    graph.add_nodes_from((i, {"pos": (float(x), float(y))}) for i, (x, y) in enumerate(pos))
    ties = org.ties.tocoo()
    seen_from_afar = (org.level[ties.col] == Level.CEO) & (org.level[ties.row] >= Level.MANAGER)
    keep = (ties.data > 0) & ~seen_from_afar
    graph.add_edges_from(zip(ties.row[keep].tolist(), ties.col[keep].tolist(), strict=True))
    names = firm_names or [str(f) for f in range(int(org.firm.max()) + 1)]
    graph.graph["firms"] = [(name, float(f * (1.0 + _GAP) + 0.5)) for f, name in enumerate(names)]
    return graph


def stored_layout(graph: nx.Graph, **_: Any) -> dict[int, tuple[float, float]]:
    """A networkx-style layout that returns the ``pos`` stored on each node, in node order
    (what Mesa's ``draw_network`` expects): the org chart is fixed, only the colours move."""
    return {node: graph.nodes[node]["pos"] for node in sorted(graph.nodes)}


def network_space(model: CXModel) -> Network:
    """A Mesa ``Network`` over :func:`influence_graph` with every staff member's agent in the
    cell of its seat (``agent.cell``), so Mesa's space drawing shows the organization."""
    space = Network(influence_graph(model.organization, model.firm_names), random=model.random)
    for agent in model.agents:
        index = getattr(agent, "index", None)
        if index is None:
            continue
        cell = space[index]
        cell.add_agent(agent)
        agent.cell = cell
    return space
