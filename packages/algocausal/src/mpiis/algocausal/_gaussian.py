"""Linear Gaussian family: per-environment statistics, KL and code-length tables (brief,
"Codebook search" and "Exact vectorised reformulation").

For node ``i`` with parents ``P`` the candidate ``(beta, v)`` of environment ``e`` has

    KL_e = 1/2 [ ln(v / v_hat) + (v_hat + (beta_hat - beta)^T Sigma_PP (beta_hat - beta)) / v - 1 ]
    bits_e = [ n_e/2 ln(2 pi v) + (S_ii - 2 beta^T S_Pi + beta^T S_PP beta) / (2 v) ] / ln 2

with ``(beta_hat, v_hat, Sigma_PP)`` from the ddof = 1 sample covariance and ``S = sum x x^T``
(centred per environment when ``center``). Candidates with ``v <= 0`` get ``+inf`` in both
tables, set with ``where`` before any arithmetic can produce NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from ._data import MultiEnvData

__all__ = ["EnvStats", "env_stats", "kl_bits_tables", "node_estimates"]

LN2 = float(np.log(2.0))


@dataclass(frozen=True, eq=False)
class EnvStats:
    """Sufficient statistics of ``N`` environments over ``d`` columns.

    Attributes:
        n: ``(N,)`` sample counts.
        cov: ``(N, d, d)`` ddof = 1 centred sample covariances (the parameter estimates).
        scatter: ``(N, d, d)`` ``sum x x^T`` of the coded data (centred when ``center``).
        mean: ``(N, d)`` per-environment means.
        center: whether the coded data were centred.
    """

    n: np.ndarray
    cov: np.ndarray
    scatter: np.ndarray
    mean: np.ndarray
    center: bool


def env_stats(data: MultiEnvData, *, center: bool) -> EnvStats:
    """Compute :class:`EnvStats` of ``data``."""
    n = np.array(data.n_samples, dtype=np.float64)
    mean = np.stack([x.mean(axis=0) for x in data.envs])
    cov = np.stack([np.atleast_2d(np.cov(x, rowvar=False, ddof=1)) for x in data.envs])
    if center:
        scatter = np.stack([(x - m).T @ (x - m) for x, m in zip(data.envs, mean, strict=True)])
    else:
        scatter = np.stack([x.T @ x for x in data.envs])
    return EnvStats(n=n, cov=cov, scatter=scatter, mean=mean, center=center)


def node_estimates(
    cov: np.ndarray, node: int, parents: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-environment regression estimates of ``node`` on ``parents``.

    Args:
        cov: ``(N, d, d)`` covariances.
        node: the child index ``i``.
        parents: parent indices ``P``.

    Returns:
        ``beta_hat (N, |P|)``, ``v_hat (N,)`` and ``Sigma_PP (N, |P|, |P|)``.
    """
    p = list(parents)
    n_env = cov.shape[0]
    if not p:
        return np.zeros((n_env, 0)), cov[:, node, node].copy(), np.zeros((n_env, 0, 0))
    spp = cov[:, p][:, :, p]
    spi = cov[:, p, node]
    beta = np.linalg.solve(spp, spi[..., None])[..., 0]
    v = cov[:, node, node] - np.einsum("ep,ep->e", beta, spi)
    return beta, v, spp


def _grid(coef_books: tuple[jax.Array, ...]) -> jax.Array:
    """All coefficient tuples ``(G, |P|)`` in row-major (lexicographic index) order."""
    if not coef_books:
        return jnp.zeros((1, 0))
    mesh = jnp.meshgrid(*coef_books, indexing="ij")
    return jnp.stack([m.reshape(-1) for m in mesh], axis=-1)


@jax.jit
def _tables(beta_hat, v_hat, spp, s_ii, s_pi, s_pp, n, coef_books, noise_book):
    # beta_hat (N, p), v_hat (N,), spp (N, p, p); s_* scatter blocks; n (N,)
    g = _grid(coef_books)  # (G, p)
    v = noise_book  # (M_v,)
    ok = v > 0
    vs = jnp.where(ok, v, 1.0)
    delta = beta_hat[:, None, :] - g[None, :, :]  # (N, G, p)
    quad = jnp.einsum("egp,epq,egq->eg", delta, spp, delta)  # (N, G)
    kl = 0.5 * (
        jnp.log(vs[None, None, :] / v_hat[:, None, None])
        + (v_hat[:, None, None] + quad[:, :, None]) / vs[None, None, :]
        - 1.0
    )
    rss = (
        s_ii[:, None]
        - 2.0 * jnp.einsum("gp,ep->eg", g, s_pi)
        + jnp.einsum("gp,epq,gq->eg", g, s_pp, g)
    )  # (N, G)
    nats = 0.5 * n[:, None, None] * jnp.log(2.0 * jnp.pi * vs)[None, None, :] + rss[
        :, :, None
    ] / (2.0 * vs[None, None, :])
    kl = jnp.where(ok[None, None, :], kl, jnp.inf)
    bits = jnp.where(ok[None, None, :], nats / LN2, jnp.inf)
    return kl, bits


def kl_bits_tables(
    stats: EnvStats,
    node: int,
    parents: tuple[int, ...],
    coef_books: list[np.ndarray],
    noise_book: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """KL and code-length tables of one node over its full codebook grid.

    Args:
        stats: the environments' statistics.
        node: child index ``i``.
        parents: parent indices ``P`` (one coefficient type each, in this order).
        coef_books: per parent, the coefficient codebook ``(M_p,)``.
        noise_book: the noise-variance codebook ``(M_v,)``.

    Returns:
        ``kl`` and ``bits``, each ``(N, M_{p_1}, ..., M_{p_|P|}, M_v)`` float64 (+inf where
        ``v <= 0``).
    """
    beta_hat, v_hat, spp = node_estimates(stats.cov, node, parents)
    p = list(parents)
    s = stats.scatter
    s_ii = s[:, node, node]
    s_pi = s[:, p, node] if p else np.zeros((s.shape[0], 0))
    s_pp = s[:, p][:, :, p] if p else np.zeros((s.shape[0], 0, 0))
    kl, bits = _tables(
        jnp.asarray(beta_hat), jnp.asarray(v_hat), jnp.asarray(spp), jnp.asarray(s_ii),
        jnp.asarray(s_pi), jnp.asarray(s_pp), jnp.asarray(stats.n),
        tuple(jnp.asarray(b) for b in coef_books), jnp.asarray(noise_book),
    )
    shape = (s.shape[0], *[len(b) for b in coef_books], len(noise_book))
    return np.asarray(kl).reshape(shape), np.asarray(bits).reshape(shape)


def candidate_bits(
    stats: EnvStats, node: int, parents: tuple[int, ...], cand: np.ndarray
) -> np.ndarray:
    """Code length (bits) of every environment's node-``i`` data under each candidate row
    ``cand (C, |P| + 1)`` = ``(beta..., v)``; returns ``(N, C)`` (+inf where ``v <= 0``)."""
    p = list(parents)
    s = stats.scatter
    beta, v = cand[:, :-1], cand[:, -1]
    ok = v > 0
    vs = np.where(ok, v, 1.0)
    rss = s[:, node, node][:, None] - 2.0 * np.einsum("cp,ep->ec", beta, s[:, p, node])
    rss = rss + np.einsum("cp,epq,cq->ec", beta, s[:, p][:, :, p], beta)
    nats = 0.5 * stats.n[:, None] * np.log(2 * np.pi * vs)[None, :] + rss / (2 * vs[None, :])
    return np.where(ok[None, :], nats / LN2, np.inf)
