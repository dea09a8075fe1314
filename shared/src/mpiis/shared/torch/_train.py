"""Training pieces that every torch package needs: EMA, checkpoints, the LR schedule,
weight-decay groups. Everything follows the model's device; nothing seeds a global RNG."""

from __future__ import annotations

import copy
import math
import os
from pathlib import Path
from typing import Any

import torch

__all__ = [
    "EMA",
    "cosine_schedule",
    "ema_decay_from_half_life",
    "load_checkpoint",
    "save_checkpoint",
    "weight_decay_groups",
]


def ema_decay_from_half_life(half_life_samples: float, batch_size: int) -> float:
    """Per-step EMA decay whose weight halves every ``half_life_samples`` training samples
    (EDM's convention: decay = 0.5 ** (batch_size / half_life)).

    Raises:
        ValueError: for a non-positive half-life or batch size.
    """
    if not half_life_samples > 0:
        raise ValueError(f"`half_life_samples` must be > 0, got {half_life_samples!r}")
    if not batch_size >= 1:
        raise ValueError(f"`batch_size` must be >= 1, got {batch_size!r}")
    return 0.5 ** (batch_size / half_life_samples)


class EMA:
    """An exponential moving average of a model's parameters (buffers are copied).

    ``ema.module`` is a frozen copy on the model's device; ``update(model)`` moves it towards
    the model by ``1 - decay``. Wrapped models (DistributedDataParallel, ``torch.compile``) are
    unwrapped first.

    Args:
        model: the model to average.
        decay: the per-step decay in [0, 1).
    """

    def __init__(self, model: torch.nn.Module, *, decay: float):
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"`decay` must be in [0, 1), got {decay!r}")
        self.decay = float(decay)
        self.module = copy.deepcopy(_unwrap(model)).eval()
        self.module.requires_grad_(False)

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        src = _unwrap(model)
        ema_p = list(self.module.parameters())
        src_p = list(src.parameters())
        if len(ema_p) != len(src_p):
            raise ValueError("`model` does not have the EMA copy's parameters")
        torch._foreach_lerp_(ema_p, [p.detach() for p in src_p], 1.0 - self.decay)
        for b_ema, b in zip(self.module.buffers(), src.buffers(), strict=True):
            b_ema.copy_(b)

    def state_dict(self) -> dict[str, Any]:
        return {"decay": self.decay, "module": self.module.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.decay = float(state["decay"])
        self.module.load_state_dict(state["module"])


def _unwrap(model: torch.nn.Module) -> torch.nn.Module:
    inner = getattr(model, "_orig_mod", model)  # torch.compile
    return getattr(inner, "module", inner) if _is_ddp(inner) else inner


def _is_ddp(model: torch.nn.Module) -> bool:
    return isinstance(model, torch.nn.parallel.DistributedDataParallel)


def save_checkpoint(path: str | os.PathLike, *, model: torch.nn.Module,
                    optimizer: torch.optim.Optimizer | None = None, ema: EMA | None = None,
                    scheduler: Any = None, step: int, extra: dict[str, Any] | None = None,
                    generator: torch.Generator | None = None) -> Path:
    """Write a resumable checkpoint atomically (a temporary file, then a rename).

    Holds the (unwrapped) model, and when given the optimiser, EMA, scheduler, the step, a
    generator's state and ``extra`` (JSON-like metadata such as the config).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state: dict[str, Any] = {"step": int(step), "model": _unwrap(model).state_dict(),
                             "extra": dict(extra or {})}
    if optimizer is not None:
        state["optimizer"] = optimizer.state_dict()
    if ema is not None:
        state["ema"] = ema.state_dict()
    if scheduler is not None:
        state["scheduler"] = scheduler.state_dict()
    if generator is not None:
        state["generator"] = generator.get_state()
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)
    return path


def load_checkpoint(path: str | os.PathLike, *, model: torch.nn.Module,
                    optimizer: torch.optim.Optimizer | None = None, ema: EMA | None = None,
                    scheduler: Any = None, generator: torch.Generator | None = None,
                    map_location: Any = None) -> dict[str, Any]:
    """Restore what :func:`save_checkpoint` wrote; returns ``{"step", "extra"}``.

    ``map_location`` defaults to the model's device, so a GPU checkpoint loads on a CPU.

    Raises:
        FileNotFoundError: when ``path`` does not exist.
        ValueError: when the checkpoint lacks a part that was asked for.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"`path` {str(path)!r} is not a checkpoint file")
    target = _unwrap(model)
    if map_location is None:
        p = next(iter(target.parameters()), None)
        map_location = p.device if p is not None else "cpu"
    state = torch.load(path, map_location=map_location, weights_only=False)
    target.load_state_dict(state["model"])
    for name, obj in (("optimizer", optimizer), ("ema", ema), ("scheduler", scheduler)):
        if obj is None:
            continue
        if name not in state:
            raise ValueError(f"checkpoint {str(path)!r} holds no {name} state")
        obj.load_state_dict(state[name])
    if generator is not None:
        if "generator" not in state:
            raise ValueError(f"checkpoint {str(path)!r} holds no generator state")
        generator.set_state(state["generator"].cpu())
    return {"step": int(state["step"]), "extra": state.get("extra", {})}


def cosine_schedule(optimizer: torch.optim.Optimizer, *, warmup_steps: int, total_steps: int,
                    min_ratio: float = 0.0) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up over ``warmup_steps``, then a half-cosine down to ``min_ratio`` times the
    base learning rate at ``total_steps`` (the MAE / ViT recipe)."""
    if total_steps < 1:
        raise ValueError(f"`total_steps` must be >= 1, got {total_steps}")
    if not 0 <= warmup_steps <= total_steps:
        raise ValueError(f"`warmup_steps` must be in [0, total_steps={total_steps}], "
                         f"got {warmup_steps}")
    if not 0.0 <= min_ratio <= 1.0:
        raise ValueError(f"`min_ratio` must be in [0, 1], got {min_ratio}")

    def factor(step: int) -> float:
        if warmup_steps and step < warmup_steps:
            return (step + 1) / warmup_steps
        span = max(total_steps - warmup_steps, 1)
        t = min((step - warmup_steps) / span, 1.0)
        return min_ratio + (1.0 - min_ratio) * 0.5 * (1.0 + math.cos(math.pi * t))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def weight_decay_groups(model: torch.nn.Module, weight_decay: float,
                        *, skip: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Two AdamW parameter groups: weight matrices and kernels (``ndim >= 2``) decay; biases,
    norm scales and 1-D tokens do not, nor any parameter whose name contains a ``skip``
    string (e.g. ``("pos_embed", "cls_token")``)."""
    if weight_decay < 0:
        raise ValueError(f"`weight_decay` must be >= 0, got {weight_decay}")
    decay, no_decay = [], []
    for name, p in _unwrap(model).named_parameters():
        if not p.requires_grad:
            continue
        if p.ndim < 2 or any(s in name for s in skip):
            no_decay.append(p)
        else:
            decay.append(p)
    return [{"params": decay, "weight_decay": float(weight_decay)},
            {"params": no_decay, "weight_decay": 0.0}]
