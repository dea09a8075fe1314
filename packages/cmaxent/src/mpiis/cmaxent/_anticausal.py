"""Anticausal CMAXENT (Y -> X): maximum H(X | Y) under the joint moments (paper §4).

p(y) = Bernoulli(m_Y) and p(x | y) ∝ exp((a + b y)^T x - x^T Lambda x / 2), with b_i = 0 for
i outside O and Lambda_ij = 0 for unobserved X-X pairs (A1): Gaussian class conditionals with a
shared covariance Lambda^-1, hence log-odds b^T x + w_0 with

    w_0 = a^T Lambda^-1 a / 2 - (a+b)^T Lambda^-1 (a+b) / 2 + log(pi_1 / pi_0).

The multipliers minimise the convex dual over (a, b_O, free entries of Lambda > 0):

    D_a = sum_y pi_y [eta_y^T Lambda^-1 eta_y / 2 - log det Lambda / 2] - a^T m_X - b_O^T m_OY
          + sum_{observed (i, j)} Lambda_ij s_ij / 2,        eta_y = a + b y.

Closed forms: every pair observed -> LDA; no pair observed (P1) -> pooled-variance naive
Bayes; any chordal pattern with every (X_i, Y) observed -> LDA with the max-entropy completion
of the within-class covariance.
"""

from __future__ import annotations

from typing import Literal

import jax
import jax.numpy as jnp
import numpy as np

from mpiis.shared.validation import check_choice

from ._feasibility import _anticausal, ensure_feasible
from ._moments import MomentTable
from ._newton import minimize, raise_if_failed, x64
from ._prepared import PreparedTable, as_prepared
from ._solution import CMaxEntConfig, CMaxEntSolution, ImpliedMoments

__all__ = ["has_closed_form", "lda_from_moments", "pooled_naive_bayes_from_moments",
           "solve_anticausal"]


def _unpack(z: jax.Array, k: int) -> tuple[jax.Array, jax.Array, jax.Array]:
    iu = np.triu_indices(k)
    a, b, tri = z[:k], z[k:2 * k], z[2 * k:]
    up = jnp.zeros((k, k), z.dtype).at[iu].set(tri)
    lam = up + up.T - jnp.diag(jnp.diag(up))
    return a, b, lam


def _dual(z: jax.Array, data: tuple) -> jax.Array:
    """D_a; z = (a (k), b (k), upper triangle of Lambda (k(k+1)/2))."""
    m_x, m_xy, s_obs, p1 = data
    k = m_x.shape[0]
    a, b, lam = _unpack(z, k)
    chol = jnp.linalg.cholesky(lam)  # NaN when Lambda is not PD -> +inf in the line search
    logdet = 2.0 * jnp.sum(jnp.log(jnp.diag(chol)))
    e1 = a + b

    def quad(e):
        return e @ jax.scipy.linalg.cho_solve((chol, True), e)

    return ((1.0 - p1) * 0.5 * quad(a) + p1 * 0.5 * quad(e1) - 0.5 * logdet - a @ m_x
            - b @ m_xy + 0.5 * jnp.sum(lam * s_obs))


def has_closed_form(table: MomentTable | PreparedTable) -> bool:
    """True when every (X_i, Y) is observed and the X-X pattern is chordal."""
    return as_prepared(table).has_closed_form


def _pattern_text(table: MomentTable | PreparedTable) -> str:
    table = table.table if isinstance(table, PreparedTable) else table
    return (f"O = {list(table.observed_with_target)} of {list(table.predictors)}, observed "
            f"pairs {list(table.observed_pairs)}")


def _solution_from_gaussians(table, mu0, mu1, sw, method, margin, n_iter=0,
                             multipliers=None) -> CMaxEntSolution:
    p1 = table.m_y
    p0 = 1.0 - p1
    lam = np.linalg.inv(sw)
    lam = 0.5 * (lam + lam.T)
    w = lam @ (mu1 - mu0)
    w0 = -0.5 * (mu1 @ lam @ mu1 - mu0 @ lam @ mu0) + np.log(p1 / p0)
    if multipliers is None:
        multipliers = np.concatenate([lam @ mu0, w, lam[np.triu_indices(table.k)]])
    mean = p0 * mu0 + p1 * mu1
    second = sw + p0 * np.outer(mu0, mu0) + p1 * np.outer(mu1, mu1)
    implied = ImpliedMoments(p1, mean, second, p1 * mu1)
    resid = max(float(np.max(np.abs(mean - table.mean))),
                float(np.max(np.abs((second - table.second)[table.pattern]))),
                float(np.max(np.abs((p1 * mu1 - table.cross)[table.obs_y]), initial=0.0)))
    coef = np.where(table.obs_y, w, 0.0)
    return CMaxEntSolution("anticausal", table.predictors, coef, float(w0), multipliers, True,
                           n_iter, resid, float(margin), implied, method)


