"""Pre-training loop for PMAE and MAE (paper Sec. 4, "Optimisation")."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn

from mpiis.shared.progress import progress as _progress
from mpiis.shared.validation import check_choice, check_int, check_positive

from ._checks import as_images, check_image_shape, describe
from ._model import MaskedAutoencoder

__all__ = ["PretrainConfig", "PretrainHistory", "pretrain"]

#: relative loss at or above which a run is flagged as collapsed to the zero predictor
COLLAPSE_RELATIVE_LOSS = 0.99
#: encoder-feature std below which a run is flagged as collapsed
COLLAPSE_FEATURE_STD = 1e-3


@dataclass(frozen=True, kw_only=True)
class PretrainConfig:
    """Optimiser and schedule of pre-training (defaults: the package's CPU recipe).

    The paper uses AdamW (0.9, 0.95), weight decay 0.05, lr 1.5e-4 * batch / 256, batch 512,
    40 warm-up epochs then cosine, 800 epochs (:meth:`paper`).
    """

    epochs: int  # passes over the training images
    batch_size: int = 128  # images per step (paper: 512)
    lr: float = 1e-3  # peak learning rate (paper: 1.5e-4 * 512 / 256)
    weight_decay: float = 0.05  # AdamW weight decay (paper: 0.05)
    betas: tuple[float, float] = (0.9, 0.95)  # AdamW betas (paper: (0.9, 0.95))
    warmup_fraction: float = 0.1  # share of steps spent warming up (paper: 40 / 800)
    schedule: Literal["onecycle", "warmup_cosine"] = "onecycle"  # lr schedule
    augment: Callable[[torch.Tensor, torch.Generator | None], torch.Tensor] | None = None
    # ``augment(batch, generator) -> batch`` applied to raw images before masking (paper:
    # random resized crop + flip); None for digits and the synthetic set

    def __post_init__(self) -> None:
        check_int(self.epochs, "epochs", minimum=1)
        check_int(self.batch_size, "batch_size", minimum=1)
        check_positive(self.lr, "lr")
        check_positive(self.weight_decay, "weight_decay", strict=False)
        if len(self.betas) != 2 or not all(0 <= b < 1 for b in self.betas):
            raise ValueError(f"`betas` must be a pair in [0, 1), got {self.betas!r}")
        if not 0 <= self.warmup_fraction < 1:
            raise ValueError(f"`warmup_fraction` must lie in [0, 1), got {self.warmup_fraction}")
        check_choice(self.schedule, "schedule", ("onecycle", "warmup_cosine"))
        if self.augment is not None and not callable(self.augment):
            raise TypeError(f"`augment` must be callable or None, got {describe(self.augment)}")

    @classmethod
    def cpu(cls, epochs: int = 15) -> PretrainConfig:
        """The CPU recipe: batch 128, lr 1e-3, one-cycle with 10 % warm-up."""
        return cls(epochs=epochs)

    @classmethod
    def paper(cls) -> PretrainConfig:
        """The paper's recipe: 800 epochs, batch 512, lr 1.5e-4 * 2, 40 warm-up epochs, cosine."""
        return cls(epochs=800, batch_size=512, lr=1.5e-4 * 512 / 256,
                   warmup_fraction=40 / 800, schedule="warmup_cosine")

    @classmethod
    def tiny(cls) -> PretrainConfig:
        """For tests: 2 epochs of batch 16."""
        return cls(epochs=2, batch_size=16)


@dataclass
class PretrainHistory:
    """Per-epoch record of a pre-training run.

    Attributes:
        loss: mean training loss per epoch.
        relative_loss: ``loss / zero-predictor loss`` per epoch (1.0 = predicting zero).
        feature_std: mean over features of the batch std of the encoder's representation.
        probe_accuracy: online linear-probe training accuracy per epoch (with ``labels``).
        step_loss: loss of every step.
        warnings: collapse flags (a list of messages, not Python warnings).
        seconds: wall time of each epoch.
    """

    loss: list[float] = field(default_factory=list)
    relative_loss: list[float] = field(default_factory=list)
    feature_std: list[float] = field(default_factory=list)
    probe_accuracy: list[float] = field(default_factory=list)
    step_loss: list[float] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) for k, v in self.__dict__.items()}


