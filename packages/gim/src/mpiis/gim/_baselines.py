"""The four baselines of the brief, behind GIM's interface (``fit``, ``predict_distribution``,
``sample``, ``target_scores``), each with ``supports_distribution`` / ``supports_targets``.

- :class:`FeatureMLP`: the unstructured feature-conditioned model, GIM's network body and
  budget, ``p(x|γ) = N(x̄₀ + Δμ, D Σ₀ D)``; sampling perturbs resampled control cells.
- :class:`PerContextCausal`: stages 1-2 of GIM (free shifts per context), then ridge from γ.
- :class:`MeanShiftTest`: Welch z-scores against the control (evidence) or ridge from γ.
- :class:`Observational`: the control distribution for every γ.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from mpiis.shared.validation import check_array, check_int, check_positive

from ._data import PerturbationData
from ._network import MLP
from ._results import GaussianPrediction
from ._scm import LinearSCM
from ._stages import FeatureScaler, check_features, fit_percontext, prepare
from ._train import Hyper, run_stage

__all__ = ["FeatureMLP", "MeanShiftTest", "Observational", "PerContextCausal"]


def _check_data(data: Any) -> PerturbationData:
    if not isinstance(data, PerturbationData):
        raise TypeError(f"`data` must be a PerturbationData, got {type(data).__name__}")
    return data


def _check_key(key: Any) -> None:
    if not isinstance(key, jax.Array):
        raise TypeError(f"`key` must be a jax.random.key(seed), got {type(key).__name__}")


class _Base:
    supports_distribution = True
    supports_targets = True

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self._params}

    def set_params(self, **params: Any) -> _Base:
        for k, v in params.items():
            if k not in self._params:
                raise ValueError(f"`{k}` is not a parameter of {type(self).__name__} "
                                 f"(expected one of {self._params})")
            setattr(self, k, v)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={getattr(self, k)!r}" for k in self._params)
        return f"{type(self).__name__}({args})"

    def _check_fitted(self) -> None:
        if not hasattr(self, "feature_dim_"):
            raise RuntimeError(f"this {type(self).__name__} is not fitted yet: call fit first")

    def _features(self, features) -> np.ndarray:
        self._check_fitted()
        return check_features(features, self.feature_dim_)

    def _no(self, what: str):
        raise NotImplementedError(f"{type(self).__name__} does not support {what}")

    def predict_distribution(self, features) -> GaussianPrediction:
        self._no("predict_distribution (supports_distribution is False)")

    def sample(self, features, n: int, *, key: jax.Array) -> np.ndarray:
        self._no("sample (supports_distribution is False)")

    def target_scores(self, features, *, evidence=None) -> np.ndarray:
        self._no("target_scores (supports_targets is False)")


def _ridge(x: np.ndarray, y: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Ridge on (already standardised) x with an unpenalised intercept: ``(w (p, q), c (q,))``."""
    xm, ym = x.mean(0), y.mean(0)
    xc = x - xm
    w = np.linalg.solve(xc.T @ xc + alpha * np.eye(x.shape[1]), xc.T @ (y - ym))
    return w, ym - xm @ w


def _resample(control: np.ndarray, m: int, n: int, key: jax.Array) -> np.ndarray:
    idx = np.asarray(jax.random.randint(key, (m, n), 0, len(control)))
    return control[idx]


