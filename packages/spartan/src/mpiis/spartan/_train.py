"""Training: dense model, SPARTAN under the Lagrangian constraint, few-shot token adaptation and
full fine-tuning (brief, Method 5, 7 and 8)."""

from __future__ import annotations

import logging
import math
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from mpiis.shared.progress import progress
from mpiis.shared.torch import (
    DistInfo,
    all_reduce_mean,
    load_checkpoint,
    save_checkpoint,
    wrap_ddp,
)

from ._config import TrainConfig
from ._constraint import GECOLagrangian
from ._data import ContactSampler, Standardizer
from ._env import TransitionData
from ._graph import path_matrix, sparsity_penalty
from ._model import _WorldModel

__all__ = ["FitResult", "adapt_intervention_token", "finetune", "fit", "gate_logit_penalty",
           "prediction_mse"]

log = logging.getLogger(__name__)

_SAT = 1.0 / (1.0 + math.exp(8.0))  # sigmoid(-8): |g| > 8 means p < _SAT or p > 1 - _SAT


@dataclass(frozen=True, eq=False)
class FitResult:
    """What :func:`fit` returns.

    Attributes:
        history: lists keyed by ``step, mse, sparsity, active_fraction, lam, saturated`` (every
            ``log_every`` steps) and ``eval_step, val_mse`` (every ``eval_every``); ``warnings``;
            ``restored_step`` (with ``TrainConfig.restore_best``: the evaluation whose weights
            were restored).
        tau: the constraint level (``None`` without a GECO constraint).
        final_lambda: lambda at the end (``None`` without a GECO constraint).
    """

    history: dict[str, list[Any]] = field(default_factory=dict)
    tau: float | None = None
    final_lambda: float | None = None


def _tensors(model: _WorldModel, data: TransitionData) -> tuple[torch.Tensor, ...]:
    if not isinstance(data, TransitionData):
        raise TypeError(f"data must be a TransitionData, got {type(data).__name__}")
    dev, dt = model.device, model.head.weight.dtype
    x = torch.as_tensor(data.states, dtype=dt, device=dev)
    mu, sd = model.delta_mu.to(dt), model.delta_sigma.to(dt)
    y = (torch.as_tensor(data.next_states - data.states, dtype=dt, device=dev) - mu) / sd
    r = torch.as_tensor(data.regime, dtype=torch.long, device=dev)
    a = None if data.actions is None else torch.as_tensor(data.actions, dtype=dt, device=dev)
    return x, y, r, a


def _regime_arg(model: _WorldModel, r: torch.Tensor) -> torch.Tensor | None:
    return r if model.config.n_regimes else None


@torch.no_grad()
def prediction_mse(
    model: _WorldModel, data: TransitionData, *, contact_fraction: float | None = None,
    objects: list[int] | None = None, batch_size: int = 8192,
) -> float:
    """Mean squared error in standardised residual units (evaluation-mode gates).

    Args:
        model: a world model (its stored residual standardiser defines the units).
        data: transitions.
        contact_fraction: weight contact transitions by this share (as the training sampler
            draws them); ``None``: the plain mean over all transitions.
        objects: restrict to these object rows (e.g. the real balls).
        batch_size: evaluation chunk size.
    """
    was = model.training
    model.eval()
    try:
        x, y, r, a = _tensors(model, data)
        errs = []
        for s in range(0, len(x), batch_size):
            sl = slice(s, s + batch_size)
            out = model(x[sl], actions=None if a is None else a[sl],
                        regime=_regime_arg(model, r[sl]), sample=False).delta
            e = (out - y[sl]) ** 2
            if objects is not None:
                e = e[:, objects]
            errs.append(e.mean(dim=(1, 2)))
        per = torch.cat(errs).double().cpu().numpy()
    finally:
        model.train(was)
    if contact_fraction is None:
        return float(per.mean())
    c = np.asarray(data.contact, dtype=bool)
    if not c.any() or c.all():
        return float(per.mean())
    return float(contact_fraction * per[c].mean() + (1 - contact_fraction) * per[~c].mean())


