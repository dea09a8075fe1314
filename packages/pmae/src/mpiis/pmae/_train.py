"""Pre-training loop for PMAE and MAE (paper Sec. 4, "Optimisation").

One loop for every input (arrays, tensors, ``torch.utils.data`` datasets streamed through a
``DataLoader``), one device or many (DistributedDataParallel under ``torchrun``), with mixed
precision, ``torch.compile``, weight decay on weights only, host syncs only at logging
intervals, and resumable checkpoints (``mpiis.shared.torch``).
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn

from mpiis.shared.progress import progress as _progress
from mpiis.shared.torch import (
    DistInfo,
    all_reduce_mean,
    cosine_schedule,
    load_checkpoint,
    save_checkpoint,
    weight_decay_groups,
    wrap_ddp,
)
from mpiis.shared.validation import check_choice, check_int, check_positive

from ._checks import as_images, check_image_shape, describe
from ._dataset import RandomResizedCropFlip
from ._masking import PatchMask
from ._model import MaskedAutoencoder

__all__ = ["PretrainConfig", "PretrainHistory", "pretrain"]

#: relative loss at or above which a run is flagged as collapsed to the zero predictor
COLLAPSE_RELATIVE_LOSS = 0.99
#: encoder-feature std below which a run is flagged as collapsed
COLLAPSE_FEATURE_STD = 1e-3
#: parameters without weight decay besides biases and norm scales (MAE's no-decay list)
NO_DECAY = ("cls_token", "mask_token", "pos_embed")


@dataclass(frozen=True, kw_only=True)
class PretrainConfig:
    """Optimiser, schedule and engine of pre-training (defaults: the package's CPU recipe).

    The paper uses AdamW (0.9, 0.95), weight decay 0.05 on weights only, lr 1.5e-4 * batch / 256,
    batch 512, 40 warm-up epochs then cosine, 800 epochs, random resized crop + flip
    (:meth:`paper`).
    """

    epochs: int  # passes over the training images
    batch_size: int = 128  # images per step, over all processes (paper: 512)
    lr: float = 1e-3  # peak learning rate (paper: 1.5e-4 * 512 / 256)
    weight_decay: float = 0.05  # AdamW weight decay on weight matrices only (paper: 0.05)
    betas: tuple[float, float] = (0.9, 0.95)  # AdamW betas (paper: (0.9, 0.95))
    warmup_fraction: float = 0.1  # share of steps spent warming up (paper: 40 / 800)
    schedule: Literal["onecycle", "warmup_cosine"] = "onecycle"  # lr schedule
    augment: Callable[[torch.Tensor, torch.Generator | None], torch.Tensor] | None = None
    # ``augment(batch, generator) -> batch`` applied to raw images before masking, e.g.
    # :class:`RandomResizedCropFlip` (the paper's); None for digits and the synthetic set
    amp: Literal["off", "bf16", "fp16"] = "off"  # autocast dtype (fp16 adds a GradScaler)
    compile: bool = False  # ``torch.compile`` the model (GPU runs; off on a CPU by default)
    log_every: int = 0  # steps between host syncs for the history (0: once per epoch)
    checkpoint_every: int = 0  # steps between checkpoints (0: at the end of every epoch)
    num_workers: int = 0  # DataLoader workers when the input is a Dataset

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
        check_choice(self.amp, "amp", ("off", "bf16", "fp16"))
        if not isinstance(self.compile, bool):
            raise TypeError(f"`compile` must be a bool, got {describe(self.compile)}")
        check_int(self.log_every, "log_every", minimum=0)
        check_int(self.checkpoint_every, "checkpoint_every", minimum=0)
        check_int(self.num_workers, "num_workers", minimum=0)

    @classmethod
    def cpu(cls, epochs: int = 15) -> PretrainConfig:
        """The CPU recipe: batch 128, lr 1e-3, one-cycle with 10 % warm-up."""
        return cls(epochs=epochs)

    @classmethod
    def paper(cls) -> PretrainConfig:
        """The paper's recipe: 800 epochs, batch 512, lr 1.5e-4 * 2, 40 warm-up epochs, cosine,
        random resized crop (0.2-1, bicubic) + flip, bf16 autocast and ``torch.compile`` (a GPU
        recipe)."""
        return cls(epochs=800, batch_size=512, lr=1.5e-4 * 512 / 256,
                   warmup_fraction=40 / 800, schedule="warmup_cosine",
                   augment=RandomResizedCropFlip(), amp="bf16", compile=True)

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
    number of steps); ``warmup_cosine``: linear warm-up, cosine decay to 0
    (``mpiis.shared.torch.cosine_schedule``)."""
    warm = max(1, round(cfg.warmup_fraction * total)) if cfg.warmup_fraction > 0 else 0
    if cfg.schedule == "warmup_cosine":
        return cosine_schedule(opt, warmup_steps=min(warm, total), total_steps=total)
    rest = max(1, total - warm)

    def cos_interp(a: float, b: float, t: float) -> float:
        return b + (a - b) * 0.5 * (1.0 + math.cos(math.pi * min(1.0, max(0.0, t))))

    lo, end = 1.0 / 25.0, 1.0 / 25.0 / 1e4

    def factor(step: int) -> float:
        if step < warm:
            return cos_interp(lo, 1.0, step / warm)
        return cos_interp(1.0, end, (step - warm) / rest)

    return torch.optim.lr_scheduler.LambdaLR(opt, factor)


def _n_classes(dataset: Any, n: int) -> int:
    """Classes of a labelled dataset, without reading its images when it says (``classes`` or
    ``labels`` attributes)."""
    if hasattr(dataset, "classes"):
        return len(dataset.classes)
    if hasattr(dataset, "labels"):
        return int(torch.as_tensor(dataset.labels).max()) + 1
    return int(max(int(torch.as_tensor(dataset[i][1])) for i in range(n))) + 1


def _rows(mask: torch.Tensor | PatchMask, rank: int, world: int) -> torch.Tensor | PatchMask:
    """This rank's rows of the global batch's masks (rank r holds global rows r, r + W, ...)."""
    if world == 1:
        return mask
    if isinstance(mask, PatchMask):
        return PatchMask(*(t[rank::world] for t in mask))
    return mask[rank::world]


class _Batches:
    """The rank's batches of one epoch, in ``DistributedSampler`` order (seeded with
    ``seed + epoch``; one process is world size 1), so the global batch of every step is the
    same block of the same permutation whatever the number of processes."""

    def __init__(self, source: Any, labels: torch.Tensor | None, n: int, info: DistInfo,
                 local_batch: int, seed: int, num_workers: int, pin: bool) -> None:
        self.source, self.labels, self.n, self.info = source, labels, n, info
        self.local_batch, self.seed, self.num_workers, self.pin = (local_batch, seed,
                                                                   num_workers, pin)
        self.is_dataset = isinstance(source, torch.utils.data.Dataset)
        self.sampler = torch.utils.data.DistributedSampler(
            range(n), num_replicas=info.world_size, rank=info.rank, shuffle=True, seed=seed)

    def steps(self) -> int:
        return math.ceil(len(self.sampler) / self.local_batch)

    def epoch(self, epoch: int, skip: int = 0):
        self.sampler.set_epoch(epoch)
        idx = torch.as_tensor(list(self.sampler), dtype=torch.long)
        chunks = [idx[i : i + self.local_batch] for i in range(0, len(idx), self.local_batch)]
        chunks = chunks[skip:]
        if not self.is_dataset:
            for c in chunks:
                xb = self.source[c.to(self.source.device)]
                yb = None if self.labels is None else self.labels[c]
                yield xb, yb
            return
        loader = torch.utils.data.DataLoader(
            self.source, batch_sampler=[c.tolist() for c in chunks],
            num_workers=self.num_workers, pin_memory=self.pin)
        for item in loader:
            if isinstance(item, list | tuple):
                xb, yb = item[0], (item[1] if len(item) > 1 else None)
            else:
                xb, yb = item, None
            if not isinstance(xb, torch.Tensor) or not xb.is_floating_point():
                raise TypeError(f"the dataset must yield float image tensors, got {describe(xb)}")
            if xb.ndim == 3:
                xb = xb[:, None]
            if not bool(torch.isfinite(xb).all()):  # on the host: no device sync
                raise ValueError("the dataset yielded NaN or Inf pixel values")
            if yb is not None:
                yb = torch.as_tensor(yb).long()
                if bool((yb < 0).all()):
                    yb = None
            yield xb, yb


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
    dist: DistInfo | None = None,
) -> PretrainHistory:
    """Pre-train ``model`` (paper Sec. 4) with AdamW and a warm-up schedule.

    Each epoch visits the images in a random order (``DistributedSampler``'s, seeded from one
    draw of ``generator``), and ``generator`` draws every mask and augmentation. With ``labels``
    (or a dataset that yields them) an online linear classifier on the detached representation
    reports its training accuracy (the paper's monitor). The loop syncs with the host only every
    ``config.log_every`` steps and at the end of each epoch; a non-finite loss then stops
    training with ``RuntimeError`` naming the first bad epoch and step.

    Data parallel: run the script under ``torchrun`` and pass ``dist=init_distributed()``
    (``mpiis.shared.torch``); the model is wrapped in DistributedDataParallel, each process takes
    ``config.batch_size / world_size`` images of every global batch, and all processes draw the
    global batch's masks from identically seeded generators and keep their own rows, so the run
    matches one process on the same global batch. Rank 0 writes the checkpoints.

    Args:
        model: a :class:`MaskedAutoencoder` (trained in place on its device, or on
            ``dist.device``).
        images: ``(N, C, H, W)`` float images in [0, 1] (array or tensor), or a
            ``torch.utils.data.Dataset`` yielding ``image`` or ``(image, label)`` (e.g.
            :class:`ImageFolderDataset`, streamed from disk).
        config: :class:`PretrainConfig`.
        generator: randomness for the data order, masks and augmentations (on the CPU or the
            model's device); the same seed on every process.
        labels: optional ``(N,)`` integer labels for the online probe (array inputs).
        callback: ``callback(epoch, history)`` after every epoch.
        progress: show a progress bar (``None``: only on a terminal; rank 0 only).
        checkpoint: file written every ``config.checkpoint_every`` steps and after every epoch
            (model, optimiser, scheduler, generator, history; ``mpiis.shared.torch``).
        resume: continue from ``checkpoint`` when it exists.
        dist: the process group from ``init_distributed()``; None for one process.

    Returns:
        :class:`PretrainHistory` (on every rank; losses are averaged over ranks).
    """
    if not isinstance(model, MaskedAutoencoder):
        raise TypeError(f"`model` must be a MaskedAutoencoder, got {describe(model)}")
    if not isinstance(config, PretrainConfig):
        raise TypeError(f"`config` must be a PretrainConfig, got {describe(config)}")
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"`generator` must be a torch.Generator or None, got {describe(generator)}")
    if dist is not None and not isinstance(dist, DistInfo):
        raise TypeError(f"`dist` must be a DistInfo from init_distributed() or None, "
                        f"got {describe(dist)}")
    info = dist if dist is not None else DistInfo(device=model.device)
    world, rank = info.world_size, info.rank
    if config.batch_size % world:
        raise ValueError(f"`config.batch_size` (={config.batch_size}) must be a multiple of the "
                         f"world size ({world})")
    if info.enabled and model.device != info.device:
        model.to(info.device)
    dev = model.device
    y_all = None
    if isinstance(images, torch.utils.data.Dataset):
        if labels is not None:
            raise ValueError("`labels` must be None when `images` is a Dataset (it yields them)")
        source: Any = images
        n = len(images)  # type: ignore[arg-type]
        if n < 1:
            raise ValueError("`images` must hold at least 1 image, got an empty dataset")
        probe_x = images[0]  # one read, for the shape check and the probe width
        probe_x = probe_x[0] if isinstance(probe_x, list | tuple) else probe_x
        probe_x = torch.as_tensor(probe_x)
        probe_x = probe_x[None] if probe_x.ndim == 3 else probe_x[None, None]
        check_image_shape(probe_x, model.image_shape, "images")  # type: ignore[arg-type]
        first_item = images[0]
        has_labels = isinstance(first_item, list | tuple) and len(first_item) > 1 and int(
            torch.as_tensor(first_item[1])) >= 0
    else:
        source = as_images(images, "images")  # validated once, on its own device
        check_image_shape(source, model.image_shape, "images")  # type: ignore[arg-type]
        n = source.shape[0]
        probe_x = source[:2]
        if labels is not None:
            y_all = torch.as_tensor(labels)
            if y_all.ndim != 1 or y_all.shape[0] != n:
                raise ValueError(f"`labels` must have shape ({n},) to match `images`, "
                                 f"got {tuple(y_all.shape)}")
            if y_all.is_floating_point() or y_all.dtype == torch.bool:
                raise TypeError(f"`labels` must be integers, got dtype {y_all.dtype}")
            y_all = y_all.long()
        has_labels = y_all is not None
    gdev = generator.device if generator is not None else torch.device("cpu")
    local_b = config.batch_size // world
    # the data order's seed: one draw, the same on every rank (identically seeded generators)
    data_seed = int(torch.randint(0, 2**31 - 1, (), generator=generator, device=gdev))
    batches = _Batches(source, y_all, n, info, local_b, data_seed, config.num_workers,
                       pin=dev.type == "cuda")
    steps_per_epoch = batches.steps()
    total = steps_per_epoch * config.epochs
    raw = model
    opt = torch.optim.AdamW(weight_decay_groups(raw, config.weight_decay, skip=NO_DECAY),
                            lr=config.lr, betas=config.betas)
    sched = _scheduler(opt, config, total)
    net: Any = wrap_ddp(raw, info)
    if config.compile:
        net = torch.compile(net)
    amp_dtype = {"off": None, "bf16": torch.bfloat16, "fp16": torch.float16}[config.amp]
    scaler = torch.amp.GradScaler(dev.type, enabled=config.amp == "fp16")

    def autocast() -> Any:
        if amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=dev.type, dtype=amp_dtype)

    probe: nn.Linear | None = None
    probe_opt = None
    if has_labels:
        with torch.no_grad():
            width = raw(probe_x.to(dev, torch.float32), generator=None).latent.shape[1]
        if y_all is not None:
            n_cls = int(y_all.max()) + 1
        else:
            n_cls = _n_classes(source, n)
        probe = nn.Linear(width, n_cls).to(dev)
        nn.init.zeros_(probe.weight)
        nn.init.zeros_(probe.bias)
        probe_opt = torch.optim.Adam(probe.parameters(), lr=1e-3)
    hist = PretrainHistory()
    start_epoch, start_step = 0, 0
    ckpt = Path(checkpoint) if checkpoint is not None else None
    if resume and ckpt is not None and ckpt.is_file():
        got = load_checkpoint(ckpt, model=raw, optimizer=opt, scheduler=sched,
                              generator=generator)
        extra = got["extra"]
        for k, v in extra["history"].items():
            setattr(hist, k, list(v) if k != "warnings" else [str(s) for s in v])
        start_epoch, start_step = int(extra["epoch"]), int(extra["step_in_epoch"])
        data_seed = int(extra["data_seed"])
        batches.seed = data_seed
        batches.sampler.seed = data_seed
        if probe is not None and "probe" in extra:
            probe.load_state_dict(extra["probe"])
            probe_opt.load_state_dict(extra["probe_optimizer"])  # type: ignore[union-attr]
        if "scaler" in extra:
            scaler.load_state_dict(extra["scaler"])
        acc_state = extra.get("epoch_sums")
    else:
        acc_state = None

    pending: list[torch.Tensor] = []  # per-step losses still on the device

    def flush(epoch: int, first_step: int) -> None:
        """One host sync: move pending step losses to the history, stop on a non-finite one."""
        if not pending:
            return
        vals = torch.stack(pending).float().tolist()
        pending.clear()
        for j, v in enumerate(vals):
            if not math.isfinite(v):
                raise RuntimeError(
                    f"pre-training diverged: non-finite loss ({v}) at epoch {epoch + 1}, "
                    f"step {first_step + j + 1}; lower `lr` or check the inputs")
        hist.step_loss.extend(vals)

    def save(epoch: int, step_in_epoch: int, sums: torch.Tensor) -> None:
        if ckpt is None or not info.is_main:
            return
        extra: dict[str, Any] = {"epoch": epoch, "step_in_epoch": step_in_epoch,
                                 "data_seed": data_seed, "history": hist.to_dict(),
                                 "epoch_sums": sums.detach().cpu(), "scaler": scaler.state_dict()}
        if probe is not None:
            extra["probe"] = probe.state_dict()
            extra["probe_optimizer"] = probe_opt.state_dict()  # type: ignore[union-attr]
        save_checkpoint(ckpt, model=raw, optimizer=opt, scheduler=sched,
                        step=epoch * steps_per_epoch + step_in_epoch, extra=extra,
                        generator=generator)

    net.train()
    bar = _progress(range(start_epoch, config.epochs), total=config.epochs - start_epoch,
                    desc="pretrain",
                    disable=(None if progress is None else not progress) or not info.is_main)
    local_n = len(batches.sampler)
    for epoch in bar:
        t0 = time.perf_counter()
        skip = start_step if epoch == start_epoch else 0
        # loss, zero-predictor loss, feature std (weighted by batch share), probe hits
        sums = torch.zeros(4, device=dev, dtype=torch.float64)
        if skip and acc_state is not None:
            sums += acc_state.to(dev)
        first = skip
        for step, (xb, yb) in enumerate(batches.epoch(epoch, skip), start=skip):
            xb = xb.to(dev, torch.float32, non_blocking=True)
            bl = xb.shape[0]
            # the global batch's masks, drawn identically on every rank; keep this rank's rows
            mask = _rows(raw.sample_mask(bl * world, generator=generator), rank, world)
            if config.augment is not None:
                xb = config.augment(xb, generator)
            with autocast():
                out = net(xb, mask=mask, validate=False)
                loss = out.loss
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            sched.step()
            ld = loss.detach()
            pending.append(ld)
            w = bl / local_n
            lat = out.latent.float()
            std = lat.std(0).mean() if bl > 1 else torch.zeros((), device=dev)
            sums[:3] += torch.stack([ld.double(), out.zero_loss.double(), std.double()]) * w
            if probe is not None and yb is not None:
                yb = yb.to(dev, non_blocking=True)
                logits = probe(lat)
                pl = nn.functional.cross_entropy(logits, yb)
                probe_opt.zero_grad(set_to_none=True)  # type: ignore[union-attr]
                pl.backward()
                probe_opt.step()  # type: ignore[union-attr]
                sums[3] += (logits.argmax(1) == yb).sum()
            done = step + 1
            if config.log_every and done % config.log_every == 0:
                flush(epoch, first)
                first = done
            if config.checkpoint_every and done % config.checkpoint_every == 0 and \
                    done < steps_per_epoch:
                flush(epoch, first)
                first = done
                save(epoch, done, sums)
        flush(epoch, first)
        sums = all_reduce_mean(sums, info)
        s_loss, s_zero, s_std, hits = sums.tolist()
        hist.loss.append(s_loss)
        hist.relative_loss.append(s_loss / s_zero if s_zero > 0 else float("nan"))
        hist.feature_std.append(s_std)
        if probe is not None:
            hist.probe_accuracy.append(hits / local_n)
        hist.seconds.append(time.perf_counter() - t0)
        if hasattr(bar, "set_postfix"):
            bar.set_postfix(loss=f"{s_loss:.4f}", rel=f"{hist.relative_loss[-1]:.3f}")
        save(epoch + 1, 0, torch.zeros(4))
        if callback is not None:
            callback(epoch, hist)
    raw.eval()
    if hist.relative_loss and hist.relative_loss[-1] >= COLLAPSE_RELATIVE_LOSS:
        hist.warnings.append(
            f"relative loss {hist.relative_loss[-1]:.3f} >= {COLLAPSE_RELATIVE_LOSS}: the decoder "
            "predicts about zero for the masked part (collapse to the zero predictor)")
    if hist.feature_std and hist.feature_std[-1] < COLLAPSE_FEATURE_STD:
        hist.warnings.append(
            f"encoder feature std {hist.feature_std[-1]:.2e} < {COLLAPSE_FEATURE_STD}: the "
            "representation collapsed to a constant")
    return hist
