"""Full-batch training: the three losses of the brief and the chunked, jit-compiled Adam loop.

A training step is a pure function of ``(params, opt_state, step)`` and the data; it is
jit-compiled once per shape and iterated with ``jax.lax.scan`` in chunks of 100 steps. Between
chunks the host shows the progress bar, checks the loss and ``det M``, calls the callback and
writes the optional checkpoint (brief, "Fitting, three stages").
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from mpiis.shared.progress import progress

from ._scm import StatsArrays

__all__ = ["Hyper", "TrainData", "run_stage"]

CHUNK = 100


class TrainData(NamedTuple):
    """Device arrays a loss reads; row 0 of each context array is the control.

    gamma: (K+1, p) standardised features (row 0 zeros); ctrl_mean/ctrl_prec/ctrl_logdet: the
    control Gaussian that FeatureMLP perturbs.
    """

    stats: StatsArrays
    gamma: jax.Array
    ctrl_mean: jax.Array
    ctrl_prec: jax.Array
    ctrl_logdet: jax.Array


@dataclass(frozen=True)
class Hyper:
    """Hashable hyperparameters of one stage (static under jit, except ``steps`` and
    ``freeze_steps``, which travel as traced scalars so that one compilation serves any length).
    """

    kind: str  # "percontext" | "gim" | "featuremlp"
    steps: int
    learning_rate: float
    final_learning_rate: float
    graph_l1: float = 0.0
    delta_l1: float = 0.0
    rho: float = 0.1
    shift_prior_scale: float = 3.0
    freeze_steps: int = 0
    graph_lr_scale: float = 1.0
    graphdef: Any = None


def _loss(params, data: TrainData, h: Hyper):
    st = data.stats
    total = st.n.sum()
    mask = st.mask[:, None]
    if h.kind == "featuremlp":
        net = nnx.merge(h.graphdef, params["net"])
        out = net(data.gamma)
        d = out.shape[-1] // 2
        dmu, dls = out[:, :d], jnp.clip(out[:, d:], -5.0, 5.0)
        inv_s = jnp.exp(-dls)
        e = (st.mean - data.ctrl_mean - dmu) * inv_s
        quad = jnp.einsum("ka,ab,kb->k", e, data.ctrl_prec, e)
        tr = jnp.einsum("ab,kab,ka,kb->k", data.ctrl_prec, st.cov, inv_s, inv_s)
        ll = -0.5 * st.n * (d * np.log(2 * np.pi) + data.ctrl_logdet + 2 * dls.sum(-1) + tr + quad)
        return -(ll * st.mask).sum() / (st.n * st.mask).sum()
    scm = params["scm"]
    graph_pen = h.graph_l1 * jnp.abs(scm.graph_weights).sum()
    if h.kind == "percontext":
        delta = params["delta"] * mask
        ll = scm.expected_loglik(st, mask * jnp.ones_like(delta), delta)
        sd = jnp.exp(scm.log_std)
        pen = h.delta_l1 * (jnp.sqrt(st.n)[:, None] * jnp.abs(delta) / sd).sum()
        return -(ll - pen) / total + graph_pen
    net = nnx.merge(h.graphdef, params["net"])
    out = net(data.gamma)
    probs = jax.nn.sigmoid(out.logits)
    ll = scm.expected_loglik(st, probs, out.shift, out.log_scale)
    prior = (mask * probs).sum() * np.log(h.rho / (1.0 - h.rho))
    prior = prior - (mask * out.shift ** 2).sum() / (2.0 * h.shift_prior_scale ** 2)
    return -(ll + prior) / total + graph_pen


def _lr(i, total, h: Hyper):
    """Cosine decay from ``learning_rate`` to ``final_learning_rate`` over ``total`` steps
    (optax's ``cosine_decay_schedule``; ``total`` is traced so that stages of different
    lengths share one compilation)."""
    frac = jnp.minimum(i, total) / jnp.maximum(total, 1)
    cos = 0.5 * (1.0 + jnp.cos(jnp.pi * frac))
    return h.final_learning_rate + (h.learning_rate - h.final_learning_rate) * cos


def _graph_factor(i, freeze, h: Hyper):
    return jnp.where(i < freeze, 0.0, h.graph_lr_scale)


_ADAM = optax.scale_by_adam()


def _chunk_impl(carry, data: TrainData, h: Hyper, n_steps: int):
    def step(c, _):
        params, opt_state, i, total, freeze = c
        loss, grads = jax.value_and_grad(_loss)(params, data, h)
        updates, opt_state = _ADAM.update(grads, opt_state, params)
        lr = _lr(i, total, h)
        updates = jax.tree_util.tree_map(lambda u: -lr * u, updates)
        if h.kind == "gim":
            f = _graph_factor(i, freeze, h)
            scm_u = updates["scm"]
            updates = {**updates, "scm": type(scm_u)(scm_u.weights * f, scm_u.bias,
                                                     scm_u.log_std)}
        params = optax.apply_updates(params, updates)
        return (params, opt_state, i + 1, total, freeze), loss

    return jax.lax.scan(step, carry, None, length=n_steps)


@partial(jax.jit, static_argnames=("h", "n_steps"))
def _chunk(carry, data: TrainData, *, h: Hyper, n_steps: int):
    return _chunk_impl(carry, data, h, n_steps)


@partial(jax.jit, static_argnames=("h", "n_steps"))
def _chunk_many(carry, data: TrainData, *, h: Hyper, n_steps: int):
    """``_chunk`` vmapped over a leading axis of independent fits (seeds)."""
    return jax.vmap(lambda c, d: _chunk_impl(c, d, h, n_steps))(carry, data)


def init_carry(params, h: Hyper, steps: int, freeze_steps: int = 0, batch: int | None = None):
    if batch is None:
        return (params, _ADAM.init(params), jnp.asarray(0, jnp.int32),
                jnp.asarray(steps, jnp.int32), jnp.asarray(freeze_steps, jnp.int32))
    full = partial(jnp.full, (batch,), dtype=jnp.int32)
    return (params, jax.vmap(_ADAM.init)(params), full(0), full(steps), full(freeze_steps))


def stack(trees: Sequence[Any]) -> Any:
    """Stack pytrees of equal structure along a new leading axis."""
    return jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *trees)


def unstack(tree: Any, n: int) -> list[Any]:
    return [jax.tree_util.tree_map(lambda x, i=i: x[i], tree) for i in range(n)]


def run_stage(
    params: Any,
    data: TrainData,
    h: Hyper,
    *,
    desc: str,
    callback: Callable[[dict[str, Any]], Any] | None = None,
    check: Callable[[Any], str | None] | None = None,
    checkpoint: Path | None = None,
    save: Callable[[Any, Path], None] | None = None,
    batch: int | None = None,
) -> tuple[Any, dict[str, Any]]:
    """Run one stage in chunks; returns the final params and its history.

    With ``batch=B`` the params and data carry a leading axis of B independent fits (seeds)
    that run vmapped in one compiled step; losses and checks are per fit.

    Raises:
        FloatingPointError: a non-finite loss (naming the chunk and the last checkpoint) or a
            failed ``check`` (naming the step; the chunk is rolled back first).
    """
    carry = init_carry(params, h, h.steps, h.freeze_steps, batch)
    static = replace(h, steps=0, freeze_steps=0)
    run = _chunk if batch is None else _chunk_many
    losses: list[Any] = []
    first = rest = 0.0
    last_ckpt = None
    n_chunks = -(-h.steps // CHUNK)
    bar = progress(range(n_chunks), desc=desc)
    for c in bar:
        n = min(CHUNK, h.steps - c * CHUNK)
        t0 = time.perf_counter()
        new_carry, chunk_losses = run(carry, data, h=static, n_steps=n)
        chunk_losses = np.asarray(chunk_losses)
        dt = time.perf_counter() - t0
        if c == 0:
            first = dt
        else:
            rest += dt
        step = c * CHUNK + n
        if not np.isfinite(chunk_losses).all():
            where = "no checkpoint was written" if last_ckpt is None else f"last: {last_ckpt}"
            raise FloatingPointError(
                f"{desc}: the loss became non-finite in chunk {c} (steps {c * CHUNK}..{step}); "
                f"fitting stopped ({where})"
            )
        if check is not None:
            fits = [new_carry[0]] if batch is None else unstack(new_carry[0], batch)
            msgs = [(i, check(f)) for i, f in enumerate(fits)]
            msg = next((f"(fit {i}) {m}" if batch else m for i, m in msgs if m), None)
            if msg is not None:
                raise FloatingPointError(
                    f"{desc}: at step {step} {msg}; the chunk was rolled back and fitting stopped"
                )
        carry = new_carry
        losses.append(chunk_losses)
        last = chunk_losses[..., -1]
        if hasattr(bar, "set_postfix"):
            bar.set_postfix(loss=f"{float(np.mean(last)):.4f}")
        if callback is not None:
            callback({"stage": desc, "step": step,
                      "loss": float(last) if batch is None else last.tolist(),
                      "params": carry[0]})
        if checkpoint is not None and save is not None:
            save(carry[0], checkpoint)
            last_ckpt = checkpoint
    loss = np.concatenate(losses, axis=-1)
    return carry[0], {"loss": loss.tolist(), "first_chunk_s": first, "rest_s": rest}