def _scheduler(opt: torch.optim.Optimizer, cfg: PretrainConfig, total: int) -> Any:
    """Per-step lr factor. ``onecycle``: cosine warm-up from lr/25 to lr over the warm-up share,
    then cosine annealing to lr/(25 * 1e4) (the shape of ``torch``'s OneCycleLR, valid for any
    number of steps); ``warmup_cosine``: linear warm-up from 0, cosine decay to 0."""
    warm = max(1, round(cfg.warmup_fraction * total)) if cfg.warmup_fraction > 0 else 0
    rest = max(1, total - warm)

    def cos_interp(a: float, b: float, t: float) -> float:
        return b + (a - b) * 0.5 * (1.0 + math.cos(math.pi * min(1.0, max(0.0, t))))

    if cfg.schedule == "onecycle":
        lo, end = 1.0 / 25.0, 1.0 / 25.0 / 1e4

        def factor(step: int) -> float:
            if step < warm:
                return cos_interp(lo, 1.0, step / warm)
            return cos_interp(1.0, end, (step - warm) / rest)
    else:

        def factor(step: int) -> float:
            if step < warm:
                return (step + 1) / warm
            return 0.5 * (1.0 + math.cos(math.pi * min(1.0, (step - warm) / rest)))

    return torch.optim.lr_scheduler.LambdaLR(opt, factor)


