"""The enriched risk predictor: PRS + Phenformer logit + PCs (brief, "Method 8")."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from mpiis.shared.metrics import auroc

from ._prs import logistic_l2

__all__ = ["EnrichedRiskPredictor"]


class EnrichedRiskPredictor:
    """Logistic regression on ``[best PRS, Phenformer logit, PC1-4]`` (standardised), fitted on
    the training ancestry's validation split. scikit-learn conventions: ``fit(X, y)`` with
    ``X = [prs, logit, pcs...]`` columns, ``predict_proba``, ``decision_function``, ``score``
    (AUROC, higher is better), ``get_params``/``set_params``.
    """

    def __init__(self, *, c: float = 1.0) -> None:
        self.c = c

    def get_params(self, deep: bool = True) -> dict[str, float]:
        return {"c": self.c}

    def set_params(self, **params: float) -> EnrichedRiskPredictor:
        for k, v in params.items():
            if k != "c":
                raise ValueError(f"unknown parameter {k!r}; expected 'c'")
            self.c = v
        return self

    @staticmethod
    def stack(prs: np.ndarray, logit: np.ndarray, pcs: np.ndarray | None = None) -> np.ndarray:
        """Columns ``[prs, logit, pcs...]`` ``(n, 2 + k)``."""
        cols = [np.asarray(prs, float).reshape(-1, 1), np.asarray(logit, float).reshape(-1, 1)]
        if pcs is not None:
            cols.append(np.asarray(pcs, float).reshape(len(cols[0]), -1))
        return np.hstack(cols)

    def _check_x(self, X, fitting: bool) -> np.ndarray:
        X = np.asarray(X)
        if X.dtype.kind not in "fiub":
            raise ValueError(f"`X` must be numeric, got dtype {X.dtype}")
        X = X.astype(np.float64)
        if X.ndim != 2:
            raise ValueError(f"`X` must be 2-D (n, 2 + n_pcs), got shape {X.shape}")
        if not np.isfinite(X).all():
            raise ValueError("`X` holds NaN or Inf values")
        if not fitting and X.shape[1] != len(self.mean_):
            raise ValueError(f"`X` must have {len(self.mean_)} columns, got {X.shape[1]}")
        return X

    def fit(self, X, y) -> EnrichedRiskPredictor:
        X = self._check_x(X, True)
        y = np.asarray(y)
        if y.shape != (len(X),) or not np.isin(y, (0, 1)).all() or y.min() == y.max():
            raise ValueError(f"`y` must be 0/1 labels of shape ({len(X)},) with both classes")
        self.mean_ = X.mean(0)
        sd = X.std(0)
        self.sd_ = np.where(sd > 1e-12, sd, 1.0)
        self.coef_, self.intercept_ = logistic_l2((X - self.mean_) / self.sd_, y.astype(float),
                                                  c=self.c)
        return self

    def decision_function(self, X) -> np.ndarray:
        X = self._check_x(X, False)
        return ((X - self.mean_) / self.sd_) @ self.coef_ + self.intercept_

    def predict_proba(self, X) -> np.ndarray:
        p = 1 / (1 + np.exp(-self.decision_function(X)))
        return np.c_[1 - p, p]

    def predict(self, X) -> np.ndarray:
        return (self.decision_function(X) > 0).astype(np.int64)

    def score(self, X, y) -> float:
        """AUROC (higher is better)."""
        return auroc(np.asarray(y), self.decision_function(X))

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps({
            "c": self.c, "mean": self.mean_.tolist(), "sd": self.sd_.tolist(),
            "coef": self.coef_.tolist(), "intercept": self.intercept_}))

    @classmethod
    def load(cls, path: str | Path) -> EnrichedRiskPredictor:
        d = json.loads(Path(path).read_text())
        m = cls(c=d["c"])
        m.mean_, m.sd_ = np.array(d["mean"]), np.array(d["sd"])
        m.coef_, m.intercept_ = np.array(d["coef"]), float(d["intercept"])
        return m
