"""Per-node searches of the two costs. Each returns a :class:`NodeFit`: the node's curve over
its local number of mechanism values and, for every local ``k``, the best choice."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from ._codebook import codebook_from_values
from ._config import CompressionConfig
from ._gaussian import EnvStats, kl_bits_tables, node_estimates
from ._kernel import beam_plan, env_bucket, make_plan, padded_stats, run_search
from ._penalty import _codebook_cost, stirling2
from ._search import count_subsets, set_partitions

__all__ = ["NodeChoice", "NodeFit", "codebook_node", "default_codebooks", "partition_node"]


@dataclass(frozen=True, eq=False)
class NodeChoice:
    """The best choice of one node at one local ``k``.

    Attributes:
        ks: per type, the number of values used.
        assign: ``(N, n_params)`` per-environment parameter values ``(beta..., v)``.
        candidates: ``(C, n_params)`` the mechanisms available to new environments.
        data_bits / model_bits: the node's share of eq. (B).
        select_value: the summed KL (or code length) that selected this choice.
        subsets: per type, the chosen codebook indices (codebook cost only).
    """

    ks: tuple[int, ...]
    assign: np.ndarray
    data_bits: float
    model_bits: float
    select_value: float
    subsets: tuple[tuple[int, ...], ...] = ()
    values: tuple[np.ndarray, ...] = ()
    rows: np.ndarray | None = None

    @property
    def candidates(self) -> np.ndarray:
        """``(C, n_params)``: ``rows`` when given, else the product of the chosen ``values``
        per type (built on demand: only the optimum's are ever read)."""
        if self.rows is not None:
            return self.rows
        grids = np.meshgrid(*self.values, indexing="ij")
        return np.stack([g.reshape(-1) for g in grids], axis=1)

    @property
    def total_bits(self) -> float:
        return self.data_bits + self.model_bits


@dataclass(frozen=True, eq=False)
class NodeFit:
    """Curve ``curve[k]`` (+inf where infeasible) and choices of one node."""

    node: int
    parents: tuple[int, ...]
    curve: np.ndarray
    choices: dict[int, NodeChoice] = field(default_factory=dict)
    table: dict[tuple[int, ...], NodeChoice] = field(default_factory=dict)
    approximate: bool = False


def default_codebooks(
    stats: EnvStats, node: int, parents: tuple[int, ...], config: CompressionConfig
) -> list[np.ndarray]:
    """The recipe on per-environment estimates [decision]: per coefficient, then noise."""
    beta, v, _ = node_estimates(stats.cov, node, parents)
    books = [
        codebook_from_values(beta[:, j], size=config.codebook_size, margin=config.margin)
        for j in range(len(parents))
    ]
    books.append(
        codebook_from_values(v, size=config.codebook_size, margin=config.margin, positive=True)
    )
    return books


def codebook_node(
    stats: EnvStats,
    node: int,
    parents: tuple[int, ...],
    books: list[np.ndarray],
    config: CompressionConfig,
    *,
    independent: bool = False,
    names: list[str] | None = None,
    charge_bits: float = 0.0,
) -> NodeFit:
    """Codebook search of one node (brief, "Codebook search", steps 1-3).

    For every local k-vector ``(k_b1, ..., k_v)`` with ``1 <= k_j <= min(N, M_j)``, the subsets
    with the smallest summed selection value (KL or code length) are found by masked nested
    minima (:mod:`._kernel`, one program per shape bucket); environments are assigned to their
    best candidate tuple and charged the data bits of eq. (B) plus ``sum_j L_model(N, k_j,
    M_j)`` of eq. (A) plus ``charge_bits`` (the description of data-driven codebooks).

    When the exhaustive search exceeds ``config.max_combinations`` and ``config.beam_width`` is
    set, every type keeps only its ``beam_width`` best subsets per size under a relaxed score
    (the other types left free) and the nested minima run exactly over that beam: an
    approximation, marked ``NodeFit.approximate``.
    """
    n_env = int(stats.n.size)
    ms = [len(b) for b in books]
    names = names or [f"type{j}" for j in range(len(books))]
    if independent:
        for j, m in enumerate(ms):
            if m < n_env:
                raise ValueError(
                    f"the `independent` baseline needs codebook_size >= N = {n_env} for "
                    f"{names[j]!r}, got {m}"
                )
        n_pad = n_env
        sizes = [(n_env,) for _ in ms]
    else:
        n_pad = env_bucket(n_env)
        sizes = [tuple(range(1, min(n_pad, m) + 1)) for m in ms]
    plan = make_plan(ms, sizes, n_pad)
    exact_combos = n_env * math.prod(
        count_subsets(m, tuple(k for k in s if k <= n_env)) for m, s in zip(ms, sizes,
                                                                             strict=True))
    approximate = False
    beta_hat, v_hat, spp = node_estimates(stats.cov, node, parents)
    p = list(parents)
    s = stats.scatter
    raw = (beta_hat, v_hat, spp, s[:, node, node],
           s[:, p, node] if p else np.zeros((n_env, 0)),
           s[:, p][:, :, p] if p else np.zeros((n_env, 0, 0)), stats.n)
    padded = padded_stats(*raw, n_pad)
    if exact_combos > config.max_combinations:
        if config.beam_width is None or independent or len(ms) == 1:
            raise ValueError(
                f"the codebook search of node {names[-1][2:]!r} needs {exact_combos:,} "
                f"evaluations (subset tuples x environments), over the budget "
                f"max_combinations = {config.max_combinations:,}; use a smaller "
                f"`codebook_size`, fewer environments, beam_width or cost='partition'"
            )
        kl, bits = kl_bits_tables(stats, node, parents, books[:-1], books[-1])
        sel = kl if config.select == "kl" else bits
        sel = np.concatenate([sel, np.zeros((n_pad - n_env, *sel.shape[1:]))])
        plan = beam_plan(plan, sel, config.beam_width)
        approximate = True
    backend = config.backend
    if backend == "auto":  # measured: XLA CPU is ~5x slower than numpy at three types
        backend = "numpy" if len(ms) >= 3 and jax.default_backend() == "cpu" else "jax"
    best, subsets, cand, data_bits = run_search(
        plan, padded, books, use_kl=config.select == "kl", backend=backend
    )
    curve = np.full(sum(min(n_env, max(s)) for s in sizes) + 1, np.inf)
    choices: dict[int, NodeChoice] = {}
    table: dict[tuple[int, ...], NodeChoice] = {}
    m = len(ms)
    chosen = np.unravel_index(cand[..., :n_env], tuple(ms))  # per type (G..., N)
    assign_all = np.stack([books[j][chosen[j]] for j in range(m)], axis=-1)  # (G..., N, m)
    cost = [[_codebook_cost(n_env, k, ms[j]) if k <= n_env else np.inf for k in sizes[j]]
            for j in range(m)]
    rows = plan.rows
    for gv in zip(*np.nonzero(np.isfinite(best)), strict=True):
        gv = tuple(int(g) for g in gv)
        ks = tuple(sizes[j][gv[j]] for j in range(m))
        if any(k > n_env for k in ks):
            continue
        idx = tuple(rows[j][int(subsets[(j, *gv)])] for j in range(m))
        data = float(data_bits[gv])
        model = float(sum(cost[j][gv[j]] for j in range(m))) + charge_bits
        ch = NodeChoice(
            ks=ks, assign=assign_all[gv], data_bits=data, model_bits=model,
            select_value=float(best[gv]), subsets=idx,
            values=tuple(books[j][list(idx[j])] for j in range(m)),
        )
        table[ks] = ch
        k = sum(ks)
        if data + model < curve[k]:
            curve[k] = data + model
            choices[k] = ch
    return NodeFit(node=node, parents=parents, curve=curve, choices=choices, table=table,
                   approximate=approximate)


@partial(jax.jit, static_argnames=("chunk",))
def _partition_totals(scatter, n, parts, log2_s, *, chunk: int):
    # scatter (N, f, f) family block [parents..., node]; n (N,); parts (B, N) int
    n_env, f = scatter.shape[0], scatter.shape[-1]
    p = f - 1
    b_total = parts.shape[0]
    n_chunks = -(-b_total // chunk)
    pad = n_chunks * chunk - b_total
    parts = jnp.concatenate([parts, jnp.zeros((pad, n_env), parts.dtype)])
    labels = jnp.arange(n_env)

    def one(r):
        a = (r[:, :, None] == labels[None, None, :]).astype(scatter.dtype)  # (c, N, L)
        sb = jnp.einsum("cel,eab->clab", a, scatter)
        nb = jnp.einsum("cel,e->cl", a, n)
        full = nb > 0
        nbs = jnp.where(full, nb, 1.0)
        if p:
            spp = jnp.where(full[..., None, None], sb[..., :p, :p], jnp.eye(p, dtype=sb.dtype))
            spi = sb[..., :p, p]
            beta = jnp.linalg.solve(spp, spi[..., None])[..., 0]
            rss = sb[..., p, p] - jnp.sum(beta * spi, axis=-1)
        else:
            rss = sb[..., 0, 0]
        v = rss / nbs
        okv = v > 0
        data = 0.5 * nbs * jnp.log2(2 * jnp.pi * jnp.e * jnp.where(okv, v, 1.0))
        data = jnp.where(full, jnp.where(okv, data, jnp.inf), 0.0)
        k = jnp.sum(full, axis=-1)
        model = 2.0 * (log2_s[k] + jnp.log2(k)) + 1.0
        model = model + jnp.sum(jnp.where(full, 0.5 * f * jnp.log2(nbs), 0.0), axis=-1)
        return jnp.sum(data, axis=-1) + model, jnp.sum(data, axis=-1)

    tot, dat = jax.lax.map(one, parts.reshape(n_chunks, chunk, n_env))
    return tot.reshape(-1)[:b_total], dat.reshape(-1)[:b_total]


def block_fit(stats: EnvStats, node: int, parents: tuple[int, ...], blocks) -> np.ndarray:
    """Pooled zero-mean MLE ``(beta..., v)`` of each block ``(k, |P| + 1)``."""
    p = list(parents)
    rows = []
    for blk in blocks:
        s = stats.scatter[list(blk)].sum(axis=0)
        nb = stats.n[list(blk)].sum()
        if p:
            beta = np.linalg.solve(s[np.ix_(p, p)], s[p, node])
            rss = s[node, node] - beta @ s[p, node]
        else:
            beta = np.zeros(0)
            rss = s[node, node]
        rows.append(np.concatenate([beta, [rss / nb]]))
    return np.array(rows)


def partition_node(
    stats: EnvStats,
    node: int,
    parents: tuple[int, ...],
    config: CompressionConfig,
    *,
    independent: bool = False,
) -> NodeFit:
    """Partition cost of one mechanism (brief, "Partition cost"): every set partition of the
    environments (restricted growth strings), pooled MLE per block, data bits
    ``(n_b / 2) log2(2 pi e v_b)`` and model bits ``2 (log2 S(N,k) + log2 k) + 1 +
    sum_b ((|P|+1)/2) log2 n_b``; the curve is the minimum per number of blocks."""
    n_env = int(stats.n.size)
    if n_env > 12:
        raise ValueError(f"cost='partition' supports at most 12 environments, got N = {n_env}")
    parts = set_partitions(n_env)
    if independent:
        parts = parts[-1:]
    fam = [*list(parents), node]
    scatter = stats.scatter[:, fam][:, :, fam]
    log2_s = np.array([-np.inf] + [math.log2(stirling2(n_env, k)) for k in range(1, n_env + 1)])
    f = len(fam)
    chunk = int(max(1, min(parts.shape[0], 2_000_000 // (n_env * n_env * f * f + 1))))
    tot, dat = _partition_totals(
        jnp.asarray(scatter), jnp.asarray(stats.n), jnp.asarray(parts.astype(np.int32)),
        jnp.asarray(log2_s), chunk=chunk,
    )
    tot, dat = np.asarray(tot, dtype=np.float64), np.asarray(dat, dtype=np.float64)
    ks = parts.max(axis=1).astype(np.int64) + 1
    curve = np.full(n_env + 1, np.inf)
    choices: dict[int, NodeChoice] = {}
    for k in np.unique(ks):
        where = np.nonzero(ks == k)[0]
        j = int(where[np.argmin(tot[where])])
        if not np.isfinite(tot[j]):
            continue
        blocks = [tuple(np.nonzero(parts[j] == lab)[0].tolist()) for lab in range(int(k))]
        vals = block_fit(stats, node, parents, blocks)
        curve[k] = tot[j]
        choices[int(k)] = NodeChoice(
            ks=(int(k),) * f, assign=vals[parts[j].astype(np.int64)], rows=vals,
            data_bits=float(dat[j]), model_bits=float(tot[j] - dat[j]), select_value=float(tot[j]),
        )
    return NodeFit(node=node, parents=parents, curve=curve, choices=choices)
