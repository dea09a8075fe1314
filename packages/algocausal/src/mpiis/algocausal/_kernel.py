"""The codebook search of one node (brief, "Exact vectorised reformulation"), in two backends
that run the same algorithm step for step:

* ``"jax"``: jitted programs per shape bucket. The KL / code-length tables, the masked nested
  minima (``lax.map`` over chunks of the first type's subsets, each chunk <= 64 MiB) and the
  per-size-vector minima run in one program; the back-tracking of the chosen subsets and of
  every environment's assignment in a second one (fused into the first, XLA CPU scheduled it
  about ten times slower). The number of environments is padded to a bucket
  (:data:`ENV_BUCKETS`; padded environments contribute 0), so ``N = 5`` reuses the ``N = 6``
  compile. The codebook size is not padded: the subset count grows as ``2^M``, so a padded
  ``M`` would cost more than a compile.
* ``"numpy"``: the same steps in vectorised numpy (loops only over the ``M`` values of one
  codebook and over chunks). It ships as the fair speed baseline of the JAX program; the loop
  port of the official algorithm (:mod:`._reference`) stays for parity.

Exhaustive (lattice) plans run :func:`_lattice_search`: every subset's minimum comes from a
subset DP over colex-ordered prefixes (one minimum per subset), in numpy in place; the
jitted program per node shape (``lax.map`` over equal column pieces) computes the same
minima from the two halves of the codebook's bitmask lattice, fused with the sum over
environments and the column minima (:func:`_main_pass_jax`), or runs the DP where the size cap
``K`` is far below ``M``; beam and ``independent`` plans run the masked form below.

The main pass keeps only the size-group minima ``w[u0, g1, ..., g_{m-1}]``; the first
minimising subset of type 0 is read off them and those of the later types are found by
recomputing the few rows of the chosen subsets. Ties go to the earliest subset tuple in
row-major order and, for an environment's assignment, to the lowest codebook index, as in the
reference.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import cached_property, lru_cache, partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["ENV_BUCKETS", "SearchPlan", "env_bucket", "make_plan", "run_search"]

ENV_BUCKETS = (1, 2, 3, 4, 6, 8, 10, 12, 16, 24, 32)
CHUNK_ELEMENTS = 8_000_000  # 64 MiB of float64 per chunk intermediate
LN2 = math.log(2.0)


def env_bucket(n_env: int) -> int:
    """The padded number of environments a problem with ``n_env`` compiles for."""
    for b in ENV_BUCKETS:
        if b >= n_env:
            return b
    return n_env


@lru_cache(maxsize=256)
def _size_masks(m: int, sizes: tuple[int, ...]) -> np.ndarray:
    rows = []
    for k in sizes:
        for comb in itertools.combinations(range(m), k):
            row = np.zeros(m, dtype=bool)
            row[list(comb)] = True
            rows.append(row)
    out = np.array(rows, dtype=bool).reshape(-1, m)
    out.setflags(write=False)
    return out


@dataclass(frozen=True, eq=False)
class SearchPlan:
    """Static description of one node search.

    Attributes:
        masks: per type ``(n_j, M_j)`` subset masks, grouped by size (ascending),
            ``itertools.combinations`` order within a size (a beam keeps a sub-list, in order).
        bounds: per type, per size group, the ``(start, stop)`` rows of ``masks[j]``.
        sizes: per type, the ``k`` of each size group.
        n_pad: padded number of environments.
    """

    masks: tuple[np.ndarray, ...]
    bounds: tuple[tuple[tuple[int, int], ...], ...]
    sizes: tuple[tuple[int, ...], ...]
    n_pad: int
    lattice: bool = False

    @property
    def n_subsets(self) -> tuple[int, ...]:
        return tuple(int(mk.shape[0]) for mk in self.masks)

    @cached_property
    def rows(self) -> tuple[tuple[tuple[int, ...], ...], ...]:
        """Per type, the codebook indices of every subset row (host side, once per plan)."""
        return tuple(tuple(tuple(int(i) for i in np.flatnonzero(r)) for r in mk)
                     for mk in self.masks)

    @cached_property
    def device_masks(self) -> tuple[jax.Array, ...]:
        """The masks as JAX arrays, transferred once per plan."""
        return tuple(jnp.asarray(mk) for mk in self.masks)

    @property
    def combinations(self) -> int:
        """Subset tuples x padded environments evaluated by the search."""
        return self.n_pad * math.prod(self.n_subsets)


def _bounds_of(counts: list[int]) -> tuple[tuple[int, int], ...]:
    out, a = [], 0
    for c in counts:
        out.append((a, a + c))
        a += c
    return tuple(out)


def make_plan(ms: list[int], sizes: list[tuple[int, ...]], n_pad: int) -> SearchPlan:
    """The exhaustive plan: every subset of every type's codebook with a size in ``sizes``
    (cached, so a repeated shape reuses its device-resident masks)."""
    return _make_plan(tuple(ms), tuple(tuple(s) for s in sizes), n_pad)


@lru_cache(maxsize=128)
def _make_plan(ms: tuple[int, ...], sizes: tuple[tuple[int, ...], ...], n_pad: int) -> SearchPlan:
    masks = tuple(_size_masks(m, s) for m, s in zip(ms, sizes, strict=True))
    bounds = tuple(
        _bounds_of([math.comb(m, k) for k in s]) for m, s in zip(ms, sizes, strict=True)
    )
    return SearchPlan(masks=masks, bounds=bounds, sizes=tuple(sizes), n_pad=n_pad, lattice=True)


def beam_plan(plan: SearchPlan, sel: np.ndarray, width: int) -> SearchPlan:
    """Keep, per type and size, the ``width`` subsets whose relaxed score is smallest.

    The relaxed score of a subset ``S`` of type ``j`` is ``sum_e min_{c in S} T_j[e, c]`` with
    ``T_j`` the selection table minimised over every other type (the other types' subsets left
    free). Kept subsets stay in their original order, so ties break as in the exact search.
    """
    m = len(plan.masks)
    masks, bounds = [], []
    for j in range(m):
        other = tuple(a for a in range(1, m + 1) if a != j + 1)
        tj = sel.min(axis=other) if other else sel  # (N, M_j)
        score = _masked_min_np(tj, 1, plan.masks[j]).sum(axis=0)  # (n_j,)
        keep, counts = [], []
        for a, b in plan.bounds[j]:
            order = np.argsort(score[a:b], kind="stable")[:width]
            keep.append(np.sort(order) + a)
            counts.append(len(order))
        masks.append(plan.masks[j][np.concatenate(keep)])
        bounds.append(_bounds_of(counts))
    return SearchPlan(masks=tuple(masks), bounds=tuple(bounds), sizes=plan.sizes,
                      n_pad=plan.n_pad)


# ------------------------------------------------------------------------ shared algebra
def _tables(xp, beta_hat, v_hat, spp, s_ii, s_pi, s_pp, n, valid, coef_books, noise_book):
    """KL (nats) and code length (bits) of every environment under every candidate tuple,
    ``(N, G, M_v)`` with ``G`` the coefficient grid in row-major order; padded environments
    (``valid = False``) get 0 in both, invalid variances ``+inf``."""
    if coef_books:
        mesh = xp.meshgrid(*coef_books, indexing="ij")
        g = xp.stack([mm.reshape(-1) for mm in mesh], axis=-1)
    else:
        g = xp.zeros((1, 0))
    v = noise_book
    ok = v > 0
    vs = xp.where(ok, v, 1.0)
    delta = beta_hat[:, None, :] - g[None, :, :]
    quad = xp.einsum("egp,epq,egq->eg", delta, spp, delta)
    kl = 0.5 * (
        xp.log(vs[None, None, :] / v_hat[:, None, None])
        + (v_hat[:, None, None] + quad[:, :, None]) / vs[None, None, :]
        - 1.0
    )
    rss = s_ii[:, None] - 2.0 * xp.einsum("gp,ep->eg", g, s_pi) + xp.einsum(
        "gp,epq,gq->eg", g, s_pp, g
    )
    nats = 0.5 * n[:, None, None] * xp.log(2.0 * np.pi * vs)[None, None, :] + rss[
        :, :, None
    ] / (2.0 * vs[None, None, :])
    kl = xp.where(ok[None, None, :], kl, xp.inf)
    bits = xp.where(ok[None, None, :], nats / LN2, xp.inf)
    keep = valid[:, None, None]
    return xp.where(keep, kl, 0.0), xp.where(keep, bits, 0.0)


def _masked_min(xp, t, axis: int, mask):
    """``out[..., u, ...] = min_{c : mask[u, c]} t[..., c, ...]`` along ``axis`` (+inf for an
    empty subset), as a running minimum over the codebook values."""
    tm = xp.moveaxis(t, axis, -1)
    out = None
    for c in range(mask.shape[1]):
        cand = xp.where(mask[:, c], tm[..., c: c + 1], xp.inf)
        out = cand if out is None else xp.minimum(out, cand)
    return xp.moveaxis(out, -1, axis)


def _masked_min_np(t, axis, mask):
    return _masked_min(np, t, axis, mask)


def _group_min(xp, v, axis: int, bounds):
    """Minimum of ``v`` over each static slice of ``axis`` (one slice per subset size)."""
    mins = []
    for a, b in bounds:
        idx = [slice(None)] * v.ndim
        idx[axis] = slice(a, b)
        mins.append(v[tuple(idx)].min(axis=axis))
    out = xp.stack(mins, axis=axis)
    # XLA would otherwise fuse the producer of ``v`` into every slice and recompute it
    return jax.lax.optimization_barrier(out) if xp is jnp else out


def _group_ids(bounds, n_rows: int) -> np.ndarray:
    """Size group of every subset row (``-1`` for padding rows)."""
    gid = np.full(n_rows, -1, dtype=np.int64)
    for g, (a, b) in enumerate(bounds):
        gid[a:b] = g
    return gid


def _first_sum_jax(pre, mk):
    """``v[u, r] = sum_e min_{c in S_u} pre[e, c, r]`` for subset rows ``mk (c, M0)``; the
    where is fused into the reduction by XLA."""
    return jnp.min(jnp.where(mk[:, None, :, None], pre[None], jnp.inf), axis=2).sum(axis=1)


def _first_sum_loop(xp, pre, mk):
    """The same as :func:`_first_sum_jax` as a running minimum over the ``M0`` codebook
    values (no ``(c, N, M0, R)`` temporary): numpy's fastest form, and the back-tracking's."""
    out = None
    for c in range(mk.shape[1]):
        cand = xp.where(mk[:, c][:, None, None], pre[None, :, c, :], xp.inf)
        out = cand if out is None else xp.minimum(out, cand)
    return out.sum(axis=1)


def _first_sum_np(pre, mk):
    return _first_sum_loop(np, pre, mk)


def _first_sum_jax_loop(pre, mk):
    return _first_sum_loop(jnp, pre, mk)


def _rest_min(xp, v, bounds):
    """``v (c, n_1, ..., n_{m-1})`` -> size-group minima ``(c, G_1, ..., G_{m-1})``."""
    for j in range(len(bounds) - 1, 0, -1):
        v = _group_min(xp, v, j, bounds[j])
    return v


def _finish(xp, first_sum, sel, bits, pre, masks, bounds, w0):
    """Size-vector minima over the first type, then back-tracking: the first minimising
    subset of type 0 from the stored group minima, and of the later types by recomputing the
    few rows of the chosen subsets; then every environment's assignment and the data bits."""
    m = len(masks)
    best = _group_min(xp, w0, 0, bounds[0])  # (G_0, ..., G_{m-1})
    gshape = tuple(int(g) for g in best.shape)
    gt = int(np.prod(gshape))
    gidx = np.indices(gshape).reshape(m, -1)  # static per size vector
    rest_shape = gshape[1:]
    grest = np.ravel_multi_index(tuple(gidx[1:]), rest_shape) if m > 1 else np.zeros(gt, int)
    w0f = w0.reshape(w0.shape[0], -1)
    in0 = _group_ids(bounds[0], w0.shape[0])[None, :] == gidx[0][:, None]  # (Gt, n0)
    u0 = xp.where(in0, w0f[:, grest].T, xp.inf).argmin(axis=1)
    us = [u0]
    if m > 1:
        n_rest = tuple(int(mk.shape[0]) for mk in masks[1:])
        # size vectors in chunks, so that the recomputed rows stay within CHUNK_ELEMENTS
        step = max(1, CHUNK_ELEMENTS // (sel.shape[0] * int(np.prod(n_rest))))
        later: list[list] = [[] for _ in range(1, m)]
        for a in range(0, gt, step):
            g = slice(a, min(a + step, gt))
            gc = g.stop - g.start
            t = first_sum(pre, masks[0][u0[g]]).reshape((gc, *n_rest))  # (gc, n_1, ...)
            if xp is jnp:
                t = jax.lax.optimization_barrier(t)
            rows = xp.arange(gc)
            for j in range(1, m):
                r = t
                for k in range(m - 1, j, -1):
                    r = _group_min(xp, r, r.ndim - 1, bounds[k])
                    r = xp.take_along_axis(r, gidx[k][g].reshape((gc,) + (1,) * (r.ndim - 1)),
                                           axis=r.ndim - 1)[..., 0]
                inj = _group_ids(bounds[j], n_rest[j - 1])[None, :] == gidx[j][g][:, None]
                uj = xp.where(inj, r, xp.inf).argmin(axis=1)
                later[j - 1].append(uj)
                t = t[rows, uj]
        us += [xp.concatenate(parts) for parts in later]
    return _assign(xp, best, us, sel, bits, masks, gshape)


def _chunking(n_env: int, m0: int, n_sub: tuple[int, ...], *, fused: bool) -> int:
    """Rows of the first type per chunk so that one chunk's largest temporary stays within
    :data:`CHUNK_ELEMENTS` (the JAX form may materialise the ``M0`` axis, numpy's does not)."""
    per_row = n_env * int(np.prod(n_sub[1:])) * (m0 if fused else 1)
    return int(max(1, min(n_sub[0], CHUNK_ELEMENTS // max(per_row, 1))))


def _prepare(xp, stats, books, masks, use_kl):
    beta_hat, v_hat, spp, s_ii, s_pi, s_pp, n, valid = stats
    kl, bits = _tables(xp, beta_hat, v_hat, spp, s_ii, s_pi, s_pp, n, valid,
                       list(books[:-1]), books[-1])
    shape = (kl.shape[0], *[b.shape[0] for b in books])
    kl, bits = kl.reshape(shape), bits.reshape(shape)
    sel = kl if use_kl else bits
    pre = sel
    for j in range(len(masks) - 1, 0, -1):
        pre = _masked_min(xp, pre, j + 1, masks[j])
    out = (sel, bits, pre.reshape(pre.shape[0], pre.shape[1], -1))  # pre: (N, M0, R)
    # materialise the tables: fused into their consumers they would be recomputed per read
    return jax.lax.optimization_barrier(out) if xp is jnp else out


# ----------------------------------------------------------------------------- backends
@partial(jax.jit, static_argnames=("bounds", "chunk", "use_kl"))
def _program(stats, books, masks, *, bounds, chunk: int, use_kl: bool):
    sel, bits, pre = _prepare(jnp, stats, books, masks, use_kl)
    n_rest = tuple(int(mk.shape[0]) for mk in masks[1:])
    n0, mcols = masks[0].shape
    n_chunks = -(-n0 // chunk)
    pad = n_chunks * chunk - n0
    mk0 = jnp.concatenate([masks[0], jnp.zeros((pad, mcols), bool)])

    def one(mk):
        # the barrier stops XLA from fusing the sum into every size slice (recomputing it)
        v = jax.lax.optimization_barrier(_first_sum_jax(pre, mk))
        return _rest_min(jnp, v.reshape((chunk, *n_rest)), bounds)

    if n_chunks == 1:
        w0 = one(mk0)[None]
    else:
        w0 = jax.lax.map(one, mk0.reshape(n_chunks, chunk, mcols))
    w0 = w0.reshape((n_chunks * chunk, *w0.shape[2:]))
    return sel, bits, pre, w0


@partial(jax.jit, static_argnames=("bounds",))
def _program_finish(sel, bits, pre, masks, w0, *, bounds):
    # a separate program: fused with the main pass, XLA CPU schedules the back-tracking
    # about ten times slower (measured)
    return _finish(jnp, _first_sum_jax_loop, sel, bits, pre, masks, bounds, w0)


def _numpy_program(stats, books, masks, *, bounds, chunk: int, use_kl: bool):
    sel, bits, pre = _prepare(np, stats, books, masks, use_kl)
    n_rest = tuple(int(mk.shape[0]) for mk in masks[1:])
    ws = []
    for a in range(0, masks[0].shape[0], chunk):
        mk = masks[0][a: a + chunk]
        ws.append(_rest_min(np, _first_sum_np(pre, mk).reshape((mk.shape[0], *n_rest)),
                            bounds))
    w0 = np.concatenate(ws)
    return _finish(np, _first_sum_np, sel, bits, pre, masks, bounds, w0)


# ------------------------------------------------------------- lattice plans: subset DP
# An exhaustive plan holds every subset of sizes 1..K of each codebook. In colexicographic
# order the size-k subsets whose largest value is c are the first C(c, k-1) subsets of size
# k-1 plus c, so every subset's minimum is ``min(its prefix's minimum, t[c])``: one minimum per
# subset instead of one per (subset, codebook value), over static slices only (no gathers).
# Rows are put back into ``itertools.combinations`` order afterwards, so first minimisers
# (the tie-breaking) are unchanged; a minimum is exact, so the values are too. Both backends
# run this; the mask form above stays for plans that are not lattices (beam, independent).
# columns of the main pass per piece, so that one level block stays in cache: numpy's levels
# are (rows, N, width), XLA's per environment (rows, width) with a running sum over
# environments (XLA CPU's float64 reductions over a middle axis measured several times slower)
NUMPY_PIECE_ELEMENTS = 2_000_000  # tuned: 1-2 M fastest at N = 8, M = 12
JAX_PIECE_ELEMENTS = 131_072  # tuned at N = 8, M = 12 (DP form)
JAX_PIECE_COLUMNS = 128  # bitmask form: 64-1024 measured alike at N = 8, M = 12
# bitmask form: below this many half-lattice minima (all pieces) one vmapped pass, no loop
# (N = 6, M = 8: 0.66 ms vs 0.92 ms per node search; N = 8, M = 12 the loop: 0.09 s vs 0.11 s)
JAX_ONE_SHOT_ELEMENTS = 262_144


@lru_cache(maxsize=64)
def _colex(m: int, kmax: int) -> tuple[tuple[int, ...], np.ndarray]:
    """Rows per size level and, for every row in combinations order (sizes 1..kmax), its
    position in the colex-ordered DP output."""
    counts, perm, off = [], [], 0
    for k in range(1, kmax + 1):
        lex = list(itertools.combinations(range(m), k))
        colex = {c: i for i, c in enumerate(sorted(lex, key=lambda c: c[::-1]))}
        perm.extend(off + colex[c] for c in lex)
        counts.append(len(lex))
        off += len(lex)
    return tuple(counts), np.array(perm, dtype=np.int32)


def _dp_rows(xp, t, kmax: int, out=None):
    """Every subset's minimum along the leading axis, colex order: ``(M, ...) -> (n, ...)``.
    With ``out`` (numpy) the levels are written into it in place."""
    m = t.shape[0]
    levels = [t]
    if out is not None:
        out[:m] = t
        prev, a = out[:m], m
        for k in range(2, kmax + 1):
            start = a
            for c in range(k - 1, m):
                n = math.comb(c, k - 1)
                np.minimum(prev[:n], t[c], out=out[a: a + n])
                a += n
            prev = out[start:a]
        return out[:a]
    prev = t
    for k in range(2, kmax + 1):
        prev = xp.concatenate([xp.minimum(prev[: math.comb(c, k - 1)], t[c][None])
                               for c in range(k - 1, m)])
        if xp is jnp:  # materialise: fused, XLA recomputes every level from its prefixes
            prev = jax.lax.optimization_barrier(prev)
        levels.append(prev)
    return xp.concatenate(levels)


@dataclass(frozen=True, eq=False)
class _Layout:
    """Static layout of a lattice search.

    The later types' subset tuples ``r`` are reordered so that each size group is contiguous
    (row-major inside a group, so first minimisers are unchanged); ``src`` gathers the main
    pass's input from the DP output (combinations order per type); each group is cut into
    equal pieces (padded with +inf columns)."""

    counts: tuple[tuple[int, ...], ...]
    perms: tuple[np.ndarray, ...]
    src: np.ndarray  # (R,) flat row-major r (combinations order) at each grouped position
    rtab: np.ndarray  # (R, m - 1) subset row per later type at each grouped position
    groups: tuple[tuple[int, int, int, int], ...]  # (start, size, piece width, pieces)


@lru_cache(maxsize=128)
def _layout(ms: tuple[int, ...], kmax: tuple[int, ...], cap: int) -> _Layout:
    cx = [_colex(m, k) for m, k in zip(ms, kmax, strict=True)]
    counts = tuple(c for c, _ in cx)
    n_rest = tuple(sum(c) for c in counts[1:])
    if n_rest:
        g_rest = tuple(len(c) for c in counts[1:])
        gids = [_group_ids(_bounds_of(list(c)), sum(c)) for c in counts[1:]]
        grid = np.meshgrid(*gids, indexing="ij")
        flat_gid = np.ravel_multi_index(tuple(g.reshape(-1) for g in grid), g_rest)
        src = np.argsort(flat_gid, kind="stable").astype(np.int32)
        rtab = np.stack(np.unravel_index(src, n_rest), axis=1).astype(np.int32)
        sizes = np.bincount(flat_gid, minlength=int(np.prod(g_rest))).tolist()
    else:
        src, rtab, sizes = np.zeros(1, np.int32), np.zeros((1, 0), np.int32), [1]
    groups, a = [], 0
    for size in sizes:
        pieces = -(-size // cap)
        width = -(-size // pieces)
        groups.append((a, size, width, pieces))
        a += size
    return _Layout(counts=counts, perms=tuple(p for _, p in cx), src=src, rtab=rtab,
                   groups=tuple(groups))


def _main_piece(xp, pc, kmax: int, buf=None):
    """``f[u, r] = sum_e min_{c in S_u} pc[c, e, r]`` for every first-type subset ``u``
    (colex order) of one piece ``pc (M0, N, P)``; returns its row minima over ``r``."""
    if buf is None:
        f = _dp_rows(xp, pc, kmax).sum(axis=1)
    else:
        lev = _dp_rows(np, pc, kmax, out=buf[: , :, : pc.shape[2]])
        f = lev.sum(axis=1)
    return f.min(axis=1)


def _main_pass_np(pre_t, lay, n0, kmax0, buf):
    """numpy's main pass: per size group of the later types, pieces of ``width`` columns;
    returns the group minima ``(n0, G_rest)`` (colex rows)."""
    w_cols = []
    for start, size, width, pieces in lay.groups:
        block = pre_t[:, :, start: start + size]
        pad = width * pieces - size
        if pad:
            block = np.concatenate([block, np.full((*block.shape[:2], pad), np.inf)], axis=2)
        res = [_main_piece(np, np.ascontiguousarray(block[:, :, i * width:(i + 1) * width]),
                           kmax0, buf) for i in range(pieces)]
        w_cols.append(np.stack(res).min(axis=0))
    return np.stack(w_cols, axis=1)


@lru_cache(maxsize=64)
def _colex_bitmasks(m: int, kmax: int) -> np.ndarray:
    """The bitmask (bit ``c`` for codebook value ``c``) of every colex-ordered DP row."""
    out = [sum(1 << c for c in comb)
           for k in range(1, kmax + 1)
           for comb in sorted(itertools.combinations(range(m), k), key=lambda c: c[::-1])]
    return np.array(out, dtype=np.int32)


def _bitmask_minima(xp, t):
    """``(m, ...) -> (2^m, ...)``: the minimum of ``t`` over every bitmask of its leading
    axis (+inf for the empty one), by doubling."""
    out = xp.full((1, *t.shape[1:]), xp.inf, dtype=t.dtype)
    for c in range(t.shape[0]):
        out = xp.concatenate([out, xp.minimum(out, t[c][None])])
    return out


def _main_pass_jax(pre_t, lay, n0, kmax0, cap, cap_bits=JAX_PIECE_COLUMNS):
    """XLA's main pass: every group cut into pieces of one common width (padded with +inf
    columns), one ``lax.map`` over all pieces (environments unrolled inside, a running
    sum), so the program stays small whatever the number of groups.

    Where the first type's subsets fill most of its bitmask lattice (``K`` close to ``M0``,
    the benchmark grid), a subset's minimum is ``min(lo[S & low half], hi[S & high half])``
    with ``lo`` / ``hi`` the minima over every bitmask of each half of the codebook (2 x 64
    rows at ``M0 = 12``, in cache). XLA fuses that outer minimum, the running sum over
    environments and the minimum over the piece's columns into one reduction, so the
    ``(subsets, columns)`` sums are never written to memory (numpy must write them; measured
    slower for numpy than its in-place DP, so numpy keeps the DP). The rows are then put in
    colex order (the unused bitmasks, empty and sizes above ``K``, dropped); the values are
    those of the DP. Returns the group minima ``(n0, G_rest)``; both backends find the first
    arg-minimum columns afterwards for the chosen rows only (:func:`_first_columns`), which
    made XLA's pass about a third faster (a plain min reduction instead of a variadic one)."""
    m0, n_env = pre_t.shape[0], pre_t.shape[1]
    lo = (m0 + 1) // 2
    rowsel = _colex_bitmasks(m0, kmax0)
    if (1 << m0) > 2 * (n0 + 1):  # the bitmask grid would waste over half its rows
        rowsel = None
    else:
        cap = cap_bits
    sizes = [size for _, size, _, _ in lay.groups]
    # the common width with the fewest padded columns (a piece costs about 8 columns more)
    width = min(range(1, max(1, min(cap, max(sizes))) + 1),
                key=lambda w: sum(-(-z // w) * (w + 8) for z in sizes))
    src, piece_start, spans, p = [], [], [], 0
    for start, size, _, _ in lay.groups:
        pieces = -(-size // width)
        for i in range(pieces):
            cols = np.arange(start + i * width, start + (i + 1) * width)
            src.append(np.where(cols < start + size, cols, -1))
            piece_start.append(start + i * width)
        spans.append((p, p + pieces))
        p += pieces
    src_a = np.concatenate(src).astype(np.int32)
    cols = jnp.take(pre_t, np.maximum(src_a, 0), axis=2)
    cols = jnp.where(src_a >= 0, cols, jnp.inf)
    xs = jnp.transpose(cols.reshape(m0, n_env, p, width), (2, 0, 1, 3))

    def body(pc):
        if rowsel is None:
            f = None
            for e in range(n_env):  # unrolled: a fori_loop here measured about twice slower
                d = _dp_rows(jnp, pc[:, e], kmax0)
                f = d if f is None else f + d
            return f.min(axis=1)
        # minima over every bitmask of each half of the codebook, (2^lo, N, W), (2^hi, N, W)
        lo_min = jax.lax.optimization_barrier(_bitmask_minima(jnp, pc[:lo]))
        hi_min = jax.lax.optimization_barrier(_bitmask_minima(jnp, pc[lo:]))
        f = None
        for e in range(n_env):  # f[hi, lo, w], never materialised: fused into the reduce
            d = jnp.minimum(hi_min[:, None, e, :], lo_min[None, :, e, :])
            f = d if f is None else f + d
        return f.reshape(-1, width).min(axis=1)

    halves = p * ((1 << lo) + (1 << (m0 - lo))) * n_env * width
    if rowsel is not None and halves <= JAX_ONE_SHOT_ELEMENTS:
        mn = jax.vmap(body)(xs)  # small: every piece at once, no loop
    else:
        mn = jax.lax.map(body, xs)  # (pieces, n0), or (pieces, 2^M0) in bitmask order
    if rowsel is not None:
        mn = mn[:, rowsel]
    return jnp.stack([mn[a:b].min(axis=0) for a, b in spans], axis=1)


def _first_columns(xp, pre_t, mask0, u0, lay):
    """For every size vector, the first grouped column ``r`` (within the size group of the
    later types) at which the chosen first-type subset ``u0[g0, g]`` reaches its minimum:
    the main pass keeps only the minima, so the few chosen rows are recomputed here, with
    the environments summed in each backend's main-pass order (bitwise the same sums)."""
    n_env = pre_t.shape[1]
    mk = xp.asarray(mask0)[u0]  # (G0, G_rest, M0)
    cols = []
    for g, (start, size, _, _) in enumerate(lay.groups):
        blk = pre_t[:, :, start: start + size]  # (M0, N, size)
        hit = mk[:, g, :, None, None]  # (G0, M0, 1, 1)
        mins = xp.where(hit, blk[None], xp.inf).min(axis=1)  # (G0, N, size)
        if xp is np:
            f = mins.sum(axis=1)
        else:
            f = mins[:, 0]
            for e in range(1, n_env):
                f = f + mins[:, e]
        cols.append(start + f.argmin(axis=1))
    return xp.stack(cols, axis=1)


def _lattice_search(xp, stats, books, masks, *, ms, kmax, n_pad, bounds0, use_kl,
                    piece_elements=None):
    """The whole node search on a lattice plan: tables, subset minima along the later types,
    the main pass over the first type's subsets (summed over environments, minimised within
    each size group of the later types, with first arg-minima), the size-vector minima and
    the back-tracking. Same outputs as :func:`_finish`."""
    n0 = sum(math.comb(ms[0], k) for k in range(1, kmax[0] + 1))
    if piece_elements is None:
        piece_elements = JAX_PIECE_ELEMENTS if xp is jnp else NUMPY_PIECE_ELEMENTS
    per_col = n0 * (1 if xp is jnp else n_pad)
    lay = _layout(ms, kmax, max(1, piece_elements // per_col))
    m = len(ms)
    beta_hat, v_hat, spp, s_ii, s_pi, s_pp, n, valid = stats
    kl, bits = _tables(xp, beta_hat, v_hat, spp, s_ii, s_pi, s_pp, n, valid,
                       list(books[:-1]), books[-1])
    shape = (kl.shape[0], *ms)
    kl, bits = kl.reshape(shape), bits.reshape(shape)
    sel = kl if use_kl else bits
    pre = sel
    for j in range(m - 1, 0, -1):
        dp = _dp_rows(xp, xp.moveaxis(pre, j + 1, 0), kmax[j])
        pre = xp.moveaxis(xp.take(dp, lay.perms[j], axis=0), 0, j + 1)
    pre = pre.reshape(n_pad, ms[0], -1)
    if m > 2:
        pre = xp.take(pre, lay.src, axis=2)
    pre_t = xp.transpose(pre, (1, 0, 2))  # (M0, N, R), R grouped
    buf = None
    if xp is np:
        pre_t = np.ascontiguousarray(pre_t)
        buf = np.empty((n0, n_pad, max(w for _, _, w, _ in lay.groups)))
    if xp is jnp:
        w_all = _main_pass_jax(pre_t, lay, n0, kmax[0],
                                      max(1, piece_elements // n0), JAX_PIECE_COLUMNS)
    else:
        w_all = _main_pass_np(pre_t, lay, n0, kmax[0], buf)
    perm0 = lay.perms[0]
    w_all = xp.take(w_all, perm0, axis=0)  # (n0, G_rest), rows in combinations order
    best = xp.stack([w_all[a:b].min(axis=0) for a, b in bounds0])  # (G0, G_rest)
    u0 = xp.stack([w_all[a:b].argmin(axis=0) + a for a, b in bounds0])
    r = _first_columns(xp, pre_t, masks[0], u0, lay)  # (G0, G_rest) grouped positions
    us = [u0.reshape(-1)] + [xp.asarray(lay.rtab[:, j])[r.reshape(-1)] for j in range(m - 1)]
    gshape = (len(bounds0), *kmax[1:])
    return _assign(xp, best.reshape(gshape), us, sel, bits, masks, gshape)


def _assign(xp, best, us, sel, bits, masks, gshape):
    """Every environment's candidate (first flat arg-minimum within the chosen subsets) and
    the data bits, per size vector."""
    m = len(masks)
    gt = int(np.prod(gshape))
    chosen = [xp.asarray(masks[j])[us[j]] for j in range(m)]  # (Gt, M_j)
    full = None
    for j in range(m):
        shp = [gt] + [1] * m
        shp[j + 1] = chosen[j].shape[1]
        mj = chosen[j].reshape(shp)
        full = mj if full is None else full & mj
    n_env = sel.shape[0]
    flat_shape = (gt, n_env, int(np.prod(sel.shape[1:])))
    masked = xp.where(full[:, None], sel[None], xp.inf).reshape(flat_shape)
    cand = masked.argmin(axis=-1)
    b = xp.broadcast_to(bits.reshape(1, n_env, -1), flat_shape)
    data = xp.take_along_axis(b, cand[..., None], axis=-1)[..., 0].sum(axis=-1)
    return (best, xp.stack(us).reshape((m, *gshape)), cand.reshape((*gshape, n_env)),
            data.reshape(gshape))


@partial(jax.jit, static_argnames=("ms", "kmax", "n_pad", "bounds0", "use_kl"))
def _lattice_program(stats, books, *, ms, kmax, n_pad, bounds0, use_kl):
    masks = tuple(_size_masks(m, tuple(range(1, k + 1))) for m, k in zip(ms, kmax,
                                                                         strict=True))
    return _lattice_search(jnp, stats, books, masks, ms=ms, kmax=kmax, n_pad=n_pad,
                           bounds0=bounds0, use_kl=use_kl)


def _is_lattice(plan: SearchPlan) -> bool:
    return plan.lattice and all(s == tuple(range(1, len(s) + 1)) for s in plan.sizes)


def run_search(
    plan: SearchPlan,
    stats: tuple[np.ndarray, ...],
    books: list[np.ndarray],
    *,
    use_kl: bool,
    backend: str = "jax",
) -> tuple[np.ndarray, ...]:
    """Run one node search.

    Args:
        plan: the subsets searched (:func:`make_plan` or :func:`beam_plan`).
        stats: ``(beta_hat, v_hat, Sigma_PP, S_ii, S_Pi, S_PP, n, valid)`` padded to
            ``plan.n_pad`` environments.
        books: per type (coefficients then noise) the codebook values.
        use_kl: select subsets by KL (official) or by code length.
        backend: ``"jax"`` or ``"numpy"``.

    Returns:
        ``(best, subsets, assign, data_bits)``: per size vector ``(G_0, ..., G_{m-1})`` the
        minimal selection value, the chosen subset row per type ``(m, G...)``, each
        environment's flat candidate index ``(G..., N_pad)`` and the data bits ``(G...)``.
    """
    if backend not in ("jax", "numpy"):
        raise ValueError(f"`backend` must be 'jax' or 'numpy', got {backend!r}")
    if _is_lattice(plan):
        ms = tuple(int(mk.shape[1]) for mk in plan.masks)
        kmax = tuple(len(s) for s in plan.sizes)
        kw = dict(ms=ms, kmax=kmax, n_pad=plan.n_pad, bounds0=plan.bounds[0], use_kl=use_kl)
        if backend == "jax":
            return jax.device_get(_lattice_program(tuple(stats), tuple(books), **kw))
        return _lattice_search(np, tuple(np.asarray(s) for s in stats),
                               tuple(np.asarray(b) for b in books), plan.masks, **kw)
    m0 = int(plan.masks[0].shape[1])
    if backend == "jax":
        chunk = _chunking(plan.n_pad, m0, plan.n_subsets, fused=True)
        sel, bits, pre, w0 = _program(
            tuple(jnp.asarray(s) for s in stats), tuple(jnp.asarray(b) for b in books),
            plan.device_masks, bounds=plan.bounds, chunk=chunk, use_kl=use_kl,
        )
        out = _program_finish(sel, bits, pre, plan.device_masks, w0, bounds=plan.bounds)
        return tuple(np.asarray(o) for o in out)
    if backend == "numpy":
        chunk = _chunking(plan.n_pad, m0, plan.n_subsets, fused=False)
        return _numpy_program(
            tuple(np.asarray(s) for s in stats), tuple(np.asarray(b) for b in books),
            plan.masks, bounds=plan.bounds, chunk=chunk, use_kl=use_kl,
        )
    raise ValueError(f"`backend` must be 'jax' or 'numpy', got {backend!r}")


def padded_stats(
    beta_hat, v_hat, spp, s_ii, s_pi, s_pp, n, n_pad: int
) -> tuple[Any, ...]:
    """Pad per-environment statistics to ``n_pad`` rows (neutral values, ``valid = False``)."""
    n_env = v_hat.shape[0]
    extra = n_pad - n_env
    p = beta_hat.shape[1]

    def pad(a, fill):
        if extra == 0:
            return a
        block = np.broadcast_to(fill, (extra, *a.shape[1:]))
        return np.concatenate([a, block])

    eye = np.eye(p)
    valid = np.arange(n_pad) < n_env
    return (pad(beta_hat, 0.0), pad(v_hat, 1.0), pad(spp, eye), pad(s_ii, 0.0),
            pad(s_pi, 0.0), pad(s_pp, 0.0), pad(n, 0.0), valid)
