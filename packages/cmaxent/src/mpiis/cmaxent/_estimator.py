"""The scikit-like estimator around both CMAXENT directions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import numpy as np
from scipy.special import expit, log_expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import NotFittedError
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d, validate_data

from mpiis.shared.validation import check_array, check_choice

from ._anticausal import solve_anticausal
from ._causal import solve_causal
from ._moments import MomentTable
from ._prepared import PreparedTable, as_prepared
from ._solution import CMaxEntConfig, CMaxEntSolution, ImpliedMoments

__all__ = ["CMaxEntClassifier", "check_binary_target"]


def _named(name: str, fn: Any) -> Any:
    """Run a scikit-learn validator, prefixing its ValueError with the argument's name."""
    try:
        return fn()
    except ValueError as exc:
        raise ValueError(f"`{name}`: {exc}") from exc


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
    if len(classes) > 2:
        raise ValueError(f"`y`: Only binary classification is supported. The type of the "
                         f"target is multiclass (v1 is binary; multi-class is not supported): "
                         f"got {len(classes)} classes {classes[:5].tolist()}, expected 2")
    if len(classes) != 2:
        raise ValueError(f"`y` must be binary with exactly 2 classes, got {len(classes)} "
                         f"class(es): {classes[:5].tolist()}")
    return classes, (arr == classes[1]).astype(np.float64)


