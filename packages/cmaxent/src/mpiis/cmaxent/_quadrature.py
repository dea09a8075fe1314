"""Gaussian expectations of softplus and of the logistic function's derivatives.

Under a Gaussian p(x), t = beta_0 + beta^T x ~ N(m, v), so the causal dual (C2) needs only the
1-D expectations G_j(m, v) = E[sigma^(j)(t)], with sigma^(-1) = softplus. The brief's rule:

- s = sqrt(v) < 1: 64-node Gauss-Hermite;
- s >= 1: the smooth pieces by closed form (E[max(t, 0)] = m Phi(m/s) + s phi(m/s) for
  softplus, Phi(m/s) for sigma) and the remainders, which decay like exp(-|t|), by 96-node
  Gauss-Legendre on [-40, 0] and [0, 40] against the N(m, s^2) density.

Derivatives come from the heat equation, d/dv E[f(m + sqrt(v) Z)] = E[f''(t)] / 2, through a
``jax.custom_jvp``: dG_j = G_{j+1} dm + G_{j+2} dv / 2. This is exact at v = 0 (beta = 0), where
differentiating sqrt(v) would give 0 * inf.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import ndtr

__all__ = ["gauss_all", "gauss_expect", "gauss_softplus", "sigma_derivative"]

_GH_X, _GH_W = np.polynomial.hermite.hermgauss(64)
_GL_X, _GL_W = np.polynomial.legendre.leggauss(96)
_HALF = 40.0
# nodes on [0, 40]; the negative half uses -nodes
_POS_T = _HALF * (_GL_X + 1.0) / 2.0
_POS_W = _HALF * _GL_W / 2.0
_MAX_ORDER = 5


def sigma_derivative(j: int, t: jax.Array) -> jax.Array:
    """sigma^(j)(t) for j in -1..5 (j = -1: softplus), written in the stable form
    p = sigma(t) sigma(-t) so that the tails keep their relative accuracy."""
    if j == -1:
        return jnp.logaddexp(0.0, t)
    s = jax.nn.sigmoid(t)
    if j == 0:
        return s
    u = jax.nn.sigmoid(-t)
    p = s * u
    if j == 1:
        return p
    if j == 2:
        return p * (u - s)
    if j == 3:
        return p * (1.0 - 6.0 * p)
    if j == 4:
        return p * (u - s) * (1.0 - 12.0 * p)
    if j == 5:
        return p * (1.0 - 30.0 * p + 120.0 * p * p)
    raise ValueError(f"`j` must be in -1..{_MAX_ORDER}, got {j}")


def _hermite(j: int, m: jax.Array, s: jax.Array) -> jax.Array:
    t = m[..., None] + np.sqrt(2.0) * s[..., None] * _GH_X
    return jnp.sum(sigma_derivative(j, t) * _GH_W, axis=-1) / np.sqrt(np.pi)


def _legendre(j: int, m: jax.Array, s: jax.Array) -> jax.Array:
    s_ = jnp.where(s >= 1.0, s, 1.0)  # the unused branch must stay finite
    z = m / s_
    tp = jnp.asarray(_POS_T)

    def dens(t):
        return jnp.exp(-0.5 * ((t - m[..., None]) / s_[..., None]) ** 2) / (
            s_[..., None] * np.sqrt(2.0 * np.pi))

    dp, dn = dens(tp), dens(-tp)
    if j == -1:
        rem = jnp.log1p(jnp.exp(-tp))  # log1p(exp(-|t|)), the same on both halves
        smooth = m * ndtr(z) + s_ * jnp.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi)
        return smooth + jnp.sum((dp + dn) * rem * _POS_W, axis=-1)
    if j == 0:
        rem = jax.nn.sigmoid(-tp)  # sigma(t) - 1{t > 0} = -sigma(-t) (t > 0), sigma(t) (t < 0)
        return ndtr(z) + jnp.sum((dn - dp) * rem * _POS_W, axis=-1)
    fp, fn = sigma_derivative(j, tp), sigma_derivative(j, -tp)
    return jnp.sum((dp * fp + dn * fn) * _POS_W, axis=-1)


def _raw(j: int, m: jax.Array, v: jax.Array) -> jax.Array:
    s = jnp.sqrt(jnp.maximum(v, 0.0))
    return jnp.where(s < 1.0, _hermite(j, m, jnp.where(s < 1.0, s, 0.0)), _legendre(j, m, s))


def gauss_expect(j: int, m: jax.Array, v: jax.Array) -> jax.Array:
    """G_j(m, v) = E[sigma^(j)(t)], t ~ N(m, v); j = -1 gives E[softplus(t)] (used in (C2)).

    Args:
        j: derivative order, -1..5 (the Hessian of (C2) needs up to 3).
        m: mean of t, any shape.
        v: variance of t (>= 0), same shape as ``m``.

    Returns:
        The expectation, shape of ``m``.

    Raises:
        ValueError: for ``j`` outside -1..5.
    """
    if isinstance(j, bool) or not isinstance(j, int) or not -1 <= j <= _MAX_ORDER:
        raise ValueError(f"`j` must be an int in -1..{_MAX_ORDER}, got {j!r}")
    return _gexp(j, m, v)


@partial(jax.custom_jvp, nondiff_argnums=(0,))
def _gexp(j: int, m: jax.Array, v: jax.Array) -> jax.Array:
    return _raw(j, jnp.asarray(m), jnp.asarray(v))


@_gexp.defjvp
def _gexp_jvp(j, primals, tangents):
    m, v = primals
    dm, dv = tangents
    if j + 2 > _MAX_ORDER:
        raise NotImplementedError(f"derivatives of G_{j} need sigma^({j + 2}), not provided")
    y = _gexp(j, m, v)
    return y, _gexp(j + 1, m, v) * dm + 0.5 * _gexp(j + 2, m, v) * dv


def _hermite_all(m: jax.Array, s: jax.Array) -> jax.Array:
    t = m + np.sqrt(2.0) * s * _GH_X  # (64,)
    w = _GH_W / np.sqrt(np.pi)
    sg, u = jax.nn.sigmoid(t), jax.nn.sigmoid(-t)
    p = sg * u
    f = jnp.stack([jnp.logaddexp(0.0, t), sg, p, p * (u - sg), p * (1.0 - 6.0 * p)])
    return f @ w


def _legendre_all(m: jax.Array, s: jax.Array) -> jax.Array:
    s_ = jnp.where(s >= 1.0, s, 1.0)  # the unused branch must stay finite
    z = m / s_
    tp = jnp.asarray(_POS_T)
    c = 1.0 / (s_ * np.sqrt(2.0 * np.pi))
    dp = jnp.exp(-0.5 * ((tp - m) / s_) ** 2) * c
    dn = jnp.exp(-0.5 * ((-tp - m) / s_) ** 2) * c
    wp, wn = dp * _POS_W, dn * _POS_W
    rem = jnp.log1p(jnp.exp(-tp))
    sm = jax.nn.sigmoid(-tp)  # sigma(-t) for t > 0
    spos = 1.0 - sm
    p = spos * sm  # sigma'(t) = sigma'(-t)
    d2 = p * (sm - spos)  # sigma''(t) for t > 0; odd in t
    d3 = p * (1.0 - 6.0 * p)  # even
    g_1 = m * ndtr(z) + s_ * jnp.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi) + (wp + wn) @ rem
    g0 = ndtr(z) + (wn - wp) @ sm
    g1 = (wp + wn) @ p
    g2 = (wp - wn) @ d2
    g3 = (wp + wn) @ d3
    return jnp.stack([g_1, g0, g1, g2, g3])


def gauss_all(m: jax.Array, v: jax.Array) -> jax.Array:
    """(5,) G_j(m, v) for j = -1..3 at one scalar (m, v), in one pass over the nodes.

    The Gaussian causal Newton step needs exactly these: the dual (j = -1), its gradient
    (j = 0, 1) and its Hessian (j = 1, 2, 3), by the heat equation dG_j/dv = G_{j+2} / 2.
    """
    s = jnp.sqrt(jnp.maximum(v, 0.0))
    small = s < 1.0
    return jnp.where(small, _hermite_all(m, jnp.where(small, s, 0.0)), _legendre_all(m, s))


def gauss_softplus(m: jax.Array, v: jax.Array) -> jax.Array:
    """G_{-1}(m, v) = E[softplus(t)] at one scalar (m, v) (the line search's objective)."""
    s = jnp.sqrt(jnp.maximum(v, 0.0))
    small = s < 1.0
    sh = jnp.where(small, s, 0.0)
    th = m + np.sqrt(2.0) * sh * _GH_X
    herm = jnp.logaddexp(0.0, th) @ (_GH_W / np.sqrt(np.pi))
    s_ = jnp.where(small, 1.0, s)
    z = m / s_
    tp = jnp.asarray(_POS_T)
    c = 1.0 / (s_ * np.sqrt(2.0 * np.pi))
    dens = (jnp.exp(-0.5 * ((tp - m) / s_) ** 2) + jnp.exp(-0.5 * ((-tp - m) / s_) ** 2)) * c
    leg = (m * ndtr(z) + s_ * jnp.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi)
           + (dens * _POS_W) @ jnp.log1p(jnp.exp(-tp)))
    return jnp.where(small, herm, leg)
