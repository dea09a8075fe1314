"""Feasibility checks: is the CMAXENT dual bounded for these moments? (brief, "Feasibility").

- Causal, Gaussian p(x): bounded iff r = c^T Sigma_OO^-1 c / phi(Phi^-1(m_Y))^2 < 1, where
  c = Cov(X_O, Y). The achievable Cov(X, q(X)) over all q: R^k -> [0, 1] with E[q] = m_Y is that
  ellipsoid. Margin = 1 - r. (This analysis is the package's own, not the paper's.)
- Causal, empirical p(x): bounded iff some q in (0, 1)^n reproduces the moments, checked by the
  LP  max eps s.t. eps <= q_n <= 1 - eps, sum q = n m_Y, sum q_n x_n = n m_XY  (HiGHS);
  eps* <= 1e-9 means infeasible (the data are (quasi-)separable). Margin = eps* / min(m_Y, 1-m_Y).
- Anticausal: the within-class covariance (or, without a closed form, the X covariance) must
  have a positive-definite max-entropy completion. Margin = smallest eigenvalue of the
  completed within-class correlation matrix.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy import optimize, sparse, stats

from ._completion import max_entropy_completion
from ._errors import InfeasibleMomentsError, NearlyInfeasibleWarning
from ._moments import MomentTable

__all__ = ["Feasibility", "check_feasibility", "gaussian_r"]

LP_EPS = 1e-9  # brief: eps* <= 1e-9 means infeasible


@dataclass(frozen=True, slots=True)
class Feasibility:
    """Outcome of :func:`check_feasibility`: ``margin`` (> 0 when feasible), ``feasible``,
    ``reason`` (why not, or ``"ok"``)."""

    margin: float
    feasible: bool
    reason: str


def gaussian_r(table: MomentTable) -> tuple[float, np.ndarray]:
    """r = c^T Sigma_OO^-1 c / phi(Phi^-1(m_Y))^2 and the completed Sigma (k, k)."""
    sigma, _ = max_entropy_completion(table.cov_observed, table.pattern,
                                      what="the X covariance")
    o = table.obs_y
    if not o.any():
        return 0.0, sigma
    c = table.cov_y[o]
    q = float(c @ np.linalg.solve(sigma[np.ix_(o, o)], c))
    phi = stats.norm.pdf(stats.norm.ppf(table.m_y))
    return q / phi**2, sigma


def _lp_margin(table: MomentTable, X: np.ndarray) -> float:
    o = table.obs_y
    xo = X[:, o]
    n = xo.shape[0]
    # variables (p_1..p_n, eps) with q_n = p_n + eps: p_n >= 0 and p_n + 2 eps <= 1 (one row
    # per example), A (p + eps 1) = b; minimise -eps
    cost = np.zeros(n + 1)
    cost[-1] = -1.0
    a_ub = sparse.hstack([sparse.identity(n, format="csr"),
                          sparse.csr_matrix(np.full((n, 1), 2.0))], format="csr")
    a = np.vstack([np.ones(n), xo.T])
    a_eq = np.hstack([a, a.sum(axis=1, keepdims=True)])
    b_eq = np.concatenate([[n * table.m_y], n * table.cross[o]])
    bounds = np.column_stack([np.zeros(n + 1), np.append(np.ones(n), 0.5)])
    res = optimize.linprog(cost, A_ub=a_ub, b_ub=np.ones(n), A_eq=a_eq, b_eq=b_eq,
                           bounds=bounds, method="highs")
    if res.status == 2:  # the moments are outside the convex hull altogether
        return 0.0
    if not res.success:
        raise RuntimeError(f"the feasibility LP failed: {res.message}")
    return float(res.x[-1])


def check_feasibility(table: MomentTable, *, p_x: Literal["gaussian", "empirical"] = "gaussian",
                      X: Any = None,
                      direction: Literal["causal", "anticausal"] = "causal",
                      lp_max_rows: int | None = None) -> Feasibility:
    """Check that the CMAXENT dual is bounded for ``table`` (see the module docstring).

    Args:
        table: the observed moments.
        p_x: the causal step-1 distribution; ignored for ``direction="anticausal"``.
        X: (n, k) joint predictor sample, required for ``p_x="empirical"``.
        direction: which dual to check.
        lp_max_rows: skip the empirical LP when X has more rows (returns ``feasible=True``,
            ``margin=nan``, ``reason="lp skipped"``); ``None`` always runs it.

    Returns:
        A :class:`Feasibility`. Never raises for infeasible moments (the solvers do).
    """
    if not isinstance(table, MomentTable):
        raise TypeError(f"`table` must be a MomentTable, got {type(table).__name__}")
    if direction == "anticausal":
        return _anticausal(table)
    if direction != "causal":
        raise ValueError(f"`direction` must be 'causal' or 'anticausal', got {direction!r}")
    if p_x == "gaussian":
        try:
            r, _ = gaussian_r(table)
        except InfeasibleMomentsError as exc:
            return Feasibility(0.0, False, exc.reason)
        if r >= 1.0:
            return Feasibility(1.0 - r, False,
                               f"r = {r:.6g} >= 1: Cov(X, Y) lies outside the ellipsoid that "
                               f"any q(x) in [0, 1] can reach under the Gaussian p(x)")
        return Feasibility(1.0 - r, True, "ok")
    if p_x != "empirical":
        raise ValueError(f"`p_x` must be 'gaussian' or 'empirical', got {p_x!r}")
    from ._causal import check_joint_sample

    xs = check_joint_sample(table, X)
    if lp_max_rows is not None and xs.shape[0] > lp_max_rows:
        return Feasibility(float("nan"), True, "lp skipped")
    eps = _lp_margin(table, xs)
    margin = eps / min(table.m_y, 1.0 - table.m_y)
    if eps <= LP_EPS:
        return Feasibility(margin, False,
                           f"separable: no q in (0, 1)^n reproduces the moments (LP eps* = "
                           f"{eps:.3g} <= {LP_EPS:g})")
    return Feasibility(margin, True, "ok")


def within_class_observed(table: MomentTable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Class means mu_0, mu_1 (k,) on O and the within-class covariance on the observed
    pattern (k, k), from m_iY = pi1 mu_1i and m_i = pi1 mu_1i + pi0 mu_0i."""
    p1 = table.m_y
    p0 = 1.0 - p1
    mu1 = np.where(table.obs_y, table.cross / p1, table.mean)
    mu0 = np.where(table.obs_y, (table.mean - table.cross) / p0, table.mean)
    sw = table.second - p1 * np.outer(mu1, mu1) - p0 * np.outer(mu0, mu0)
    return mu0, mu1, np.where(table.pattern, sw, 0.0)


