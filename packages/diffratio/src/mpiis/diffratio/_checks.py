"""Tensor checks at the public boundary (errors name the argument, the expectation and the
value received).

Shape and dtype checks are free. Value checks (finite, σ > 0, labels in range) read tensor
values, which on an accelerator forces the host to wait for the device; so inside forward
passes (:func:`check_sigma`, :func:`check_labels`) they run on CPU tensors only, and
:func:`check_finite` runs once per entry point (data given to ``train_teacher``, ``fit``,
``distill``), never per step on a device tensor. ``meta`` tensors have no values and skip them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

__all__ = ["as_tensor", "check_finite", "check_labels", "check_sigma", "check_x", "on_host"]


def on_host(t: torch.Tensor) -> bool:
    """True for CPU tensors, whose values can be read without a device sync."""
    return t.device.type == "cpu"


def as_tensor(x: Any, name: str, *, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Turn an array-like into a floating tensor (keeping a tensor's device), refusing strings."""
    if isinstance(x, torch.Tensor):
        if not (x.is_floating_point() or x.dtype in (torch.int32, torch.int64, torch.bool)):
            raise TypeError(f"`{name}` must be a real tensor, got dtype {x.dtype}")
        return x if x.is_floating_point() else x.to(dtype)
    try:
        arr = np.asarray(x)
    except Exception as exc:
        raise TypeError(f"`{name}` must be an array or tensor: {exc}") from exc
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"`{name}` must be a real numeric array, got dtype {arr.dtype}")
    return torch.as_tensor(arr.astype(np.float32) if arr.dtype.kind != "f" else arr).to(dtype)


def check_finite(x: torch.Tensor, name: str) -> torch.Tensor:
    """Refuse NaN and ±Inf (one read of the values; nothing to check on ``meta``)."""
    if x.device.type == "meta":
        return x
    if not bool(torch.isfinite(x).all()):
        bad = int((~torch.isfinite(x)).sum())
        raise ValueError(f"`{name}` must be finite, got {bad} NaN or Inf value(s)")
    return x


def check_x(x: Any, name: str, shape: tuple[int, ...] | None, *, finite: bool = True
            ) -> torch.Tensor:
    """A batch ``(B, *shape)``: rank and trailing shape checked when ``shape`` is known."""
    x = as_tensor(x, name)
    if x.ndim < 2:
        raise ValueError(f"`{name}` must be a batch of rank >= 2 (B, ...), got shape "
                         f"{tuple(x.shape)}")
    if shape is not None and tuple(x.shape[1:]) != tuple(shape):
        raise ValueError(
            f"`{name}` must have shape (B, {', '.join(map(str, shape))}) to match the model, "
            f"got {tuple(x.shape)}"
        )
    return check_finite(x, name) if finite else x


def check_sigma(sigma: Any, batch: int, *, like: torch.Tensor) -> torch.Tensor:
    """σ as ``(B,)`` positive; a Python number is broadcast to the batch."""
    if isinstance(sigma, int | float) and not isinstance(sigma, bool):
        if not sigma > 0:
            raise ValueError(f"`sigma` must be > 0, got {sigma}")
        return torch.full((batch,), float(sigma), device=like.device, dtype=like.dtype)
    if not isinstance(sigma, torch.Tensor):
        raise TypeError(f"`sigma` must be a tensor of shape ({batch},) or a number, "
                        f"got {type(sigma).__name__}")
    if sigma.shape != (batch,):
        raise ValueError(f"`sigma` must have shape ({batch},), got {tuple(sigma.shape)}")
    # one reduction and one read: NaN fails `> 0`, +inf fails `< inf`
    if on_host(sigma) and not bool(((sigma > 0) & (sigma < math.inf)).all()):
        raise ValueError(f"`sigma` must be > 0 and finite, got min {float(sigma.min()):.4g}")
    return sigma.to(like.dtype)


def check_labels(labels: Any, batch: int, num_classes: int, *, device) -> torch.Tensor | None:
    """Labels ``(B,)`` int64 in [0, num_classes) for a conditional model, ``None`` otherwise."""
    if num_classes == 0:
        if labels is not None:
            raise ValueError("`labels` were given to an unconditional model (num_classes=0)")
        return None
    if labels is None:
        raise ValueError(f"`labels` are required: the model is conditional on {num_classes} "
                         "classes")
    labels = torch.as_tensor(labels)
    if labels.dtype.is_floating_point or labels.shape != (batch,):
        raise ValueError(f"`labels` must be an integer tensor of shape ({batch},), got "
                         f"dtype {labels.dtype} and shape {tuple(labels.shape)}")
    if batch and on_host(labels) and (int(labels.min()) < 0 or int(labels.max()) >= num_classes):
        raise ValueError(f"`labels` must lie in [0, {num_classes}), got "
                         f"[{int(labels.min())}, {int(labels.max())}]")
    return labels.to(device=device, dtype=torch.long)
