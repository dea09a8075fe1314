"""The generative intervention model: config, three-stage fit, prediction, save/load."""

from __future__ import annotations

import dataclasses
import json
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import jax
import jax.numpy as jnp
import networkx as nx
import numpy as np
from flax import nnx

from mpiis.shared.validation import check_fraction, check_int, check_positive

from ._data import PerturbationData
from ._network import GIMNetwork
from ._results import GaussianPrediction, InterventionPrediction
from ._scm import LinearSCM
from ._sde import LinearSDE
from ._stages import (
    FeatureScaler,
    check_features,
    fit_percontext,
    fit_percontext_many,
    prepare,
    replicate,
)
from ._train import Hyper, run_stage, stack, unstack

__all__ = ["GIM", "GIMConfig"]


@dataclass(frozen=True, kw_only=True, slots=True)
class GIMConfig:
    """Hyperparameters of :class:`GIM` (brief, "Defaults"; the paper's are not known)."""

    hidden: tuple[int, ...] = (64, 64)  # MLP hidden widths, SiLU
    rho: float = 0.1  # prior target probability ρ; initial logit bias logit(ρ)
    shift_prior_scale: float = 3.0  # s_ψ of the Gaussian prior on shift means
    graph_l1: float = 1e-2  # λ_B on ‖B‖₁
    delta_l1: float = 2.5  # λ_δ of the per-context stage, in z-units
    steps: int = 2000  # Adam steps per stage (2 and 3)
    learning_rate: float = 1e-2  # cosine-decayed ...
    final_learning_rate: float = 1e-3  # ... to this
    freeze_graph_frac: float = 0.3  # stage 3 keeps B frozen for this share of steps
    graph_lr_scale: float = 0.1  # then B learns at this multiple of the learning rate
    lad_l1: float = 0.01  # L1 weight of the median-regression initialisation
    edge_threshold: float = 0.3  # |B_ij| above which graph_ reports an edge
    intervention: Literal["shift", "shift-scale"] = "shift"
    causal_model: Literal["linear", "linear-sde"] = "linear"
    prediction: Literal["map", "mixture"] = "map"

    def __post_init__(self) -> None:
        hidden = tuple(self.hidden)
        for h in hidden:
            check_int(h, "hidden", minimum=1)
        object.__setattr__(self, "hidden", hidden)
        check_fraction(self.rho, "rho", low_open=True, high_open=True)
        check_fraction(self.freeze_graph_frac, "freeze_graph_frac", high_open=True)
        for name in ("shift_prior_scale", "learning_rate", "final_learning_rate",
                     "graph_lr_scale"):
            check_positive(getattr(self, name), name)
        for name in ("graph_l1", "delta_l1", "lad_l1", "edge_threshold"):
            check_positive(getattr(self, name), name, strict=False)
        check_int(self.steps, "steps", minimum=1)
        choices = {"intervention": ("shift", "shift-scale"),
                   "causal_model": ("linear", "linear-sde"), "prediction": ("map", "mixture")}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"`{name}` must be one of {allowed}, got {getattr(self, name)!r}")
        if self.causal_model == "linear-sde" and self.intervention != "shift":
            raise ValueError("`intervention` must be 'shift' with causal_model='linear-sde', "
                             f"got {self.intervention!r}")

    @classmethod
    def tiny(cls, **overrides: Any) -> GIMConfig:
        """A small config for tests: hidden (16,), 200 steps per stage."""
        return cls(**{"hidden": (16,), "steps": 200, **overrides})

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


def _apply(graphdef, state, gamma):
    return nnx.merge(graphdef, state)(gamma)


_apply_jit = jax.jit(_apply, static_argnums=0)