class _LinearLogOdds(ClassifierMixin, BaseEstimator):
    """Prediction methods shared by every linear log-odds model: coef_ (k,), intercept_.

    scikit-learn conventions: ``score`` is the accuracy (from ``ClassifierMixin``);
    :meth:`log_loss` and :meth:`log_loss_per_example` give the log-loss.
    """

    coef_: np.ndarray
    intercept_: float
    classes_: np.ndarray

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False  # v1 is binary (brief, "Open points")
        return tags

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit or "
                                 f"fit_moments first")

    def _check_X(self, X: Any) -> np.ndarray:
        self._check_fitted()
        if hasattr(self, "n_features_in_"):
            return _named("X", lambda: validate_data(self, X, reset=False, dtype=np.float64))
        x = check_array(X, "X", ndim=2, shape=(None, len(self.coef_)))
        return np.asarray(x, dtype=np.float64)

    def _fit_data(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Validate (X (n, k), y (n,)) the scikit-learn way (sets ``n_features_in_`` and
        ``feature_names_in_``); errors name the argument. Returns (x, classes, y01)."""
        if y is None:
            raise ValueError(f"`y`: {type(self).__name__} requires y to be passed, but the "
                             f"target y is None")
        x = _named("X", lambda: validate_data(self, X, reset=True, dtype=np.float64,
                                              ensure_min_samples=2))
        yv = _named("y", lambda: column_or_1d(y, warn=True))
        if yv.shape[0] != x.shape[0]:
            raise ValueError(f"`y` must have shape ({x.shape[0]},) to match X, got "
                             f"{yv.shape}")
        if yv.dtype.kind == "f" and not np.isfinite(yv).all():
            raise ValueError("`y` must be finite, got NaN or Inf")
        _named("y", lambda: check_classification_targets(yv))
        classes, y01 = check_binary_target(yv, x.shape[0])
        return x, classes, y01

    def decision_function(self, X: Any) -> np.ndarray:
        """(n,) log-odds coef_^T x + intercept_ of the second class, for X (n, k)."""
        return self._check_X(X) @ self.coef_ + self.intercept_

    def predict_proba(self, X: Any) -> np.ndarray:
        """(n, 2) class probabilities, columns in ``classes_`` order."""
        p1 = expit(self.decision_function(X))
        return np.column_stack([1.0 - p1, p1])

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """(n, 2) log class probabilities, computed stably from the log-odds."""
        t = self.decision_function(X)
        return np.column_stack([log_expit(-t), log_expit(t)])

    def predict(self, X: Any) -> np.ndarray:
        """(n,) the more probable class label."""
        t = self.decision_function(X)
        return self.classes_[(t > 0).astype(int)]

    def log_loss_per_example(self, X: Any, y: Any) -> np.ndarray:
        """(n,) -log p(y_n | x_n) in nats; :meth:`log_loss` is their mean."""
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

    def log_loss(self, X: Any, y: Any) -> float:
        """Mean log-loss (nats) of (X, y): lower is better (``score`` is the accuracy)."""
        return float(np.mean(self.log_loss_per_example(X, y)))


class CMaxEntClassifier(_LinearLogOdds):
    """Causal (X -> Y) or anticausal (Y -> X) CMAXENT classifier (paper §§3-4).

    A scikit-learn classifier (``get_params``/``set_params``, ``clone``, pipelines,
    ``cross_val_score``; ``score`` is the accuracy). ``fit(X, y)`` is the full-joint path:
    unpenalised logistic regression in the causal direction (the default), LDA in the
    anticausal one. ``fit_moments(table)`` is the merging path.

    Args:
        direction: ``"causal"`` (logistic family, C1-C2) or ``"anticausal"`` (Gaussian class
            conditionals, A1).
        p_x: causal step-1 distribution. ``"auto"`` (default) is the empirical p(x) whenever
            a joint sample is at hand (``fit(X, y)``, or ``fit_moments(table, X=...)``) and
            the Gaussian max-entropy p(x) otherwise; ``"gaussian"`` or ``"empirical"`` force
            one. Ignored when anticausal.
        config: solver settings (``None``: ``CMaxEntConfig()``).

    Attributes (after fitting):
        coef_: (k,) log-odds coefficients, 0 outside O.
        intercept_: log-odds intercept.
        classes_: (2,) labels.
        solution_: the :class:`CMaxEntSolution`.
        predictors_: the predictor names, the column order of X.
        n_features_in_: k (set by ``fit``).
    """

    def __init__(self, direction: Literal["causal", "anticausal"] = "causal", *,
                 p_x: Literal["auto", "gaussian", "empirical"] = "auto",
                 config: CMaxEntConfig | None = None) -> None:
        self.direction = direction
        self.p_x = p_x
        self.config = config

    def _validated(self) -> tuple[str, str, CMaxEntConfig]:
        direction = check_choice(self.direction, "direction", ("causal", "anticausal"))
        p_x = check_choice(self.p_x, "p_x", ("auto", "gaussian", "empirical"))
        config = CMaxEntConfig() if self.config is None else self.config
        if not isinstance(config, CMaxEntConfig):
            raise TypeError(f"`config` must be a CMaxEntConfig, got {type(config).__name__}")
        return direction, p_x, config

    def _set(self, sol: CMaxEntSolution, classes: np.ndarray) -> CMaxEntClassifier:
        self.solution_ = sol
        self.coef_ = np.asarray(sol.coef, dtype=np.float64)
        self.intercept_ = float(sol.intercept)
        self.classes_ = classes
        self.predictors_ = sol.predictors
        return self

    def fit(self, X: Any, y: Any) -> CMaxEntClassifier:
        """The full-joint path: moments of one dataset (X (n, k), y (n,) with 2 classes).

        Causal (default, ``p_x="auto"`` or ``"empirical"``): unpenalised logistic
        regression; causal with ``p_x="gaussian"``: the Gaussian-p(x) merge of the sample
        moments; anticausal: LDA.
        """
        direction, p_x, config = self._validated()
        x, classes, y01 = self._fit_data(X, y)
        names = tuple(f"x{i}" for i in range(x.shape[1]))
        table = MomentTable.from_datasets({(*names, "__y__"): np.column_stack([x, y01])},
                                          target="__y__")
        p = "empirical" if p_x == "auto" else p_x
        return self._set(self._solve(PreparedTable(table), x, direction, p, config), classes)

    def fit_moments(self, table: MomentTable | PreparedTable, *,
                    X: Any = None) -> CMaxEntClassifier:
        """The merging path: CMAXENT from a :class:`MomentTable` (X: the joint predictor
        sample (n, k), for the empirical p(x))."""
        direction, p_x, config = self._validated()
        prep = as_prepared(table)
        p = ("empirical" if X is not None else "gaussian") if p_x == "auto" else p_x
        sol = self._solve(prep, X, direction, p, config)
        for attr in ("n_features_in_", "feature_names_in_"):
            if hasattr(self, attr):
                delattr(self, attr)
        return self._set(sol, np.array([0, 1]))

    @staticmethod
    def _solve(prep: PreparedTable, X: Any, direction: str, p_x: str,
               config: CMaxEntConfig) -> CMaxEntSolution:
        if direction == "causal":
            return solve_causal(prep, p_x=p_x, X=X if p_x == "empirical" else None,
                                config=config)
        return solve_anticausal(prep, config=config)

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> None:
        """Write the fitted model to ``path`` (.npz: arrays + JSON metadata, no pickle)."""
        self._check_fitted()
        sol = self.solution_
        _, _, config = self._validated()
        meta = {"direction": self.direction, "p_x": self.p_x, "config": config.to_dict(),
                "predictors": list(sol.predictors), "converged": sol.converged,
                "n_iter": sol.n_iter, "max_moment_residual": sol.max_moment_residual,
                "feasibility_margin": sol.feasibility_margin, "method": sol.method,
                "classes_kind": self.classes_.dtype.kind,
                "n_features_in": getattr(self, "n_features_in_", None)}
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
        fields = {"tol", "max_iter", "solver", "near_infeasible"}
        config = CMaxEntConfig(**{k: v for k, v in meta["config"].items() if k in fields})
        est = cls(meta["direction"], p_x=meta["p_x"], config=config)
        implied = ImpliedMoments(float(arr["implied_m_y"]), arr["implied_mean"],
                                 arr["implied_second"], arr["implied_cross"])
        sol = CMaxEntSolution(meta["direction"], tuple(meta["predictors"]), arr["coef"],
                              float(arr["intercept"]), arr["multipliers"], meta["converged"],
                              meta["n_iter"], meta["max_moment_residual"],
                              meta["feasibility_margin"], implied, meta["method"])
        est._set(sol, arr["classes"])
        if meta.get("n_features_in") is not None:
            est.n_features_in_ = int(meta["n_features_in"])
        return est
