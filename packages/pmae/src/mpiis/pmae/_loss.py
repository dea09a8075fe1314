"""Reconstruction losses: PMAE's component-space MSE and MAE's masked-patch MSE."""

from __future__ import annotations

from typing import Any

import torch

from ._basis import PCABasis
from ._checks import describe
from ._masking import ComponentMasking, PatchMask

__all__ = ["component_mse", "masked_mean_sq", "patch_mse"]


def masked_mean_sq(err: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Per-sample mean of ``err**2`` over masked entries: ``(B, K)`` -> ``(B,)``."""
    m = mask.to(err.dtype)
    return (err.square() * m).sum(1) / m.sum(1).clamp_min(1.0)


def component_mse(
    pred_images: torch.Tensor,
    target_images: torch.Tensor,
    basis: PCABasis | ComponentMasking,
    mask: torch.Tensor,
) -> torch.Tensor:
    """PMAE loss (paper Eq. for L_PMAE): mean over masked components of ``(c_hat_k - c_k)^2``.

    ``c_hat = x_hat V`` and ``c = x V`` in standardised pixel space; equivalently
    ``||P_m (x_hat - x)||^2 / |m|`` with ``P_m = V diag(m) V^T``.

    Args:
        pred_images: ``(B, C, H, W)`` predicted standardised images.
        target_images: ``(B, C, H, W)`` standardised images.
        basis: the basis (or the masking that holds it).
        mask: ``(B, K)`` boolean, True = masked.

    Returns:
        ``(B,)`` per-sample losses; the caller takes the mean.
    """
    if isinstance(basis, ComponentMasking):
        v = basis.components
    elif isinstance(basis, PCABasis):
        v = basis.components
    else:
        raise TypeError(f"`basis` must be a PCABasis or ComponentMasking, got {describe(basis)}")
    if pred_images.shape != target_images.shape:
        raise ValueError(f"`pred_images` {tuple(pred_images.shape)} and `target_images` "
                         f"{tuple(target_images.shape)} must have the same shape")
    b = pred_images.shape[0]
    if tuple(mask.shape) != (b, v.shape[1]):
        raise ValueError(f"`mask` must have shape ({b}, {v.shape[1]}), got {tuple(mask.shape)}")
    err = (pred_images.reshape(b, -1) - target_images.reshape(b, -1)) @ v  # (B, K)
    return masked_mean_sq(err, mask)


def patch_mse(
    pred: torch.Tensor, target: torch.Tensor, patch_mask: PatchMask | Any
) -> torch.Tensor:
    """MAE loss: per-patch pixel MSE averaged over masked patches (no ``norm_pix_loss``).

    Args:
        pred: ``(B, L, P)`` predicted patches.
        target: ``(B, L, P)`` target patches.
        patch_mask: a :class:`PatchMask` or a boolean ``(B, L)`` mask (True = masked).

    Returns:
        ``(B,)`` per-sample losses.
    """
    mask = patch_mask.mask if isinstance(patch_mask, PatchMask) else patch_mask
    if pred.shape != target.shape or pred.ndim != 3:
        raise ValueError(f"`pred` {tuple(pred.shape)} and `target` {tuple(target.shape)} must "
                         "have the same (B, L, P) shape")
    if tuple(mask.shape) != tuple(pred.shape[:2]):
        raise ValueError(f"`patch_mask` must have shape {tuple(pred.shape[:2])}, "
                         f"got {tuple(mask.shape)}")
    per_patch = (pred - target).square().mean(-1)  # (B, L)
    m = mask.to(per_patch.dtype)
    return (per_patch * m).sum(1) / m.sum(1).clamp_min(1.0)
