"""The EDM teacher: its training loop and the deterministic Heun sampler (brief, "Teacher
(EDM)"; Karras et al. 2022, Algorithm 1 and the preconditioned loss, eq. 2 with λ(σ))."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import nn

from mpiis.shared.progress import progress as _progress
from mpiis.shared.torch import EMA, DistInfo
from mpiis.shared.validation import check_choice, check_fraction, check_int, check_positive

from ._batches import BatchSource
from ._checks import check_labels
from ._engine import AMP_CHOICES, Engine, adam, read_losses
from ._random import randn
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
        amp: mixed precision, ``"off"`` (default), ``"bf16"`` or ``"fp16"`` (with a gradient
            scaler); a GPU option.
        compile: ``torch.compile`` the denoiser for training (a GPU option).
        log_every: steps between host syncs (loss read-out and the non-finite check).
    """

    steps: int  # optimiser steps
    batch_size: int  # examples per step
    lr: float  # peak Adam learning rate
    ema_decay: float = 0.999  # EMA of the returned copy
    warmup_steps: int = 200  # linear warm-up
    lr_schedule: Literal["cosine", "constant"] = "cosine"  # after warm-up
    sigma_law: Literal["lognormal", "fixed"] = "lognormal"  # EDM law or single level
    fixed_sigma: float = 2.5  # the generator's σ_init
    amp: Literal["off", "bf16", "fp16"] = "off"  # autocast dtype
    compile: bool = False  # torch.compile the trained denoiser
    log_every: int = 100  # steps between host syncs

    def __post_init__(self) -> None:
        check_int(self.steps, "steps", minimum=1)
        check_int(self.batch_size, "batch_size", minimum=1)
        check_positive(self.lr, "lr")
        check_fraction(self.ema_decay, "ema_decay", high_open=True)
        check_int(self.warmup_steps, "warmup_steps", minimum=0)
        check_choice(self.lr_schedule, "lr_schedule", ("cosine", "constant"))
        check_choice(self.sigma_law, "sigma_law", ("lognormal", "fixed"))
        check_positive(self.fixed_sigma, "fixed_sigma")
        check_choice(self.amp, "amp", AMP_CHOICES)
        if not isinstance(self.compile, bool):
            raise TypeError(f"`compile` must be a bool, got {type(self.compile).__name__}")
        check_int(self.log_every, "log_every", minimum=1)

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


def edm_loss(denoiser: Any, x: torch.Tensor, sigma: torch.Tensor,
             labels: torch.Tensor | None = None, *, sigma_data: float,
             generator: torch.Generator | None = None,
             noise: torch.Tensor | None = None) -> torch.Tensor:
    """Per-example EDM loss λ(σ)·mean‖D(x + σn, σ) − x‖²: ``(B,)`` (Karras et al. 2022, eq. 2
    with λ(σ) = (σ² + σ_d²)/(σ σ_d)²). ``noise`` (x's shape) replaces the draw of n."""
    n = noise if noise is not None else randn(x.shape, generator=generator, device=x.device,
                                              dtype=x.dtype)
    s = sigma.reshape(-1, *([1] * (x.ndim - 1)))
    d = denoiser(x + s * n, sigma, labels).float()
    lam = (sigma**2 + sigma_data**2) / (sigma * sigma_data) ** 2
    return lam * ((d - x) ** 2).reshape(x.shape[0], -1).mean(1)


