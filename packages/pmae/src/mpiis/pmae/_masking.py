"""Mask samplers: principal-component masks by variance share (PMAE) and patch masks (MAE).

Paper Sec. 3: a random subset of components carrying a share ``r`` of the variance is masked;
the encoder sees the image rebuilt from the remaining components.
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

import numpy as np
import torch
from torch import nn

from mpiis.shared.validation import check_choice, check_int

from ._basis import PCABasis
from ._checks import (
    as_images,
    check_image_shape,
    check_range,
    check_ratio,
    describe,
    has_values,
)

__all__ = [
    "ComponentMasking",
    "PatchMask",
    "PatchMasking",
    "bottom_variance_mask",
    "random_patch_mask",
    "sample_variance_mask",
    "top_variance_mask",
]


def _check_evr(evr: Any, validate: bool = True) -> torch.Tensor:
    if not validate:  # checked once where it was stored (ComponentMasking): no host sync
        return evr
    if not isinstance(evr, torch.Tensor | np.ndarray):
        raise TypeError(
            f"`explained_variance_ratio` must be a tensor or array, got {describe(evr)}")
    t = torch.as_tensor(evr)
    if t.ndim != 1 or t.shape[0] < 2:
        raise ValueError(
            f"`explained_variance_ratio` must have shape (K,) with K >= 2, got {tuple(t.shape)}"
        )
    if has_values(t) and (not bool(torch.isfinite(t).all()) or bool((t < 0).any())):
        raise ValueError("`explained_variance_ratio` must be finite and >= 0")
    return t.float()


def _gen_device(generator: torch.Generator | None, default: Any = None) -> torch.device:
    """Where random numbers are drawn: the generator's device, else ``default`` (the data's
    device), else the CPU."""
    if generator is not None:
        return generator.device
    return torch.device(default) if default is not None else torch.device("cpu")


def _closest_prefix(cum: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
    """Index j* = argmin_j |S_j - r| of each row, clamped to keep one component visible."""
    j = (cum - r[:, None]).abs().argmin(dim=1)
    return j.clamp(max=cum.shape[1] - 2)


def sample_variance_mask(
    explained_variance_ratio: Any,
    ratio: float | tuple[float, float],
    batch_size: int,
    *,
    generator: torch.Generator | None = None,
    validate: bool = True,
) -> torch.Tensor:
    """Random component masks carrying a share ``ratio`` of the variance (paper Sec. 3).

    Per sample: a random permutation pi of the K components, running sums
    ``S_j = sum_{i<=j} e_pi(i)``, ``j* = argmin_j |S_j - r|``; components pi(1..j*) are masked
    (at least one masked, at least one visible). Fully batched: one argsort, one cumsum, one
    scatter.

    Args:
        explained_variance_ratio: ``(K,)`` ratios e_k.
        ratio: the share r in (0, 1), or a range ``(lo, hi)`` with r ~ U[lo, hi) per sample
            (PMAE_rd).
        batch_size: B.
        generator: source of randomness (its device is used for sampling).
        validate: check the ratios for NaN/negative values (a host sync on a GPU);
            :class:`ComponentMasking` checked them once and passes ``False``.

    Returns:
        Boolean ``(B, K)`` on the ratios' device, True = masked.
    """
    evr = _check_evr(explained_variance_ratio, validate)
    b = check_int(batch_size, "batch_size", minimum=1)
    gdev = _gen_device(generator, evr.device)
    k = evr.shape[0]
    if isinstance(ratio, tuple | list):
        lo, hi = check_range(ratio, "ratio")
        r = lo + (hi - lo) * torch.rand(b, generator=generator, device=gdev)
    else:
        r = torch.full((b,), check_ratio(ratio), device=gdev)
    perm = torch.rand(b, k, generator=generator, device=gdev).argsort(dim=1).to(evr.device)
    r = r.to(evr.device)
    cum = evr[perm].cumsum(dim=1)  # (B, K) running variance of the permuted components
    j = _closest_prefix(cum, r)
    by_rank = torch.arange(k, device=evr.device)[None, :] <= j[:, None]  # (B, K) in perm order
    return torch.zeros(b, k, dtype=torch.bool, device=evr.device).scatter(1, perm, by_rank)


def _ordered_mask(evr: Any, ratio: float, descending: bool,
                  validate: bool = True) -> torch.Tensor:
    e = _check_evr(evr, validate)
    r = check_ratio(ratio)
    order = torch.argsort(e, descending=descending, stable=True)
    cum = e[order].cumsum(0)[None]
    j = _closest_prefix(cum, torch.full((1,), r, device=e.device, dtype=cum.dtype))[0]
    by_rank = torch.arange(e.shape[0], device=e.device) <= j
    return torch.zeros_like(by_rank).scatter(0, order, by_rank)


def top_variance_mask(explained_variance_ratio: Any, ratio: float) -> torch.Tensor:
    """Deterministic ablation: mask the highest-variance components up to share ``ratio``.

    Returns:
        Boolean ``(K,)``, True = masked.
    """
    return _ordered_mask(explained_variance_ratio, ratio, descending=True)


def bottom_variance_mask(explained_variance_ratio: Any, ratio: float) -> torch.Tensor:
    """Deterministic ablation: mask the lowest-variance components up to share ``ratio``.

    Returns:
        Boolean ``(K,)``, True = masked.
    """
    return _ordered_mask(explained_variance_ratio, ratio, descending=False)


class PatchMask(NamedTuple):
    """A batch of patch masks (MAE's ``random_masking``).

    Attributes:
        ids_keep: ``(B, L_keep)`` indices of the visible patches.
        ids_restore: ``(B, L)`` the permutation that puts shuffled tokens back in order.
        mask: ``(B, L)`` boolean, True = masked.
    """

    ids_keep: torch.Tensor
    ids_restore: torch.Tensor
    mask: torch.Tensor


def random_patch_mask(
    batch_size: int,
    num_patches: int,
    ratio: float,
    *,
    generator: torch.Generator | None = None,
    noise: torch.Tensor | None = None,
    device: Any = None,
) -> PatchMask:
    """MAE's per-sample random patch masking: noise, argsort, keep the first round(L (1 - ratio)).

    Args:
        batch_size: B.
        num_patches: L.
        ratio: masking ratio rho in (0, 1); at least one patch is kept and one masked.
        generator: source of the noise.
        noise: ``(B, L)`` noise to use instead of sampling (tests).
        device: where the indices live (default: the generator's device).

    Returns:
        :class:`PatchMask`.
    """
    b = check_int(batch_size, "batch_size", minimum=1)
    n = check_int(num_patches, "num_patches", minimum=2)
    rho = check_ratio(ratio)
    if noise is None:
        noise = torch.rand(b, n, generator=generator, device=_gen_device(generator, device))
    elif tuple(noise.shape) != (b, n):
        raise ValueError(f"`noise` must have shape ({b}, {n}), got {tuple(noise.shape)}")
    if device is not None:
        noise = noise.to(device)
    keep = int(min(max(round(n * (1.0 - rho)), 1), n - 1))
    ids_shuffle = noise.argsort(dim=1)
    ids_restore = ids_shuffle.argsort(dim=1)
    ids_keep = ids_shuffle[:, :keep]
    mask = torch.ones(b, n, dtype=torch.bool, device=noise.device)
    mask[:, :keep] = False
    mask = torch.gather(mask, 1, ids_restore)
    return PatchMask(ids_keep, ids_restore, mask)


class ComponentMasking(nn.Module):
    """PMAE's masking (paper Sec. 3): standardise, project, mask a variance share, rebuild.

    Holds the frozen basis as buffers. ``forward(x)`` returns the visible image
    ``x_vis = z - (c * m) V^T`` (equal to ``(c * (1 - m)) V^T`` for a full basis; for a truncated
    basis the residual ``z - V V^T z`` stays visible), the target coefficients ``c = z V`` and
    the mask.

    Args:
        basis: the fitted :class:`PCABasis`.
        ratio: variance share r in (0, 1) (paper default 0.2).
        mode: ``"fixed"`` (r), ``"random"`` (r ~ U[random_range) per sample, PMAE_rd),
            ``"top"`` / ``"bottom"`` (deterministic highest/lowest-variance ablations).
        random_range: ``(lo, hi)`` for ``mode="random"``.
    """

    def __init__(
        self,
        basis: PCABasis,
        *,
        ratio: float = 0.2,
        mode: Literal["fixed", "random", "top", "bottom"] = "fixed",
        random_range: tuple[float, float] = (0.10, 0.90),
    ) -> None:
        super().__init__()
        if not isinstance(basis, PCABasis):
            raise TypeError(f"`basis` must be a PCABasis, got {describe(basis)}")
        self.ratio = check_ratio(ratio)
        self.mode = check_choice(mode, "mode", ("fixed", "random", "top", "bottom"))
        self.random_range = check_range(random_range)
        self.image_shape = basis.image_shape
        self.register_buffer("mean", basis.mean.clone())
        self.register_buffer("std", basis.std.clone())
        self.register_buffer("components", basis.components.clone())
        self.register_buffer("eigenvalues", basis.eigenvalues.clone())
        self.register_buffer("explained_variance_ratio", basis.explained_variance_ratio.clone())

    @property
    def basis(self) -> PCABasis:
        """The basis held by this module."""
        return PCABasis(
            image_shape=self.image_shape,
            mean=self.mean,
            std=self.std,
            components=self.components,
            eigenvalues=self.eigenvalues,
            explained_variance_ratio=self.explained_variance_ratio,
        )

    def config(self) -> dict[str, Any]:
        return {"kind": "component", "ratio": self.ratio, "mode": self.mode,
                "random_range": list(self.random_range), "image_shape": list(self.image_shape),
                "n_components": int(self.components.shape[1])}

    def sample(self, batch_size: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """A ``(B, K)`` boolean mask for this masking's mode."""
        evr = self.explained_variance_ratio
        if self.mode == "fixed":
            return sample_variance_mask(evr, self.ratio, batch_size, generator=generator,
                                        validate=False)
        if self.mode == "random":
            return sample_variance_mask(evr, self.random_range, batch_size, generator=generator,
                                        validate=False)
        m = _ordered_mask(evr, self.ratio, descending=self.mode == "top", validate=False)
        return m[None].expand(batch_size, -1).clone()

    def standardize(self, x: torch.Tensor) -> torch.Tensor:
        """``(x - mu) / s`` of images ``(B, C, H, W)``."""
        b = x.shape[0]
        return ((x.reshape(b, -1) - self.mean) / self.std).reshape(x.shape)

    def forward(
        self,
        x: Any,
        *,
        generator: torch.Generator | None = None,
        mask: torch.Tensor | None = None,
        validate: bool = True,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Mask a batch.

        Args:
            x: raw images ``(B, C, H, W)`` in [0, 1] matching the basis.
            generator: randomness for the mask.
            mask: a boolean ``(B, K)`` mask to use instead of sampling.
            validate: check ``x`` for shape and NaN/Inf (a host sync on a GPU); the training
                loop validates its batches once on the host and passes ``False``.

        Returns:
            ``(visible_image (B, C, H, W) standardised, target_coeffs (B, K), mask (B, K))``.
        """
        if validate:
            t = as_images(x, "x")
            check_image_shape(t, self.image_shape, "x")
        else:
            t = x
        t = t.to(self.components.device, torch.float32)
        b, k = t.shape[0], self.components.shape[1]
        z = ((t.reshape(b, -1) - self.mean) / self.std)  # (B, D)
        c = z @ self.components  # (B, K)
        if mask is None:
            mask = self.sample(b, generator=generator)
        else:
            if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
                raise ValueError(
                    f"`mask` must be a boolean tensor of shape ({b}, {k}), got {describe(mask)}"
                )
            if tuple(mask.shape) != (b, k):
                raise ValueError(f"`mask` must have shape ({b}, {k}), got {tuple(mask.shape)}")
            mask = mask.to(c.device)
        visible = z - (c * mask) @ self.components.T  # (B, D)
        return visible.reshape(t.shape), c, mask


class PatchMasking(nn.Module):
    """MAE's patch masking (He et al. 2022), the baseline of the paper's Table 1.

    Args:
        ratio: masking ratio rho (MAE_std: 0.75).
        mode: ``"fixed"`` or ``"random"`` (MAE_rd: rho ~ U[random_range), one draw per batch so
            that every sample keeps the same number of tokens).
        random_range: ``(lo, hi)`` for ``mode="random"``.
    """

    def __init__(
        self,
        *,
        ratio: float = 0.75,
        mode: Literal["fixed", "random"] = "fixed",
        random_range: tuple[float, float] = (0.10, 0.89),
    ) -> None:
        super().__init__()
        self.ratio = check_ratio(ratio)
        self.mode = check_choice(mode, "mode", ("fixed", "random"))
        self.random_range = check_range(random_range)

    def config(self) -> dict[str, Any]:
        return {"kind": "patch", "ratio": self.ratio, "mode": self.mode,
                "random_range": list(self.random_range)}

    def forward(
        self,
        batch_size: int,
        num_patches: int,
        *,
        generator: torch.Generator | None = None,
        device: Any = None,
        mask: torch.Tensor | None = None,
    ) -> PatchMask:
        """Sample a :class:`PatchMask`; ``mask`` ((B, L) boolean) fixes the masked patches."""
        if mask is not None:
            if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
                raise ValueError(f"`mask` must be a boolean tensor of shape ({batch_size}, "
                                 f"{num_patches}), got {describe(mask)}")
            if tuple(mask.shape) != (batch_size, num_patches):
                raise ValueError(f"`mask` must have shape ({batch_size}, {num_patches}), "
                                 f"got {tuple(mask.shape)}")
            counts = mask.sum(1)
            if has_values(counts) and (not bool((counts == counts[0]).all())
                                       or int(counts[0]) in (0, num_patches)):
                raise ValueError("`mask` must mask the same number of patches (>= 1, < L) in "
                                 "every row")
            # visible patches first, in index order: the noise is the mask itself
            noise = mask.float() + torch.arange(num_patches, device=mask.device) / (2 * num_patches)
            rho = int(counts[0]) / num_patches
            out = random_patch_mask(batch_size, num_patches, min(max(rho, 1e-6), 1 - 1e-6),
                                    noise=noise, device=device)
            return PatchMask(out.ids_keep, out.ids_restore, mask.to(out.mask.device))
        rho = self.ratio
        if self.mode == "random":
            lo, hi = self.random_range
            u = torch.rand((), generator=generator, device=_gen_device(generator))
            rho = lo + (hi - lo) * float(u)
        return random_patch_mask(batch_size, num_patches, rho, generator=generator, device=device)