def _off_diag_mean(t: torch.Tensor) -> torch.Tensor:
    T = t.shape[-1]
    if T < 2:
        return torch.zeros((), device=t.device)
    off = 1 - torch.eye(T, device=t.device, dtype=t.dtype)
    return (t * off).sum() / (off.sum() * t[..., 0, 0].numel())


def gate_logit_penalty(gate_logits: torch.Tensor) -> torch.Tensor:
    """``mean(e^g + e^-g)`` over the off-diagonal gates of ``(L, B, T, T)`` logits (brief,
    Method 5: an optional regulariser that keeps gates away from saturation; not SPARTAN).
    Logits are clamped to [-40, 40] so that float32 ``exp`` stays finite."""
    g = gate_logits.clamp(-40.0, 40.0)
    return _off_diag_mean(torch.exp(g) + torch.exp(-g))


def _cooldown_start(config: TrainConfig) -> int:
    """The first step of the learning-rate cool-down (``config.steps`` without one)."""
    if config.lr_decay_frac <= 0:
        return config.steps
    return config.steps - max(round(config.lr_decay_frac * config.steps), 1)


def _lr_schedule(opt: torch.optim.Optimizer, config: TrainConfig):
    """Constant learning rate, then a half-cosine to 0 over the last ``lr_decay_frac`` of the
    steps; ``None`` when ``lr_decay_frac == 0``."""
    if config.lr_decay_frac <= 0:
        return None
    n, s0 = config.steps, _cooldown_start(config)

    def factor(step: int) -> float:
        if step < s0:
            return 1.0
        return 0.5 * (1.0 + math.cos(math.pi * min((step - s0) / (n - s0), 1.0)))

    return torch.optim.lr_scheduler.LambdaLR(opt, factor)


@torch.no_grad()
def _eval_batch_mse(model: _WorldModel, x, y, r, a, idx, dist) -> float:
    """MSE of the batch ``idx`` through evaluation-mode gates (``A = 1[g > 0]``), averaged over
    ranks: the constraint value when ``TrainConfig.constraint_gates == "eval"``."""
    out = model(x[idx], actions=None if a is None else a[idx], regime=_regime_arg(model, r[idx]),
                sample=False)
    e = ((out.delta - y[idx]) ** 2).mean()
    if dist is not None:
        e = all_reduce_mean(e.clone(), dist)
    return float(e)