class GIM:
    """Generative intervention model (brief, "Method"): a network from perturbation features
    ``γ`` to a distribution over atomic interventions, fitted jointly with a causal model.

    Fitting runs the brief's three stages: median-regression initialisation, the per-context
    stage, then the GIM stage with the exact expected log-likelihood under the network's
    Bernoulli targets. Prediction is MAP: ``t̂ = 1[π > 0.5]``, ``ψ̂ = h(γ)``.

    Args:
        config: :class:`GIMConfig`.
    """

    supports_distribution = True
    supports_targets = True

    def __init__(self, config: GIMConfig | None = None):
        self.config = GIMConfig() if config is None else config

    # -- scikit-learn conventions ---------------------------------------------------------
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {"config": self.config}

    def set_params(self, **params: Any) -> GIM:
        for k, v in params.items():
            if k != "config":
                raise ValueError(f"`{k}` is not a parameter of GIM (expected 'config')")
            self.config = v
        return self

    def __repr__(self) -> str:
        return f"GIM(config={self.config!r})"

    # -- fitting --------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "causal_params_"):
            raise RuntimeError("this GIM is not fitted yet: call fit(data, key=...) first")

    def _make_network(self, p: int, d: int, key: jax.Array) -> GIMNetwork:
        cfg = self.config
        return GIMNetwork(p, d, hidden=cfg.hidden, rho=cfg.rho,
                          shift_scale=cfg.intervention == "shift-scale", rngs=nnx.Rngs(key))

    def fit(
        self,
        data: PerturbationData,
        *,
        key: jax.Array,
        callback: Callable[[dict[str, Any]], Any] | None = None,
        checkpoint_dir: str | Path | None = None,
        devices: Sequence[Any] | None = None,
    ) -> GIM:
        """Fit the three stages on ``data`` (full batch, jit-compiled, chunks of 100 steps).

        Args:
            data: the training contexts and control.
            key: a ``jax.random.key``; used only to initialise the network.
            callback: called after each chunk with ``{"stage", "step", "loss", "params"}``.
            checkpoint_dir: where to write ``gim_checkpoint.npz`` after each GIM-stage chunk.
            devices: shard the contexts over these devices (default: no sharding).

        Returns:
            ``self``.

        Raises:
            FloatingPointError: a non-finite loss or an unstable cycle (``det M``), naming where.
        """
        if not isinstance(data, PerturbationData):
            raise TypeError(f"`data` must be a PerturbationData, got {type(data).__name__}")
        _check_key(key)
        cfg = self.config
        t_start = time.perf_counter()
        self.scaler_ = FeatureScaler.fit(data.features)
        td = prepare(data, self.scaler_, devices)
        scm, _, hist2 = fit_percontext(
            data, td, steps=cfg.steps, learning_rate=cfg.learning_rate,
            final_learning_rate=cfg.final_learning_rate, graph_l1=cfg.graph_l1,
            delta_l1=cfg.delta_l1, lad_l1=cfg.lad_l1, devices=devices, callback=callback)
        if cfg.causal_model == "linear-sde":
            scm = LinearSDE.create(scm.graph_weights, scm.bias, jnp.exp(scm.log_std))
        net = self._make_network(data.feature_dim, data.d, key)
        graphdef, state = nnx.split(net)
        h = Hyper(kind="gim", steps=cfg.steps, learning_rate=cfg.learning_rate,
                  final_learning_rate=cfg.final_learning_rate, graph_l1=cfg.graph_l1,
                  rho=cfg.rho, shift_prior_scale=cfg.shift_prior_scale,
                  freeze_steps=round(cfg.freeze_graph_frac * cfg.steps),
                  graph_lr_scale=cfg.graph_lr_scale, graphdef=graphdef)
        ckpt = None if checkpoint_dir is None else Path(checkpoint_dir) / "gim_checkpoint.npz"
        if ckpt is not None:
            ckpt.parent.mkdir(parents=True, exist_ok=True)
        params = replicate({"scm": scm, "net": state}, devices)
        params, hist3 = run_stage(params, td, h, desc="stage 3 (GIM)", callback=callback,
                                  check=lambda p: p["scm"].check_stable(), checkpoint=ckpt,
                                  save=_save_params)
        self.graphdef_ = graphdef
        self.net_state_ = jax.device_get(params["net"])
        self.causal_params_ = jax.device_get(params["scm"])
        self.d_, self.feature_dim_ = data.d, data.feature_dim
        self.history_ = {"stage2": hist2, "stage3": hist3,
                         "fit_s": time.perf_counter() - t_start}
        return self

    @classmethod
    def fit_many(
        cls,
        datasets: Sequence[PerturbationData],
        *,
        keys: Sequence[jax.Array],
        config: GIMConfig | None = None,
        callback: Callable[[dict[str, Any]], Any] | None = None,
    ) -> list[GIM]:
        """Fit one GIM per data set (e.g. per seed) with every stage vmapped over the data
        sets: one compiled step runs all fits. The data sets must share ``K``, ``d`` and ``p``.

        Each returned model equals ``GIM(config).fit(data, key=key)`` up to float rounding.
        Its ``history_`` holds its own losses and the batch's timings.
        """
        datasets = list(datasets)
        keys = list(keys)
        if not datasets:
            raise ValueError("`datasets` must hold at least one PerturbationData, got none")
        for i, data in enumerate(datasets):
            if not isinstance(data, PerturbationData):
                raise TypeError(f"`datasets[{i}]` must be a PerturbationData, "
                                f"got {type(data).__name__}")
            if (data.n_contexts, data.d, data.feature_dim) != (
                    datasets[0].n_contexts, datasets[0].d, datasets[0].feature_dim):
                raise ValueError(
                    f"`datasets[{i}]` must have (K, d, p) = ({datasets[0].n_contexts}, "
                    f"{datasets[0].d}, {datasets[0].feature_dim}) like datasets[0], got "
                    f"({data.n_contexts}, {data.d}, {data.feature_dim})")
        if len(keys) != len(datasets):
            raise ValueError(f"`keys` must hold one key per data set ({len(datasets)}), "
                             f"got {len(keys)}")
        for k in keys:
            _check_key(k)
        cfg = GIMConfig() if config is None else config
        t_start = time.perf_counter()
        n = len(datasets)
        scalers = [FeatureScaler.fit(d.features) for d in datasets]
        td = stack([prepare(d, s) for d, s in zip(datasets, scalers, strict=True)])
        scm, hist2 = fit_percontext_many(
            datasets, td, steps=cfg.steps, learning_rate=cfg.learning_rate,
            final_learning_rate=cfg.final_learning_rate, graph_l1=cfg.graph_l1,
            delta_l1=cfg.delta_l1, lad_l1=cfg.lad_l1, callback=callback)
        if cfg.causal_model == "linear-sde":
            scm = LinearSDE.create(scm.graph_weights, scm.bias, jnp.exp(scm.log_std))
        proto = cls(cfg)
        nets = [proto._make_network(datasets[0].feature_dim, datasets[0].d, k) for k in keys]
        graphdef = nnx.split(nets[0])[0]
        states = stack([nnx.split(net)[1] for net in nets])
        h = Hyper(kind="gim", steps=cfg.steps, learning_rate=cfg.learning_rate,
                  final_learning_rate=cfg.final_learning_rate, graph_l1=cfg.graph_l1,
                  rho=cfg.rho, shift_prior_scale=cfg.shift_prior_scale,
                  freeze_steps=round(cfg.freeze_graph_frac * cfg.steps),
                  graph_lr_scale=cfg.graph_lr_scale, graphdef=graphdef)
        params, hist3 = run_stage({"scm": scm, "net": states}, td, h,
                                  desc="stage 3 (GIM, batched)", callback=callback,
                                  check=lambda p: p["scm"].check_stable(), batch=n)
        params = jax.device_get(params)
        fit_s = time.perf_counter() - t_start
        models = []
        for i, p in enumerate(unstack(params, n)):
            m = cls(cfg)
            m.scaler_, m.graphdef_, m.net_state_ = scalers[i], graphdef, p["net"]
            m.causal_params_ = p["scm"]
            m.d_, m.feature_dim_ = datasets[0].d, datasets[0].feature_dim
            m.history_ = {
                "stage2": {**hist2, "loss": hist2["loss"][i], "batch": n},
                "stage3": {**hist3, "loss": hist3["loss"][i], "batch": n},
                "fit_s": fit_s, "batch": n,
            }
            models.append(m)
        return models

    # -- prediction -----------------------------------------------------------------------
    def _heads(self, features) -> tuple[jax.Array, jax.Array, jax.Array | None]:
        self._check_fitted()
        f = check_features(features, self.feature_dim_)
        out = _apply_jit(self.graphdef_, self.net_state_,
                         jnp.asarray(self.scaler_(f), jnp.float32))
        return jax.nn.sigmoid(out.logits), out.shift, out.log_scale

    def predict_interventions(self, features) -> InterventionPrediction:
        """``π(γ)``, ``h(γ)`` (and ``τ(γ)``) for ``features (m, p)``, each ``(m, d)``."""
        probs, shift, log_scale = self._heads(features)
        return InterventionPrediction(np.asarray(probs), np.asarray(shift),
                                      None if log_scale is None else np.asarray(log_scale))

    def _map(self, features):
        probs, shift, log_scale = self._heads(features)
        t = (probs > 0.5).astype(shift.dtype)
        return t * shift, None if log_scale is None else t * log_scale

    def predict_distribution(self, features) -> GaussianPrediction:
        """The MAP interventional Gaussian ``N(A(b + t̂⊙ψ̂), A diag(σ²) Aᵀ)`` per row."""
        shift, log_scale = self._map(features)
        mean, cov = self.causal_params_.mean_cov(shift, log_scale)
        return GaussianPrediction(np.asarray(mean), np.asarray(cov))

    def sample(self, features, n: int, *, key: jax.Array) -> np.ndarray:
        """``n`` cells per feature row, ``(m, n, d)``: MAP, or with ``prediction="mixture"``
        a fresh ``t ~ Bernoulli(π)`` per cell."""
        _check_key(key)
        n = check_int(n, "n", minimum=1)
        if self.config.prediction == "map":
            shift, log_scale = self._map(features)
            return np.asarray(self.causal_params_.sample(n, shift, log_scale, key=key))
        probs, shift, log_scale = self._heads(features)
        kt, kx = jax.random.split(key)
        t = jax.random.bernoulli(kt, probs[:, None, :], (probs.shape[0], n, probs.shape[1]))
        t = t.astype(shift.dtype)
        ls = None if log_scale is None else t * log_scale[:, None]
        x = self.causal_params_.sample(1, t * shift[:, None], ls, key=kx)
        return np.asarray(x[:, :, 0])

    def target_scores(self, features, *, evidence=None) -> np.ndarray:
        """Target scores ``π(γ)``, ``(m, d)``; GIM predicts from features alone, so
        ``evidence`` is ignored with a warning."""
        if evidence is not None:
            warnings.warn("GIM ignores `evidence`: its target scores depend on the features only",
                          UserWarning, stacklevel=2)
        return np.asarray(self._heads(features)[0])

    def score(self, data: PerturbationData) -> float:
        """Mean held-out log-likelihood per cell (higher is better) of the control and every
        context of ``data`` under the MAP predictions."""
        if not isinstance(data, PerturbationData):
            raise TypeError(f"`data` must be a PerturbationData, got {type(data).__name__}")
        self._check_fitted()
        if data.d != self.d_:
            raise ValueError(f"`data` must have d = {self.d_} variables, got {data.d}")
        shift, log_scale = self._map(data.features)
        zeros = jnp.zeros((1, self.d_), shift.dtype)
        shift = jnp.concatenate([zeros, shift])
        if log_scale is not None:
            log_scale = jnp.concatenate([zeros, log_scale])
        cells = [data.control, *data.xs]
        total = sum(
            float(self.causal_params_.log_prob(jnp.asarray(x, jnp.float32), shift[k],
                                               None if log_scale is None else log_scale[k]).sum())
            for k, x in enumerate(cells))
        return total / sum(len(x) for x in cells)

    # -- fitted attributes ----------------------------------------------------------------
    @property
    def graph_(self) -> nx.DiGraph:
        """The learned graph: edges with ``|B_ij| > edge_threshold``, attribute ``weight``."""
        self._check_fitted()
        w = np.asarray(self.causal_params_.graph_weights)
        g = nx.DiGraph()
        g.add_nodes_from(range(self.d_))
        for i, j in zip(*np.nonzero(np.abs(w) > self.config.edge_threshold), strict=True):
            g.add_edge(int(i), int(j), weight=float(w[i, j]))
        return g

    # -- persistence ----------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Write an ``.npz`` with the parameters and the JSON config."""
        self._check_fitted()
        arrays = {f"net/{k}": v for k, v in _flat_state(self.net_state_).items()}
        arrays.update({f"scm/{k}": v for k, v in self.causal_params_.to_numpy().items()})
        arrays["scaler/mean"], arrays["scaler/std"] = self.scaler_.mean, self.scaler_.std
        meta = {"config": self.config.to_dict(), "d": self.d_, "p": self.feature_dim_,
                "format": "mpiis-gim/1"}
        with open(Path(path), "wb") as fh:
            np.savez(fh, __meta__=np.array(json.dumps(meta)), **arrays)

    @classmethod
    def load(cls, path: str | Path) -> GIM:
        """Load a model written by :meth:`save`; it predicts identically."""
        with np.load(Path(path), allow_pickle=False) as z:
            meta = json.loads(str(z["__meta__"]))
            arrays = {k: z[k] for k in z.files if k != "__meta__"}
        cfg = meta["config"]
        cfg["hidden"] = tuple(cfg["hidden"])
        model = cls(GIMConfig(**cfg))
        net = model._make_network(meta["p"], meta["d"], jax.random.key(0))
        model.graphdef_, state = nnx.split(net)
        flat = {k[4:]: v for k, v in arrays.items() if k.startswith("net/")}
        model.net_state_ = _unflat_state(state, flat)
        kind = LinearSDE if model.config.causal_model == "linear-sde" else LinearSCM
        model.causal_params_ = kind(jnp.asarray(arrays["scm/weights"]),
                                    jnp.asarray(arrays["scm/bias"]),
                                    jnp.asarray(arrays["scm/log_std"]))
        model.scaler_ = FeatureScaler(arrays["scaler/mean"], arrays["scaler/std"])
        model.d_, model.feature_dim_ = meta["d"], meta["p"]
        model.history_ = {}
        return model


