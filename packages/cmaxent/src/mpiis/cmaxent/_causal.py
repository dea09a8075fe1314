"""Causal CMAXENT (X -> Y): maximum H(Y | X) under E[Y] and E[X_i Y], i in O (paper §3).

The solution is p(Y=1 | x) = sigma(beta_0 + sum_{i in O} beta_i x_i), beta_i = 0 outside O (C1).
The multipliers minimise the convex dual (C2)

    D_c(beta) = E_{p(x)}[softplus(beta_0 + beta^T x)] - beta_0 m_Y - sum_{i in O} beta_i m_iY,

whose gradient is model moments minus target moments. With the empirical p(x) this is the mean
logistic log-loss (causal CMAXENT = unpenalised logistic regression); with the Gaussian
max-entropy p(x) = N(mu, Sigma) it needs only the 1-D expectations G_j(m, v) of t = beta_0 +
beta^T x ~ N(m, v), with m = beta_0 + beta^T mu and v = beta^T Sigma beta.

Both paths are one jitted function each (quadrature or data pass, Newton loop, implied
moments), compiled once per number of predictors k; the empirical path pads n to a bucket
(at most 12.5% more rows, weights 0 on the padding), so a refit at a new n reuses the
compiled code unless n crosses a bucket edge.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Literal

import jax
import jax.numpy as jnp
import numpy as np

from mpiis.shared.validation import check_choice

from ._errors import InfeasibleMomentsError
from ._feasibility import (
    Feasibility,
    _gaussian,
    box_feasible,
    empirical_feasibility,
    ensure_feasible,
    gaussian_infeasible_error,
)
from ._moments import MomentTable
from ._newton import SolveOutput, converged, lbfgs_loop, minimize, newton_loop, raise_if_failed, x64
from ._prepared import PreparedTable, as_prepared, check_joint_sample
from ._quadrature import gauss_all, gauss_expect, gauss_softplus
from ._solution import CMaxEntConfig, CMaxEntSolution, ImpliedMoments

__all__ = ["causal_direction_gaussian", "fit_logistic", "row_bucket", "solve_causal",
           "solve_causal_reduced"]


# ------------------------------------------------------------------ Gaussian p(x)
@partial(jax.jit, static_argnames=("k", "solver"))
def _gaussian_solve(packed, tol, max_iter, *, k, solver):
    """The whole Gaussian causal solve: z = (beta_0, beta (k)), beta frozen at 0 outside O.

    ``packed`` = (mu (k), Sigma (k*k), mask (k+1), m_Y, m_XY (k)) in one array, and the
    result is one array (z (k+1), f, grad (k+1), n_iter, status, implied m_Y, implied
    E[X Y] (k)), so that a call moves one buffer each way.

    Gradient G_0 a + G_1 b - target and Hessian G_1 a a^T + G_2 (a b^T + b a^T) + G_3 b b^T
    + G_1 [0 0; 0 Sigma], with a = (1, mu), b = (0, Sigma beta), by the heat equation.
    """
    mu, sig = packed[:k], packed[k:k + k * k].reshape(k, k)
    mask = packed[k + k * k:2 * k + k * k + 1]
    m_y, m_xy = packed[2 * k + k * k + 1], packed[2 * k + k * k + 2:]
    a = jnp.concatenate([jnp.ones(1), mu])
    target = jnp.concatenate([jnp.reshape(m_y, (1,)), m_xy])
    s_pad = jnp.zeros((k + 1, k + 1)).at[1:, 1:].set(sig)

    def parts(z):
        sb = sig @ z[1:]
        return z[0] + z[1:] @ mu, z[1:] @ sb, sb

    def value(z):
        m, v, _ = parts(z)
        return gauss_softplus(m, v) - z @ target

    def derivs(z):
        m, v, sb = parts(z)
        g = gauss_all(m, v)
        b = jnp.concatenate([jnp.zeros(1), sb])
        grad = g[1] * a + g[2] * b - target
        ab = jnp.outer(a, b)
        hess = g[2] * (jnp.outer(a, a) + s_pad) + g[3] * (ab + ab.T) + g[4] * jnp.outer(b, b)
        return g[0] - z @ target, grad, hess

    def value_ad(z):  # differentiable at v = 0 (custom JVP by the heat equation)
        m, v, _ = parts(z)
        return gauss_expect(-1, m, v) - z @ target

    z0 = jnp.zeros(k + 1)
    if solver == "newton":
        z, f, grad, it, status = newton_loop(value, derivs, z0, mask, tol, max_iter)
    else:
        z, f, grad, it, status = lbfgs_loop(value_ad, z0, mask, tol, max_iter)
    m, v, sb = parts(z)
    g = gauss_all(m, v)
    return jnp.concatenate([z, jnp.reshape(f, (1,)), grad, jnp.stack([it, status, g[1]]).astype(
        z.dtype), mu * g[1] + sb * g[2]])


def _solve_gaussian(prep: PreparedTable, feas: Feasibility,
                    config: CMaxEntConfig) -> CMaxEntSolution:
    o = prep.obs_y
    mask = np.concatenate([[1.0], o.astype(np.float64)])
    sigma = prep.sigma
    k = prep.k
    packed = np.concatenate([prep.mean, sigma.ravel(), mask, [prep.m_y],
                             np.where(o, prep.cross, 0.0)])
    with x64():
        out = np.asarray(_gaussian_solve(packed, config.tol, config.max_iter, k=k,
                                         solver=config.solver))
    z, f, grad = out[:k + 1], out[k + 1], out[k + 2:2 * k + 3]
    it, status, g0, cross = out[2 * k + 3], out[2 * k + 4], out[2 * k + 5], out[2 * k + 6:]
    res = SolveOutput(z, float(f), grad, int(it), int(status))
    raise_if_failed(res, "causal CMAXENT", config.max_iter)
    coef = res.z[1:].copy()
    implied = ImpliedMoments(float(g0), prep.mean.copy(), sigma + np.outer(prep.mean, prep.mean),
                             np.asarray(cross))
    return CMaxEntSolution("causal", prep.predictors, coef, float(res.z[0]),
                           res.z[np.concatenate([[True], o])], True, res.n_iter,
                           float(np.max(np.abs(res.grad))), float(feas.margin), implied,
                           f"{config.solver}-gaussian")


# ------------------------------------------------------------------ empirical p(x)
def row_bucket(n: int) -> int:
    """Rows the empirical path pads n to: 256 for n <= 256, else n rounded up to a multiple
    of 2^(floor(log2 n) - 3), so at most 12.5% padding and 8 compiled sizes per doubling."""
    if n <= 256:
        return 256
    step = 2 ** (int(np.floor(np.log2(n))) - 3)
    return int(-(-n // step) * step)


@partial(jax.jit, static_argnames=("solver",))
def _empirical_solve(x, w, mask, m_y, m_xy, tol, max_iter, *, solver):
    """Mean log-loss dual on padded rows x (nb, k) with weights w (nb,) (1/n, 0 on padding)."""
    k = x.shape[1]
    target = jnp.concatenate([jnp.reshape(m_y, (1,)), m_xy])

    def value(z):
        t = z[0] + x @ z[1:]
        return w @ jnp.logaddexp(0.0, t) - z @ target

    def derivs(z):
        t = z[0] + x @ z[1:]
        q = jax.nn.sigmoid(t)
        wq = w * q
        grad = jnp.concatenate([jnp.sum(wq, keepdims=True), x.T @ wq]) - target
        s = wq * jax.nn.sigmoid(-t)
        xs = x.T @ s
        hxx = (x * s[:, None]).T @ x
        hess = jnp.zeros((k + 1, k + 1)).at[0, 0].set(jnp.sum(s)).at[0, 1:].set(xs)
        hess = hess.at[1:, 0].set(xs).at[1:, 1:].set(hxx)
        return w @ jnp.logaddexp(0.0, t) - z @ target, grad, hess

    z0 = jnp.zeros(k + 1)
    if solver == "newton":
        z, f, grad, it, status = newton_loop(value, derivs, z0, mask, tol, max_iter)
    else:
        z, f, grad, it, status = lbfgs_loop(value, z0, mask, tol, max_iter)
    t = z[0] + x @ z[1:]
    q = jax.nn.sigmoid(t)
    edge = jnp.min(jnp.where(w > 0, jnp.minimum(q, jax.nn.sigmoid(-t)), 1.0))
    wx = x * w[:, None]
    head = jnp.stack([f, it.astype(z.dtype), status.astype(z.dtype), edge, jnp.sum(w * q)])
    return jnp.concatenate([z, grad, head, x.T @ (w * q), jnp.sum(wx, axis=0),
                            (wx.T @ x).ravel()])


def fit_logistic(x: np.ndarray, m_y: float, m_xy: np.ndarray, obs: np.ndarray,
                 config: CMaxEntConfig) -> tuple[SolveOutput, float, ImpliedMoments]:
    """Minimise the empirical dual for x (n, k); returns the solve, the certificate
    min_n min(q_n, 1 - q_n) and the implied moments."""
    n, k = x.shape
    nb = row_bucket(n)
    xp = np.zeros((nb, k))
    xp[:n] = x
    w = np.zeros(nb)
    w[:n] = 1.0 / n
    mask = np.concatenate([[1.0], obs.astype(np.float64)])
    with x64():
        out = np.asarray(_empirical_solve(xp, w, mask, float(m_y), np.where(obs, m_xy, 0.0),
                                          config.tol, config.max_iter, solver=config.solver))
    p = k + 1
    z, grad = out[:p], out[p:2 * p]
    f, it, status, edge, imy = out[2 * p:2 * p + 5]
    rest = out[2 * p + 5:]
    res = SolveOutput(z, float(f), grad, int(it), int(status))
    return res, float(edge), ImpliedMoments(float(imy), rest[k:2 * k], rest[2 * k:].reshape(k, k),
                                            rest[:k])


def _certify(prep: PreparedTable, x: np.ndarray, res: SolveOutput, edge: float,
             config: CMaxEntConfig, what: str) -> Feasibility:
    """Feasibility of the empirical path, certificate first: a converged solve whose fitted
    q = sigma(X beta) stays away from {0, 1} is a strictly interior point of the LP, so
    eps* >= min(q, 1-q) and the margin is at least min(q, 1-q) / min(m_Y, 1-m_Y). When that
    bound is below ``near_infeasible``, the LP with eps fixed at that level (k + 1 rows,
    milliseconds) can still certify margin >= near_infeasible. Only when both fail (or the
    solve failed, as on separable data, where ||beta|| grows while the gradient vanishes)
    does the exact LP decide, raise or warn."""
    p1 = prep.m_y
    if converged(res.status, res.z, res.grad):
        lo = edge / min(p1, 1.0 - p1)
        if lo >= config.near_infeasible:
            return Feasibility(lo, True, "certified by the converged solve (margin >= value)")
        # a second, still cheap certificate: the LP with eps fixed at the warning level
        if config.near_infeasible > 0 and box_feasible(
                prep, x, config.near_infeasible * min(p1, 1.0 - p1)):
            return Feasibility(config.near_infeasible, True,
                               "certified by the fixed-eps LP (margin >= value)")
    exact = empirical_feasibility(prep, x)
    if not exact.feasible:
        raise InfeasibleMomentsError(
            f"{what}: the data are (quasi-)separable ({exact.reason}), so no logistic model "
            f"reproduces the moments (the unpenalised MLE does not exist). Next step: a "
            f"penalised logistic regression, fewer predictors, or the anticausal merge "
            f"(CMaxEntClassifier('anticausal')).", margin=exact.margin, reason=exact.reason)
    ensure_feasible(exact, config.near_infeasible, what)
    return exact


def _solve_empirical(prep: PreparedTable, x: np.ndarray,
                     config: CMaxEntConfig) -> CMaxEntSolution:
    o = prep.obs_y
    res, edge, implied = fit_logistic(x, prep.m_y, prep.cross, o, config)
    feas = _certify(prep, x, res, edge, config, "causal CMAXENT (empirical p(x))")
    raise_if_failed(res, "causal CMAXENT", config.max_iter)
    return CMaxEntSolution("causal", prep.predictors, res.z[1:].copy(), float(res.z[0]),
                           res.z[np.concatenate([[True], o])], True, res.n_iter,
                           float(np.max(np.abs(res.grad))), float(feas.margin), implied,
                           f"{config.solver}-empirical")


# ------------------------------------------------------------------ public entry points
def causal_direction_gaussian(table: MomentTable | PreparedTable) -> np.ndarray:
    """The Stein direction beta_O ∝ Sigma_OO^-1 c, c = Cov(X_O, Y), padded with zeros to (k,).

    Under a Gaussian p(x), E[sigma'(t) x] terms collapse by Stein's lemma, so the causal
    coefficients are alpha * this direction for a scalar alpha > 0.
    """
    return as_prepared(table).direction.copy()


def solve_causal(table: MomentTable | PreparedTable, *,
                 p_x: Literal["gaussian", "empirical"] = "gaussian", X: Any = None,
                 config: CMaxEntConfig | None = None) -> CMaxEntSolution:
    """Causal CMAXENT, (C1)-(C2): minimise the dual by damped Newton in float64.

    Args:
        table: the observed moments; a :class:`PreparedTable` reuses its completion and r.
        p_x: step-1 distribution: ``"gaussian"`` (max-entropy N(mu, Sigma), Sigma completed)
            or ``"empirical"`` (the joint sample ``X``).
        X: (n, k) joint predictor sample (columns in ``table.predictors`` order), for
            ``p_x="empirical"``.
        config: solver settings.

    Returns:
        The :class:`CMaxEntSolution` (coef (k,), zero outside O).

    Raises:
        InfeasibleMomentsError: r >= 1 (Gaussian; the message names the feature and study and
            the next step) or separable data (empirical).
        SolverDivergedError: no convergence within ``config.max_iter``.
    """
    config = CMaxEntConfig() if config is None else config
    prep = as_prepared(table)
    check_choice(p_x, "p_x", ("gaussian", "empirical"))
    if p_x == "empirical":
        return _solve_empirical(prep, check_joint_sample(prep, X), config)
    feas = _gaussian(prep)
    what = "causal CMAXENT (Gaussian p(x))"
    ensure_feasible(feas, config.near_infeasible, what,
                    error=None if feas.feasible else gaussian_infeasible_error(prep, feas, what))
    return _solve_gaussian(prep, feas, config)


# ------------------------------------------------------------------ the Stein reduction
def _dual_reduced(z: jax.Array, data: tuple) -> jax.Array:
    """(C2) restricted to beta_O = alpha d (Stein direction): z = (beta_0, alpha)."""
    mu_d, q, m_y, dm = data
    return gauss_expect(-1, z[0] + z[1] * mu_d, z[1] ** 2 * q) - z[0] * m_y - z[1] * dm


def solve_causal_reduced(table: MomentTable | PreparedTable, *,
                         config: CMaxEntConfig | None = None) -> CMaxEntSolution:
    """Causal CMAXENT under the Gaussian p(x) by the 2-unknown Stein reduction.

    beta_O = alpha Sigma_OO^-1 c; (beta_0, alpha) solve E[sigma(t)] = m_Y and
    alpha E[sigma'(t)] = 1. An independent implementation of :func:`solve_causal` (autodiff
    Newton on a different parametrisation) that the tests compare with it.
    """
    config = CMaxEntConfig() if config is None else config
    prep = as_prepared(table)
    feas = _gaussian(prep)
    ensure_feasible(feas, config.near_infeasible, "causal CMAXENT (reduced)")
    d = prep.direction
    sigma = prep.sigma
    with x64():
        data = (jnp.float64(d @ prep.mean), jnp.float64(d @ sigma @ d), jnp.float64(prep.m_y),
                jnp.float64(d @ prep.cross))
        out = minimize(_dual_reduced, np.zeros(2), data, tol=config.tol,
                       max_iter=config.max_iter, solver=config.solver)
        raise_if_failed(out, "reduced causal CMAXENT", config.max_iter)
        coef = out.z[1] * d
        beta0 = float(out.z[0])
        m, v = beta0 + coef @ prep.mean, coef @ sigma @ coef
        g0 = float(gauss_expect(0, jnp.float64(m), jnp.float64(v)))
        g1 = float(gauss_expect(1, jnp.float64(m), jnp.float64(v)))
    implied = ImpliedMoments(g0, prep.mean.copy(), sigma + np.outer(prep.mean, prep.mean),
                             prep.mean * g0 + sigma @ coef * g1)
    resid = max(abs(implied.m_y - prep.m_y),
                float(np.max(np.abs((implied.cross - prep.cross)[prep.obs_y]), initial=0.0)))
    return CMaxEntSolution("causal", prep.predictors, coef, beta0, out.z, True, out.n_iter,
                           resid, float(feas.margin), implied, "stein-reduced")
