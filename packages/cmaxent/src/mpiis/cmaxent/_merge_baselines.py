"""The practitioner's merge: add the univariate log-odds of each (X_i, Y) study."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import logit

from ._causal import solve_causal
from ._estimator import _LinearLogOdds
from ._moments import MomentTable
from ._prepared import PreparedTable, as_prepared
from ._solution import CMaxEntConfig

__all__ = ["LogOddsSumMerge"]


class LogOddsSumMerge(_LinearLogOdds):
    """Sum of univariate logistic models, one per (X_i, Y), minus (|O| - 1) logit(m_Y).

    Each univariate model is causal CMAXENT on (X_i, Y) alone (a univariate logistic model; from
    moments it uses the Gaussian p(x_i), from data the empirical one). This is exact when the
    X_i are independent given Y *and* each univariate posterior is logistic, and otherwise
    the baseline that the paper's merges improve upon.

    Args:
        config: solver settings for the univariate fits.
    """

    def __init__(self, *, config: CMaxEntConfig | None = None) -> None:
        self.config = config

    def _config(self) -> CMaxEntConfig:
        return CMaxEntConfig() if self.config is None else self.config

    def _combine(self, fits: list[tuple[int, float, float]], k: int, m_y: float,
                 classes: np.ndarray) -> LogOddsSumMerge:
        coef = np.zeros(k)
        icpt = 0.0
        for i, b0, b in fits:
            coef[i] = b
            icpt += b0
        icpt -= (len(fits) - 1) * logit(m_y)
        self.coef_, self.intercept_, self.classes_ = coef, float(icpt), classes
        return self

    def fit_moments(self, table: MomentTable | PreparedTable) -> LogOddsSumMerge:
        """Fit one Gaussian-causal univariate logistic model per predictor in O."""
        table = as_prepared(table).table
        for attr in ("n_features_in_", "feature_names_in_"):
            if hasattr(self, attr):
                delattr(self, attr)
        fits = []
        for i, name in enumerate(table.predictors):
            if table.obs_y[i]:
                s = solve_causal(table.subset([name]), config=self._config())
                fits.append((i, s.intercept, float(s.coef[0])))
        return self._combine(fits, table.k, table.m_y, np.array([0, 1]))

    def fit(self, X: Any, y: Any) -> LogOddsSumMerge:
        """Fit one univariate logistic regression per column of X (n, k)."""
        x, classes, y01 = self._fit_data(X, y)
        fits = []
        for i in range(x.shape[1]):
            xi = x[:, i:i + 1]
            t = MomentTable.from_datasets({("x", "__y__"): np.column_stack([xi, y01])},
                                          target="__y__")
            s = solve_causal(t, p_x="empirical", X=xi, config=self._config())
            fits.append((i, s.intercept, float(s.coef[0])))
        return self._combine(fits, x.shape[1], float(y01.mean()), classes)

    def save(self, path: Any) -> None:
        """Write coef_, intercept_ and classes_ to an .npz."""
        self._check_fitted()
        with open(path, "wb") as fh:
            np.savez(fh, coef=self.coef_, intercept=np.asarray(self.intercept_),
                     classes=self.classes_)

    @classmethod
    def load(cls, path: Any) -> LogOddsSumMerge:
        """Load a model written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as f:
            est = cls()
            est.coef_, est.intercept_ = f["coef"], float(f["intercept"])
            est.classes_ = f["classes"]
        return est