def fit(
    model: _WorldModel,
    train: TransitionData,
    *,
    val: TransitionData | None = None,
    config: TrainConfig,
    constraint: GECOLagrangian | float | None = None,
    generator: torch.Generator,
    callback: Callable[[int, dict[str, float]], None] | None = None,
    checkpoint: str | os.PathLike | None = None,
    show_progress: bool | None = None,
    dist: DistInfo | None = None,
) -> FitResult:
    """Train a world model on single transitions (teacher forcing; brief, Method 5-7).

    The dense model trains on the MSE. :class:`Spartan` trains on
    ``(MSE - tau) + L_sparse / lambda`` under a :class:`GECOLagrangian` (the first
    ``warmup_frac`` of the steps use weight 0 and leave lambda unchanged), on
    ``MSE + w L_sparse`` for a fixed float ``w``, or on the MSE alone with ``constraint=None``
    (the gated, unregularised ablation). ``L_sparse`` comes from the gate probabilities
    (``penalty="expected"``) or from the straight-through samples (``"sampled"``).

    Args:
        model: :class:`Spartan` or :class:`DenseTransformerWM`, on the device to train on.
        train: training transitions; the residual standardiser is fit on them.
        val: validation transitions (MSE logged every ``eval_every`` steps).
        config: :class:`TrainConfig`.
        constraint: a :class:`GECOLagrangian`, a fixed penalty weight, or ``None``.
        generator: torch generator on the model's device (gate noise and the sampler's seed).
        callback: ``callback(step, metrics)`` every ``log_every`` steps.
        checkpoint: a file; written every ``eval_every`` steps and at the end, and resumed
            from when it exists.
        show_progress: progress bar (``None``: only on a terminal).
        dist: from ``mpiis.shared.torch.init_distributed()`` under ``torchrun``: the model is
            wrapped in DistributedDataParallel, every rank draws the same global batch of
            indices (the contact sampler is seeded from ``generator``, which must be seeded
            alike on every rank) and trains on its share ``idx[rank::world_size]``; the GECO
            update uses the MSE averaged over ranks; rank 0 writes the checkpoint.

    Returns:
        :class:`FitResult`.

    Raises:
        FloatingPointError: a non-finite loss (naming the step); the last checkpoint stays.
    """
    if not isinstance(config, TrainConfig):
        raise TypeError(f"`config` must be a TrainConfig, got {type(config).__name__}")
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"`generator` must be a torch.Generator, got {type(generator).__name__}")
    if constraint is not None and not isinstance(constraint, GECOLagrangian):
        if isinstance(constraint, bool) or not isinstance(constraint, int | float):
            raise TypeError("`constraint` must be a GECOLagrangian, a float or None, got "
                            f"{type(constraint).__name__}")
        if not (math.isfinite(constraint) and constraint >= 0):
            raise ValueError(f"`constraint` as a fixed weight must be >= 0, got {constraint}")
    for name, d in (("train", train), ("val", val)):
        if not (isinstance(d, TransitionData) or (name == "val" and d is None)):
            raise TypeError(f"`{name}` must be a TransitionData, got {type(d).__name__}")
    dense = model.config.dense
    model.set_standardizer(Standardizer.fit(train))
    x, y, r, a = _tensors(model, train)
    seed = int(torch.randint(0, 2**62, (1,), generator=generator, device=generator.device))
    sampler = ContactSampler(train.contact, config.batch_size,
                             contact_fraction=config.contact_fraction,
                             rng=np.random.default_rng(seed))
    dist = dist if dist is not None and dist.enabled else None
    if dist is not None and config.batch_size % dist.world_size:
        raise ValueError(f"`config.batch_size` (={config.batch_size}) must be divisible by the "
                         f"world size (={dist.world_size})")
    net = model if dist is None else wrap_ddp(model, dist, find_unused_parameters=dense)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    sched = _lr_schedule(opt, config)
    geco = constraint if isinstance(constraint, GECOLagrangian) else None
    fixed_w = None if geco is not None or constraint is None else float(constraint)
    warm = int(config.warmup_frac * config.steps)
    hist: dict[str, list[Any]] = {k: [] for k in (
        "step", "mse", "sparsity", "active_fraction", "lam", "weight", "saturated",
        "eval_step", "val_mse", "warnings", "prune_start")}
    start, low_run = 0, 0
    c_mse: float | None = None
    # restore_best: candidates are the evaluations after `select_from` (the cool-down's start,
    # or the end of the warm-up without a cool-down)
    cool_from = _cooldown_start(config)
    select_from = cool_from if config.lr_decay_frac > 0 else warm
    best: dict[str, Any] = {"val": math.inf, "step": None, "state": None, "weight": None}
    # penalty on: after the warm-up, and (prune_when_feasible) once the constraint was first met
    started = geco is None or not config.prune_when_feasible
    waited = 0
    ckpt = Path(checkpoint) if checkpoint is not None else None
    if ckpt is not None and ckpt.exists():
        info = load_checkpoint(ckpt, model=model, optimizer=opt, scheduler=sched,
                               generator=generator)
        extra = info["extra"]
        started = bool(extra.get("started", started))
        waited = int(extra.get("waited", 0))
        c_mse = extra.get("c_mse")
        sampler.load_state_dict(extra["sampler"])
        if geco is not None and extra.get("geco") is not None:
            geco.load_state_dict(extra["geco"])
        hist, start, low_run = extra["history"], info["step"], int(extra["low_run"])
        best = extra.get("best", best)

    def save(step: int) -> None:
        if ckpt is None or (dist is not None and not dist.is_main):
            return
        save_checkpoint(ckpt, model=model, optimizer=opt, scheduler=sched, step=step,
                        generator=generator,
                        extra={"sampler": sampler.state_dict(), "history": hist,
                               "geco": None if geco is None else geco.state_dict(),
                               "low_run": low_run, "started": started, "c_mse": c_mse,
                               "waited": waited, "best": best})

    model.train()
    bar = progress(range(start, config.steps), total=config.steps - start,
                   desc="dense" if dense else "spartan", disable=None if show_progress is None
                   else not show_progress)
    for step in bar:
        idx = torch.as_tensor(sampler.sample(), device=x.device)
        if dist is not None:
            idx = idx[dist.rank :: dist.world_size]
        out = net(x[idx], actions=None if a is None else a[idx],
                    regime=_regime_arg(model, r[idx]), sample=True, generator=generator)
        mse = ((out.delta - y[idx]) ** 2).mean()
        if (geco is not None and step >= warm and config.constraint_gates == "eval"
                and (c_mse is None or (step - warm) % config.constraint_every == 0)):
            c_mse = _eval_batch_mse(model, x, y, r, a, idx, dist)
        sp = torch.zeros((), device=x.device)
        w = 0.0
        if not dense:
            P = (path_matrix(out.gate_probs) if model.config.penalty == "expected"
                 else out.path_matrix)
            sp = sparsity_penalty(P).mean()
            if step >= warm and started:
                w = geco.weight if geco is not None else (fixed_w or 0.0)
        loss = (mse - geco.tau if geco is not None else mse) + w * sp
        if not dense and config.gate_logit_weight > 0:
            loss = loss + config.gate_logit_weight * gate_logit_penalty(out.gate_logits)
        if not torch.isfinite(loss):
            raise FloatingPointError(
                f"training diverged: non-finite loss at step {step} (mse={float(mse.detach())}); "
                f"the last checkpoint (if any) is kept")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        opt.step()
        if sched is not None:
            sched.step()
        mse_d = mse.detach()
        if dist is not None:
            mse_d = all_reduce_mean(mse_d.clone(), dist)
        mse_v = float(mse_d)
        if geco is not None and step >= warm:
            v = mse_v if config.constraint_gates == "sampled" else c_mse
            if started and step >= cool_from and not config.dual_in_cooldown:
                pass  # lambda held through the cool-down
            elif started:
                geco.update(v)
            else:
                # constraint first met by the moving average (after at least one averaging
                # window, so that one lucky batch does not decide): pruning starts next step
                waited += 1
                if geco.observe(v) <= 0.0 and waited >= round(1.0 / (1.0 - geco.momentum)):
                    started = True
                    hist.setdefault("prune_start", []).append(step + 1)
        active = None
        if not dense and step >= warm and started:
            active = float(_off_diag_mean(out.adjacencies.detach()))
            tau = geco.tau if geco is not None else math.inf
            low_run = low_run + 1 if (active < 0.005 and mse_v > tau) else 0
            if low_run == 500:
                msg = (f"empty-graph collapse: active-edge fraction < 0.5% with MSE > tau for "
                       f"500 steps (step {step})")
                warnings.warn(msg, RuntimeWarning, stacklevel=2)
                hist["warnings"].append(msg)
        if (step + 1) % config.log_every == 0 or step == config.steps - 1:
            if active is None:
                active = float(_off_diag_mean(out.adjacencies.detach()))
            p = out.gate_probs.detach()
            sat = float(_off_diag_mean(((p < _SAT) | (p > 1 - _SAT)).to(p.dtype)))
            m = {"mse": mse_v, "sparsity": float(sp.detach()), "active_fraction": active,
                 "lam": geco.lam if geco is not None else float("nan"), "weight": w,
                 "saturated": sat}
            hist["step"].append(step + 1)
            for k, v in m.items():
                hist[k].append(v)
            if hasattr(bar, "set_postfix"):
                bar.set_postfix(mse=f"{mse_v:.3f}", active=f"{active:.3f}")
            if callback is not None and (dist is None or dist.is_main):
                callback(step + 1, m)
        if (step + 1) % config.eval_every == 0 or step == config.steps - 1:
            if val is not None:
                hist["eval_step"].append(step + 1)
                v_mse = prediction_mse(model, val)
                hist["val_mse"].append(v_mse)
                if config.restore_best and step + 1 > select_from and v_mse < best["val"]:
                    best = {"val": v_mse, "step": step + 1, "weight": w,
                            "state": {k: t.detach().clone()
                                      for k, t in model.state_dict().items()}}
                model.train()
            save(step + 1)
    model.eval()
    final_w = geco.weight if geco is not None else (fixed_w or 0.0)
    if best["state"] is not None:
        model.load_state_dict(best["state"])
        hist["restored_step"] = best["step"]
        final_w = best["weight"] if best["weight"] else final_w
    with torch.no_grad():
        model.sparsity_weight.fill_(final_w)
    return FitResult(history=hist, tau=None if geco is None else geco.tau,
                     final_lambda=None if geco is None else geco.lam)