def pretrain(
    model: MaskedAutoencoder,
    images: Any,
    config: PretrainConfig,
    *,
    generator: torch.Generator | None,
    labels: Any = None,
    callback: Callable[[int, PretrainHistory], None] | None = None,
    progress: bool | None = None,
    checkpoint: str | os.PathLike | None = None,
    resume: bool = False,
) -> PretrainHistory:
    """Pre-train ``model`` on ``images`` (paper Sec. 4) with AdamW and a warm-up schedule.

    Each epoch shuffles the images with ``generator``, which also draws every mask. With
    ``labels`` an online linear classifier on the detached representation reports its training
    accuracy (the paper's monitor). A non-finite loss stops training with ``RuntimeError``.

    Args:
        model: a :class:`MaskedAutoencoder` (trained in place on its device).
        images: ``(N, C, H, W)`` float images in [0, 1].
        config: :class:`PretrainConfig`.
        generator: randomness for shuffling and masks (on the CPU or the model's device).
        labels: optional ``(N,)`` integer labels for the online probe.
        callback: ``callback(epoch, history)`` after every epoch.
        progress: show a progress bar (``None``: only on a terminal).
        checkpoint: file written after every epoch (model, optimiser, scheduler, generator).
        resume: continue from ``checkpoint`` when it exists.

    Returns:
        :class:`PretrainHistory`.
    """
    if not isinstance(model, MaskedAutoencoder):
        raise TypeError(f"`model` must be a MaskedAutoencoder, got {describe(model)}")
    if not isinstance(config, PretrainConfig):
        raise TypeError(f"`config` must be a PretrainConfig, got {describe(config)}")
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"`generator` must be a torch.Generator or None, got {describe(generator)}")
    x_all = as_images(images, "images")
    check_image_shape(x_all, model.image_shape, "images")  # type: ignore[arg-type]
    n = x_all.shape[0]
    y_all = None
    if labels is not None:
        y_all = torch.as_tensor(labels)
        if y_all.ndim != 1 or y_all.shape[0] != n:
            raise ValueError(f"`labels` must have shape ({n},) to match `images`, "
                             f"got {tuple(y_all.shape)}")
        if y_all.is_floating_point() or y_all.dtype == torch.bool:
            raise TypeError(f"`labels` must be integers, got dtype {y_all.dtype}")
        y_all = y_all.long()
    dev = model.device
    gdev = generator.device if generator is not None else torch.device("cpu")
    steps_per_epoch = math.ceil(n / config.batch_size)
    total = steps_per_epoch * config.epochs
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, betas=config.betas,
                            weight_decay=config.weight_decay)
    sched = _scheduler(opt, config, total)
    probe: nn.Linear | None = None
    probe_opt = None
    if y_all is not None:
        with torch.no_grad():
            width = model(x_all[:2].to(dev), generator=None).latent.shape[1]
        n_cls = int(y_all.max()) + 1
        probe = nn.Linear(width, n_cls).to(dev)
        nn.init.zeros_(probe.weight)
        nn.init.zeros_(probe.bias)
        probe_opt = torch.optim.Adam(probe.parameters(), lr=1e-3)
    hist = PretrainHistory()
    start = 0
    ckpt = Path(checkpoint) if checkpoint is not None else None
    if resume and ckpt is not None and ckpt.is_file():
        blob = torch.load(ckpt, map_location=dev, weights_only=True)
        model.load_state_dict(blob["model"])
        opt.load_state_dict(blob["optimizer"])
        sched.load_state_dict(blob["scheduler"])
        if generator is not None and "generator" in blob:
            generator.set_state(blob["generator"].cpu())
        if probe is not None and "probe" in blob:
            probe.load_state_dict(blob["probe"])
            probe_opt.load_state_dict(blob["probe_optimizer"])  # type: ignore[union-attr]
        for k, v in blob["history"].items():
            setattr(hist, k, list(v) if k != "warnings" else [str(s) for s in v])
        start = int(blob["epoch"])
    import time

    model.train()
    bar = _progress(range(start, config.epochs), total=config.epochs - start, desc="pretrain",
                    disable=None if progress is None else not progress)
    for epoch in bar:
        t0 = time.perf_counter()
        perm = torch.randperm(n, generator=generator, device=gdev).cpu()
        s_loss = s_zero = s_std = 0.0
        correct = 0
        for step in range(steps_per_epoch):
            idx = perm[step * config.batch_size : (step + 1) * config.batch_size]
            xb = x_all[idx].to(dev, torch.float32)
            if config.augment is not None:
                xb = config.augment(xb, generator)
            out = model(xb, generator=generator)
            loss = out.loss
            if not bool(torch.isfinite(loss)):
                raise RuntimeError(
                    f"pre-training diverged: non-finite loss ({float(loss.detach())}) at "
                    f"epoch {epoch + 1}, step {step + 1}; lower `lr` or check the inputs"
                )
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            lv = float(loss.detach())
            hist.step_loss.append(lv)
            w = len(idx) / n
            s_loss += lv * w
            s_zero += float(out.zero_loss) * w
            s_std += float(out.latent.std(0).mean()) * w if len(idx) > 1 else 0.0
            if probe is not None:
                yb = y_all[idx].to(dev)  # type: ignore[index]
                logits = probe(out.latent)
                pl = nn.functional.cross_entropy(logits, yb)
                probe_opt.zero_grad(set_to_none=True)  # type: ignore[union-attr]
                pl.backward()
                probe_opt.step()  # type: ignore[union-attr]
                correct += int((logits.argmax(1) == yb).sum())
        hist.loss.append(s_loss)
        hist.relative_loss.append(s_loss / s_zero if s_zero > 0 else float("nan"))
        hist.feature_std.append(s_std)
        if probe is not None:
            hist.probe_accuracy.append(correct / n)
        hist.seconds.append(time.perf_counter() - t0)
        if hasattr(bar, "set_postfix"):
            bar.set_postfix(loss=f"{s_loss:.4f}", rel=f"{hist.relative_loss[-1]:.3f}")
        if ckpt is not None:
            blob = {"model": model.state_dict(), "optimizer": opt.state_dict(),
                    "scheduler": sched.state_dict(), "epoch": epoch + 1,
                    "history": {k: v for k, v in hist.to_dict().items()}}
            if generator is not None:
                blob["generator"] = generator.get_state()
            if probe is not None:
                blob["probe"] = probe.state_dict()
                blob["probe_optimizer"] = probe_opt.state_dict()  # type: ignore[union-attr]
            tmp = ckpt.with_name(ckpt.name + ".tmp")
            torch.save(blob, tmp)
            os.replace(tmp, ckpt)
        if callback is not None:
            callback(epoch, hist)
    model.eval()
    if hist.relative_loss and hist.relative_loss[-1] >= COLLAPSE_RELATIVE_LOSS:
        hist.warnings.append(
            f"relative loss {hist.relative_loss[-1]:.3f} >= {COLLAPSE_RELATIVE_LOSS}: the decoder "
            "predicts about zero for the masked part (collapse to the zero predictor)")
    if hist.feature_std and hist.feature_std[-1] < COLLAPSE_FEATURE_STD:
        hist.warnings.append(
            f"encoder feature std {hist.feature_std[-1]:.2e} < {COLLAPSE_FEATURE_STD}: the "
            "representation collapsed to a constant")
    return hist
