"""Shared pieces of the fits: feature standardisation, device placement (sharding over contexts)
and stages 1-2 of the brief, which GIM and the PerContextCausal baseline both run."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from mpiis.shared.validation import check_array

from ._data import PerturbationData
from ._init import median_regression_init
from ._scm import LinearSCM, StatsArrays, stats_arrays
from ._train import Hyper, TrainData, run_stage, stack

__all__ = ["FeatureScaler", "check_features", "fit_percontext", "fit_percontext_many",
           "make_train_step", "prepare"]


class FeatureScaler:
    """Standardise features with the training contexts' mean and std (std floor 1e-8 -> 1)."""

    def __init__(self, mean: np.ndarray, std: np.ndarray):
        self.mean = np.asarray(mean, np.float64)
        self.std = np.asarray(std, np.float64)

    @classmethod
    def fit(cls, features: np.ndarray) -> FeatureScaler:
        sd = features.std(0)
        return cls(features.mean(0), np.where(sd > 1e-8, sd, 1.0))

    def __call__(self, features: np.ndarray) -> np.ndarray:
        return (features - self.mean) / self.std


def check_features(features: Any, p: int, name: str = "features") -> np.ndarray:
    """Validate a ``(m, p)`` feature matrix (a single ``(p,)`` row is promoted)."""
    f = check_array(features, name, ndim=(1, 2))
    if f.ndim == 1:
        f = f[None]
    if f.shape[1] != p:
        raise ValueError(f"`{name}` must have p = {p} columns (the training feature dimension), "
                         f"got {f.shape[1]}")
    return f


def _mesh(devices: Sequence[Any] | None) -> Mesh | None:
    if devices is None:
        return None
    devices = list(devices)
    if len(devices) < 1:
        raise ValueError("`devices` must name at least one device, got none")
    return Mesh(np.array(devices), ("ctx",))


def prepare(data: PerturbationData, scaler: FeatureScaler,
            devices: Sequence[Any] | None = None) -> TrainData:
    """Device arrays for a fit; with several ``devices`` every context axis is padded to a
    multiple of the device count (padding rows have ``n = 0``, mask 0) and sharded over them."""
    stats = data.stats()
    st = stats_arrays(stats)
    gamma = np.zeros((data.n_contexts + 1, data.feature_dim))
    gamma[1:] = scaler(data.features)
    c0 = stats.cov[0] + 1e-6 * np.eye(data.d)
    _sign, logdet = np.linalg.slogdet(c0)
    td = TrainData(st, jnp.asarray(gamma, jnp.float32), jnp.asarray(stats.mean[0], jnp.float32),
                   jnp.asarray(np.linalg.inv(c0), jnp.float32), jnp.asarray(logdet, jnp.float32))
    mesh = _mesh(devices)
    if mesh is None or mesh.size == 1:
        return td
    rows = st.n.shape[0]
    pad = (-rows) % mesh.size

    def shard(x):
        x = jnp.concatenate([x, jnp.zeros((pad, *x.shape[1:]), x.dtype)]) if pad else x
        return jax.device_put(x, NamedSharding(mesh, PartitionSpec("ctx")))

    rep = NamedSharding(mesh, PartitionSpec())
    st = StatsArrays(shard(st.n), shard(st.mean), shard(st.cov), jax.device_put(st.pooled, rep),
                     shard(st.mask))
    return TrainData(st, shard(td.gamma), jax.device_put(td.ctrl_mean, rep),
                     jax.device_put(td.ctrl_prec, rep), jax.device_put(td.ctrl_logdet, rep))


def replicate(params: Any, devices: Sequence[Any] | None) -> Any:
    mesh = _mesh(devices)
    if mesh is None or mesh.size == 1:
        return params
    return jax.device_put(params, NamedSharding(mesh, PartitionSpec()))


def _stage2_params(data: PerturbationData, rows: int, lad_l1: float):
    """Stage 1 (median regression) and the stage-2 starting point ``δ_k = M x̄_k - b``."""
    w, b, s = median_regression_init(data.stats(), l1=lad_l1)
    m = np.eye(data.d) - w.T
    delta0 = np.zeros((rows, data.d), np.float32)
    delta0[1:data.n_contexts + 1] = data.stats().mean[1:] @ m.T - b
    return {"scm": LinearSCM.create(w, b, s), "delta": jnp.asarray(delta0)}, w


def _stage2_hyper(steps, learning_rate, final_learning_rate, graph_l1, delta_l1) -> Hyper:
    return Hyper(kind="percontext", steps=steps, learning_rate=learning_rate,
                 final_learning_rate=final_learning_rate, graph_l1=graph_l1, delta_l1=delta_l1)