def _few_shot_tensors(model: _WorldModel, transitions: TransitionData):
    if len(transitions) < 1:
        raise ValueError("`transitions` must hold at least one transition")
    x, y, _, a = _tensors(model, transitions)
    return x, y, a


def adapt_intervention_token(
    model: _WorldModel,
    transitions: TransitionData,
    *,
    steps: int = 300,
    lr: float = 1e-2,
    penalty_weight: float | None = None,
    generator: torch.Generator,
) -> torch.Tensor:
    """Few-shot adaptation to a new regime (brief, Method 8): every weight frozen, one new
    token initialised at the mean of the trained tokens and fit with Adam on the full batch of
    the K given transitions; loss ``MSE + w L_sparse`` with sampled gates (SPARTAN) or the MSE
    (dense).

    Args:
        model: a trained model with ``n_regimes > 0``.
        transitions: the K transitions of the new regime.
        steps: Adam steps.
        lr: learning rate.
        penalty_weight: ``w``; ``None`` uses the model's ``1/lambda_final`` from :func:`fit`.
        generator: gate noise.

    Returns:
        The adapted ``(d,)`` token (pass it as ``token=``).
    """
    if model.regime_tokens is None:
        raise ValueError("`model` has no intervention tokens (n_regimes=0)")
    x, y, a = _few_shot_tensors(model, transitions)
    token = model.regime_tokens.detach().mean(0).clone().requires_grad_(True)
    w = float(model.sparsity_weight if penalty_weight is None else penalty_weight)
    opt = torch.optim.Adam([token], lr=lr)
    was = [p.requires_grad for p in model.parameters()]
    for p in model.parameters():
        p.requires_grad_(False)
    model.eval()
    try:
        for step in range(int(steps)):
            out = model(x, actions=a, token=token, sample=not model.config.dense,
                        generator=generator)
            loss = ((out.delta - y) ** 2).mean()
            if not model.config.dense and w > 0:
                P = (path_matrix(out.gate_probs) if model.config.penalty == "expected"
                     else out.path_matrix)
                loss = loss + w * sparsity_penalty(P).mean()
            if not torch.isfinite(loss):
                raise FloatingPointError(f"token adaptation diverged at step {step}")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    finally:
        for p, rq in zip(model.parameters(), was, strict=True):
            p.requires_grad_(rq)
    return token.detach()