def _check_key(key: Any) -> None:
    if not isinstance(key, jax.Array):
        raise TypeError(f"`key` must be a jax.random.key(seed), got {type(key).__name__}")


def _flat_state(state) -> dict[str, np.ndarray]:
    pure = nnx.to_pure_dict(state)
    out: dict[str, np.ndarray] = {}

    def walk(prefix, node):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(f"{prefix}{k}/", v)
        else:
            out[prefix[:-1]] = np.asarray(node)

    walk("", pure)
    return out


def _unflat_state(state, flat: dict[str, np.ndarray]):
    pure = nnx.to_pure_dict(state)

    def fill(prefix, node):
        if isinstance(node, dict):
            return {k: fill(f"{prefix}{k}/", v) for k, v in node.items()}
        return jnp.asarray(flat[prefix[:-1]])

    pure = fill("", pure)
    nnx.replace_by_pure_dict(state, pure)
    return state


def _save_params(params, path: Path) -> None:
    arrays = {f"net/{k}": v for k, v in _flat_state(jax.device_get(params["net"])).items()}
    arrays.update({f"scm/{k}": v for k, v in jax.device_get(params["scm"]).to_numpy().items()})
    tmp = path.with_suffix(".tmp.npz")
    with open(tmp, "wb") as fh:
        np.savez(fh, **arrays)
    tmp.replace(path)
