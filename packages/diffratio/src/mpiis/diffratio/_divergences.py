"""The f-divergence family of the generator loss (brief, "Generator loss", table).

For D_f(p_σ‖q_σ) = E_q[f(p_σ/q_σ)] and r = e^c, the generator gradient is
−E[h(c)∇ₓc(x_σ, σ)ᵀ ∂x_σ/∂θ] with h(c) = r² f''(r). The per-sample surrogate is −sg[h(c)]·c
(JS uses the equivalent −½ softplus(c), whose gradient is the same)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

__all__ = ["Divergence", "f_divergence", "forward_kl", "jensen_shannon", "reverse_kl"]


@dataclass(frozen=True)
class Divergence:
    """One member of the family.

    Attributes:
        name: a label.
        h: the weight h(c) = r² f''(r) as a function of the logit c (tensor -> tensor).
        value: optional per-sample surrogate whose gradient equals −h(c)∇c; when ``None`` the
            surrogate is −sg[h(c)]·c.
    """

    name: str
    h: Callable[[torch.Tensor], torch.Tensor]
    value: Callable[[torch.Tensor], torch.Tensor] | None = None

    def __post_init__(self) -> None:
        if not callable(self.h):
            raise TypeError(f"`h` must be callable h(c) -> tensor, got {type(self.h).__name__}")

    def weight(self, c: torch.Tensor) -> torch.Tensor:
        """sg[h(c)], the per-sample weight (no gradient), shape of ``c``."""
        with torch.no_grad():
            w = self.h(c.detach())
        if not isinstance(w, torch.Tensor) or w.shape != c.shape:
            raise ValueError(f"`h` must return a tensor of shape {tuple(c.shape)}, got "
                             f"{getattr(w, 'shape', type(w).__name__)}")
        return w

    def surrogate(self, c: torch.Tensor) -> torch.Tensor:
        """Per-sample generator surrogate (to be minimised), shape of ``c``."""
        if self.value is not None:
            return -self.value(c)
        return -self.weight(c) * c


def reverse_kl() -> Divergence:
    """KL(q‖p), f(r) = −log r, h(c) = 1: the DMD / Diff-Instruct member (default)."""
    return Divergence("reverse_kl", lambda c: torch.ones_like(c))


def forward_kl() -> Divergence:
    """KL(p‖q), f(r) = r log r, h(c) = e^c (logits are clipped before this weight)."""
    return Divergence("forward_kl", torch.exp)


def jensen_shannon() -> Divergence:
    """Jensen–Shannon ("DiJS"), h(c) = ½ sigmoid(c); surrogate −½ softplus(c)."""
    return Divergence("js", lambda c: 0.5 * torch.sigmoid(c), lambda c: 0.5 * F.softplus(c))


def f_divergence(h: Callable[[torch.Tensor], torch.Tensor], name: str = "custom") -> Divergence:
    """A user member given its weight h(c) = r² f''(r) (r = e^c) for a convex f."""
    return Divergence(name, h)
