"""Causal CMAXENT (X -> Y): maximum H(Y | X) under E[Y] and E[X_i Y], i in O (paper §3).

The solution is p(Y=1 | x) = sigma(beta_0 + sum_{i in O} beta_i x_i), beta_i = 0 outside O (C1).
The multipliers minimise the convex dual (C2)

    D_c(beta) = E_{p(x)}[softplus(beta_0 + beta^T x)] - beta_0 m_Y - sum_{i in O} beta_i m_iY,

whose gradient is model moments minus target moments. With the empirical p(x) this is the mean
logistic log-loss (causal CMAXENT = unpenalised logistic regression); with the Gaussian
max-entropy p(x) = N(mu, Sigma) it needs only the 1-D expectation E[softplus(t)].
"""

from __future__ import annotations

from typing import Any, Literal

import jax
import jax.numpy as jnp
import numpy as np
from scipy.special import expit

from mpiis.shared.validation import check_array, check_choice

from ._errors import InfeasibleMomentsError, SolverDivergedError
from ._feasibility import Feasibility, check_feasibility, ensure_feasible, gaussian_r
from ._moments import MomentTable
from ._newton import CONVERGED_DECREMENT, CONVERGED_GRAD, SolveOutput, minimize, x64
from ._quadrature import gauss_expect
from ._solution import CMaxEntConfig, CMaxEntSolution, ImpliedMoments

__all__ = ["causal_direction_gaussian", "check_joint_sample", "solve_causal",
           "solve_causal_reduced"]


def _dual_gaussian(z: jax.Array, data: tuple) -> jax.Array:
    """(C2) under N(mu_O, Sigma_OO): z = (beta_0, beta_O)."""
    mu, sig, m_y, m_xy = data
    beta0, beta = z[0], z[1:]
    return gauss_expect(-1, beta0 + beta @ mu, beta @ sig @ beta) - beta0 * m_y - beta @ m_xy


def _dual_empirical(z: jax.Array, data: tuple) -> jax.Array:
    """(C2) under the empirical p(x): the mean log-loss up to a constant; X is (n, |O|)."""
    x, m_y, m_xy = data
    t = z[0] + x @ z[1:]
    return jnp.mean(jnp.logaddexp(0.0, t)) - z[0] * m_y - z[1:] @ m_xy


def _dual_reduced(z: jax.Array, data: tuple) -> jax.Array:
    """(C2) restricted to beta_O = alpha d (Stein direction): z = (beta_0, alpha)."""
    mu_d, q, m_y, dm = data
    return gauss_expect(-1, z[0] + z[1] * mu_d, z[1] ** 2 * q) - z[0] * m_y - z[1] * dm


def check_joint_sample(table: MomentTable, X: Any) -> np.ndarray:
    """Validate the joint predictor sample for ``p_x="empirical"``: (n, k) in table order."""
    if X is None:
        raise ValueError("`X` (the joint predictor sample, shape (n, k)) is required for "
                         "p_x='empirical', got None")
    if hasattr(X, "to_numpy") and hasattr(X, "columns"):
        cols = tuple(str(c) for c in X.columns)
        if cols != table.predictors:
            raise ValueError(f"`X` columns must match table.predictors {table.predictors}, "
                             f"got {cols}")
        X = X.to_numpy()
    x = check_array(X, "X", ndim=2, shape=(None, table.k), min_rows=2)
    return np.asarray(x, dtype=np.float64)


def causal_direction_gaussian(table: MomentTable) -> np.ndarray:
    """The Stein direction beta_O ∝ Sigma_OO^-1 c, c = Cov(X_O, Y), padded with zeros to (k,).

    Under a Gaussian p(x), E[sigma'(t) x] terms collapse by Stein's lemma, so the causal
    coefficients are alpha * this direction for a scalar alpha > 0.
    """
    _, sigma = gaussian_r(table)
    o = table.obs_y
    d = np.zeros(table.k)
    if o.any():
        d[o] = np.linalg.solve(sigma[np.ix_(o, o)], table.cov_y[o])
    return d


def _converged(out: SolveOutput) -> bool:
    return (out.status in (CONVERGED_GRAD, CONVERGED_DECREMENT) and bool(np.isfinite(out.z).all())
            and bool(np.isfinite(out.grad).all()))


def _raise_if_failed(out: SolveOutput, what: str, max_iter: int) -> None:
    finite = np.isfinite(out.z).all() and np.isfinite(out.grad).all()
    if out.status not in (CONVERGED_GRAD, CONVERGED_DECREMENT) or not finite:
        why = "line search failed" if out.status == 3 else f"max_iter={max_iter} reached"
        raise SolverDivergedError(
            f"{what} did not converge ({why}) after {out.n_iter} iterations; last moment "
            f"residual {np.max(np.abs(out.grad)):.3g}", residual=float(np.max(np.abs(out.grad))),
            n_iter=out.n_iter)


def _certify(table: MomentTable, x: np.ndarray, out: SolveOutput, feas: Feasibility,
             config: CMaxEntConfig) -> Feasibility:
    """Empirical path with the LP skipped (n > lp_max_rows): a converged solve whose fitted
    q = sigma(X beta) stays away from {0, 1} certifies feasibility (q is a strictly interior LP
    point; margin >= min(q, 1-q) / min(m_Y, 1-m_Y)). Otherwise (no convergence, or a margin
    bound below ``near_infeasible``, as on separable data where the gradient vanishes while
    ||beta|| grows) the exact LP decides and raises or warns."""
    p1 = table.m_y
    if _converged(out):
        o = table.obs_y
        q = expit(out.z[0] + x[:, o] @ out.z[1:])
        lo = float(np.min(np.minimum(q, 1.0 - q))) / min(p1, 1.0 - p1)
        if lo >= config.near_infeasible:
            return Feasibility(lo, True, "certified by the converged solve (LP skipped)")
    exact = check_feasibility(table, p_x="empirical", X=x)
    if not exact.feasible:
        raise InfeasibleMomentsError(
            f"causal CMAXENT: the data are (quasi-)separable ({exact.reason}); found by the "
            f"LP after the solve, since n = {len(x)} > lp_max_rows = {config.lp_max_rows}",
            margin=exact.margin, reason=exact.reason)
    ensure_feasible(exact, config.near_infeasible, "causal CMAXENT")
    return exact


