"""Input checks shared by the modules of mpiis.pmae (private)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from mpiis.shared.validation import check_int

__all__ = ["as_images", "check_image_shape", "check_range", "check_ratio", "describe", "has_values"]


def describe(x: Any) -> str:
    if isinstance(x, torch.Tensor | np.ndarray):
        return f"{type(x).__name__} of shape {tuple(x.shape)} and dtype {x.dtype}"
    return f"{type(x).__name__} {x!r}"


def as_images(
    images: Any,
    name: str = "images",
    *,
    device: torch.device | None = None,
    dtype: torch.dtype | None = None,
    min_count: int = 1,
) -> torch.Tensor:
    """Turn ``images`` ((N, C, H, W) or (N, H, W), float) into a float tensor (N, C, H, W).

    Integer and boolean images are refused with ``TypeError`` (convert them to floats in [0, 1]
    first); NaN/Inf and wrong ranks are refused with ``ValueError``.
    """
    if isinstance(images, np.ndarray):
        if images.dtype.kind not in "f":
            raise TypeError(
                f"`{name}` must be a floating-point array in [0, 1] (convert integer or boolean "
                f"images first, e.g. x / 255.0), got dtype {images.dtype}"
            )
        t = torch.from_numpy(np.ascontiguousarray(images))
        if t.dtype == torch.float64 and dtype is None:
            t = t.float()
    elif isinstance(images, torch.Tensor):
        t = images
        if not t.is_floating_point():
            raise TypeError(
                f"`{name}` must be a floating-point tensor in [0, 1] (convert integer or boolean "
                f"images first, e.g. x / 255.0), got dtype {t.dtype}"
            )
    else:
        raise TypeError(f"`{name}` must be a numpy array or a torch tensor, got {describe(images)}")
    if t.ndim not in (3, 4):
        raise ValueError(
            f"`{name}` must have rank 3 (N, H, W) or 4 (N, C, H, W), got shape {tuple(t.shape)}"
        )
    if t.ndim == 3:
        t = t[:, None]
    if t.shape[0] < min_count:
        raise ValueError(f"`{name}` must hold at least {min_count} images, got {t.shape[0]}")
    if has_values(t) and not bool(torch.isfinite(t).all()):
        bad = int((~torch.isfinite(t)).sum())
        raise ValueError(f"`{name}` must be finite, got {bad} NaN or Inf value(s)")
    if device is not None or dtype is not None:
        t = t.to(device=device, dtype=dtype)
    return t


def has_values(t: torch.Tensor) -> bool:
    """False for tensors without data (the ``meta`` device): value checks are skipped there."""
    return t.device.type != "meta"


def check_image_shape(x: torch.Tensor, expected: tuple[int, int, int], name: str) -> None:
    if tuple(x.shape[1:]) != tuple(expected):
        raise ValueError(
            f"`{name}` must have image shape {tuple(expected)} (C, H, W) to match the basis/model, "
            f"got {tuple(x.shape[1:])}"
        )


def check_ratio(ratio: Any, name: str = "ratio") -> float:
    """A masking ratio strictly inside (0, 1)."""
    if isinstance(ratio, bool) or not isinstance(ratio, int | float | np.integer | np.floating):
        raise TypeError(f"`{name}` must be a real number in (0, 1), got {describe(ratio)}")
    v = float(ratio)
    if not (np.isfinite(v) and 0.0 < v < 1.0):
        raise ValueError(f"`{name}` must lie in the open interval (0, 1), got {ratio}")
    return v


def check_range(rng: Any, name: str = "random_range") -> tuple[float, float]:
    """A pair 0 < lo < hi < 1."""
    if not isinstance(rng, tuple | list) or len(rng) != 2:
        raise ValueError(f"`{name}` must be a pair (lo, hi) with 0 < lo < hi < 1, got {rng!r}")
    lo, hi = rng
    for v in (lo, hi):
        if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
            raise ValueError(f"`{name}` must be a pair of reals with 0 < lo < hi < 1, got {rng!r}")
    lo, hi = float(lo), float(hi)
    if not (0.0 < lo < hi < 1.0):
        raise ValueError(f"`{name}` must satisfy 0 < lo < hi < 1, got ({lo}, {hi})")
    return lo, hi


def check_count(x: Any, name: str) -> int:
    return check_int(x, name, minimum=1)
