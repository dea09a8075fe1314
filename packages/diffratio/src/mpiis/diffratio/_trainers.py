"""One-step trainers: the score-free DiffRatio trainer and the score-based DMD / Diff-Instruct
baseline behind one interface (brief, "Training algorithm", "Generator loss",
"Score-based baseline")."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import inspect
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import nn

from mpiis.shared.progress import progress as _progress
from mpiis.shared.torch import EMA, DistInfo, ema_decay_from_half_life
from mpiis.shared.validation import check_choice, check_fraction, check_int, check_positive

from ._batches import BatchSource
from ._checks import check_labels, check_x
from ._divergences import Divergence, forward_kl, jensen_shannon, reverse_kl
from ._engine import AMP_CHOICES, Engine, adam, read_losses
from ._generator import OneStepGenerator
from ._io import read_checkpoint, write_checkpoint
from ._random import randn
from ._ratio import DensityRatioNet, ratio_loss
from ._schedule import loguniform_sigmas
from ._teacher import edm_loss, lr_factor

__all__ = [
    "DistillConfig",
    "DistillResult",
    "OneStepTrainer",
    "ScoreBasedTrainer",
    "ScoreFreeTrainer",
    "StepStats",
    "TrainHistory",
    "check_teacher",
    "distill",
    "make_trainer",
]

_DIVERGENCES = {"reverse_kl": reverse_kl, "forward_kl": forward_kl, "js": jensen_shannon}


@dataclass(frozen=True, kw_only=True)
class DistillConfig:
    """Budget and hyper-parameters of one-step training (shared by both trainers).

    Defaults are the paper-scale choices of the brief (SiD/DMD practice: Adam β = (0, 0.999),
    lr 1e-5, batch 256, EMA half-life 0.5 M images); the presets carry the small-scale values
    of the benchmark. ``amp``, ``compile`` and data parallel (``dist=`` of the trainers) are
    engine options that do not change the method.
    """

    steps: int  # generator steps K
    batch_size: int = 256  # examples per step (real and fake)
    lr_generator: float = 1e-5  # Adam lr of the generator
    lr_aux: float = 1e-5  # Adam lr of the ratio net / fake score
    betas: tuple[float, float] = (0.0, 0.999)  # Adam betas (SiD/DMD use β₁ = 0)
    aux_steps: int = 1  # auxiliary steps per generator step
    warmup_steps: int = 0  # auxiliary-only steps before the first generator step
    sigma_lo: float = 0.02  # loss-σ law: log-uniform on [sigma_lo, sigma_hi]
    sigma_hi: float = 20.0
    weighting: Literal["sigma2", "uniform"] = "sigma2"  # w(σ) = σ² makes SF match DMD
    sigma_init: float = 2.5  # the generator's input noise level
    clip_logit: float = 10.0  # |c| clip in the generator surrogate
    ema_decay: float | None = None  # per-step EMA decay; None: from `ema_half_life`
    ema_half_life: float = 500_000.0  # EMA half-life in images (brief: 0.5 M)
    divergence: Literal["reverse_kl", "forward_kl", "js"] = "reverse_kl"  # f-divergence member
    lr_schedule: Literal["constant", "cosine"] = "constant"  # decay over `steps`
    collapse_loss: float = 0.05  # a ratio loss below this ...
    collapse_steps: int = 200  # ... for this many steps is flagged
    amp: Literal["off", "bf16", "fp16"] = "off"  # autocast dtype (fp16 adds a grad scaler)
    compile: bool = False  # torch.compile generator and auxiliary net (a GPU option)
    log_every: int = 50  # steps between host syncs (loss read-out, non-finite check)

    def __post_init__(self) -> None:
        check_int(self.steps, "steps", minimum=1)
        check_int(self.batch_size, "batch_size", minimum=1)
        check_positive(self.lr_generator, "lr_generator")
        check_positive(self.lr_aux, "lr_aux")
        if len(self.betas) != 2:
            raise ValueError(f"`betas` must be a pair, got {self.betas!r}")
        for b in self.betas:
            check_fraction(b, "betas", high_open=True)
        object.__setattr__(self, "betas", tuple(float(b) for b in self.betas))
        check_int(self.aux_steps, "aux_steps", minimum=1)
        check_int(self.warmup_steps, "warmup_steps", minimum=0)
        check_positive(self.sigma_lo, "sigma_lo")
        check_positive(self.sigma_hi, "sigma_hi")
        if self.sigma_lo >= self.sigma_hi:
            raise ValueError(f"`sigma_lo` (={self.sigma_lo}) must be < `sigma_hi` "
                             f"(={self.sigma_hi})")
        check_choice(self.weighting, "weighting", ("sigma2", "uniform"))
        check_positive(self.sigma_init, "sigma_init")
        check_positive(self.clip_logit, "clip_logit")
        if self.ema_decay is not None:
            check_fraction(self.ema_decay, "ema_decay", high_open=True)
        check_positive(self.ema_half_life, "ema_half_life")
        check_choice(self.amp, "amp", AMP_CHOICES)
        if not isinstance(self.compile, bool):
            raise TypeError(f"`compile` must be a bool, got {type(self.compile).__name__}")
        check_int(self.log_every, "log_every", minimum=1)
        check_choice(self.divergence, "divergence", tuple(_DIVERGENCES))
        check_choice(self.lr_schedule, "lr_schedule", ("constant", "cosine"))
        check_positive(self.collapse_loss, "collapse_loss")
        check_int(self.collapse_steps, "collapse_steps", minimum=1)

    @classmethod
    def toy2d(cls, **kw: Any) -> DistillConfig:
        """2-D ring: 1,000 steps, batch 256, lr 1e-3, β = (0, 0.99), σ ∈ [0.005, 10],
        EMA 0.995, cosine decay."""
        base = {"steps": 1000, "batch_size": 256, "lr_generator": 1e-3, "lr_aux": 1e-3,
                "betas": (0.0, 0.99), "sigma_lo": 0.005, "sigma_hi": 10.0, "ema_decay": 0.995,
                "lr_schedule": "cosine"}
        return cls(**{**base, **kw})

    @classmethod
    def digits(cls, **kw: Any) -> DistillConfig:
        """8×8 digits: 500 steps, batch 128, lr 1e-4, β = (0, 0.99), σ ∈ [0.02, 20], EMA 0.99."""
        base = {"steps": 500, "batch_size": 128, "lr_generator": 1e-4, "lr_aux": 1e-4,
                "betas": (0.0, 0.99), "sigma_lo": 0.02, "sigma_hi": 20.0, "ema_decay": 0.99}
        return cls(**{**base, **kw})

    @classmethod
    def tiny(cls, **kw: Any) -> DistillConfig:
        """For tests: 20 steps, batch 32."""
        base = {"steps": 20, "batch_size": 32, "lr_generator": 1e-3, "lr_aux": 1e-3,
                "betas": (0.0, 0.99), "ema_decay": 0.9}
        return cls(**{**base, **kw})

    @property
    def decay(self) -> float:
        """The per-step EMA decay: ``ema_decay`` when set, else the decay whose weight halves
        every ``ema_half_life`` images at this batch size (EDM's convention,
        ``mpiis.shared.torch.ema_decay_from_half_life``)."""
        if self.ema_decay is not None:
            return float(self.ema_decay)
        return ema_decay_from_half_life(self.ema_half_life, self.batch_size)

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "betas": list(self.betas)}


@dataclass(frozen=True)
class StepStats:
    """What one iteration did: the auxiliary loss (ratio or fake-score), the generator
    surrogate (NaN during warm-up) and the wall time."""

    step: int
    aux_loss: float
    generator_loss: float
    seconds: float


@dataclass
class TrainHistory:
    """Per-step losses, evaluations returned by the callback, and failure flags."""

    aux_loss: list[float] = field(default_factory=list)
    generator_loss: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    evals: list[dict[str, float]] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class DistillResult:
    """Output of :func:`distill`: the EMA one-step generator, the auxiliary network (ratio net
    or fake score), the training history and the trainer (for resuming or saving)."""

    generator: OneStepGenerator
    aux: nn.Module
    history: TrainHistory
    trainer: OneStepTrainer


def check_teacher(teacher: Any) -> None:
    """Raise ``TypeError`` unless ``teacher(x, sigma, labels)`` is a valid call."""
    if not callable(teacher):
        raise TypeError(f"`teacher` must be callable as teacher(x, sigma, labels), got "
                        f"{type(teacher).__name__}")
    try:
        sig = inspect.signature(teacher)
    except (TypeError, ValueError):
        return
    try:
        sig.bind(None, None, None)
    except TypeError as exc:
        raise TypeError(f"`teacher` must accept (x, sigma, labels): {exc}") from exc


class OneStepTrainer:
    """Shared machinery: optimisers, the loss-σ law, weighting, EMA, the alternating loop,
    checkpoints. Subclasses define :meth:`aux_loss` and :meth:`generator_loss`."""

    def __init__(self, generator: OneStepGenerator, aux: dict[str, nn.Module],
                 config: DistillConfig, *, dist: DistInfo | None = None) -> None:
        if not isinstance(generator, OneStepGenerator):
            raise TypeError(f"`generator` must be a OneStepGenerator, got "
                            f"{type(generator).__name__}")
        if not isinstance(config, DistillConfig):
            raise TypeError(f"`config` must be a DistillConfig, got {type(config).__name__}")
        if dist is not None and dist.enabled:
            generator.to(dist.device)
        device = generator._device()
        for m in aux.values():  # every network follows the generator's device
            if isinstance(m, nn.Module):
                m.to(device)
        self.generator = generator.requires_grad_(True).train()
        self.config = config
        self._aux = aux
        for m in aux.values():
            m.requires_grad_(True).train()
        self.engine = Engine(device, amp=config.amp, compile=config.compile, dist=dist)
        self.engine.check_batch(config.batch_size, "config.batch_size")
        self._ema = EMA(generator, decay=config.decay)
        self.opt_generator = adam(generator.parameters(), lr=config.lr_generator,
                                              betas=config.betas)
        params = [p for m in self._trainable_aux() for p in m.parameters()]
        self._device = device
        self._aux_params = params  # frozen during the generator phase
        self.opt_aux = adam(params, lr=config.lr_aux, betas=config.betas)
        self._scalers = (self.engine.scaler(), self.engine.scaler())
        # what the losses call: DDP-wrapped (gradients averaged over processes) where the
        # network is trained, the bare (or compiled) module where it is frozen or no_grad
        self._train_gen = self.engine.wrap(generator, sync=True)
        self._eval_gen = self.engine.wrap(generator, sync=False)
        self._train_aux = {k: self.engine.wrap(m, sync=True) for k, m in aux.items()}
        self._eval_aux = {k: self.engine.wrap(m, sync=False) for k, m in aux.items()}
        self.step_count = 0
        self.history = TrainHistory()
        self._low_streak = 0
        self._buf: list[torch.Tensor] = []
        self._buf_t: list[float] = []

    # -- pieces -----------------------------------------------------------------------------

    def _trainable_aux(self) -> list[nn.Module]:
        return list(self._aux.values())

    @property
    def ema_generator(self) -> OneStepGenerator:
        """The EMA copy of the generator (what to sample from)."""
        return self._ema.module

    @property
    def ema(self) -> EMA:
        """The generator's :class:`mpiis.shared.torch.EMA` (decay ``config.decay``)."""
        return self._ema

    def held(self) -> dict[str, Any]:
        """Everything the trainer keeps in memory between steps: the generator, its EMA copy,
        the auxiliary networks (and a frozen teacher) and both optimisers' state (for
        ``mpiis.shared.torch.peak_memory``)."""
        return {"generator": self.generator, "ema": self._ema.module, "aux": dict(self._aux),
                "opt_generator": self.opt_generator, "opt_aux": self.opt_aux}

    @property
    def device(self) -> torch.device:
        return self._device

    def _sigmas(self, n: int, generator) -> torch.Tensor:
        """σ for this process's rows of a global batch of ``n``."""
        return self.engine.rows(loguniform_sigmas(n, self.config.sigma_lo, self.config.sigma_hi,
                                                  generator=generator, device=self.device))

    def _randn(self, n: int, shape: tuple[int, ...], generator, dtype=None) -> torch.Tensor:
        """N(0, I) for this process's rows of a global batch of ``n``."""
        return self.engine.rows(randn((n, *shape), generator=generator, device=self.device,
                                      dtype=dtype))

    def _weight(self, sigma: torch.Tensor) -> torch.Tensor:
        return sigma**2 if self.config.weighting == "sigma2" else torch.ones_like(sigma)

    def _fake(self, n: int, labels, generator, *, grad: bool) -> torch.Tensor:
        """Generator samples for this process's rows of a global batch of ``n``."""
        z = self._randn(n, self.generator.shape, generator)
        if grad:
            return self._train_gen(z, labels)
        with torch.no_grad():
            return self._eval_gen(z, labels)

    def _noised(self, x: torch.Tensor, sigma: torch.Tensor, generator) -> torch.Tensor:
        eps = self._randn(x.shape[0] * self.engine.world, tuple(x.shape[1:]), generator,
                          dtype=x.dtype)
        return x + sigma.reshape(-1, *([1] * (x.ndim - 1))) * eps

    @property
    def _global_batch(self) -> int:
        return self.config.batch_size

    def _labels(self, labels, n: int):
        return check_labels(labels, n, self.generator.num_classes, device=self.device)

    def aux_loss(self, real: torch.Tensor, labels: torch.Tensor | None = None, *,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        """Scalar loss of the auxiliary network(s) on a real batch and a detached fake batch."""
        raise NotImplementedError

    def aux_backward(self, real: torch.Tensor, labels: torch.Tensor | None = None, *,
                     generator: torch.Generator | None = None) -> torch.Tensor:
        """Accumulate the gradient of :meth:`aux_loss` into the auxiliary networks' ``.grad``
        (the same random draws) and return the loss, detached. The training step calls this;
        a trainer may split the loss into several backward passes that give the same gradient
        with a smaller graph alive at once."""
        with self.engine.autocast():
            loss = self.aux_loss(real, labels, generator=generator)
        self.engine.backward(loss, self._scalers[1])
        return loss.detach().float()

    def generator_loss(self, batch_size: int, labels: torch.Tensor | None = None, *,
                       generator: torch.Generator | None = None) -> torch.Tensor:
        """Scalar generator surrogate on fresh z, σ, ε (auxiliaries frozen)."""
        raise NotImplementedError

    # -- the loop ---------------------------------------------------------------------------

    def _set_lr(self) -> None:
        k = max(0, self.step_count - self.config.warmup_steps)
        f = lr_factor(k, self.config.steps, 0, self.config.lr_schedule)
        for g in self.opt_generator.param_groups:
            g["lr"] = self.config.lr_generator * f
        for g in self.opt_aux.param_groups:
            g["lr"] = self.config.lr_aux * f

    def step(self, real: torch.Tensor, labels: torch.Tensor | None = None, *,
             generator: torch.Generator | None = None) -> StepStats:
        """One iteration: ``aux_steps`` auxiliary steps, then (after warm-up) one generator
        step and the EMA update. Reads the two losses back (a host sync on a GPU; ``fit``
        reads them only every ``config.log_every`` steps).

        Args:
            real: ``(B, *shape)`` data batch (this process's rows under data parallel).
            labels: ``(B,)`` labels for a conditional model (also used for the fake batch).
            generator: all random draws.

        Raises:
            RuntimeError: a non-finite loss.
        """
        real = check_x(real, "real", self.generator.shape).to(self.device)
        t0 = time.perf_counter()
        losses = self._step(real, labels, generator)
        a_loss, g_loss = (math.nan, math.nan) if self.device.type == "meta" else \
            (float(losses[0]), float(losses[1]))
        self._check_finite(self.step_count - 1, a_loss, g_loss)
        return StepStats(self.step_count - 1, a_loss, g_loss, time.perf_counter() - t0)

    def _check_finite(self, step: int, a_loss: float, g_loss: float) -> None:
        if self.device.type == "meta":
            return
        if not math.isfinite(a_loss):
            raise RuntimeError(f"training diverged at step {step}: auxiliary loss {a_loss}")
        if step >= self.config.warmup_steps and not math.isfinite(g_loss):
            raise RuntimeError(f"training diverged at step {step}: generator loss {g_loss} "
                               f"(auxiliary loss {a_loss})")

    def _step(self, real: torch.Tensor, labels, generator) -> torch.Tensor:
        """The iteration without host syncs; returns ``[aux loss, generator loss]`` on the
        device (the generator loss is NaN during warm-up)."""
        labels = self._labels(labels, real.shape[0])
        self._set_lr()
        eng = self.engine
        a_loss = torch.full((), math.nan, device=self.device)
        for _ in range(self.config.aux_steps):
            self.opt_aux.zero_grad(set_to_none=True)
            a_loss = self.aux_backward(real, labels, generator=generator)
            eng.opt_step(self.opt_aux, self._scalers[1])
            # gradients are not kept between phases (both trainers): the generator phase
            # runs without the auxiliary gradients alive, and the next step starts without
            # the generator's
            self.opt_aux.zero_grad(set_to_none=True)
        g_loss = torch.full((), math.nan, device=self.device)
        if self.step_count >= self.config.warmup_steps:
            for p in self._aux_params:
                p.requires_grad_(False)
            try:
                with eng.autocast():
                    loss = self.generator_loss(real.shape[0] * eng.world, labels,
                                               generator=generator)
                eng.backward_step(loss, self.opt_generator, self._scalers[0])
                self.opt_generator.zero_grad(set_to_none=True)
                g_loss = loss.detach().float()
                del loss
            finally:
                for p in self._aux_params:
                    p.requires_grad_(True)
            self._ema.update(self.generator)
        self.step_count += 1
        return torch.stack([a_loss, g_loss])

    def fit(
        self,
        data: Any,
        *,
        generator: torch.Generator | None = None,
        callback: Callable[[int, OneStepTrainer], dict[str, float] | None] | None = None,
        progress: bool | None = None,
        checkpoint: str | os.PathLike | None = None,
        resume: bool = False,
        stop_on_failure: bool = False,
        checkpoint_every: int | None = None,
    ) -> TrainHistory:
        """Run ``warmup_steps + steps`` iterations (brief, "Training algorithm", steps 3–4).

        Args:
            data: ``(N, *shape)`` tensor/array, ``(x, labels)`` or an iterable of batches.
            generator: all random draws (batches, z, σ, ε).
            callback: ``callback(step, trainer)`` after each iteration; a returned dict is
                recorded in ``history.evals`` with its step.
            progress: show a progress bar (``None``: only on a terminal).
            checkpoint: a file to save to every ``checkpoint_every`` steps and at the end.
            resume: continue from ``checkpoint`` when it exists (RNG state included).
            stop_on_failure: raise when the classifier-wins flag fires.
            checkpoint_every: save period (default: a tenth of the run).

        Returns:
            The :class:`TrainHistory` (also ``self.history``).

        Raises:
            RuntimeError: a non-finite loss (with step and values), or a flagged failure under
                ``stop_on_failure``.
        """
        if resume and checkpoint is not None and Path(checkpoint).is_file():
            self.load(checkpoint, generator=generator)
        source = BatchSource(data, self.config.batch_size, shape=self.generator.shape,
                             device=self.device, rank=self.engine.rank,
                             world=self.engine.world)
        total = self.config.warmup_steps + self.config.steps
        every = checkpoint_every or max(1, total // 10)
        bar = _progress(range(self.step_count, total), total=total - self.step_count,
                        desc=type(self).__name__,
                        disable=None if progress is None else not progress)
        for _ in bar:
            x, y = source.next(generator=generator)
            t0 = time.perf_counter()
            self._buf.append(self._step(x, y, generator))
            self._buf_t.append(time.perf_counter() - t0)
            step = self.step_count - 1
            if len(self._buf) >= self.config.log_every or self.step_count == total:
                self._flush(stop_on_failure)
            if callback is not None:
                out = callback(step, self)
                if out:
                    self.history.evals.append({"step": float(step),
                                               **{k: float(v) for k, v in out.items()}})
            if checkpoint is not None and (self.step_count % every == 0
                                           or self.step_count == total):
                self._flush(stop_on_failure)
                if self.engine.dist.is_main:
                    self.save(checkpoint, generator=generator)
        self._flush(stop_on_failure)
        return self.history

    def _flush(self, stop_on_failure: bool) -> None:
        """Read the buffered losses (one host sync), record them, check them."""
        vals = read_losses(self._buf, self.engine.dist)
        first = self.step_count - len(vals)
        h = self.history
        for i, ((a, g), secs) in enumerate(zip(vals, self._buf_t, strict=True)):
            self._check_finite(first + i, a, g)
            h.aux_loss.append(a)
            h.generator_loss.append(g)
            h.seconds.append(secs)
            self._watch(StepStats(first + i, a, g, secs), stop_on_failure)
        self._buf.clear()
        self._buf_t.clear()

    def _watch(self, stats: StepStats, stop: bool) -> None:
        if not isinstance(self, ScoreFreeTrainer):
            return
        low = stats.aux_loss < self.config.collapse_loss
        self._low_streak = self._low_streak + 1 if low else 0
        if self._low_streak == self.config.collapse_steps:
            msg = (f"classifier_wins: ratio loss < {self.config.collapse_loss} for "
                   f"{self.config.collapse_steps} steps at step {stats.step}; the generator "
                   "gradient vanishes")
            self.history.flags.append(msg)
            if stop:
                raise RuntimeError(msg)

    # -- state ------------------------------------------------------------------------------

    def save(self, path: str | os.PathLike, *, generator: torch.Generator | None = None) -> None:
        """Write generator, EMA, auxiliaries, optimisers, step, history and config (and the
        RNG state of ``generator`` when given), so that :meth:`load` resumes exactly."""
        tensors: dict[str, Any] = {
            "generator": self.generator.state_dict(),
            "ema": self._ema.module.state_dict(),
            "aux": {k: m.state_dict() for k, m in self._aux.items()},
            "opt_generator": self.opt_generator.state_dict(),
            "opt_aux": self.opt_aux.state_dict(),
        }
        if generator is not None:
            tensors["rng"] = generator.get_state()
        meta = {"kind": type(self).__name__, "step": self.step_count,
                "config": self.config.to_dict(), "history": self.history.to_dict(),
                "low_streak": self._low_streak}
        write_checkpoint(path, tensors, meta)

    def load(self, path: str | os.PathLike, *, generator: torch.Generator | None = None
             ) -> OneStepTrainer:
        """Restore a state written by :meth:`save` into this trainer (same architectures)."""
        blob, meta = read_checkpoint(path)
        if meta["kind"] != type(self).__name__:
            raise ValueError(f"`path` holds a {meta['kind']} checkpoint, not a "
                             f"{type(self).__name__}")
        self.generator.load_state_dict(blob["generator"])
        self._ema.module.load_state_dict(blob["ema"])
        for k, m in self._aux.items():
            m.load_state_dict(blob["aux"][k])
        self.opt_generator.load_state_dict(blob["opt_generator"])
        self.opt_aux.load_state_dict(blob["opt_aux"])
        self.step_count = int(meta["step"])
        self._low_streak = int(meta.get("low_streak", 0))
        self.history = TrainHistory(**meta["history"])
        if generator is not None and "rng" in blob:
            generator.set_state(blob["rng"])
        return self


class ScoreFreeTrainer(OneStepTrainer):
    """DiffRatio: the generator is trained through a learned density ratio, no teacher score
    in the loss (brief, L_ratio and L_G).

    Args:
        generator: the one-step generator (θ).
        ratio_net: the density-ratio network c_φ.
        config: the budget and hyper-parameters.
        divergence: a custom :class:`Divergence` (overrides ``config.divergence``).
    """

    def __init__(self, generator: OneStepGenerator, ratio_net: DensityRatioNet,
                 config: DistillConfig, *, divergence: Divergence | None = None,
                 dist: DistInfo | None = None) -> None:
        if not isinstance(ratio_net, nn.Module):
            raise TypeError(f"`ratio_net` must be a DensityRatioNet, got "
                            f"{type(ratio_net).__name__}")
        super().__init__(generator, {"ratio": ratio_net}, config, dist=dist)
        self.ratio_net = ratio_net
        if divergence is not None and not isinstance(divergence, Divergence):
            raise TypeError(f"`divergence` must be a Divergence, got {type(divergence).__name__}")
        self.divergence = divergence or _DIVERGENCES[config.divergence]()

    def aux_loss(self, real, labels=None, *, generator=None):
        """Mean logistic class-ratio loss (real = 1, fake = 0, one σ draw for both)."""
        n = real.shape[0] * self.engine.world  # the global batch
        fake = self._fake(n, labels, generator, grad=False)
        sigma = self._sigmas(n, generator)
        noise = self.engine.rows(randn((2, n, *real.shape[1:]), generator=generator,
                                       device=self.device, dtype=real.dtype), dim=1)
        return ratio_loss(self._train_aux["ratio"], real, fake, sigma, real_labels=labels,
                          fake_labels=labels, noise=noise).mean()

    def aux_backward(self, real, labels=None, *, generator=None):
        """The gradient of :meth:`aux_loss` (the same draws) in two backward passes, one per
        batch: E softplus(−c(real_σ)) and E softplus(c(fake_σ)) are separate terms of the
        loss, so their gradients add up to the one-graph gradient, while only one batch's
        graph is alive at a time (the real half skips DDP's all-reduce; the fake half's
        all-reduce averages the sum)."""
        n = real.shape[0] * self.engine.world  # the global batch
        fake = self._fake(n, labels, generator, grad=False)
        sigma = self._sigmas(n, generator)
        noise = self.engine.rows(randn((2, n, *real.shape[1:]), generator=generator,
                                       device=self.device, dtype=real.dtype), dim=1)
        s = sigma.reshape(-1, *([1] * (real.ndim - 1)))
        net, eng = self._train_aux["ratio"], self.engine
        total = torch.zeros((), device=self.device)
        for i, (x, sign) in enumerate(((real, -1.0), (fake, 1.0))):
            with eng.no_sync(net) if i == 0 else contextlib.nullcontext():
                with eng.autocast():
                    c = net(x + s * noise[i], sigma, labels).float()
                    part = F.softplus(sign * c).mean()
                eng.backward(part, self._scalers[1])
            total = total + part.detach().float()
        return total

    def generator_loss(self, batch_size, labels=None, *, generator=None):
        """−E[w(σ)·sg[h(c)]·clip(c(g(z) + σε, σ))]: gradient −w h ∇ₓc = w h (s_q − s_p)."""
        x = self._fake(batch_size, labels, generator, grad=True)
        sigma = self._sigmas(batch_size, generator)
        c = self._eval_aux["ratio"](self._noised(x, sigma, generator), sigma, labels).float()
        clip = self.config.clip_logit
        c = torch.clamp(c, -clip, clip)
        return (self._weight(sigma) * self.divergence.surrogate(c)).mean()


class ScoreBasedTrainer(OneStepTrainer):
    """DMD / Diff-Instruct baseline: frozen teacher score and an online fake score.

    The generator gradient per sample is w(σ)(s_ψ − s_T)(x_σ) = D_ψ − D_T (for w = σ²), applied
    through ½‖x_σ − sg[x_σ − grad]‖². The fake score is trained by the EDM loss on detached
    generator samples at the same loss-σ law.

    Args:
        generator: the one-step generator.
        teacher: the frozen teacher D_T (any ``denoiser(x, sigma, labels)``).
        fake_score: D_ψ, an EDM denoiser (usually a copy of the teacher).
        config: the budget and hyper-parameters.
    """

    def __init__(self, generator: OneStepGenerator, teacher: nn.Module, fake_score: nn.Module,
                 config: DistillConfig, *, dist: DistInfo | None = None) -> None:
        check_teacher(teacher)
        check_teacher(fake_score)
        self.fake_score = fake_score
        super().__init__(generator, {"fake_score": fake_score}, config, dist=dist)
        if isinstance(teacher, nn.Module):
            teacher.to(self.device).requires_grad_(False).eval()
        self.teacher = teacher
        self._eval_teacher = self.engine.wrap(teacher, sync=False) \
            if isinstance(teacher, nn.Module) else teacher

    def held(self) -> dict[str, Any]:
        return {**super().held(), "teacher": self.teacher}

    def aux_loss(self, real, labels=None, *, generator=None):
        """Mean EDM loss of the fake score on detached generator samples (``real`` only sets
        the batch size)."""
        n = real.shape[0] * self.engine.world  # the global batch
        fake = self._fake(n, labels, generator, grad=False)
        sigma = self._sigmas(n, generator)
        sd = float(getattr(self.fake_score, "sigma_data", 0.5))
        noise = self._randn(n, tuple(fake.shape[1:]), generator, dtype=fake.dtype)
        return edm_loss(self._train_aux["fake_score"], fake, sigma, labels, sigma_data=sd,
                        noise=noise).mean()

    def generator_loss(self, batch_size, labels=None, *, generator=None):
        """½‖x_σ − sg[x_σ − w(σ)(s_ψ − s_T)(x_σ)]‖², summed over dimensions, mean over batch."""
        x = self._fake(batch_size, labels, generator, grad=True)
        sigma = self._sigmas(batch_size, generator)
        xs = self._noised(x, sigma, generator)
        with torch.no_grad():
            grad = (self._eval_aux["fake_score"](xs, sigma, labels).float()
                    - self._eval_teacher(xs, sigma, labels).float())
            if self.config.weighting == "uniform":
                grad = grad / sigma.reshape(-1, *([1] * (xs.ndim - 1))) ** 2
            target = xs - grad
        return 0.5 * ((xs.float() - target) ** 2).reshape(xs.shape[0], -1).sum(1).mean()


def distill(
    teacher: Any,
    data: Any,
    *,
    method: Literal["score_free", "score_based"] = "score_free",
    config: DistillConfig,
    init: str = "teacher",
    generator: torch.Generator | None = None,
    narrow_teacher: nn.Module | None = None,
    mapping_steps: int = 1000,
    divergence: Divergence | None = None,
    trunk_layers: int | None = None,
    callback: Callable[[int, OneStepTrainer], dict[str, float] | None] | None = None,
    progress: bool | None = None,
    dist: DistInfo | None = None,
) -> DistillResult:
    """Train a one-step generator from a teacher (brief, "Training algorithm").

    Args:
        teacher: a frozen denoiser D_T; with ``features`` (an :class:`EDMPrecond`) the ratio
            trunk is copied from it, otherwise a standalone ratio net is used.
        data: training data (tensor/array ``(N, *shape)``, ``(x, labels)`` or an iterable).
        method: ``"score_free"`` (DiffRatio) or ``"score_based"`` (DMD / Diff-Instruct).
        config: the :class:`DistillConfig`.
        init: initialisation arm of generator and auxiliary net (see :func:`init_student`).
        generator: all random draws.
        narrow_teacher: the single-σ teacher of the ``"narrow_sigma"`` arm.
        mapping_steps: regression steps of the ``"mapping_only"`` arm.
        divergence: a custom :class:`Divergence` (score-free only).
        trunk_layers: keep only the first k trunk layers of the ratio net.
        callback: forwarded to :meth:`OneStepTrainer.fit`.
        progress: show progress bars.
        dist: the process group from ``mpiis.shared.torch.init_distributed()`` when the script
            runs under ``torchrun`` (DistributedDataParallel on the generator and the auxiliary
            net, each process taking ``batch_size / world_size`` rows of every global batch).

    Every network, optimiser state and EMA copy lives on the teacher's device (or
    ``dist.device``); ``generator`` may live on the CPU or on that device.

    Returns:
        :class:`DistillResult` with the EMA generator, the auxiliary net and the history.
    """
    trainer = make_trainer(teacher, method=method, config=config, init=init,
                           generator=generator, narrow_teacher=narrow_teacher,
                           mapping_steps=mapping_steps, divergence=divergence,
                           trunk_layers=trunk_layers, dist=dist)
    aux = next(iter(trainer._aux.values()))
    history = trainer.fit(data, generator=generator, callback=callback, progress=progress)
    return DistillResult(trainer.ema_generator, aux, history, trainer)


def make_trainer(
    teacher: Any,
    *,
    method: Literal["score_free", "score_based"] = "score_free",
    config: DistillConfig,
    init: str = "teacher",
    generator: torch.Generator | None = None,
    narrow_teacher: nn.Module | None = None,
    mapping_steps: int = 1000,
    divergence: Divergence | None = None,
    trunk_layers: int | None = None,
    dist: DistInfo | None = None,
) -> OneStepTrainer:
    """The trainer :func:`distill` builds (student initialised by ``init``, ratio net or fake
    score, optimisers, EMA), before any step: for stepping by hand, measuring memory, or
    resuming. Arguments as in :func:`distill`."""
    from ._init import INIT_MODES, init_student

    check_teacher(teacher)
    check_choice(method, "method", ("score_free", "score_based"))
    check_choice(init, "init", INIT_MODES)
    if not isinstance(config, DistillConfig):
        raise TypeError(f"`config` must be a DistillConfig, got {type(config).__name__}")
    if dist is not None and dist.enabled and isinstance(teacher, nn.Module):
        teacher.to(dist.device)
    student = init_student(teacher, init, generator=generator, narrow_teacher=narrow_teacher,
                           mapping_steps=mapping_steps, sigma_init=config.sigma_init)
    student.requires_grad_(True).train()
    gen = OneStepGenerator(student, sigma_init=config.sigma_init,
                           shape=getattr(teacher, "data_shape", None))
    trainer: OneStepTrainer
    if method == "score_free":
        if hasattr(student, "features"):
            aux: nn.Module = DensityRatioNet.from_teacher(student, trunk_layers=trunk_layers,
                                                          generator=generator)
        else:
            aux = DensityRatioNet.standalone(gen.shape, generator=generator,
                                             sigma_data=float(getattr(teacher, "sigma_data", 0.5)),
                                             num_classes=gen.num_classes, device=gen._device())
        trainer = ScoreFreeTrainer(gen, aux, config, divergence=divergence, dist=dist)
    else:
        if divergence is not None:
            raise ValueError("`divergence` applies to method='score_free' only")
        aux = copy.deepcopy(student).requires_grad_(True).train()
        trainer = ScoreBasedTrainer(gen, teacher, aux, config, dist=dist)
    return trainer
