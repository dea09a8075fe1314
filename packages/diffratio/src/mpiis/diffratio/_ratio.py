"""The noise-conditional density-ratio network c_φ(x, σ) ≈ log p_σ(x) − log q_σ(x) and its
logistic class-ratio loss (brief, "Density-ratio network")."""

from __future__ import annotations

import copy
import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from mpiis.shared.validation import check_int

from ._checks import check_sigma, check_x
from ._nets import EDMPrecond, MLPBackbone, reinit_
from ._random import randn

__all__ = ["DensityRatioNet", "ratio_loss"]


class DensityRatioNet(nn.Module):
    """c_φ(x, σ) = head(trunk.features(x, σ)) with head Linear(F, 64) → SiLU → Linear(64, 1),
    last layer zero-initialised so that c ≡ 0 at the start.

    At the optimum of :func:`ratio_loss`, c*(x, σ) = log p_σ(x) − log q_σ(x), so the score
    difference of score distillation is s_q − s_p = −∇ₓc*.

    Args:
        trunk: a :class:`FeatureDenoiser` (``trunk.features(x, sigma, labels) -> (B, F)``).
        feature_dim: F.
        head_hidden: width of the head.
    """

    def __init__(self, trunk: nn.Module, *, feature_dim: int, head_hidden: int = 64) -> None:
        super().__init__()
        if not hasattr(trunk, "features"):
            raise TypeError(f"`trunk` must have a `features(x, sigma, labels)` method, got "
                            f"{type(trunk).__name__}")
        feature_dim = check_int(feature_dim, "feature_dim", minimum=1)
        head_hidden = check_int(head_hidden, "head_hidden", minimum=1)
        self.trunk = trunk
        self.head = nn.Sequential(nn.Linear(feature_dim, head_hidden), nn.SiLU(),
                                  nn.Linear(head_hidden, 1))
        nn.init.zeros_(self.head[2].weight)
        nn.init.zeros_(self.head[2].bias)
        ref = next(iter(trunk.parameters()), None)
        if ref is not None:  # the head lives with the trunk (a CUDA or meta teacher's copy)
            self.head.to(device=ref.device, dtype=ref.dtype)
        self.sigma_data = float(getattr(trunk, "sigma_data", 0.5))
        self.data_shape = getattr(trunk, "data_shape", None)
        self.num_classes = int(getattr(trunk, "num_classes", 0))

    def reset_head(self, *, generator: torch.Generator | None = None) -> None:
        """Re-draw the head's first layer from ``generator`` and zero its last layer."""
        reinit_(self.head[0], generator=generator)
        nn.init.zeros_(self.head[2].weight)
        nn.init.zeros_(self.head[2].bias)

    @classmethod
    def from_teacher(cls, teacher: Any, *, trunk_layers: int | None = None,
                     head_hidden: int = 64, generator: torch.Generator | None = None
                     ) -> DensityRatioNet:
        """Trunk = a deep copy of the teacher without its output projection.

        Args:
            teacher: an :class:`EDMPrecond` (or any module with ``features``).
            trunk_layers: keep only the first k hidden layers (MLP backbones only).
            head_hidden: head width.
            generator: draws the head's first layer.

        Raises:
            TypeError: the teacher has no ``features`` (use :meth:`standalone`).
        """
        if not hasattr(teacher, "features") or not isinstance(teacher, nn.Module):
            raise TypeError(
                f"DensityRatioNet.from_teacher needs a teacher with a `features` method, got "
                f"{type(teacher).__name__}; use DensityRatioNet.standalone(shape) instead"
            )
        trunk = copy.deepcopy(teacher).requires_grad_(True).train()
        bb = getattr(trunk, "backbone", None)
        if trunk_layers is not None:
            if bb is None or not hasattr(bb, "truncate"):
                raise ValueError("`trunk_layers` needs an EDMPrecond with an MLPBackbone")
            bb.truncate(trunk_layers)
        if bb is not None and hasattr(bb, "drop_output"):
            bb.drop_output()
        net = cls(trunk, feature_dim=_feature_dim(trunk), head_hidden=head_hidden)
        if generator is not None:
            net.reset_head(generator=generator)
        return net

    @classmethod
    def standalone(cls, shape: tuple[int, ...], *, hidden: int = 256, depth: int = 3,
                   sigma_data: float = 0.5, num_classes: int = 0, head_hidden: int = 64,
                   generator: torch.Generator | None = None, device: Any = None
                   ) -> DensityRatioNet:
        """A ratio net with its own randomly initialised MLP trunk, for teachers without
        ``features``, built on ``device`` (default CPU; ``distill`` passes the teacher's)."""
        shape = tuple(int(s) for s in shape)
        bb = MLPBackbone(math.prod(shape), hidden=hidden, depth=depth, num_classes=num_classes,
                         generator=generator)
        bb.drop_output()
        trunk = EDMPrecond(bb, sigma_data=sigma_data, shape=shape)
        net = cls(trunk, feature_dim=hidden, head_hidden=head_hidden)
        if device is not None:
            net.to(device)
        if generator is not None:
            net.reset_head(generator=generator)
        return net

    def forward(self, x: torch.Tensor, sigma: torch.Tensor | float,
                labels: torch.Tensor | None = None) -> torch.Tensor:
        """The logit c = log p_σ(x) − log q_σ(x): ``(B, ...)``, ``(B,)`` -> ``(B,)``."""
        return self.head(self.trunk.features(x, sigma, labels)).squeeze(-1)