def _anticausal(table: MomentTable) -> Feasibility:
    if table.obs_y.all():
        _, _, sw = within_class_observed(table)
        what = "the within-class covariance"
    else:
        sw = table.cov_observed
        what = "the X covariance"
    d = np.diag(sw)
    if np.any(d <= 0):
        return Feasibility(float(np.min(d / np.diag(table.cov_observed))), False,
                           "within-class covariance not PD")
    try:
        full, _ = max_entropy_completion(sw, table.pattern, what=what)
    except InfeasibleMomentsError:
        return Feasibility(0.0, False, "within-class covariance not PD")
    s = 1.0 / np.sqrt(np.diag(full))
    lam = float(np.linalg.eigvalsh(full * np.outer(s, s))[0])
    return Feasibility(lam, lam > 0, "ok" if lam > 0 else "within-class covariance not PD")


def ensure_feasible(feas: Feasibility, near: float, what: str) -> None:
    """Raise ``InfeasibleMomentsError`` for an infeasible check, warn when nearly so."""
    if not feas.feasible:
        raise InfeasibleMomentsError(f"{what}: infeasible moments ({feas.reason}); margin "
                                     f"{feas.margin:.3g}", margin=feas.margin, reason=feas.reason)
    if feas.margin < near:  # False for nan (skipped LP)
        warnings.warn(f"{what}: the moments are nearly infeasible (margin {feas.margin:.3g} < "
                      f"{near:g}); the coefficients may be huge", NearlyInfeasibleWarning,
                      stacklevel=3)
