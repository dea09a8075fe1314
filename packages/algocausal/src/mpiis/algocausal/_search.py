"""Exhaustive search machinery (brief, "Exact vectorised reformulation").

* :func:`subset_masks`: every subset of a codebook as a boolean mask, grouped by size, in
  ``itertools.combinations`` order inside each size.
* :func:`nested_min`: the table ``sum_e min_{c in S_0 x ... x S_{m-1}} T[e, c]`` for every
  tuple of subsets, reduced to its minimum (and first argmin) per size vector, one type axis at
  a time and chunked over the first type's subsets so that no intermediate passes ~64 MiB.
* :func:`set_partitions`: all set partitions of ``N`` items as restricted growth strings.
* :func:`minplus`: min-plus convolution of per-node curves with back-pointers.
"""

from __future__ import annotations

import itertools
import math
from functools import lru_cache, partial

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["count_subsets", "minplus", "nested_min", "set_partitions", "subset_masks"]

CHUNK_ELEMENTS = 8_000_000  # 64 MiB of float64 per intermediate


@lru_cache(maxsize=256)
def subset_masks(m: int, sizes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks ``(n, m)`` of all subsets of ``range(m)`` with a size in ``sizes`` (sorted),
    grouped by size in ascending order, ``itertools.combinations`` order within a size; and the
    group index ``(n,)`` (position of the subset's size in ``sizes``)."""
    rows, groups = [], []
    for g, k in enumerate(sizes):
        for comb in itertools.combinations(range(m), k):
            row = np.zeros(m, dtype=bool)
            row[list(comb)] = True
            rows.append(row)
            groups.append(g)
    masks = np.array(rows, dtype=bool).reshape(-1, m)
    group = np.array(groups, dtype=np.int32)
    masks.setflags(write=False)
    group.setflags(write=False)
    return masks, group


def count_subsets(m: int, sizes: tuple[int, ...]) -> int:
    """Number of subsets of an ``m``-value codebook with a size in ``sizes``."""
    return sum(math.comb(m, k) for k in sizes)


def _reduce_axis(t: jax.Array, axis: int, mask: jax.Array) -> jax.Array:
    """``out[..., u, ...] = min_{c : mask[u, c]} t[..., c, ...]`` along ``axis``; empty -> +inf."""
    tm = jnp.moveaxis(t, axis, -1)  # (..., M)
    out = jnp.min(jnp.where(mask, tm[..., None, :], jnp.inf), axis=-1)  # (..., n)
    return jnp.moveaxis(out, -1, axis)


@partial(jax.jit, static_argnames=("n_groups", "chunk"))
def _nested_min_jit(table, masks, groups, strides, *, n_groups: int, chunk: int):
    # table (N, M_0, ..., M_{m-1}); masks[j] (n_j, M_j); groups[j] (n_j,) int; strides (m,)
    m = len(masks)
    n0 = masks[0].shape[0]
    n_chunks = -(-n0 // chunk)
    pad = n_chunks * chunk - n0
    mask0 = jnp.concatenate([masks[0], jnp.zeros((pad, masks[0].shape[1]), bool)])
    group0 = jnp.concatenate([groups[0], jnp.zeros((pad,), groups[0].dtype)])
    rest = [int(mk.shape[0]) for mk in masks[1:]]
    n_rest = int(np.prod(rest)) if rest else 1
    gid_rest = jnp.zeros((), jnp.int32)
    for j in range(1, m):
        shape = [1] * (m - 1)
        shape[j - 1] = rest[j - 1]
        gid_rest = gid_rest + (groups[j] * strides[j]).reshape(shape)
    gid_rest = jnp.broadcast_to(gid_rest, tuple(rest)).reshape(-1)  # (n_rest,)
    big = jnp.iinfo(jnp.int32).max

    def one(args):
        start, mk, gp = args  # mk (chunk, M_0), gp (chunk,)
        t = _reduce_axis(table, 1, mk)  # (N, chunk, M_1, ...)
        for j in range(m - 1, 0, -1):
            t = _reduce_axis(t, j + 1, masks[j])
        v = jnp.sum(t, axis=0).reshape(chunk, n_rest)  # sum over environments
        gid = (gp * strides[0])[:, None] + gid_rest[None, :]
        flat = (start + jnp.arange(chunk))[:, None] * n_rest + jnp.arange(n_rest)[None, :]
        valid = jnp.broadcast_to((start + jnp.arange(chunk))[:, None] < n0, (chunk, n_rest))
        v = jnp.where(valid, v, jnp.inf).reshape(-1)
        gid = gid.reshape(-1)
        flat = flat.reshape(-1)
        vmin = jax.ops.segment_min(v, gid, num_segments=n_groups)
        hit = (v == vmin[gid]) & valid.reshape(-1)
        amin = jax.ops.segment_min(jnp.where(hit, flat, big), gid, num_segments=n_groups)
        return vmin, amin

    starts = jnp.arange(n_chunks) * chunk
    vmins, amins = jax.lax.map(
        one, (starts, mask0.reshape(n_chunks, chunk, -1), group0.reshape(n_chunks, chunk))
    )
    best = jnp.min(vmins, axis=0)
    first = jnp.argmax(vmins == best[None, :], axis=0)  # earliest chunk wins ties
    return best, jnp.take_along_axis(amins, first[None, :], axis=0)[0]


def nested_min(
    table: np.ndarray, masks: list[np.ndarray], groups: list[np.ndarray], n_groups: list[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Minimum over subset tuples of ``sum_e min_{c in S_0 x ... x S_{m-1}} table[e, c]``, per
    size vector.

    Args:
        table: ``(N, M_0, ..., M_{m-1})`` selection table (KL or code length), +inf masked.
        masks: per type ``(n_j, M_j)`` subset masks.
        groups: per type ``(n_j,)`` size-group index of each subset.
        n_groups: per type number of size groups.

    Returns:
        ``(best, argflat)``, each of shape ``(G_0, ..., G_{m-1})``: the minimal sum per size
        vector and the flat index (row-major over ``(n_0, ..., n_{m-1})``) of its first
        minimiser; ties go to the earliest subset tuple.
    """
    m = len(masks)
    strides = np.array([int(np.prod(n_groups[j + 1:])) for j in range(m)], dtype=np.int32)
    n_env = table.shape[0]
    sizes = [int(mk.shape[0]) for mk in masks]
    if m == 1:
        per_u0 = n_env * table.shape[1]
    else:
        per_u0 = n_env * table.shape[2] * int(np.prod(sizes[1:]))
    chunk = int(max(1, min(sizes[0], CHUNK_ELEMENTS // max(per_u0, 1))))
    total_groups = int(np.prod(n_groups))
    best, arg = _nested_min_jit(
        jnp.asarray(table),
        tuple(jnp.asarray(mk) for mk in masks),
        tuple(jnp.asarray(g, dtype=jnp.int32) for g in groups),
        jnp.asarray(strides),
        n_groups=total_groups,
        chunk=chunk,
    )
    shape = tuple(n_groups)
    return np.asarray(best, dtype=np.float64).reshape(shape), np.asarray(arg).reshape(shape)


@lru_cache(maxsize=16)
def set_partitions(n: int) -> np.ndarray:
    """All set partitions of ``range(n)`` as restricted growth strings ``(Bell(n), n)`` int8:
    ``r[0] = 0`` and ``r[e] <= 1 + max(r[:e])``; generated in lexicographic order."""
    parts = np.zeros((1, 1), dtype=np.int8)
    for _ in range(1, n):
        top = parts.max(axis=1)  # (B,)
        reps = (top + 2).astype(np.int64)
        idx = np.repeat(np.arange(parts.shape[0]), reps)
        offs = np.arange(int(reps.sum())) - np.repeat(np.cumsum(reps) - reps, reps)
        parts = np.concatenate([parts[idx], offs[:, None].astype(np.int8)], axis=1)
    parts.setflags(write=False)
    return parts


def minplus(curves: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Min-plus convolution of node curves ``curves[i][k_i]`` (index = local k, +inf where
    infeasible).

    Returns:
        ``(total, back)``: ``total[k] = min_{sum k_i = k} sum_i curves[i][k_i]`` and for each
        node ``i >= 1`` the back-pointer array ``back[i-1][k]`` = the ``k_i`` used.
    """
    total = np.asarray(curves[0], dtype=np.float64)
    back: list[np.ndarray] = []
    for c in curves[1:]:
        c = np.asarray(c, dtype=np.float64)
        cand = total[:, None] + c[None, :]  # (K_prev, K_i)
        n_out = total.size + c.size - 1
        new = np.full(n_out, np.inf)
        arg = np.zeros(n_out, dtype=np.int64)
        for a in range(c.size):
            seg = cand[:, a]
            better = seg < new[a: a + total.size]
            new[a: a + total.size] = np.where(better, seg, new[a: a + total.size])
            arg[a: a + total.size] = np.where(better, a, arg[a: a + total.size])
        total = new
        back.append(arg)
    return total, back


def minplus_backtrack(back: list[np.ndarray], curves: list[np.ndarray], k: int) -> list[int]:
    """The per-node ``k_i`` of the min-plus optimum at total ``k``."""
    ks = []
    for i in range(len(curves) - 1, 0, -1):
        a = int(back[i - 1][k])
        ks.append(a)
        k -= a
    ks.append(k)
    return ks[::-1]
