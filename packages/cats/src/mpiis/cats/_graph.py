"""Causal graphs with latent, bidirected and selection nodes, d-separation, implied
conditional independences and back-door adjustment sets (brief: "Graphs", "Implications",
"Adjustment sets"). All graph logic runs on networkx (``is_d_separator``,
``find_minimal_d_separator``); there is no JAX here."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import networkx as nx

__all__ = ["CausalGraph", "Independence", "adjustment_sets", "d_separated",
           "implied_independencies"]


def _latent_name(a: str, b: str) -> str:
    a, b = sorted((a, b))
    return f"U_{a}_{b}"


@dataclass(frozen=True)
class CausalGraph:
    """A DAG over named nodes with optional latent nodes, bidirected edges and selection nodes.

    A bidirected edge ``A <-> B`` is stored as a latent parent ``U_A_B -> A, B``. Selection nodes
    are conditioned on implicitly in every query, because a results table only holds the
    selected rows.

    Args:
        edges: directed edges ``(parent, child)``.
        latent: unobserved nodes.
        bidirected: pairs ``(a, b)`` with a latent common cause.
        selection: selection nodes.
        nodes: extra (isolated) nodes.

    Raises:
        ValueError: when the graph has a cycle (the message lists it), a self-loop, or a
            latent/selection node that is not in the graph.
    """

    edges: tuple[tuple[str, str], ...]
    latent: frozenset[str] = field(default_factory=frozenset)
    selection: frozenset[str] = field(default_factory=frozenset)
    nodes: tuple[str, ...] = ()

    def __init__(self, edges: Iterable[tuple[str, str]] = (), *, latent: Iterable[str] = (),
                 bidirected: Iterable[tuple[str, str]] = (), selection: Iterable[str] = (),
                 nodes: Iterable[str] = ()) -> None:
        es: list[tuple[str, str]] = []
        for e in edges:
            if not (isinstance(e, tuple | list) and len(e) == 2):
                raise ValueError(f"`edges` must hold (parent, child) pairs, got {e!r}")
            a, b = str(e[0]), str(e[1])
            if a == b:
                raise ValueError(f"`edges` holds a self-loop on {a!r}")
            es.append((a, b))
        lat = {str(v) for v in latent}
        for pair in bidirected:
            if not (isinstance(pair, tuple | list) and len(pair) == 2):
                raise ValueError(f"`bidirected` must hold (a, b) pairs, got {pair!r}")
            a, b = str(pair[0]), str(pair[1])
            u = _latent_name(a, b)
            lat.add(u)
            es += [(u, a), (u, b)]
        es = list(dict.fromkeys(es))
        all_nodes = list(dict.fromkeys([str(n) for n in nodes] + [v for e in es for v in e]))
        sel = {str(v) for v in selection}
        for name, group in (("latent", lat), ("selection", sel)):
            missing = sorted(group - set(all_nodes))
            if missing:
                raise ValueError(f"`{name}` names nodes not in the graph: {missing}; "
                                 f"graph nodes are {sorted(all_nodes)}")
        if lat & sel:
            raise ValueError(f"a node cannot be both latent and selection: {sorted(lat & sel)}")
        g = nx.DiGraph()
        g.add_nodes_from(all_nodes)
        g.add_edges_from(es)
        try:
            cycle = nx.find_cycle(g)
        except nx.NetworkXNoCycle:
            cycle = None
        if cycle:
            path = " -> ".join([cycle[0][0]] + [b for _, b in cycle])
            raise ValueError(f"the graph must be acyclic, found the cycle {path}")
        object.__setattr__(self, "edges", tuple(es))
        object.__setattr__(self, "latent", frozenset(lat))
        object.__setattr__(self, "selection", frozenset(sel))
        object.__setattr__(self, "nodes", tuple(all_nodes))
        for v in all_nodes:
            g.nodes[v]["latent"] = v in lat
            g.nodes[v]["selection"] = v in sel
        object.__setattr__(self, "_nx", g)  # cached; internal read-only use

    # -- views -------------------------------------------------------------------------------
    @property
    def observed(self) -> tuple[str, ...]:
        """Nodes that are neither latent nor selection nodes (the ones with table columns)."""
        return tuple(v for v in self.nodes if v not in self.latent and v not in self.selection)

    def to_networkx(self) -> nx.DiGraph:
        """A fresh ``networkx.DiGraph`` with node attributes ``latent`` and ``selection``."""
        return self._nx.copy()

    @classmethod
    def from_networkx(cls, g: nx.DiGraph, *, latent: Iterable[str] = (),
                      selection: Iterable[str] = ()) -> CausalGraph:
        """Build from a ``networkx.DiGraph``; node attributes ``latent=True`` / ``selection=True``
        are honoured as well as the keyword arguments."""
        if not isinstance(g, nx.DiGraph):
            raise TypeError(f"`g` must be a networkx.DiGraph, got {type(g).__name__}")
        lat = set(latent) | {v for v, d in g.nodes(data=True) if d.get("latent")}
        sel = set(selection) | {v for v, d in g.nodes(data=True) if d.get("selection")}
        return cls(list(g.edges), latent=lat, selection=sel, nodes=list(g.nodes))

    def to_dot(self) -> str:
        """DOT text: ``a -> b;`` edges and ``u [latent];`` / ``s [selection];`` attributes."""
        lines = ["digraph {"]
        for v in self.nodes:
            attrs = [a for a, on in (("latent", v in self.latent),
                                     ("selection", v in self.selection)) if on]
            lines.append(f'  "{v}"' + (f" [{', '.join(attrs)}]" if attrs else "") + ";")
        lines += [f'  "{a}" -> "{b}";' for a, b in self.edges]
        lines.append("}")
        return "\n".join(lines)

    @classmethod
    def from_dot(cls, text: str) -> CausalGraph:
        """Parse the DOT subset written by :meth:`to_dot`: ``a -> b -> c;``, ``a <-> b;`` and
        node attributes ``[latent]`` / ``[selection]``. No pydot needed."""
        if not isinstance(text, str):
            raise TypeError(f"`text` must be a str, got {type(text).__name__}")
        body = re.sub(r"//[^\n]*", "", text)
        m = re.search(r"\{(.*)\}", body, re.S)
        if m is None:
            raise ValueError("`text` must contain a DOT body in braces, e.g. 'digraph { a -> b; }'")
        edges, bidir, lat, sel, nodes = [], [], set(), set(), []
        tok = r'"[^"]+"|[A-Za-z_][\w.]*'
        for stmt in re.split(r"[;\n]", m.group(1)):
            stmt = stmt.strip()
            if not stmt or stmt.startswith(("graph", "node", "edge", "rankdir")):
                continue
            attrs = re.search(r"\[(.*)\]", stmt)
            core = stmt[: attrs.start()].strip() if attrs else stmt
            parts = re.split(r"\s*(<->|->)\s*", core)
            names = [p.strip().strip('"') for p in parts[::2]]
            ops = parts[1::2]
            for name in names:
                if not re.fullmatch(tok, f'"{name}"') or not name:
                    raise ValueError(f"cannot parse DOT statement {stmt!r}")
            nodes += names
            for (a, b), op in zip(itertools.pairwise(names), ops, strict=True):
                (bidir if op == "<->" else edges).append((a, b))
            if attrs and len(names) == 1:
                flags = attrs.group(1)
                if "latent" in flags:
                    lat.add(names[0])
                if "selection" in flags:
                    sel.add(names[0])
        return cls(edges, latent=lat, bidirected=bidir, selection=sel, nodes=nodes)

    def rename(self, mapping: Mapping[str, str]) -> CausalGraph:
        """The same graph with nodes renamed by ``mapping`` (others keep their names)."""
        f = {v: mapping.get(v, v) for v in self.nodes}
        return CausalGraph([(f[a], f[b]) for a, b in self.edges],
                           latent={f[v] for v in self.latent},
                           selection={f[v] for v in self.selection},
                           nodes=[f[v] for v in self.nodes])

    def check_nodes(self, names: Iterable[str], arg: str) -> None:
        """Raise ``ValueError`` naming ``arg`` when a name is not a node."""
        for v in names:
            if v not in self.nodes:
                raise ValueError(f"`{arg}` names the unknown node {v!r}; "
                                 f"expected one of {sorted(self.nodes)}")


@dataclass(frozen=True)
class Independence:
    """One implied conditional independence ``x ⊥ y | given``.

    Attributes:
        x, y: the two nodes.
        given: the observed conditioning set (selection nodes are implicit and not listed).
        status: ``"testable"``; ``"population"`` (holds once selection is undone, so it is
            testable only with selection weights); or ``"untestable"`` (``reason`` says why).
        reason: why it is untestable or population-only ('' otherwise).
    """

    x: str
    y: str
    given: tuple[str, ...] = ()
    status: Literal["testable", "population", "untestable"] = "testable"
    reason: str = ""

    def __str__(self) -> str:
        cond = f" | {', '.join(self.given)}" if self.given else ""
        return f"{self.x} ⊥ {self.y}{cond}"


def _as_set(v: str | Iterable[str]) -> set[str]:
    return {v} if isinstance(v, str) else set(v)


def d_separated(graph: CausalGraph, x: str | Iterable[str], y: str | Iterable[str],
                given: Iterable[str] = ()) -> bool:
    """Whether ``x`` and ``y`` are d-separated given ``given`` and the selection nodes.

    Raises:
        ValueError: on unknown nodes or overlapping sets.
    """
    xs, ys, zs = _as_set(x), _as_set(y), _as_set(given) | set(graph.selection)
    for arg, s in (("x", xs), ("y", ys), ("given", zs)):
        graph.check_nodes(s, arg)
    if xs & ys or (xs | ys) & zs:
        raise ValueError(f"`x`, `y` and `given` must be disjoint, got {sorted(xs)}, "
                         f"{sorted(ys)}, {sorted(zs)}")
    return bool(nx.is_d_separator(graph._nx, xs, ys, zs))


def _separator(g: nx.DiGraph, a: str, b: str, allowed: set[str],
               included: set[str]) -> set[str] | None:
    try:
        return nx.find_minimal_d_separator(g, {a}, {b}, included=set(included),
                                           restricted=set(allowed) | set(included))
    except nx.NetworkXError:
        return None


def implied_independencies(
    graph: CausalGraph,
    *,
    kind: Literal["missing_edge", "local_markov"] = "missing_edge",
    max_cond: int = 3,
    observed: Iterable[str] | None = None,
) -> tuple[Independence, ...]:
    """The testable implications of a graph (following dagitty's design).

    ``kind="missing_edge"``: for every non-adjacent pair of observed nodes, a minimal
    d-separator restricted to observed nodes (selection nodes always included). When none exists
    or it is larger than ``max_cond`` the statement is kept as ``untestable`` with the reason.
    A pair that is separable only once selection is undone is marked ``population``.
    ``kind="local_markov"``: ``V ⊥ W | pa(V)`` for every non-descendant non-parent ``W``.
    Every statement is checked with ``networkx.is_d_separator`` as an internal invariant.

    Args:
        graph: the causal graph.
        kind: which family of statements.
        max_cond: the largest conditioning set reported as testable.
        observed: nodes to treat as observed (default ``graph.observed``); used for latent
            nodes with a declared proxy.
    """
    if kind not in ("missing_edge", "local_markov"):
        raise ValueError(f"`kind` must be 'missing_edge' or 'local_markov', got {kind!r}")
    if not isinstance(max_cond, int) or max_cond < 0:
        raise ValueError(f"`max_cond` must be a non-negative int, got {max_cond!r}")
    obs = list(graph.observed if observed is None else observed)
    graph.check_nodes(obs, "observed")
    g = graph._nx
    sel = set(graph.selection)
    pop = g
    if sel:
        pop = g.copy()
        pop.remove_nodes_from(sel)
    out: list[Independence] = []
    if kind == "missing_edge":
        for a, b in itertools.combinations(obs, 2):
            if g.has_edge(a, b) or g.has_edge(b, a):
                continue
            z = _separator(g, a, b, set(obs), sel)
            if z is not None:
                given = tuple(v for v in obs if v in z)
                assert nx.is_d_separator(g, {a}, {b}, set(z))
                if len(given) > max_cond:
                    out.append(Independence(a, b, given, "untestable",
                                            f"smallest separator found has {len(given)} > "
                                            f"max_cond={max_cond} nodes"))
                else:
                    out.append(Independence(a, b, given))
                continue
            zp = _separator(pop, a, b, set(obs), set()) if sel else None
            if zp is not None and len(zp) <= max_cond:
                given = tuple(v for v in obs if v in zp)
                assert nx.is_d_separator(pop, {a}, {b}, set(zp))
                out.append(Independence(a, b, given, "population",
                                        "holds only before selection "
                                        f"({', '.join(sorted(sel))}); testable with selection "
                                        "weights"))
            else:
                out.append(Independence(a, b, (), "untestable",
                                        "no set of observed nodes d-separates them "
                                        "(a latent or selection path stays open)"))
        return tuple(out)
    for v in obs:
        parents = sorted(g.predecessors(v))
        desc = nx.descendants(g, v)
        others = [w for w in obs if w != v and w not in desc and w not in parents]
        for w in others:
            if any(s.x == w and s.y == v and s.given == tuple(parents) for s in out):
                continue
            hidden = [p for p in parents if p not in obs]
            if hidden:
                out.append(Independence(v, w, tuple(parents), "untestable",
                                        f"parents {hidden} of {v} are not observed"))
            elif len(parents) > max_cond:
                out.append(Independence(v, w, tuple(parents), "untestable",
                                        f"{len(parents)} parents > max_cond={max_cond}"))
            elif nx.is_d_separator(g, {v}, {w}, set(parents) | sel):
                out.append(Independence(v, w, tuple(parents)))
            else:
                assert nx.is_d_separator(pop, {v}, {w}, set(parents) - sel)
                out.append(Independence(v, w, tuple(parents), "population",
                                        "holds only before selection"))
    return tuple(out)


def adjustment_sets(
    graph: CausalGraph,
    treatment: str,
    outcome: str,
    *,
    which: Literal["minimal", "all"] = "minimal",
    max_size: int = 5,
    observed: Iterable[str] | None = None,
) -> tuple[frozenset[str], ...]:
    """Back-door adjustment sets for one treatment and one outcome.

    ``Z`` is a subset of the observed nodes without descendants of the treatment that
    d-separates treatment and outcome once the treatment's outgoing edges are removed; selection
    nodes are always conditioned on (and not listed). Enumeration goes by increasing size up to
    ``max_size``; ``which="minimal"`` keeps the inclusion-minimal sets.

    Returns:
        A tuple of frozensets (empty when no valid set exists up to ``max_size``).

    Raises:
        ValueError: unknown nodes, ``treatment == outcome``, a latent treatment or outcome.
    """
    graph.check_nodes([treatment], "treatment")
    graph.check_nodes([outcome], "outcome")
    if treatment == outcome:
        raise ValueError(f"`treatment` and `outcome` must differ, both are {treatment!r}")
    obs = set(graph.observed if observed is None else observed)
    for arg, v in (("treatment", treatment), ("outcome", outcome)):
        if v not in obs:
            raise ValueError(f"`{arg}` {v!r} is latent or a selection node; it must be observed")
    if which not in ("minimal", "all"):
        raise ValueError(f"`which` must be 'minimal' or 'all', got {which!r}")
    if not isinstance(max_size, int) or max_size < 0:
        raise ValueError(f"`max_size` must be a non-negative int, got {max_size!r}")
    g = graph._nx
    sel = set(graph.selection)
    desc = nx.descendants(g, treatment)
    cand = sorted(obs - desc - {treatment, outcome} - sel)
    gb = g.copy()
    gb.remove_edges_from(list(g.out_edges(treatment)))
    found: list[frozenset[str]] = []
    for k in range(min(max_size, len(cand)) + 1):
        for z in itertools.combinations(cand, k):
            zs = frozenset(z)
            if which == "minimal" and any(f <= zs for f in found):
                continue
            if nx.is_d_separator(gb, {treatment}, {outcome}, set(zs) | sel):
                found.append(zs)
    return tuple(found)