def _gaussian_implied(table, sigma, beta0, coef) -> ImpliedMoments:
    mu = table.mean
    m = beta0 + coef @ mu
    v = coef @ sigma @ coef
    g0 = float(gauss_expect(0, jnp.float64(m), jnp.float64(v)))
    g1 = float(gauss_expect(1, jnp.float64(m), jnp.float64(v)))
    return ImpliedMoments(g0, mu.copy(), sigma + np.outer(mu, mu), mu * g0 + sigma @ coef * g1)


def solve_causal(table: MomentTable, *, p_x: Literal["gaussian", "empirical"] = "gaussian",
                 X: Any = None, config: CMaxEntConfig | None = None) -> CMaxEntSolution:
    """Causal CMAXENT, (C1)-(C2): minimise the dual by damped Newton in float64.

    Args:
        table: the observed moments.
        p_x: step-1 distribution: ``"gaussian"`` (max-entropy N(mu, Sigma), Sigma completed)
            or ``"empirical"`` (the joint sample ``X``).
        X: (n, k) joint predictor sample (columns in ``table.predictors`` order), for
            ``p_x="empirical"``.
        config: solver settings.

    Returns:
        The :class:`CMaxEntSolution` (coef (k,), zero outside O).

    Raises:
        InfeasibleMomentsError: r >= 1 (Gaussian) or separable data (empirical).
        SolverDivergedError: no convergence within ``config.max_iter``.
    """
    config = CMaxEntConfig() if config is None else config
    if not isinstance(table, MomentTable):
        raise TypeError(f"`table` must be a MomentTable, got {type(table).__name__}")
    check_choice(p_x, "p_x", ("gaussian", "empirical"))
    feas = check_feasibility(table, p_x=p_x, X=X, lp_max_rows=config.lp_max_rows)
    ensure_feasible(feas, config.near_infeasible, "causal CMAXENT")
    o = table.obs_y
    n_o = int(o.sum())
    p1 = table.m_y
    z0 = np.zeros(1 + n_o)
    with x64():
        if p_x == "gaussian":
            _, sigma = gaussian_r(table)
            data = (jnp.asarray(table.mean[o]), jnp.asarray(sigma[np.ix_(o, o)]),
                    jnp.float64(p1), jnp.asarray(table.cross[o]))
            out = minimize(_dual_gaussian, z0, data, tol=config.tol, max_iter=config.max_iter,
                           solver=config.solver)
        else:
            x = check_joint_sample(table, X)
            data = (jnp.asarray(x[:, o]), jnp.float64(p1), jnp.asarray(table.cross[o]))
            out = minimize(_dual_empirical, z0, data, tol=config.tol, max_iter=config.max_iter,
                           solver=config.solver)
        if feas.reason == "lp skipped":
            feas = _certify(table, x, out, feas, config)
        _raise_if_failed(out, "causal CMAXENT", config.max_iter)
        coef = np.zeros(table.k)
        coef[o] = out.z[1:]
        beta0 = float(out.z[0])
        if p_x == "gaussian":
            implied = _gaussian_implied(table, sigma, beta0, coef)
        else:
            q = expit(x @ coef + beta0)
            implied = ImpliedMoments(float(q.mean()), x.mean(axis=0), x.T @ x / len(x),
                                     x.T @ q / len(x))
    return CMaxEntSolution("causal", table.predictors, coef, beta0, out.z, True, out.n_iter,
                           float(np.max(np.abs(out.grad))), float(feas.margin), implied,
                           f"{config.solver}-{p_x}")


def solve_causal_reduced(table: MomentTable, *,
                         config: CMaxEntConfig | None = None) -> CMaxEntSolution:
    """Causal CMAXENT under the Gaussian p(x) by the 2-unknown Stein reduction.

    beta_O = alpha Sigma_OO^-1 c; (beta_0, alpha) solve E[sigma(t)] = m_Y and
    alpha E[sigma'(t)] = 1. An independent implementation of :func:`solve_causal` for tests.
    """
    config = CMaxEntConfig() if config is None else config
    feas = check_feasibility(table, p_x="gaussian")
    ensure_feasible(feas, config.near_infeasible, "causal CMAXENT (reduced)")
    d = causal_direction_gaussian(table)
    _, sigma = gaussian_r(table)
    with x64():
        data = (jnp.float64(d @ table.mean), jnp.float64(d @ sigma @ d), jnp.float64(table.m_y),
                jnp.float64(d @ table.cross))
        out = minimize(_dual_reduced, np.zeros(2), data, tol=config.tol,
                       max_iter=config.max_iter, solver=config.solver)
        _raise_if_failed(out, "reduced causal CMAXENT", config.max_iter)
        coef = out.z[1] * d
        beta0 = float(out.z[0])
        implied = _gaussian_implied(table, sigma, beta0, coef)
    resid = max(abs(implied.m_y - table.m_y),
                float(np.max(np.abs((implied.cross - table.cross)[table.obs_y]), initial=0.0)))
    return CMaxEntSolution("causal", table.predictors, coef, beta0, out.z, True, out.n_iter,
                           resid, float(feas.margin), implied, "stein-reduced")
