"""The scikit-like estimator around both CMAXENT directions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import numpy as np
from scipy.special import expit, log_expit

from mpiis.shared.validation import check_array, check_choice

from ._anticausal import solve_anticausal
from ._causal import solve_causal
from ._moments import MomentTable
from ._solution import CMaxEntConfig, CMaxEntSolution, ImpliedMoments

__all__ = ["CMaxEntClassifier", "check_binary_target"]


def check_binary_target(y: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Validate labels (n,) with exactly two classes; return (classes (2,), y01 (n,))."""
    if y is None:
        raise TypeError("`y` must be an array of labels, got None")
    arr = np.asarray(y)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"`y` must have shape ({n},) to match X, got {arr.shape}")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError("`y` must be finite, got NaN or Inf")
    classes = np.unique(arr)
    if len(classes) != 2:
        raise ValueError(f"`y` must be binary with exactly 2 classes (v1 is binary; multi-class "
                         f"is not supported), got {len(classes)} class(es): "
                         f"{classes[:5].tolist()}")
    return classes, (arr == classes[1]).astype(np.float64)


class _LinearLogOdds:
    """Prediction methods shared by every linear log-odds model: coef_ (k,), intercept_."""

    coef_: np.ndarray
    intercept_: float
    classes_: np.ndarray

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise RuntimeError(f"this {type(self).__name__} is not fitted yet; call fit or "
                               f"fit_moments first")

    def _check_X(self, X: Any) -> np.ndarray:
        self._check_fitted()
        x = check_array(X, "X", ndim=2, shape=(None, len(self.coef_)))
        return np.asarray(x, dtype=np.float64)

    def decision_function(self, X: Any) -> np.ndarray:
        """(n,) log-odds coef_^T x + intercept_ of the second class, for X (n, k)."""
        return self._check_X(X) @ self.coef_ + self.intercept_

    def predict_proba(self, X: Any) -> np.ndarray:
        """(n, 2) class probabilities, columns in ``classes_`` order."""
        p1 = expit(self.decision_function(X))
        return np.column_stack([1.0 - p1, p1])

    def predict(self, X: Any) -> np.ndarray:
        """(n,) the more probable class label."""
        t = self.decision_function(X)
        return self.classes_[(t > 0).astype(int)]

    def log_loss_per_example(self, X: Any, y: Any) -> np.ndarray:
        """(n,) -log p(y_n | x_n) in nats; reduce with a mean for :meth:`score`."""
        t = self.decision_function(X)
        y = np.asarray(y)
        if y.shape != t.shape:
            raise ValueError(f"`y` must have shape {t.shape}, got {y.shape}")
        bad = ~np.isin(y, self.classes_)
        if bad.any():
            raise ValueError(f"`y` must hold labels from classes_ {self.classes_.tolist()}, "
                             f"got {np.unique(y[bad])[:5].tolist()}")
        y1 = y == self.classes_[1]
        return -np.where(y1, log_expit(t), log_expit(-t))

    def score(self, X: Any, y: Any) -> float:
        """Mean log-loss (nats) of (X, y): lower is better."""
        return float(np.mean(self.log_loss_per_example(X, y)))