def fit_percontext(data: PerturbationData, td: TrainData, *, steps: int, learning_rate: float,
                   final_learning_rate: float, graph_l1: float, delta_l1: float, lad_l1: float,
                   devices: Sequence[Any] | None = None,
                   callback=None) -> tuple[LinearSCM, np.ndarray, dict[str, Any]]:
    """Stages 1 and 2: median-regression init, then ``θ`` and free shifts ``δ_k`` by Adam.

    Returns:
        ``(scm, delta (K, d), history)``.
    """
    t0 = time.perf_counter()
    params, w = _stage2_params(data, td.stats.n.shape[0], lad_l1)
    t_init = time.perf_counter() - t0
    h = _stage2_hyper(steps, learning_rate, final_learning_rate, graph_l1, delta_l1)
    params, hist = run_stage(replicate(params, devices), td, h, desc="stage 2 (per-context)",
                             callback=callback, check=lambda p: p["scm"].check_stable())
    hist["init_s"] = t_init
    hist["init_weights"] = w
    delta = np.asarray(params["delta"])[1:data.n_contexts + 1]
    return params["scm"], delta, hist


def fit_percontext_many(datas: Sequence[PerturbationData], td: TrainData, *, steps: int,
                        learning_rate: float, final_learning_rate: float, graph_l1: float,
                        delta_l1: float, lad_l1: float, callback=None):
    """Stages 1 and 2 for several data sets of equal shapes, vmapped over a leading axis of
    ``td`` (one compiled step for all); returns the stacked SCMs and the history."""
    t0 = time.perf_counter()
    rows = td.stats.n.shape[1]
    params = stack([_stage2_params(d, rows, lad_l1)[0] for d in datas])
    t_init = time.perf_counter() - t0
    h = _stage2_hyper(steps, learning_rate, final_learning_rate, graph_l1, delta_l1)
    params, hist = run_stage(params, td, h, desc="stage 2 (per-context, batched)",
                             callback=callback, check=lambda p: p["scm"].check_stable(),
                             batch=len(datas))
    hist["init_s"] = t_init
    return params["scm"], hist


def make_train_step(kind: str, data: PerturbationData, *, config: Any,
                    key: jax.Array) -> Any:
    """A zero-argument callable running one full-batch Adam step of a stage (for timing, T1).

    Args:
        kind: ``"gim"`` (stage 3), ``"percontext"`` (stage 2) or ``"featuremlp"``.
        data: the training data whose shapes the step is compiled for.
        config: a :class:`~mpiis.gim.GIMConfig` (network widths and hyperparameters).
        key: initialises the network.

    Returns:
        ``step()`` returning the step's loss (a JAX scalar); every call starts from the same
        initial parameters, so repeated calls cost the same.
    """
    from flax import nnx

    from ._network import MLP, GIMNetwork
    from ._train import _chunk, init_carry

    if kind not in ("gim", "percontext", "featuremlp"):
        raise ValueError(f"`kind` must be 'gim', 'percontext' or 'featuremlp', got {kind!r}")
    scaler = FeatureScaler.fit(data.features)
    td = prepare(data, scaler)
    w = np.zeros((data.d, data.d))
    scm = LinearSCM.create(w, data.stats().mean[0], np.ones(data.d))
    common = dict(steps=config.steps, learning_rate=config.learning_rate,
                  final_learning_rate=config.final_learning_rate)
    if kind == "percontext":
        params = {"scm": scm, "delta": jnp.zeros((data.n_contexts + 1, data.d))}
        h = Hyper(kind=kind, graph_l1=config.graph_l1, delta_l1=config.delta_l1, **common)
    elif kind == "gim":
        net = GIMNetwork(data.feature_dim, data.d, hidden=config.hidden, rho=config.rho,
                         shift_scale=config.intervention == "shift-scale", rngs=nnx.Rngs(key))
        graphdef, state = nnx.split(net)
        params = {"scm": scm, "net": state}
        h = Hyper(kind=kind, graph_l1=config.graph_l1, rho=config.rho,
                  shift_prior_scale=config.shift_prior_scale, graph_lr_scale=config.graph_lr_scale,
                  freeze_steps=round(config.freeze_graph_frac * config.steps),
                  graphdef=graphdef, **common)
    else:
        net = MLP(data.feature_dim, 2 * data.d, hidden=config.hidden, rngs=nnx.Rngs(key))
        graphdef, state = nnx.split(net)
        params = {"net": state}
        h = Hyper(kind=kind, graphdef=graphdef, **common)
    carry = init_carry(params, h, h.steps, h.freeze_steps)
    static = dataclasses.replace(h, steps=0, freeze_steps=0)

    def step():
        return _chunk(carry, td, h=static, n_steps=1)[1][0]

    return step
