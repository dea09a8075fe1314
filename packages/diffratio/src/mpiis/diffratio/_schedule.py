"""Noise levels: the EDM training law, the Karras sampling grid and the log-uniform law of the
distillation losses (paper brief, "Method": Teacher (EDM) and Generator loss)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from mpiis.shared.validation import check_int, check_positive

from ._random import rand, randn

__all__ = ["EDMSchedule", "karras_sigmas", "loguniform_sigmas"]


def karras_sigmas(
    steps: int,
    *,
    sigma_min: float = 0.002,
    sigma_max: float = 80.0,
    rho: float = 7.0,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """The Karras et al. (2022) grid σᵢ = (σ_max^{1/ρ} + i/(N−1)(σ_min^{1/ρ} − σ_max^{1/ρ}))^ρ.

    Args:
        steps: N, the number of noise levels (>= 1).
        sigma_min, sigma_max, rho: the grid's ends and curvature.
        device: where the grid lives.

    Returns:
        ``(N,)`` float32, decreasing from σ_max to σ_min (no trailing zero).
    """
    steps = check_int(steps, "steps", minimum=1)
    lo = check_positive(sigma_min, "sigma_min")
    hi = check_positive(sigma_max, "sigma_max")
    rho = check_positive(rho, "rho")
    if lo >= hi:
        raise ValueError(f"`sigma_min` (={lo}) must be < `sigma_max` (={hi})")
    if steps == 1:
        return torch.tensor([hi], dtype=torch.float32, device=device)
    i = torch.arange(steps, dtype=torch.float64, device=device)
    grid = (hi ** (1 / rho) + i / (steps - 1) * (lo ** (1 / rho) - hi ** (1 / rho))) ** rho
    return grid.to(torch.float32)


def loguniform_sigmas(
    n: int,
    sigma_lo: float,
    sigma_hi: float,
    *,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Draw ``n`` noise levels with ln σ uniform on [ln σ_lo, ln σ_hi] (the loss-σ law).

    Returns:
        ``(n,)`` float32.
    """
    n = check_int(n, "n", minimum=1)
    lo = check_positive(sigma_lo, "sigma_lo")
    hi = check_positive(sigma_hi, "sigma_hi")
    if lo >= hi:
        raise ValueError(f"`sigma_lo` (={lo}) must be < `sigma_hi` (={hi})")
    u = rand((n,), generator=generator, device=device)
    return torch.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))


@dataclass(frozen=True, kw_only=True)
class EDMSchedule:
    """The EDM noise schedule (Karras et al. 2022), as used by the teachers.

    Attributes:
        sigma_min: smallest level of the sampling grid.
        sigma_max: largest level of the sampling grid.
        rho: curvature of the Karras grid.
        p_mean: mean of ln σ during training.
        p_std: standard deviation of ln σ during training.
        sigma_data: data standard deviation σ_d (0.5 for images in [−1, 1]).
    """

    sigma_min: float = 0.002  # EDM
    sigma_max: float = 80.0  # EDM
    rho: float = 7.0  # EDM
    p_mean: float = -1.2  # EDM training law ln σ ~ N(−1.2, 1.2²)
    p_std: float = 1.2
    sigma_data: float = 0.5  # images in [−1, 1]

    def __post_init__(self) -> None:
        for name in ("sigma_min", "sigma_max", "rho", "p_std", "sigma_data"):
            check_positive(getattr(self, name), name)
        if self.sigma_min >= self.sigma_max:
            raise ValueError(
                f"`sigma_min` (={self.sigma_min}) must be < `sigma_max` (={self.sigma_max})"
            )

    def train_sigmas(
        self, n: int, *, generator: torch.Generator | None = None, device=None
    ) -> torch.Tensor:
        """``(n,)`` training levels with ln σ ~ N(p_mean, p_std²)."""
        n = check_int(n, "n", minimum=1)
        z = randn((n,), generator=generator, device=device)
        return torch.exp(self.p_mean + self.p_std * z)

    def karras(self, steps: int, *, device=None) -> torch.Tensor:
        """``(steps,)`` Karras grid from σ_max down to σ_min."""
        return karras_sigmas(
            steps, sigma_min=self.sigma_min, sigma_max=self.sigma_max, rho=self.rho, device=device
        )

    def loss_weight(self, sigma: torch.Tensor) -> torch.Tensor:
        """λ(σ) = (σ² + σ_d²)/(σ·σ_d)², the EDM loss weight (same shape as ``sigma``)."""
        sd2 = self.sigma_data**2
        return (sigma**2 + sd2) / (sigma**2 * sd2)