class CMaxEntClassifier(_LinearLogOdds):
    """Causal (X -> Y) or anticausal (Y -> X) CMAXENT classifier (paper §§3-4).

    Args:
        direction: ``"causal"`` (logistic family, C1-C2) or ``"anticausal"`` (Gaussian class
            conditionals, A1).
        p_x: causal step-1 distribution, ``"gaussian"`` or ``"empirical"`` (ignored when
            anticausal).
        config: solver settings.

    Attributes (after fitting):
        coef_: (k,) log-odds coefficients, 0 outside O.
        intercept_: log-odds intercept.
        classes_: (2,) labels.
        solution_: the :class:`CMaxEntSolution`.
        predictors_: the predictor names, the column order of X.
    """

    def __init__(self, direction: Literal["causal", "anticausal"], *,
                 p_x: Literal["gaussian", "empirical"] = "gaussian",
                 config: CMaxEntConfig | None = None) -> None:
        self.direction = check_choice(direction, "direction", ("causal", "anticausal"))
        self.p_x = check_choice(p_x, "p_x", ("gaussian", "empirical"))
        config = CMaxEntConfig() if config is None else config
        if not isinstance(config, CMaxEntConfig):
            raise TypeError(f"`config` must be a CMaxEntConfig, got {type(config).__name__}")
        self.config = config

    def __repr__(self) -> str:
        return f"CMaxEntClassifier({self.direction!r}, p_x={self.p_x!r}, config={self.config})"

    def _set(self, sol: CMaxEntSolution, classes: np.ndarray) -> CMaxEntClassifier:
        self.solution_ = sol
        self.coef_ = np.asarray(sol.coef, dtype=np.float64)
        self.intercept_ = float(sol.intercept)
        self.classes_ = classes
        self.predictors_ = sol.predictors
        return self

    def fit(self, X: Any, y: Any) -> CMaxEntClassifier:
        """The full-joint path: moments of one dataset (X (n, k), y (n,) with 2 classes).

        With ``direction="causal", p_x="empirical"`` this is unpenalised logistic regression;
        with ``direction="anticausal"`` it is LDA.
        """
        x = np.asarray(check_array(X, "X", ndim=2, min_rows=2), dtype=np.float64)
        classes, y01 = check_binary_target(y, x.shape[0])
        names = tuple(f"x{i}" for i in range(x.shape[1]))
        table = MomentTable.from_datasets({(*names, "__y__"): np.column_stack([x, y01])},
                                          target="__y__")
        return self._set(self._solve(table, x), classes)

    def fit_moments(self, table: MomentTable, *, X: Any = None) -> CMaxEntClassifier:
        """The merging path: CMAXENT from a :class:`MomentTable` (X: the joint predictor
        sample, only for ``p_x="empirical"``)."""
        if not isinstance(table, MomentTable):
            raise TypeError(f"`table` must be a MomentTable, got {type(table).__name__}")
        return self._set(self._solve(table, X), np.array([0, 1]))

    def _solve(self, table: MomentTable, X: Any) -> CMaxEntSolution:
        if self.direction == "causal":
            return solve_causal(table, p_x=self.p_x, X=X if self.p_x == "empirical" else None,
                                config=self.config)
        return solve_anticausal(table, config=self.config)

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> None:
        """Write the fitted model to ``path`` (.npz: arrays + JSON metadata, no pickle)."""
        self._check_fitted()
        sol = self.solution_
        meta = {"direction": self.direction, "p_x": self.p_x, "config": self.config.to_dict(),
                "predictors": list(sol.predictors), "converged": sol.converged,
                "n_iter": sol.n_iter, "max_moment_residual": sol.max_moment_residual,
                "feasibility_margin": sol.feasibility_margin, "method": sol.method,
                "classes_kind": self.classes_.dtype.kind}
        with open(path, "wb") as fh:
            np.savez(fh, meta=np.array(json.dumps(meta)), classes=self.classes_.astype(
                str if self.classes_.dtype.kind in "OUS" else self.classes_.dtype),
                **sol.arrays())

    @classmethod
    def load(cls, path: str | Path) -> CMaxEntClassifier:
        """Load a model written by :meth:`save`; it predicts bit-identically."""
        with np.load(path, allow_pickle=False) as f:
            meta = json.loads(str(f["meta"]))
            arr = {k: f[k] for k in f.files}
        est = cls(meta["direction"], p_x=meta["p_x"], config=CMaxEntConfig(**meta["config"]))
        implied = ImpliedMoments(float(arr["implied_m_y"]), arr["implied_mean"],
                                 arr["implied_second"], arr["implied_cross"])
        sol = CMaxEntSolution(meta["direction"], tuple(meta["predictors"]), arr["coef"],
                              float(arr["intercept"]), arr["multipliers"], meta["converged"],
                              meta["n_iter"], meta["max_moment_residual"],
                              meta["feasibility_margin"], implied, meta["method"])
        return est._set(sol, arr["classes"])
