"""``discover_dag``: the decomposable code length searched over small DAGs (brief, "DAG
extension"): exhaustive enumeration for ``d <= 5``, exact subset dynamic programming for
``6 <= d <= 8``."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import jax
import networkx as nx
import numpy as np

from mpiis.shared.progress import progress
from mpiis.shared.validation import check_int

from ._compress import CompressionResult, assemble, fit_nodes
from ._config import CompressionConfig
from ._data import as_multienv
from ._gaussian import env_stats
from ._graph import to_digraph
from ._nodes import NodeFit

__all__ = ["DAGResult", "discover_dag"]

MAX_ENUM_VARS = 5  # full enumeration up to here (29,281 DAGs at d = 5)
MAX_DP_VARS = 8


@dataclass(frozen=True, eq=False)
class DAGResult:
    """The DAG with the shortest two-part code.

    Attributes:
        graph: ``nx.DiGraph`` over the columns; node attribute ``partition`` (environment
            blocks of its mechanism), edge attribute ``weight`` (pooled coefficient of the
            largest block).
        adjacency: ``(d, d)`` int array, ``A[i, j] = 1`` means ``i -> j``.
        score_bits: total bits of eq. (B) of ``graph``.
        gap_bits: runner-up minus best (``nan`` when found by dynamic programming).
        equivalent: every DAG within ``tie_tol_bits`` of the best (the best included).
        local_bits: per column, per parent tuple, the local score in bits.
        fit: the :class:`CompressionResult` of ``graph``.
    """

    graph: nx.DiGraph
    adjacency: np.ndarray
    score_bits: float
    gap_bits: float
    equivalent: tuple[nx.DiGraph, ...]
    local_bits: dict[str, dict[tuple[str, ...], float]] = field(default_factory=dict)
    fit: CompressionResult | None = None


def _popcount(x: int) -> int:
    return bin(x).count("1")


@lru_cache(maxsize=16)
def _all_dags(d: int, max_parents: int) -> np.ndarray:
    """Every DAG on ``d`` nodes with in-degree ``<= max_parents`` as parent bitmasks
    ``(n_dags, d)``, in a fixed order."""
    seen: dict[tuple[int, ...], None] = {}
    for perm in itertools.permutations(range(d)):
        options = []
        for pos, node in enumerate(perm):
            pred = perm[:pos]
            opts = []
            for r in range(min(len(pred), max_parents) + 1):
                for comb in itertools.combinations(sorted(pred), r):
                    opts.append((node, sum(1 << p for p in comb)))
            options.append(opts)
        for choice in itertools.product(*options):
            masks = [0] * d
            for node, mk in choice:
                masks[node] = mk
            seen.setdefault(tuple(masks), None)
    out = np.array(list(seen), dtype=np.int64)
    out.setflags(write=False)
    return out


def _parents_of(mask: int) -> tuple[int, ...]:
    return tuple(i for i in range(mask.bit_length()) if mask >> i & 1)


def discover_dag(
    data: Any, *, max_parents: int = 3, config: CompressionConfig | None = None
) -> DAGResult:
    """Find the DAG whose factorisation gives the shortest code, eq. (B) summed over nodes.

    Local scores ``L_i(pa_i)`` (the node's minimum over its local ``k``, no ``k_max``) are
    computed for every parent set with ``|P| <= max_parents``; the total is
    ``sum_i L_i(pa_i) + n log2 N``.

    Args:
        data: ``MultiEnvData`` or a list of ``(n_e, d)`` arrays, ``d <= 8``.
        max_parents: the largest parent set scored.
        config: default ``CompressionConfig(cost="partition")``.

    Returns:
        A :class:`DAGResult`.

    Raises:
        ValueError: for ``d > 8``, or a codebook search over ``max_combinations``.
    """
    config = CompressionConfig(cost="partition") if config is None else config
    data = as_multienv(data)
    d = data.n_vars
    if d > MAX_DP_VARS:
        raise ValueError(f"`data` must have at most {MAX_DP_VARS} columns for discover_dag, "
                         f"got {d}")
    max_parents = check_int(max_parents, "max_parents", minimum=0)
    max_parents = min(max_parents, d - 1)
    cols = data.columns
    local: dict[int, dict[int, float]] = {i: {} for i in range(d)}
    node_fits: dict[tuple[int, int], NodeFit] = {}
    with jax.enable_x64(config.x64):
        stats = env_stats(data, center=config.center)
        for i in progress(range(d), desc="local scores"):
            others = [j for j in range(d) if j != i]
            for r in range(max_parents + 1):
                for comb in itertools.combinations(others, r):
                    fit = fit_nodes(data, {i: comb}, config, stats=stats)[i]
                    mask = sum(1 << p for p in comb)
                    node_fits[(i, mask)] = fit
                    local[i][mask] = float(np.min(fit.curve))
    label = sum(data.n_samples) * math.log2(data.n_envs)
    tol_of = (lambda s: config.tie_tol_bits) if config.x64 else (lambda s: 1e-6 * abs(s))
    if d <= MAX_ENUM_VARS:
        dags = _all_dags(d, max_parents)
        scores = np.zeros(dags.shape[0])
        for i in range(d):
            lut = np.full(1 << d, np.inf)
            for mk, v in local[i].items():
                lut[mk] = v
            scores += lut[dags[:, i]]
        order = np.argsort(scores, kind="stable")
        best_masks = dags[order[0]]
        best = float(scores[order[0]])
        gap = float(scores[order[1]] - best) if scores.size > 1 else math.inf
        tol = tol_of(best + label)
        eq_idx = order[scores[order] - best <= tol]
        equivalent = tuple(
            to_digraph(cols, {i: _parents_of(int(m)) for i, m in enumerate(dags[j])})
            for j in eq_idx
        )
    else:
        best_masks, best = _dp(local, d, max_parents)
        gap = math.nan
        equivalent = ()
    parents = {i: _parents_of(int(m)) for i, m in enumerate(best_masks)}
    fit = assemble(data, parents, {i: node_fits[(i, int(m))] for i, m in enumerate(best_masks)},
                   config)
    graph = to_digraph(cols, parents)
    for i in range(d):
        graph.nodes[cols[i]]["partition"] = fit.partitions[cols[i]]
        blocks = fit.partitions[cols[i]]
        big = max(range(len(blocks)), key=lambda b: len(blocks[b]))
        for j, p in enumerate(parents[i]):
            graph.edges[cols[p], cols[i]]["weight"] = float(fit.parameters[cols[i]][big, j])
    adj = nx.to_numpy_array(graph, nodelist=list(cols), weight=None).astype(np.int64)
    local_out = {
        cols[i]: {tuple(cols[p] for p in _parents_of(mk)): v for mk, v in local[i].items()}
        for i in range(d)
    }
    return DAGResult(graph=graph, adjacency=adj, score_bits=float(best + label), gap_bits=gap,
                     equivalent=equivalent or (graph,), local_bits=local_out, fit=fit)


def _dp(local: dict[int, dict[int, float]], d: int, max_parents: int):
    """Exact subset DP: best parent set within each candidate set, then best sink order."""
    full = (1 << d) - 1
    best_in: dict[int, list[tuple[float, int]]] = {}
    for i in range(d):
        arr: list[tuple[float, int]] = [(math.inf, 0)] * (1 << d)
        for cand in range(1 << d):
            if cand >> i & 1:
                continue
            b = (math.inf, 0)
            sub = cand
            while True:
                if _popcount(sub) <= max_parents and sub in local[i] and local[i][sub] < b[0]:
                    b = (local[i][sub], sub)
                if sub == 0:
                    break
                sub = (sub - 1) & cand
            arr[cand] = b
        best_in[i] = arr
    f = [math.inf] * (1 << d)
    sink = [-1] * (1 << d)
    f[0] = 0.0
    for w in range(1, full + 1):
        for s in range(d):
            if w >> s & 1:
                rest = w & ~(1 << s)
                v = f[rest] + best_in[s][rest][0]
                if v < f[w]:
                    f[w], sink[w] = v, s
    masks = [0] * d
    w = full
    while w:
        s = sink[w]
        rest = w & ~(1 << s)
        masks[s] = best_in[s][rest][1]
        w = rest
    return np.array(masks), f[full]
