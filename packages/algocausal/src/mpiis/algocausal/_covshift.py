"""The covariate-shift experiment (claim 4): how many distinct ``theta`` values of
``P(X1 | E)`` the shortest code uses (brief, "Covariate-shift family")."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache, partial

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import gammainc, gammaln

from mpiis.shared.validation import check_int

from ._penalty import codebook_cost_bits

__all__ = ["CovariateShiftResult", "covariate_shift_curve"]

IMPOSSIBLE_BITS = 1e6  # charge per sample of zero probability [paper]


@dataclass(frozen=True, eq=False)
class CovariateShiftResult:
    """Code-length curve of the covariate-shift family.

    Attributes:
        k_hat: the ``k`` with the smallest total code length (first on ties).
        k_values: ``(K,)`` the ``k`` scanned; curve: ``(K,)`` total bits per ``k``.
        partition: environment blocks sharing a value at ``k_hat``.
        mechanisms: the ``k_hat`` codebook values used.
        theta_hat: ``(N,)`` per-environment estimates ``mean(X1) / (M + 2)``.
        data_bits: ``(K,)`` the x1 data bits per ``k`` (x2 and label bits excluded).
    """

    k_hat: int
    k_values: np.ndarray
    curve: np.ndarray
    partition: tuple[tuple[int, ...], ...]
    mechanisms: np.ndarray
    theta_hat: np.ndarray
    data_bits: np.ndarray


@lru_cache(maxsize=64)
def _combinations(v: int, k: int) -> np.ndarray:
    c = math.comb(v, k)
    flat = np.fromiter(itertools.chain.from_iterable(itertools.combinations(range(v), k)),
                       dtype=np.int32, count=c * k)
    out = flat.reshape(c, k)
    out.setflags(write=False)
    return out


@partial(jax.jit, static_argnames=("m",))
def _x1_bits(book, m: int):
    """``-log2 P(x1 = x | theta)`` ``(V, m)`` for the censored Poisson, 1e6 where P = 0."""
    lam = book[:, None] * (m + 2)
    x = jnp.arange(m - 1, dtype=book.dtype)[None, :]
    logp = -lam + x * jnp.log(lam) - gammaln(x + 1.0)
    tail = gammainc(float(m - 1), lam)  # P(X >= m-1) = 1 - F(m-2; lam)
    p_tail = jnp.where(tail > 0, tail, 1.0)
    bits = jnp.concatenate([-logp / jnp.log(2.0), -jnp.log2(p_tail)], axis=1)
    zero = jnp.concatenate([jnp.exp(logp) <= 0, tail <= 0], axis=1)
    return jnp.where(zero, IMPOSSIBLE_BITS, bits)


_PHI = np.frompyfunc(lambda z: 0.5 * (1.0 + math.erf(z / math.sqrt(2.0))), 1, 1)


def _x2_bits(x1: np.ndarray, x2: np.ndarray, m: int) -> float:
    """``sum -log2 P(x2 | x1)`` for ``N(x1, 1)`` discretised into unit bins, open-ended at 0
    and ``m - 1`` (equal for every ``k``); zero probabilities cost 1e6 bits each."""
    hi = np.where(x2 == m - 1, 1.0, _PHI(x2 + 0.5 - x1).astype(np.float64))
    lo = np.where(x2 == 0, 0.0, _PHI(x2 - 0.5 - x1).astype(np.float64))
    p2 = hi - lo
    safe = np.where(p2 > 0, p2, 1.0)
    return float(np.where(p2 > 0, -np.log2(safe), IMPOSSIBLE_BITS).sum())


@lru_cache(maxsize=16)
def _all_subsets(v: int, ks: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Every ``k``-subset for ``k`` in ``ks``, padded to ``max(ks)`` columns by repeating the
    last index (a repeated value never changes the nearest assignment); and the row offsets
    of each ``k``."""
    width = max(ks)
    blocks, offsets = [], [0]
    for k in ks:
        c = _combinations(v, k)
        blocks.append(np.concatenate([c, np.repeat(c[:, -1:], width - k, axis=1)], axis=1))
        offsets.append(offsets[-1] + c.shape[0])
    out = np.concatenate(blocks)
    out.setflags(write=False)
    return out, np.array(offsets)