def lda_from_moments(table: MomentTable | PreparedTable) -> CMaxEntSolution:
    """Anticausal CMAXENT with every moment observed: linear discriminant analysis.

    mu_1 = m_XY / pi_1, mu_0 = (m_X - m_XY) / pi_0, Sigma_w = S - pi_1 mu_1 mu_1^T -
    pi_0 mu_0 mu_0^T, w = Sigma_w^-1 (mu_1 - mu_0), w_0 = -(mu_1^T Sigma_w^-1 mu_1 -
    mu_0^T Sigma_w^-1 mu_0) / 2 + log(pi_1 / pi_0).

    Raises:
        ValueError: when some pair or some (X_i, Y) is unobserved.
        InfeasibleMomentsError: reason ``"within-class covariance not PD"``.
    """
    prep = as_prepared(table)
    if not (prep.pattern.all() and prep.obs_y.all()):
        raise ValueError(f"`table` must observe every pair and every (X_i, Y) for LDA, got "
                         f"{_pattern_text(prep)}; use solve_anticausal(table)")
    mu0, mu1 = prep.class_means
    return _solution_from_gaussians(prep, mu0, mu1, prep.within(), "lda",
                                    prep.anticausal_margin)


def pooled_naive_bayes_from_moments(table: MomentTable | PreparedTable) -> CMaxEntSolution:
    """Case P1 (no X-X pair used, every (X_i, Y) observed): pooled-variance naive Bayes,
    w_i = delta_i / (Var X_i - pi_1 pi_0 delta_i^2), delta = mu_1 - mu_0.

    It equals anticausal CMAXENT when no X-X pair is observed; with observed pairs it ignores
    them (the practitioner's naive Bayes).
    """
    prep = as_prepared(table)
    if not prep.obs_y.all():
        raise ValueError(f"`table` must observe every (X_i, Y) for naive Bayes, got "
                         f"{_pattern_text(prep)}; use solve_anticausal(table, "
                         f"method='numerical')")
    mu0, mu1 = prep.class_means
    sw = prep.within(np.eye(prep.k, dtype=bool))
    return _solution_from_gaussians(prep, mu0, mu1, sw, "pooled-naive-bayes",
                                    prep.anticausal_margin)


def solve_anticausal(table: MomentTable | PreparedTable, *,
                     method: Literal["auto", "closed", "numerical"] = "auto",
                     config: CMaxEntConfig | None = None) -> CMaxEntSolution:
    """Anticausal CMAXENT (A1): closed form when one exists, else Newton on D_a.

    Args:
        table: the observed moments.
        method: ``"auto"`` (closed when available), ``"closed"`` or ``"numerical"``.
        config: solver settings.

    Raises:
        ValueError: ``method="closed"`` for a pattern without a closed form.
        InfeasibleMomentsError: the (within-class) covariance has no PD completion.
        SolverDivergedError: no convergence within ``config.max_iter``.
    """
    config = CMaxEntConfig() if config is None else config
    table = as_prepared(table)
    check_choice(method, "method", ("auto", "closed", "numerical"))
    closed = table.has_closed_form
    if method == "closed" and not closed:
        raise ValueError(f"`method`='closed' needs every (X_i, Y) observed and a chordal X-X "
                         f"pattern, got {_pattern_text(table)}; use method='numerical'")
    feas = _anticausal(table)
    ensure_feasible(feas, config.near_infeasible, "anticausal CMAXENT")
    if closed and method != "numerical":
        mu0, mu1 = table.class_means
        name = ("lda" if table.pattern.all() else
                "pooled-naive-bayes" if not table.table.observed_pairs else "chordal-lda")
        return _solution_from_gaussians(table, mu0, mu1, table.within(), name, feas.margin)
    k = table.k
    iu = np.triu_indices(k)
    lam0 = np.diag(1.0 / table.var)
    z0 = np.concatenate([lam0 @ table.mean, np.zeros(k), lam0[iu]])
    mask = np.concatenate([np.ones(k), table.obs_y.astype(float), table.pattern[iu]])
    s_obs = np.where(table.pattern, table.table.second, 0.0)
    with x64():
        data = (jnp.asarray(table.mean), jnp.asarray(np.where(table.obs_y, table.cross, 0.0)),
                jnp.asarray(s_obs), jnp.float64(table.m_y))
        out = minimize(_dual, z0, data, mask=mask, tol=config.tol, max_iter=config.max_iter,
                       solver=config.solver)
    raise_if_failed(out, "anticausal CMAXENT", config.max_iter)
    a, b = out.z[:k], out.z[k:2 * k]
    up = np.zeros((k, k))
    up[iu] = out.z[2 * k:]
    lam = up + up.T - np.diag(np.diag(up))
    sw = np.linalg.inv(lam)
    sw = 0.5 * (sw + sw.T)
    mu0, mu1 = sw @ a, sw @ (a + b)
    sol = _solution_from_gaussians(table, mu0, mu1, sw, f"{config.solver}-dual", feas.margin,
                                   n_iter=out.n_iter, multipliers=out.z)
    # the log-odds from the multipliers themselves: b exactly 0 outside O
    w0 = 0.5 * a @ sw @ a - 0.5 * (a + b) @ sw @ (a + b) + np.log(table.m_y / (1 - table.m_y))
    coef = np.where(table.obs_y, b, 0.0)
    return CMaxEntSolution("anticausal", table.predictors, coef, float(w0), out.z, True,
                           out.n_iter, sol.max_moment_residual, sol.feasibility_margin,
                           sol.implied, sol.method)