def train_teacher(
    denoiser: nn.Module,
    data: Any,
    config: TeacherConfig,
    *,
    generator: torch.Generator | None = None,
    callback: Callable[[int, nn.Module, torch.Tensor], Any] | None = None,
    progress: bool | None = None,
    dist: DistInfo | None = None,
) -> nn.Module:
    """Train an EDM denoiser by the preconditioned loss and return its EMA copy.

    The loop reads losses on the host only every ``config.log_every`` steps (and at the end);
    a non-finite loss then stops training with an error naming the first bad step.
    Data parallel: under ``torchrun`` pass ``dist=init_distributed()``; each process takes
    ``batch_size / world_size`` rows of the same global batch and DDP averages the gradients.

    Args:
        denoiser: an :class:`EDMPrecond` (or any denoiser with ``sigma_data``), trained in place.
        data: ``(N, ...)`` tensor/array, ``(x, labels)`` or an iterable of batches.
        config: the :class:`TeacherConfig`.
        generator: all random draws (batches, σ, noise).
        callback: ``callback(step, ema, loss)`` after each step (``loss`` is a 0-d tensor on
            the device: reading it is a host sync).
        progress: show a progress bar (``None``: only on a terminal).
        dist: the process group from ``mpiis.shared.torch.init_distributed()``, or None.

    Returns:
        The EMA copy (frozen: ``requires_grad`` off), in eval mode.

    Raises:
        RuntimeError: when the loss becomes non-finite.
    """
    if not isinstance(config, TeacherConfig):
        raise TypeError(f"`config` must be a TeacherConfig, got {type(config).__name__}")
    if not isinstance(denoiser, nn.Module):
        raise TypeError(f"`denoiser` must be an nn.Module, got {type(denoiser).__name__}")
    if dist is not None and dist.enabled:
        denoiser.to(dist.device)
    device = _device_of(denoiser)
    eng = Engine(device, amp=config.amp, compile=config.compile, dist=dist)
    eng.check_batch(config.batch_size)
    shape = getattr(denoiser, "data_shape", None)
    source = BatchSource(data, config.batch_size, shape=shape, device=device, rank=eng.rank,
                         world=eng.world)
    if shape is None and source.x is not None and hasattr(denoiser, "data_shape"):
        denoiser.data_shape = tuple(source.x.shape[1:])
    sched = EDMSchedule(sigma_data=float(getattr(denoiser, "sigma_data", 0.5)))
    ema = EMA(denoiser, decay=config.ema_decay)
    opt = adam(denoiser.parameters(), lr=config.lr)
    scaler = eng.scaler()
    net = eng.wrap(denoiser, sync=True)
    nc = int(getattr(denoiser, "num_classes", 0))
    denoiser.requires_grad_(True).train()
    bar = _progress(range(config.steps), total=config.steps, desc="teacher",
                    disable=None if progress is None else not progress)
    buf: list[torch.Tensor] = []
    for step in bar:
        for group in opt.param_groups:
            group["lr"] = config.lr * lr_factor(step, config.steps, config.warmup_steps,
                                                config.lr_schedule)
        x, labels = source.next(generator=generator)
        labels = check_labels(labels, x.shape[0], nc, device=device) if labels is not None \
            else None
        b = x.shape[0] * eng.world  # the global batch
        if config.sigma_law == "fixed":
            sigma = torch.full((x.shape[0],), config.fixed_sigma, device=device)
        else:
            sigma = eng.rows(sched.train_sigmas(b, generator=generator, device=device))
        noise = eng.rows(randn((b, *x.shape[1:]), generator=generator, device=device))
        with eng.autocast():
            loss = edm_loss(net, x, sigma, labels, sigma_data=sched.sigma_data,
                            noise=noise).mean()
        eng.backward_step(loss, opt, scaler)
        ema.update(denoiser)
        buf.append(loss.detach().reshape(1))
        if len(buf) == config.log_every or step == config.steps - 1:
            vals = read_losses(buf, eng.dist)
            for i, (v,) in enumerate(vals):
                if not math.isfinite(v) and device.type != "meta":
                    raise RuntimeError(f"teacher training diverged at step "
                                       f"{step - len(vals) + 1 + i}: loss {v}")
            buf.clear()
        if callback is not None:
            callback(step, ema.module, loss.detach())
    return ema.module.eval()


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
        noise = randn(tuple(shape), generator=generator, device=device)
    elif tuple(noise.shape) != tuple(shape):
        raise ValueError(f"`noise` must have shape {tuple(shape)}, got {tuple(noise.shape)}")
    noise = noise.to(device=device, dtype=torch.float32)
    # the grid as Python floats: no device read inside the loop
    sig = [*schedule.karras(steps).tolist(), 0.0]
    x = noise * sig[0]
    n = x.shape[0]

    def level(s: float) -> torch.Tensor:
        return torch.full((n,), s, device=device, dtype=torch.float32)

    for i in range(steps):
        s, s_next = sig[i], sig[i + 1]
        d = (x - denoiser(x, level(s), labels).float()) / s
        x_next = x + (s_next - s) * d
        if s_next > 0:
            d2 = (x_next - denoiser(x_next, level(s_next), labels).float()) / s_next
            x_next = x + (s_next - s) * 0.5 * (d + d2)
        x = x_next
    return x
