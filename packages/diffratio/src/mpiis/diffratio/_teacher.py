"""The EDM teacher: its training loop and the deterministic Heun sampler (brief, "Teacher
(EDM)"; Karras et al. 2022, Algorithm 1 and the preconditioned loss, eq. 2 with λ(σ))."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import nn

from mpiis.shared.progress import progress as _progress
from mpiis.shared.validation import check_choice, check_fraction, check_int, check_positive

from ._batches import BatchSource
from ._checks import check_labels
from ._schedule import EDMSchedule

__all__ = ["TeacherConfig", "edm_loss", "heun_sample", "train_teacher"]


@dataclass(frozen=True, kw_only=True)
class TeacherConfig:
    """How to train an EDM teacher.

    Attributes:
        steps: optimiser steps.
        batch_size: examples per step.
        lr: Adam learning rate (peak).
        ema_decay: EMA decay of the returned copy.
        warmup_steps: linear lr warm-up steps.
        lr_schedule: ``"cosine"`` decay after warm-up, or ``"constant"``.
        sigma_law: ``"lognormal"`` (EDM: ln σ ~ N(−1.2, 1.2²)) or ``"fixed"`` (one level only,
            the narrow-σ teacher of the ablation).
        fixed_sigma: σ of the ``"fixed"`` law (σ_init of the generator).
    """

    steps: int  # optimiser steps
    batch_size: int  # examples per step
    lr: float  # peak Adam learning rate
    ema_decay: float = 0.999  # EMA of the returned copy
    warmup_steps: int = 200  # linear warm-up
    lr_schedule: Literal["cosine", "constant"] = "cosine"  # after warm-up
    sigma_law: Literal["lognormal", "fixed"] = "lognormal"  # EDM law or single level
    fixed_sigma: float = 2.5  # the generator's σ_init

    def __post_init__(self) -> None:
        check_int(self.steps, "steps", minimum=1)
        check_int(self.batch_size, "batch_size", minimum=1)
        check_positive(self.lr, "lr")
        check_fraction(self.ema_decay, "ema_decay", high_open=True)
        check_int(self.warmup_steps, "warmup_steps", minimum=0)
        check_choice(self.lr_schedule, "lr_schedule", ("cosine", "constant"))
        check_choice(self.sigma_law, "sigma_law", ("lognormal", "fixed"))
        check_positive(self.fixed_sigma, "fixed_sigma")

    @classmethod
    def toy2d(cls, **kw: Any) -> TeacherConfig:
        """2-D ring (quick preset): 3,000 steps, batch 256, lr 2e-3, EMA 0.995."""
        return cls(**{"steps": 3000, "batch_size": 256, "lr": 2e-3, "ema_decay": 0.995, **kw})

    @classmethod
    def digits(cls, **kw: Any) -> TeacherConfig:
        """8×8 digits (quick preset): 4,000 steps, batch 128, lr 1e-3, EMA 0.995."""
        return cls(**{"steps": 4000, "batch_size": 128, "lr": 1e-3, "ema_decay": 0.995, **kw})

    @classmethod
    def tiny(cls, **kw: Any) -> TeacherConfig:
        """For tests: 30 steps, batch 64."""
        return cls(**{"steps": 30, "batch_size": 64, "lr": 2e-3, "ema_decay": 0.9,
                      "warmup_steps": 5, **kw})


def lr_factor(step: int, total: int, warmup: int, schedule: str) -> float:
    """Linear warm-up then cosine decay (or constant) multiplier of the peak lr."""
    if warmup and step < warmup:
        return (step + 1) / warmup
    if schedule == "constant":
        return 1.0
    t = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, t)))


def edm_loss(denoiser: nn.Module, x: torch.Tensor, sigma: torch.Tensor,
             labels: torch.Tensor | None = None, *, sigma_data: float,
             generator: torch.Generator | None = None) -> torch.Tensor:
    """Per-example EDM loss λ(σ)·mean‖D(x + σn, σ) − x‖²: ``(B,)``."""
    n = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
    s = sigma.reshape(-1, *([1] * (x.ndim - 1)))
    d = denoiser(x + s * n, sigma, labels)
    lam = (sigma**2 + sigma_data**2) / (sigma * sigma_data) ** 2
    return lam * ((d - x) ** 2).reshape(x.shape[0], -1).mean(1)


def _ema_update(ema: nn.Module, model: nn.Module, decay: float) -> None:
    with torch.no_grad():
        for pe, p in zip(ema.parameters(), model.parameters(), strict=True):
            pe.lerp_(p, 1.0 - decay)


def train_teacher(
    denoiser: nn.Module,
    data: Any,
    config: TeacherConfig,
    *,
    generator: torch.Generator | None = None,
    callback: Callable[[int, nn.Module, float], Any] | None = None,
    progress: bool | None = None,
) -> nn.Module:
    """Train an EDM denoiser by the preconditioned loss and return its EMA copy.

    Args:
        denoiser: an :class:`EDMPrecond` (or any denoiser with ``sigma_data``), trained in place.
        data: ``(N, ...)`` tensor/array, ``(x, labels)`` or an iterable of batches.
        config: the :class:`TeacherConfig`.
        generator: all random draws (batches, σ, noise).
        callback: ``callback(step, ema, loss)`` after each step.
        progress: show a progress bar (``None``: only on a terminal).

    Returns:
        The EMA copy (frozen: ``requires_grad`` off), in eval mode.

    Raises:
        RuntimeError: when the loss becomes non-finite.
    """
    if not isinstance(config, TeacherConfig):
        raise TypeError(f"`config` must be a TeacherConfig, got {type(config).__name__}")
    if not isinstance(denoiser, nn.Module):
        raise TypeError(f"`denoiser` must be an nn.Module, got {type(denoiser).__name__}")
    device = next(denoiser.parameters()).device
    shape = getattr(denoiser, "data_shape", None)
    source = BatchSource(data, config.batch_size, shape=shape, device=device)
    if shape is None and source.x is not None and hasattr(denoiser, "data_shape"):
        denoiser.data_shape = tuple(source.x.shape[1:])
    sched = EDMSchedule(sigma_data=float(getattr(denoiser, "sigma_data", 0.5)))
    ema = copy.deepcopy(denoiser).requires_grad_(False)
    opt = torch.optim.Adam(denoiser.parameters(), lr=config.lr)
    denoiser.train()
    bar = _progress(range(config.steps), total=config.steps, desc="teacher",
                    disable=None if progress is None else not progress)
    for step in bar:
        for group in opt.param_groups:
            group["lr"] = config.lr * lr_factor(step, config.steps, config.warmup_steps,
                                                config.lr_schedule)
        x, labels = source.next(generator=generator)
        labels = check_labels(labels, x.shape[0], getattr(denoiser, "num_classes", 0),
                              device=device) if labels is not None else None
        if config.sigma_law == "fixed":
            sigma = torch.full((x.shape[0],), config.fixed_sigma, device=device)
        else:
            sigma = sched.train_sigmas(x.shape[0], generator=generator, device=device)
        loss = edm_loss(denoiser, x, sigma, labels, sigma_data=sched.sigma_data,
                        generator=generator).mean()
        if not torch.isfinite(loss):
            raise RuntimeError(f"teacher training diverged at step {step}: loss {float(loss)}")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        _ema_update(ema, denoiser, config.ema_decay)
        if callback is not None:
            callback(step, ema, float(loss.detach()))
    return ema.eval()


def _device_of(denoiser: Any) -> torch.device:
    if isinstance(denoiser, nn.Module):
        for p in denoiser.parameters():
            return p.device
    return torch.device("cpu")


@torch.no_grad()
def heun_sample(
    denoiser: Any,
    shape: tuple[int, ...],
    *,
    steps: int = 18,
    schedule: EDMSchedule | None = None,
    labels: torch.Tensor | None = None,
    noise: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Deterministic Heun sampler on the Karras grid (Karras et al. 2022, Algorithm 1).

    ``steps`` levels plus a final step to σ = 0, which is an Euler step: 2·steps − 1 network
    evaluations (35 for the default 18). Runs in float32.

    Args:
        denoiser: any ``denoiser(x, sigma, labels)``.
        shape: ``(n, ...)`` of the output.
        steps: number of Karras levels.
        schedule: σ_min, σ_max, ρ (default :class:`EDMSchedule`).
        labels: ``(n,)`` labels for a conditional denoiser.
        noise: pre-drawn standard normal ``shape`` (x_T = σ_max·noise); drawn when ``None``.
        generator: draws ``noise``.

    Returns:
        ``shape`` samples.
    """
    steps = check_int(steps, "steps", minimum=1)
    schedule = schedule or EDMSchedule()
    device = _device_of(denoiser)
    if noise is None:
        noise = torch.randn(tuple(shape), generator=generator, device=device)
    elif tuple(noise.shape) != tuple(shape):
        raise ValueError(f"`noise` must have shape {tuple(shape)}, got {tuple(noise.shape)}")
    noise = noise.to(device=device, dtype=torch.float32)
    sig = torch.cat([schedule.karras(steps, device=device), torch.zeros(1, device=device)])
    x = noise * sig[0]
    n = x.shape[0]
    for i in range(steps):
        s, s_next = sig[i], sig[i + 1]
        d = (x - denoiser(x, s.expand(n), labels)) / s
        x_next = x + (s_next - s) * d
        if s_next > 0:
            d2 = (x_next - denoiser(x_next, s_next.expand(n), labels)) / s_next
            x_next = x + (s_next - s) * 0.5 * (d + d2)
        x = x_next
    return x
