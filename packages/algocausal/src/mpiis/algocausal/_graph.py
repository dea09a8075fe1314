"""Factorisations: a DAG over the columns given as an ``nx.DiGraph`` or an ordering tuple."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import networkx as nx

__all__ = ["parse_graph", "type_names"]


def parse_graph(graph: Any, columns: Sequence[str]) -> tuple[tuple[int, ...], dict[int, tuple]]:
    """Parse a factorisation.

    Args:
        graph: an ``nx.DiGraph`` over the column names, or an ordering (tuple/list of all
            column names) meaning the complete DAG along that order.
        columns: the data's column names.

    Returns:
        ``(order, parents)``: a topological order of column indices and, per index, its
        parents' indices (ascending by position in ``order`` for orderings, by column index
        for graphs).

    Raises:
        ValueError: when the graph is not a DAG or its nodes do not match ``columns``.
        TypeError: when ``graph`` is neither.
    """
    cols = list(columns)
    index = {c: i for i, c in enumerate(cols)}
    if isinstance(graph, nx.DiGraph):
        nodes = {str(n) for n in graph.nodes}
        if nodes != set(cols):
            raise ValueError(
                f"`graph` nodes must equal the columns {sorted(cols)}, got {sorted(nodes)}"
            )
        if not nx.is_directed_acyclic_graph(graph):
            raise ValueError(f"`graph` must be a DAG, got a cycle {nx.find_cycle(graph)}")
        order = tuple(
            index[str(n)]
            for n in nx.lexicographical_topological_sort(graph, key=lambda n: index[str(n)])
        )
        parents = {
            index[str(n)]: tuple(sorted(index[str(p)] for p in graph.predecessors(n)))
            for n in graph.nodes
        }
        return order, parents
    if isinstance(graph, tuple | list):
        names = [str(g) for g in graph]
        if sorted(names) != sorted(cols):
            raise ValueError(
                f"`graph` as an ordering must list every column once {sorted(cols)}, got {names}"
            )
        order = tuple(index[n] for n in names)
        return order, {order[p]: order[:p] for p in range(len(order))}
    raise TypeError(
        f"`graph` must be an nx.DiGraph or an ordering tuple of columns, got {type(graph).__name__}"
    )


def type_names(columns: Sequence[str], node: int, parents: tuple[int, ...]) -> list[str]:
    """Mechanism type names of one node: ``"b:Xp->Xi"`` per parent, then ``"v:Xi"``."""
    return [f"b:{columns[p]}->{columns[node]}" for p in parents] + [f"v:{columns[node]}"]


def to_digraph(columns: Sequence[str], parents: dict[int, tuple]) -> nx.DiGraph:
    """The ``nx.DiGraph`` of a parent map."""
    g = nx.DiGraph()
    g.add_nodes_from(columns)
    for i, ps in parents.items():
        for p in ps:
            g.add_edge(columns[p], columns[i])
    return g