def finetune(
    model: _WorldModel,
    transitions: TransitionData,
    *,
    steps: int = 300,
    lr: float = 1e-4,
    generator: torch.Generator,
) -> _WorldModel:
    """Full fine-tuning baseline (brief, Method 8): a copy of ``model`` with one extra regime
    token (id ``n_regimes``, initialised at the mean of the trained tokens; or no token when the
    model has none) and every weight trained with Adam on the MSE of the K transitions.

    Returns:
        The fine-tuned copy; call it with ``regime=model.config.n_regimes`` (the new id).
    """
    import dataclasses

    c = model.config
    new = type(model)(dataclasses.replace(c, n_regimes=c.n_regimes + 1 if c.n_regimes else 0))
    new = new.to(model.device)
    sd = dict(model.state_dict())
    if c.n_regimes:
        tok = sd["regime_tokens"]
        sd["regime_tokens"] = torch.cat([tok, tok.mean(0, keepdim=True)])
    new.load_state_dict(sd)
    x, y, a = _few_shot_tensors(new, transitions)
    rid = c.n_regimes if c.n_regimes else None
    opt = torch.optim.Adam(new.parameters(), lr=lr)
    new.train()
    for step in range(int(steps)):
        out = new(x, actions=a, regime=rid, sample=not c.dense, generator=generator)
        loss = ((out.delta - y) ** 2).mean()
        if not torch.isfinite(loss):
            raise FloatingPointError(f"fine-tuning diverged at step {step}")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    new.eval()
    return new



