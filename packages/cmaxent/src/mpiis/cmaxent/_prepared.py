"""A moment table prepared once for the checks and both solvers.

``PreparedTable(table)`` validates nothing twice and computes, once, everything that the
feasibility checks, the Gaussian causal solver and the anticausal closed forms share:

- the max-entropy completion Sigma of the observed X covariance and the Stein direction
  Sigma_OO^-1 c, c = Cov(X_O, Y);
- r = c^T Sigma_OO^-1 c / phi(Phi^-1(m_Y))^2 (Gaussian causal feasibility, r < 1) and the
  per-feature r_i = c_i^2 / (Sigma_ii phi^2), which names the feature behind an infeasible r;
- the anticausal class means and the completed within-class covariance, and the anticausal
  margin 1 - c^T Sigma_OO^-1 c / (pi_1 pi_0), the share of variance left within class in the
  most separated direction (it does not shrink with mere collinearity of the features).

Data flow down the modules: ``_moments -> _completion -> _prepared -> _feasibility ->
_causal / _anticausal -> _estimator``; nothing below imports anything above.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
from scipy import stats

from mpiis.shared.validation import check_array

from ._completion import is_chordal, max_entropy_completion
from ._errors import InfeasibleMomentsError
from ._moments import MomentTable

__all__ = ["PreparedTable", "as_prepared", "check_joint_sample"]


class PreparedTable:
    """A :class:`MomentTable` with its completion, r and margins computed once.

    Build it with ``PreparedTable(table)`` (or let the solvers do it); pass it to
    :func:`check_feasibility`, :func:`solve_causal` and :func:`solve_anticausal` to reuse the
    work across calls. The arrays are read-only views of the table's pooled moments.

    Attributes:
        table: the :class:`MomentTable`.
        predictors, k, m_y, mean (k,), second (k, k), cross (k,), obs_y (k,), pattern (k, k),
            cov_y (k,), var (k,): as on the table.
    """

    def __init__(self, table: MomentTable) -> None:
        if isinstance(table, PreparedTable):
            table = table.table
        if not isinstance(table, MomentTable):
            raise TypeError(f"`table` must be a MomentTable, got {type(table).__name__}")
        self.table = table
        self.predictors = table.predictors
        self.k = table.k
        self.m_y = table.m_y
        self.mean = table.mean
        self.second = table.second
        self.cross = table.cross
        self.obs_y = table.obs_y
        self.pattern = table.pattern
        self.cov_y = table.cov_y
        self.var = table.var

    def __repr__(self) -> str:
        return f"PreparedTable({self.table!r})"

    # ------------------------------------------------------------------ causal (Gaussian)
    @cached_property
    def _completion(self) -> tuple[np.ndarray, np.ndarray] | InfeasibleMomentsError:
        try:
            return max_entropy_completion(self.table.cov_observed, self.pattern,
                                          what="the X covariance")
        except InfeasibleMomentsError as exc:
            return exc

    @property
    def completion_error(self) -> InfeasibleMomentsError | None:
        """The error when the observed X covariance has no PD completion, else None."""
        c = self._completion
        return c if isinstance(c, InfeasibleMomentsError) else None

    @property
    def sigma(self) -> np.ndarray:
        """(k, k) max-entropy completion of the X covariance (raises if there is none)."""
        c = self._completion
        if isinstance(c, InfeasibleMomentsError):
            raise c
        return c[0]

    @cached_property
    def phi(self) -> float:
        """phi(Phi^-1(m_Y)): the largest Cov(Z, q(Z)) / sd(Z) reachable with E[q] = m_Y."""
        return float(stats.norm.pdf(stats.norm.ppf(self.m_y)))

    @cached_property
    def direction(self) -> np.ndarray:
        """(k,) the Stein direction Sigma_OO^-1 c padded with zeros outside O."""
        d = np.zeros(self.k)
        o = self.obs_y
        if o.any():
            d[o] = np.linalg.solve(self.sigma[np.ix_(o, o)], self.cov_y[o])
        return d

    @cached_property
    def r(self) -> float:
        """c^T Sigma_OO^-1 c / phi^2: the Gaussian causal dual is bounded iff r < 1."""
        return float(self.cov_y @ self.direction) / self.phi**2

    @cached_property
    def r_features(self) -> np.ndarray:
        """(k,) r_i = c_i^2 / (Var X_i phi^2), each feature alone (0 outside O)."""
        return self.cov_y**2 / (self.var * self.phi**2)

    # ------------------------------------------------------------------ anticausal
    @cached_property
    def class_means(self) -> tuple[np.ndarray, np.ndarray]:
        """(mu_0, mu_1), each (k,): m_iY = pi1 mu_1i, m_i = pi1 mu_1i + pi0 mu_0i on O."""
        p1 = self.m_y
        mu1 = np.where(self.obs_y, self.cross / p1, self.mean)
        mu0 = np.where(self.obs_y, (self.mean - self.cross) / (1.0 - p1), self.mean)
        return mu0, mu1

    @cached_property
    def within_observed(self) -> np.ndarray:
        """(k, k) within-class covariance on the observed pattern, 0 elsewhere."""
        mu0, mu1 = self.class_means
        p1 = self.m_y
        sw = self.table.second - p1 * np.outer(mu1, mu1) - (1.0 - p1) * np.outer(mu0, mu0)
        return np.where(self.pattern, sw, 0.0)

    @cached_property
    def has_closed_form(self) -> bool:
        """Every (X_i, Y) observed and a chordal X-X pattern."""
        return bool(self.obs_y.all() and is_chordal(self.pattern))

    def within(self, pattern: np.ndarray | None = None) -> np.ndarray:
        """(k, k) max-entropy completion of the within-class covariance on ``pattern``.

        Raises:
            InfeasibleMomentsError: reason ``"within-class covariance not PD"``.
        """
        pattern = self.pattern if pattern is None else pattern
        key = pattern.tobytes()
        cache = self.__dict__.setdefault("_within_cache", {})
        if key not in cache:
            sw_obs = self.within_observed
            if np.any(np.diag(sw_obs) <= 0):
                bad = [p for p, v in zip(self.predictors, np.diag(sw_obs), strict=True)
                       if v <= 0]
                cache[key] = InfeasibleMomentsError(
                    f"the within-class variance Var X_i - pi1 pi0 delta_i^2 is <= 0 for "
                    f"{bad}", margin=0.0, reason="within-class covariance not PD")
            else:
                try:
                    cache[key] = max_entropy_completion(
                        sw_obs, pattern, what="the within-class covariance")[0]
                except InfeasibleMomentsError as exc:
                    cache[key] = InfeasibleMomentsError(
                        str(exc), margin=0.0, reason="within-class covariance not PD")
        out = cache[key]
        if isinstance(out, InfeasibleMomentsError):
            raise out
        return out

    @cached_property
    def anticausal_margin(self) -> float:
        """1 - c^T Sigma_OO^-1 c / (pi1 pi0): the smallest share of Var(u^T X) left within
        class over directions u (all moments observed: the smallest generalised eigenvalue of
        (Sigma_w, Sigma)). It is 1 without class signal and 0 at perfect separation, and
        collinear features alone do not lower it."""
        p1 = self.m_y
        return 1.0 - float(self.cov_y @ self.direction) / (p1 * (1.0 - p1))

    # ------------------------------------------------------------------ provenance
    def studies_with(self, predictor: str) -> list[tuple[tuple[str, ...], int]]:
        """The datasets (column names, n) that observed ``predictor`` jointly with the
        target."""
        tgt = self.table.target
        return [(names, n) for names, n in self.table.datasets
                if predictor in names and tgt in names]


def as_prepared(table: Any) -> PreparedTable:
    """``table`` as a :class:`PreparedTable` (prepared now when it is a MomentTable)."""
    if isinstance(table, PreparedTable):
        return table
    if isinstance(table, MomentTable):
        return PreparedTable(table)
    raise TypeError(f"`table` must be a MomentTable or PreparedTable, got "
                    f"{type(table).__name__}")


def check_joint_sample(table: MomentTable | PreparedTable, X: Any) -> np.ndarray:
    """Validate the joint predictor sample for ``p_x="empirical"``: (n, k) in table order."""
    preds = table.predictors
    if X is None:
        raise ValueError("`X` (the joint predictor sample, shape (n, k)) is required for "
                         "p_x='empirical', got None")
    if hasattr(X, "to_numpy") and hasattr(X, "columns"):
        cols = tuple(str(c) for c in X.columns)
        if cols != preds:
            raise ValueError(f"`X` columns must match table.predictors {preds}, got {cols}")
        X = X.to_numpy()
    x = check_array(X, "X", ndim=2, shape=(None, len(preds)), min_rows=2)
    return np.asarray(x, dtype=np.float64)