class FeatureMLP(_Base):
    """Unstructured feature-conditioned model (brief, "Baselines": FeatureMLP).

    The GIM network body (SiLU MLP, linear skip, 0.1x output layer) maps γ to ``(Δμ, Δlog s)``;
    ``p(x|γ) = N(x̄₀ + Δμ, D Σ₀ D)``, ``D = diag(e^{Δlog s})``, trained by the Gaussian NLL from
    the sufficient statistics with GIM's optimiser and budget.
    """

    supports_targets = False
    _params = ("hidden", "steps", "learning_rate", "final_learning_rate")

    def __init__(self, *, hidden: Sequence[int] = (64, 64), steps: int = 2000,
                 learning_rate: float = 1e-2, final_learning_rate: float = 1e-3):
        self.hidden = tuple(hidden)
        self.steps = check_int(steps, "steps", minimum=1)
        self.learning_rate = check_positive(learning_rate, "learning_rate")
        self.final_learning_rate = check_positive(final_learning_rate, "final_learning_rate")

    def fit(self, data: PerturbationData, *, key: jax.Array, callback=None) -> FeatureMLP:
        """Train on the contexts of ``data``; ``key`` initialises the network."""
        data = _check_data(data)
        _check_key(key)
        self.scaler_ = FeatureScaler.fit(data.features)
        td = prepare(data, self.scaler_)
        net = MLP(data.feature_dim, 2 * data.d, hidden=self.hidden, rngs=nnx.Rngs(key))
        graphdef, state = nnx.split(net)
        h = Hyper(kind="featuremlp", steps=self.steps, learning_rate=self.learning_rate,
                  final_learning_rate=self.final_learning_rate, graphdef=graphdef)
        params, hist = run_stage({"net": state}, td, h, desc="FeatureMLP", callback=callback)
        self.graphdef_, self.net_state_ = graphdef, params["net"]
        stats = data.stats()
        self.control_ = data.control
        self.control_mean_, self.control_cov_ = stats.mean[0], stats.cov[0]
        self.feature_dim_, self.d_ = data.feature_dim, data.d
        self.history_ = hist
        return self

    def _heads(self, features):
        f = self._features(features)
        out = np.asarray(nnx.merge(self.graphdef_, self.net_state_)(
            jnp.asarray(self.scaler_(f), jnp.float32)), np.float64)
        d = self.d_
        return out[:, :d], np.clip(out[:, d:], -5.0, 5.0)

    def predict_distribution(self, features) -> GaussianPrediction:
        dmu, dls = self._heads(features)
        s = np.exp(dls)
        return GaussianPrediction(self.control_mean_ + dmu,
                                  s[:, :, None] * self.control_cov_ * s[:, None, :])

    def sample(self, features, n: int, *, key: jax.Array) -> np.ndarray:
        """Resampled control cells, shifted by ``Δμ`` and scaled by ``D``: ``(m, n, d)``."""
        _check_key(key)
        n = check_int(n, "n", minimum=1)
        dmu, dls = self._heads(features)
        xc = _resample(self.control_, len(dmu), n, key) - self.control_mean_
        return self.control_mean_ + dmu[:, None] + np.exp(dls)[:, None] * xc


class PerContextCausal(_Base):
    """Per-context causal inference (brief, "Baselines"; stage 2 of GIM): the linear SCM with a
    free shift ``δ_k`` per training context, then ridge (α on standardised γ) from γ to ``δ``.
    Target scores are ``|δ̂_kj| / σ_j``; with ``evidence`` the shifts of the evidence cells,
    ``M x̄_ev - b``, are scored instead."""

    _params = ("steps", "learning_rate", "final_learning_rate", "graph_l1", "delta_l1",
               "lad_l1", "ridge_alpha")

    def __init__(self, *, steps: int = 2000, learning_rate: float = 1e-2,
                 final_learning_rate: float = 1e-3, graph_l1: float = 1e-2,
                 delta_l1: float = 2.5, lad_l1: float = 0.01, ridge_alpha: float = 1.0):
        self.steps = check_int(steps, "steps", minimum=1)
        self.learning_rate = check_positive(learning_rate, "learning_rate")
        self.final_learning_rate = check_positive(final_learning_rate, "final_learning_rate")
        self.graph_l1 = check_positive(graph_l1, "graph_l1", strict=False)
        self.delta_l1 = check_positive(delta_l1, "delta_l1", strict=False)
        self.lad_l1 = check_positive(lad_l1, "lad_l1", strict=False)
        self.ridge_alpha = check_positive(ridge_alpha, "ridge_alpha", strict=False)

    def fit(self, data: PerturbationData, *, key: jax.Array | None = None,
            callback=None) -> PerContextCausal:
        """Stages 1-2 on ``data``, then the ridge map (deterministic; ``key`` is unused)."""
        data = _check_data(data)
        self.scaler_ = FeatureScaler.fit(data.features)
        td = prepare(data, self.scaler_)
        scm, delta, hist = fit_percontext(
            data, td, steps=self.steps, learning_rate=self.learning_rate,
            final_learning_rate=self.final_learning_rate, graph_l1=self.graph_l1,
            delta_l1=self.delta_l1, lad_l1=self.lad_l1, callback=callback)
        self.causal_params_: LinearSCM = scm
        self.shifts_ = delta
        self.noise_std_ = np.exp(np.asarray(scm.log_std, np.float64))
        self.train_target_scores_ = np.abs(delta) / self.noise_std_
        self.ridge_ = _ridge(self.scaler_(data.features), delta, self.ridge_alpha)
        self.feature_dim_, self.d_ = data.feature_dim, data.d
        self.history_ = hist
        return self

    def _shift(self, features) -> np.ndarray:
        f = self.scaler_(self._features(features))
        w, c = self.ridge_
        return f @ w + c

    def predict_distribution(self, features) -> GaussianPrediction:
        mean, cov = self.causal_params_.mean_cov(jnp.asarray(self._shift(features), jnp.float32))
        return GaussianPrediction(np.asarray(mean), np.asarray(cov))

    def sample(self, features, n: int, *, key: jax.Array) -> np.ndarray:
        _check_key(key)
        n = check_int(n, "n", minimum=1)
        shift = jnp.asarray(self._shift(features), jnp.float32)
        return np.asarray(self.causal_params_.sample(n, shift, key=key))

    def target_scores(self, features, *, evidence=None) -> np.ndarray:
        if evidence is None:
            return np.abs(self._shift(features)) / self.noise_std_
        f = self._features(features)
        means = _evidence_means(evidence, len(f), self.d_)[0]
        p = self.causal_params_.to_numpy()
        m = np.eye(self.d_) - p["weights"].T
        return np.abs(means @ m.T - p["bias"]) / self.noise_std_


