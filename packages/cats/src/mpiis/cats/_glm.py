"""Batched GLMs in JAX: logistic regression by Newton's method (ridge 1e-6 on the Hessian) and
weighted least squares, jit-compiled as whole fits and vmapped over weight vectors (bootstrap
replicates are frequency weights). Cluster-robust (sandwich) covariances by item.

Everything runs in float64 inside a scoped ``jax.enable_x64`` context, never a global flip."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Literal

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["GLMFit", "fit_glm", "fit_glm_batch", "x64"]

RIDGE = 1e-6  # brief: a ridge of 1e-6 on the Hessian against perfect separation
N_NEWTON = 30  # Newton steps; logistic fits converge in < 10 from zero
SEPARATION_BOUND = 25.0  # |coefficient| beyond this on standardised inputs: separation


def x64():
    """The scoped float64 context used by every JAX computation of this package."""
    return jax.enable_x64(True)


def _newton(X, y, w, ridge, beta0):
    p_dim = X.shape[1]
    eye = jnp.eye(p_dim)

    def step(carry):
        beta, _, it = carry
        eta = X @ beta
        p = jax.nn.sigmoid(eta)
        g = X.T @ (w * (y - p))
        H = (X * (w * p * (1 - p))[:, None]).T @ X + ridge * eye
        d = jnp.linalg.solve(H, g)
        norm = jnp.max(jnp.abs(d))
        d = jnp.where(norm > 5.0, d * 5.0 / norm, d)  # damp the first steps
        return beta + d, norm, it + 1

    def cond(carry):
        _, norm, it = carry
        return (it < N_NEWTON) & (norm > 1e-10)

    beta, norm, _ = jax.lax.while_loop(cond, step, (beta0, jnp.inf, 0))
    return beta, norm


def _wls(X, y, w, ridge, beta0=None):
    XtW = (X * w[:, None]).T
    beta = jnp.linalg.solve(XtW @ X + ridge * jnp.eye(X.shape[1]), XtW @ y)
    return beta, jnp.zeros(())


@partial(jax.jit, static_argnames=("family",))
def _fit_batch(X, y, W, ridge, family, beta0):
    f = _newton if family == "logistic" else _wls
    return jax.vmap(lambda w: f(X, y, w, ridge, beta0))(W)


@partial(jax.jit, static_argnames=("family", "n_clusters"))
def _fit_one(X, y, w, clusters, ridge, family, n_clusters):
    f = _newton if family == "logistic" else _wls
    beta, last = f(X, y, w, ridge, jnp.zeros(X.shape[1]))
    eta = X @ beta
    if family == "logistic":
        mu = jax.nn.sigmoid(eta)
        v = mu * (1 - mu)
        ll = jnp.sum(w * (y * jax.nn.log_sigmoid(eta) + (1 - y) * jax.nn.log_sigmoid(-eta)))
    else:
        mu = eta
        v = jnp.ones_like(eta)
        resid = y - mu
        sigma2 = jnp.sum(w * resid**2) / jnp.maximum(jnp.sum(w) - X.shape[1], 1.0)
        ll = -0.5 * jnp.sum(w) * (jnp.log(2 * jnp.pi * sigma2) + 1.0)
    H = (X * (w * v)[:, None]).T @ X + ridge * jnp.eye(X.shape[1])
    bread = jnp.linalg.inv(H)
    scores = X * (w * (y - mu))[:, None]
    S = jax.ops.segment_sum(scores, clusters, num_segments=n_clusters)
    meat = S.T @ S
    g = jnp.sum(jax.ops.segment_sum(w, clusters, num_segments=n_clusters) > 0)
    adj = g / jnp.maximum(g - 1.0, 1.0)
    cov = adj * bread @ meat @ bread
    return beta, cov, ll, last


@dataclass(frozen=True)
class GLMFit:
    """One fitted GLM.

    Attributes:
        beta: coefficients ``(p,)``.
        cov: cluster-robust (sandwich) covariance ``(p, p)``.
        se: ``sqrt(diag(cov))``.
        loglik: the (weighted) log-likelihood.
        converged: the last Newton step was below 1e-6 and no coefficient ran off.
        note: '' or why it did not converge (perfect separation).
    """

    beta: np.ndarray
    cov: np.ndarray
    se: np.ndarray
    loglik: float
    converged: bool
    note: str = ""


BUCKET = 512  # rows are zero-weight padded to a multiple of this: one compile per size bucket


def _pad_rows(n: int) -> int:
    return max(BUCKET, -(-n // BUCKET) * BUCKET) - n


def _check_design(X, y, w):
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"design `X` must be (n, p) and `y` (n,), got {X.shape} and {y.shape}")
    w = np.ones(len(y)) if w is None else np.asarray(w, dtype=np.float64)
    for name, a in (("X", X), ("y", y), ("weights", w)):
        if not np.isfinite(a).all():
            raise ValueError(f"`{name}` has {int((~np.isfinite(a)).sum())} NaN/Inf value(s)")
    return X, y, w


def fit_glm(X, y, *, family: Literal["logistic", "linear"] = "logistic", weights=None,
            clusters=None, ridge: float = RIDGE) -> GLMFit:
    """Fit one GLM with a cluster-robust covariance (clusters = row ids when ``None``).

    Args:
        X: design ``(n, p)`` (include the intercept column yourself).
        y: response ``(n,)``; 0/1 for ``family="logistic"``.
        family: ``"logistic"`` (Newton) or ``"linear"`` (weighted least squares).
        weights: row weights ``(n,)`` (frequency or inverse-probability weights).
        clusters: integer cluster codes ``(n,)`` for the sandwich (items).
    """
    X, y, w = _check_design(X, y, weights)
    n = len(y)
    if clusters is None:
        codes = np.arange(n)
    else:
        _, codes = np.unique(np.asarray(clusters), return_inverse=True)
    n_cl = int(codes.max()) + 1 if n else 1
    pad = _pad_rows(n)
    if pad:  # zero-weight rows in an empty cluster: the fit and the sandwich are unchanged
        X = np.vstack([X, np.zeros((pad, X.shape[1]))])
        y, w = np.concatenate([y, np.zeros(pad)]), np.concatenate([w, np.zeros(pad)])
        codes = np.concatenate([codes, np.full(pad, n_cl)])
    n_cl_static = n_cl + 1 + _pad_rows(n_cl + 1)
    with x64():
        beta, cov, ll, last = _fit_one(jnp.asarray(X), jnp.asarray(y), jnp.asarray(w),
                                       jnp.asarray(codes), float(ridge), family, n_cl_static)
        beta, cov = np.asarray(beta), np.asarray(cov)
        ll, last = float(ll), float(last)
    note = ""
    ok = bool(np.isfinite(beta).all() and last < 1e-6)
    if family == "logistic" and np.max(np.abs(beta), initial=0.0) > SEPARATION_BOUND:
        ok = False
        note = ("perfect or quasi-perfect separation: coefficients diverge; the ridge of 1e-6 "
                "on the Hessian keeps them finite but they are not interpretable")
    elif not ok:
        note = f"Newton did not converge (last step {last:.2g})"
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    return GLMFit(beta=beta, cov=cov, se=se, loglik=ll, converged=ok, note=note)


def fit_glm_batch(X, y, weights, *, family: Literal["logistic", "linear"] = "logistic",
                  ridge: float = RIDGE, init=None) -> np.ndarray:
    """Fit the same GLM under ``B`` weight vectors at once (vmapped, jit-compiled).

    Args:
        X: ``(n, p)``; y: ``(n,)``; weights: ``(B, n)`` (bootstrap counts or IPW).

    Returns:
        Coefficients ``(B, p)``.

    ``init`` (p,) warm-starts every Newton fit (e.g. from the full-sample fit).
    """
    X, y, _ = _check_design(X, y, None)
    W = np.asarray(weights, dtype=np.float64)
    if W.ndim != 2 or W.shape[1] != len(y):
        raise ValueError(f"`weights` must be (B, {len(y)}), got {W.shape}")
    pad = _pad_rows(len(y))
    if pad:
        X = np.vstack([X, np.zeros((pad, X.shape[1]))])
        y = np.concatenate([y, np.zeros(pad)])
        W = np.hstack([W, np.zeros((W.shape[0], pad))])
    with x64():
        b0 = jnp.zeros(X.shape[1]) if init is None else jnp.asarray(init, dtype=jnp.float64)
        beta, _ = _fit_batch(jnp.asarray(X), jnp.asarray(y), jnp.asarray(W), float(ridge),
                             family, b0)
        return np.asarray(beta)
