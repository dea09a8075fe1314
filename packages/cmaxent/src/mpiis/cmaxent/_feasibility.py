"""Feasibility checks: is the CMAXENT dual bounded for these moments? (brief, "Feasibility").

- Causal, Gaussian p(x): bounded iff r = c^T Sigma_OO^-1 c / phi(Phi^-1(m_Y))^2 < 1, where
  c = Cov(X_O, Y). The achievable Cov(X, q(X)) over all q: R^k -> [0, 1] with E[q] = m_Y is that
  ellipsoid. Margin = 1 - r. (This analysis is the package's own, not the paper's.)
- Causal, empirical p(x): bounded iff some q in (0, 1)^n reproduces the moments, checked by the
  LP  max eps s.t. eps <= q_n <= 1 - eps, sum q = n m_Y, sum q_n x_n = n m_XY  (HiGHS);
  eps* <= 1e-9 means infeasible (the data are (quasi-)separable). Margin = eps* / min(m_Y, 1-m_Y).
  The solver runs this LP only when its own certificate fails (see ``_causal``).
- Anticausal: the within-class covariance (or, without a closed form, the X covariance) must
  have a positive-definite max-entropy completion. Margin = 1 - c^T Sigma_OO^-1 c / (pi1 pi0),
  the smallest share of variance left within class (see :class:`PreparedTable`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy import optimize, sparse

from mpiis.shared.validation import check_choice

from ._errors import InfeasibleMomentsError, NearlyInfeasibleWarning
from ._moments import MomentTable
from ._prepared import PreparedTable, as_prepared, check_joint_sample

__all__ = ["Feasibility", "box_feasible", "check_feasibility", "ensure_feasible",
           "gaussian_infeasible_error", "lp_margin"]

LP_EPS = 1e-9  # brief: eps* <= 1e-9 means infeasible

_FIX = ("Next step: use the empirical p(x) (CMaxEntClassifier('causal', p_x='empirical')"
        ".fit_moments(table, X=joint_sample), or solve_causal(table, p_x='empirical', X=...)), "
        "which needs one sample with every predictor, or the anticausal merge "
        "(CMaxEntClassifier('anticausal').fit_moments(table)), which only needs a positive "
        "definite within-class covariance.")


@dataclass(frozen=True, slots=True)
class Feasibility:
    """Outcome of :func:`check_feasibility`: ``margin`` (> 0 when feasible), ``feasible``,
    ``reason`` (why not, or ``"ok"``)."""

    margin: float
    feasible: bool
    reason: str


def lp_margin(prep: PreparedTable, X: np.ndarray) -> float:
    """eps* of the separability LP on the joint sample X (n, k) (HiGHS); 0 when infeasible."""
    o = prep.obs_y
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
    b_eq = np.concatenate([[n * prep.m_y], n * prep.cross[o]])
    bounds = np.column_stack([np.zeros(n + 1), np.append(np.ones(n), 0.5)])
    res = optimize.linprog(cost, A_ub=a_ub, b_ub=np.ones(n), A_eq=a_eq, b_eq=b_eq,
                           bounds=bounds, method="highs")
    if res.status == 2:  # the moments are outside the convex hull altogether
        return 0.0
    if not res.success:
        raise RuntimeError(f"the feasibility LP failed: {res.message}")
    return float(res.x[-1])


def box_feasible(prep: PreparedTable, X: np.ndarray, eps: float) -> bool:
    """Whether some q in [eps, 1 - eps]^n reproduces the moments: the LP with eps fixed has
    only the k + 1 moment rows and box bounds (HiGHS interior point), so it costs
    milliseconds where the full LP (one row per example) costs seconds. eps* >= eps iff it is
    feasible."""
    o = prep.obs_y
    n = X.shape[0]
    a = np.vstack([np.ones(n), X[:, o].T])
    b = np.concatenate([[n * prep.m_y], n * prep.cross[o]])
    res = optimize.linprog(np.zeros(n), A_eq=a, b_eq=b, bounds=(eps, 1.0 - eps),
                           method="highs-ipm")
    return res.status == 0


def empirical_feasibility(prep: PreparedTable, X: np.ndarray) -> Feasibility:
    """The exact LP check on a validated joint sample X (n, k)."""
    eps = lp_margin(prep, X)
    margin = eps / min(prep.m_y, 1.0 - prep.m_y)
    if eps <= LP_EPS:
        return Feasibility(margin, False,
                           f"separable: no q in (0, 1)^n reproduces the moments (LP eps* = "
                           f"{eps:.3g} <= {LP_EPS:g})")
    return Feasibility(margin, True, "ok")


def _gaussian(prep: PreparedTable) -> Feasibility:
    err = prep.completion_error
    if err is not None:
        return Feasibility(0.0, False, err.reason)
    r = prep.r
    if r >= 1.0:
        return Feasibility(1.0 - r, False,
                           f"r = {r:.6g} >= 1: Cov(X, Y) lies outside the ellipsoid that "
                           f"any q(x) in [0, 1] can reach under the Gaussian p(x)")
    return Feasibility(1.0 - r, True, "ok")


def _anticausal(prep: PreparedTable) -> Feasibility:
    try:
        if prep.obs_y.all():
            prep.within()
        else:
            prep.sigma  # noqa: B018 - the X covariance must have a PD completion
    except InfeasibleMomentsError:
        return Feasibility(0.0, False, "within-class covariance not PD")
    m = prep.anticausal_margin
    return Feasibility(m, m > 0, "ok" if m > 0 else "within-class covariance not PD")


def check_feasibility(table: MomentTable | PreparedTable, *,
                      p_x: Literal["gaussian", "empirical"] = "gaussian", X: Any = None,
                      direction: Literal["causal", "anticausal"] = "causal") -> Feasibility:
    """Check that the CMAXENT dual is bounded for ``table`` (see the module docstring).

    Args:
        table: the observed moments (a :class:`PreparedTable` reuses its completion).
        p_x: the causal step-1 distribution; ignored for ``direction="anticausal"``.
        X: (n, k) joint predictor sample, required for ``p_x="empirical"`` (runs the exact
            LP; seconds for n >= 1e4).
        direction: which dual to check.

    Returns:
        A :class:`Feasibility`. Never raises for infeasible moments (the solvers do).
    """
    prep = as_prepared(table)
    check_choice(direction, "direction", ("causal", "anticausal"))
    if direction == "anticausal":
        return _anticausal(prep)
    check_choice(p_x, "p_x", ("gaussian", "empirical"))
    if p_x == "gaussian":
        return _gaussian(prep)
    return empirical_feasibility(prep, check_joint_sample(prep, X))


def gaussian_infeasible_error(prep: PreparedTable, feas: Feasibility,
                              what: str) -> InfeasibleMomentsError:
    """The error for r >= 1, naming the feature (and the study it came from) behind r."""
    if prep.completion_error is not None:
        return InfeasibleMomentsError(f"{what}: {prep.completion_error}", margin=0.0,
                                      reason=feas.reason)
    rf = prep.r_features
    i = int(np.argmax(rf))
    name = prep.predictors[i]
    studies = "; ".join(f"study {list(nm)} (n = {n})" for nm, n in prep.studies_with(name))
    if rf[i] >= 1.0:
        who = (f"Feature {name!r} alone gives r = {rf[i]:.3g} >= 1 (its moments with the "
               f"target come from {studies or 'no study'}): it predicts the target better "
               f"than any classifier can when that feature is Gaussian.")
    else:
        who = (f"No feature alone reaches r = 1; together they do (the largest single r_i is "
               f"{rf[i]:.3g}, feature {name!r} from {studies or 'no study'}).")
    return InfeasibleMomentsError(
        f"{what}: the moments are infeasible under the Gaussian p(x) (r = {prep.r:.4g} >= 1; "
        f"the dual is unbounded). {who} {_FIX}", margin=feas.margin, reason=feas.reason,
        feature=name, studies=tuple(nm for nm, _ in prep.studies_with(name)))


def ensure_feasible(feas: Feasibility, near: float, what: str, *,
                    error: InfeasibleMomentsError | None = None) -> None:
    """Raise ``InfeasibleMomentsError`` for an infeasible check, warn when nearly so."""
    if not feas.feasible:
        if error is not None:
            raise error
        raise InfeasibleMomentsError(f"{what}: infeasible moments ({feas.reason}); margin "
                                     f"{feas.margin:.3g}", margin=feas.margin, reason=feas.reason)
    if feas.margin < near:
        warnings.warn(f"{what}: the moments are nearly infeasible (margin {feas.margin:.3g} < "
                      f"{near:g}); the coefficients may be huge", NearlyInfeasibleWarning,
                      stacklevel=3)