def _evidence_means(evidence, m: int, d: int):
    if len(evidence) != m:
        raise ValueError(f"`evidence` must hold one cell array per feature row ({m}), "
                         f"got {len(evidence)}")
    arrs = [check_array(e, f"evidence[{i}]", ndim=2, min_rows=2) for i, e in enumerate(evidence)]
    for i, e in enumerate(arrs):
        if e.shape[1] != d:
            raise ValueError(f"`evidence[{i}]` must have d = {d} columns, got {e.shape[1]}")
    return (np.stack([e.mean(0) for e in arrs]), np.stack([e.var(0, ddof=1) for e in arrs]),
            np.array([len(e) for e in arrs], float))


class MeanShiftTest(_Base):
    """Per-variable Welch z-scores of a context against the control; scores ``|z|``.

    It flags targets and all their descendants. With ``evidence`` it scores the evidence cells
    ("MeanShiftTest-evidence"); without, a ridge model (α on standardised γ) predicts the
    training ``|z|`` from γ ("MeanShiftTest-features").
    """

    supports_distribution = False
    _params = ("ridge_alpha",)

    def __init__(self, *, ridge_alpha: float = 1.0):
        self.ridge_alpha = check_positive(ridge_alpha, "ridge_alpha", strict=False)

    def _z(self, mean, var, n):
        se = np.sqrt(var / n[:, None] + self.control_var_ / self.n0_)
        return np.abs(mean - self.control_mean_) / se

    def fit(self, data: PerturbationData, *, key: jax.Array | None = None) -> MeanShiftTest:
        data = _check_data(data)
        self.control_mean_ = data.control.mean(0)
        self.control_var_ = data.control.var(0, ddof=1)
        self.n0_ = float(len(data.control))
        self.d_ = data.d
        mean, var, n = _evidence_means(data.xs, data.n_contexts, data.d)
        self.train_target_scores_ = self._z(mean, var, n)
        self.scaler_ = FeatureScaler.fit(data.features)
        self.ridge_ = _ridge(self.scaler_(data.features), self.train_target_scores_,
                             self.ridge_alpha)
        self.feature_dim_ = data.feature_dim
        return self

    def target_scores(self, features, *, evidence=None) -> np.ndarray:
        f = self._features(features)
        if evidence is not None:
            return self._z(*_evidence_means(evidence, len(f), self.d_))
        w, c = self.ridge_
        return self.scaler_(f) @ w + c


class Observational(_Base):
    """Predicts the control distribution for every γ; sets the scale of every distance."""

    supports_targets = False
    _params = ()

    def fit(self, data: PerturbationData, *, key: jax.Array | None = None) -> Observational:
        data = _check_data(data)
        self.control_ = data.control
        stats = data.stats()
        self.control_mean_, self.control_cov_ = stats.mean[0], stats.cov[0]
        self.feature_dim_, self.d_ = data.feature_dim, data.d
        return self

    def predict_distribution(self, features) -> GaussianPrediction:
        m = len(self._features(features))
        return GaussianPrediction(np.tile(self.control_mean_, (m, 1)),
                                  np.tile(self.control_cov_, (m, 1, 1)))

    def sample(self, features, n: int, *, key: jax.Array) -> np.ndarray:
        """Resampled control cells, ``(m, n, d)``."""
        _check_key(key)
        n = check_int(n, "n", minimum=1)
        return _resample(self.control_, len(self._features(features)), n, key)