def _feature_dim(trunk: nn.Module) -> int:
    fd = getattr(trunk, "feature_dim", None)
    if fd is None:
        bb = getattr(trunk, "backbone", None)
        fd = getattr(bb, "feature_dim", None)
    if fd is None:
        raise TypeError("cannot tell the teacher's feature width; build "
                        "DensityRatioNet(trunk, feature_dim=F) directly")
    return int(fd)


def ratio_loss(
    ratio_net: nn.Module,
    real: torch.Tensor,
    fake: torch.Tensor,
    sigma: torch.Tensor,
    *,
    real_labels: torch.Tensor | None = None,
    fake_labels: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
    noise: torch.Tensor | None = None,
) -> torch.Tensor:
    """Logistic class-ratio loss, per example (brief, L_ratio):
    softplus(−c(x + σε, σ)) + softplus(c(sg[x_fake] + σε', σ)), real = 1, fake = 0, the same σ
    for the two batches.

    Args:
        ratio_net: c_φ.
        real: ``(B, ...)`` data.
        fake: ``(B, ...)`` generator samples (detached here).
        sigma: ``(B,)`` noise levels.
        real_labels, fake_labels: ``(B,)`` for a conditional net.
        generator: draws ε, ε'.
        noise: ``(2, B, ...)`` pre-drawn ε, ε' (instead of drawing them).

    Returns:
        ``(B,)``; average it for the loss.
    """
    shape = getattr(ratio_net, "data_shape", None)
    real = check_x(real, "real", shape, finite=False)
    fake = check_x(fake, "fake", tuple(real.shape[1:]), finite=False).detach()
    if fake.shape[0] != real.shape[0]:
        raise ValueError(f"`fake` must have the batch size of `real` ({real.shape[0]}), got "
                         f"{fake.shape[0]}")
    sigma = check_sigma(sigma, real.shape[0], like=real)
    s = sigma.reshape(-1, *([1] * (real.ndim - 1)))
    eps = noise if noise is not None else randn((2, *real.shape), generator=generator,
                                                device=real.device, dtype=real.dtype)
    labels = None
    if real_labels is not None or fake_labels is not None:
        if real_labels is None or fake_labels is None:
            raise ValueError("`real_labels` and `fake_labels` must be given together")
        labels = torch.cat([torch.as_tensor(real_labels), torch.as_tensor(fake_labels)])
    x = torch.cat([real + s * eps[0], fake + s * eps[1]])  # (2B, ...): one pass for both
    c = ratio_net(x, torch.cat([sigma, sigma]), labels).float()
    c_real, c_fake = c[: real.shape[0]], c[real.shape[0]:]
    return F.softplus(-c_real) + F.softplus(c_fake)