@partial(jax.jit, static_argnames=("chunk",))
def _subset_bits(subsets, book, theta_hat, table, *, chunk: int):
    # subsets (S, K) codebook indices; table (N, V) code length of env e at value v
    s_total, k = subsets.shape
    n_chunks = -(-s_total // chunk)
    pad = n_chunks * chunk - s_total
    subs = jnp.concatenate([subsets, jnp.broadcast_to(subsets[:1], (pad, k))])
    env = jnp.arange(theta_hat.shape[0])

    def one(sc):
        vals = book[sc]  # (c, K)
        dist = jnp.abs(vals[:, None, :] - theta_hat[None, :, None])  # (c, N, K)
        near = jnp.take_along_axis(sc[:, None, :], jnp.argmin(dist, axis=-1)[..., None],
                                   axis=-1)[..., 0]  # (c, N)
        return jnp.sum(table[env[None, :], near], axis=1)

    return jax.lax.map(one, subs.reshape(n_chunks, chunk, k)).reshape(-1)[:s_total]


def covariate_shift_curve(
    x1: np.ndarray,
    x2: np.ndarray,
    env: np.ndarray,
    *,
    n_values: int = 20,
    k_values: Iterable[int] = range(1, 11),
    codebook: np.ndarray | None = None,
    penalty_codebook_size: int | None = None,
    n_envs: int | None = None,
    x64: bool = True,
) -> CovariateShiftResult:
    """Total code length per number of shared ``P(X1 | E)`` values, eq. (B) for the
    covariate-shift family.

    For each ``k`` every ``k``-subset of the codebook (default ``linspace(0, 1, M + 3)``
    without its ends: 21 values) is tried; each environment takes the nearest value to its
    ``theta_hat``, and the subset with the smallest x1 code length wins. The total adds
    ``L_model(N, k, penalty_codebook_size)``, the x2 | x1 bits and the label bits.

    Args:
        x1, x2: ``(n,)`` integer samples in ``{0..n_values-1}``.
        env: ``(n,)`` integer environment labels (``0..N-1`` when ``n_envs`` is given).
        n_values: ``M``.
        k_values: the ``k`` to scan.
        codebook: the candidate ``theta`` values (default as above).
        penalty_codebook_size: ``M`` in the penalty; ``None`` means ``n_values`` (the official
            code's 20 with a 21-value codebook).
        n_envs: the number of environments; every label ``0..n_envs-1`` must have samples.
        x64: scoped float64.

    Returns:
        A :class:`CovariateShiftResult`.

    Raises:
        ValueError: on non-integer values, values outside ``{0..n_values-1}``, mismatched
            lengths or an empty environment.
    """
    m = check_int(n_values, "n_values", minimum=2)
    arrays = {}
    for name, a in (("x1", x1), ("x2", x2), ("env", env)):
        arr = np.asarray(a)
        if arr.ndim != 1:
            raise ValueError(f"`{name}` must be 1-D, got shape {arr.shape}")
        if arr.dtype.kind == "f":
            if not np.isfinite(arr).all():
                raise ValueError(f"`{name}` must be finite, got NaN/Inf")
            if not np.all(arr == np.round(arr)):
                raise ValueError(f"`{name}` must hold integers, got non-integer values")
        elif arr.dtype.kind not in "iub":
            raise TypeError(f"`{name}` must be an integer array, got dtype {arr.dtype}")
        arrays[name] = arr.astype(np.int64)
    x1, x2, env = arrays["x1"], arrays["x2"], arrays["env"]
    if not (x1.size == x2.size == env.size) or x1.size == 0:
        raise ValueError(f"`x1`, `x2`, `env` must be non-empty with equal lengths, got "
                         f"{x1.size}, {x2.size}, {env.size}")
    for name, a in (("x1", x1), ("x2", x2)):
        if a.min() < 0 or a.max() > m - 1:
            raise ValueError(f"`{name}` values must lie in {{0..{m - 1}}}, got range "
                             f"[{a.min()}, {a.max()}]")
    if n_envs is None:
        labels = np.unique(env)
    else:
        n_envs = check_int(n_envs, "n_envs", minimum=1)
        labels = np.arange(n_envs)
        if env.min() < 0 or env.max() >= n_envs:
            raise ValueError(f"`env` labels must lie in 0..{n_envs - 1}, got [{env.min()}, "
                             f"{env.max()}]")
    counts_env = np.array([(env == lab).sum() for lab in labels])
    if (counts_env == 0).any():
        raise ValueError(f"environment {int(labels[counts_env == 0][0])} of `env` is empty")
    n_env = labels.size
    pm = m if penalty_codebook_size is None else check_int(penalty_codebook_size,
                                                           "penalty_codebook_size", minimum=1)
    book = (np.linspace(0.0, 1.0, m + 3)[1:-1] if codebook is None
            else np.sort(np.asarray(codebook, dtype=np.float64)))
    if book.ndim != 1 or not ((book > 0) & (book < 1)).all():
        raise ValueError("`codebook` must be a 1-D array of values in (0, 1)")
    ks = [check_int(int(k), "k_values[i]", minimum=1) for k in k_values]
    for k in ks:
        if k > min(n_env, book.size, pm):
            raise ValueError(f"`k_values` must be <= min(N, codebook, penalty size) = "
                             f"{min(n_env, book.size, pm)}, got {k}")
    theta_hat = np.array([x1[env == lab].mean() / (m + 2) for lab in labels])
    x2_bits = _x2_bits(x1, x2, m)
    counts = np.stack([np.bincount(x1[env == lab], minlength=m) for lab in labels])
    with jax.enable_x64(x64):
        per_val = _x1_bits(jnp.asarray(book), m)  # (V, m)
        table = jnp.asarray(counts, per_val.dtype) @ per_val.T  # (N, V)
        subs, offsets = _all_subsets(book.size, tuple(ks))
        chunk = int(max(1, min(subs.shape[0], 2_000_000 // (n_env * subs.shape[1]))))
        bits_all = np.asarray(_subset_bits(jnp.asarray(subs), jnp.asarray(book),
                                           jnp.asarray(theta_hat), table, chunk=chunk),
                              dtype=np.float64)
        results = []
        for j, k in enumerate(ks):
            seg = bits_all[offsets[j]: offsets[j + 1]]
            a = int(np.argmin(seg))
            results.append((float(seg[a]), subs[offsets[j] + a, :k]))
    label_bits = x1.size * math.log2(n_env)
    data_bits = np.array([b for b, _ in results])
    curve = np.array([b + x2_bits + label_bits + codebook_cost_bits(n_env, k, pm)
                      for (b, _), k in zip(results, ks, strict=True)])
    best = int(np.argmin(curve))
    sub = results[best][1]
    near = sub[np.argmin(np.abs(book[sub][None, :] - theta_hat[:, None]), axis=1)]
    blocks: dict[int, list[int]] = {}
    for e, v in enumerate(near):
        blocks.setdefault(int(v), []).append(e)
    return CovariateShiftResult(
        k_hat=ks[best], k_values=np.array(ks), curve=curve,
        partition=tuple(tuple(b) for b in blocks.values()),
        mechanisms=book[np.unique(near)], theta_hat=theta_hat, data_bits=data_bits,
    )
