"""The one-step generator g_θ(z) = D_θ(σ_init·z, σ_init) (brief, "Generator"; following SiD)."""

from __future__ import annotations

import os
from typing import Any

import torch
from torch import nn

from mpiis.shared.validation import check_int, check_positive

from ._checks import check_labels, check_x
from ._io import read_checkpoint, write_checkpoint
from ._nets import EDMPrecond, build_backbone
from ._random import randn

__all__ = ["OneStepGenerator"]


class OneStepGenerator(nn.Module):
    """A one-step sampler built from a denoiser: one network evaluation per sample.

    Args:
        denoiser: the student D_θ (usually initialised from the teacher); any
            ``denoiser(x, sigma, labels)``.
        sigma_init: the fixed input noise level σ_init (2.5 in the brief).
        shape: per-example data shape; defaults to ``denoiser.data_shape``.
    """

    def __init__(self, denoiser: nn.Module, *, sigma_init: float = 2.5,
                 shape: tuple[int, ...] | None = None) -> None:
        super().__init__()
        if not callable(denoiser):
            raise TypeError(f"`denoiser` must be callable as denoiser(x, sigma, labels), got "
                            f"{type(denoiser).__name__}")
        self.denoiser = denoiser
        self.sigma_init = check_positive(sigma_init, "sigma_init")
        shp = shape if shape is not None else getattr(denoiser, "data_shape", None)
        if shp is None:
            raise ValueError("`shape` is required: the denoiser does not know its data shape")
        self.shape = tuple(int(s) for s in shp)
        self.num_classes = int(getattr(denoiser, "num_classes", 0))

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """x = D(σ_init z, σ_init): ``(B, *shape) -> (B, *shape)``."""
        z = check_x(z, "z", self.shape, finite=False)
        sigma = torch.full((z.shape[0],), self.sigma_init, device=z.device, dtype=z.dtype)
        return self.denoiser(self.sigma_init * z, sigma, labels)

    def _device(self) -> torch.device:
        for p in self.parameters():
            return p.device
        return torch.device("cpu")

    @torch.no_grad()
    def sample(self, n: int, *, labels: torch.Tensor | None = None,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw ``n`` samples ``(n, *shape)`` with z ~ N(0, I) from ``generator``."""
        n = check_int(n, "n", minimum=1)
        device = self._device()
        labels = check_labels(labels, n, self.num_classes, device=device)
        z = randn((n, *self.shape), generator=generator, device=device)
        return self.forward(z, labels)

    def save(self, path: str | os.PathLike) -> None:
        """Write the weights and the architecture (state dict + JSON)."""
        spec = self.denoiser.spec() if isinstance(self.denoiser, EDMPrecond) else None
        meta = {"sigma_init": self.sigma_init, "shape": list(self.shape), "precond": spec}
        state = {k: v.detach().cpu() for k, v in self.state_dict().items()}
        write_checkpoint(path, {"state": state}, meta)

    @classmethod
    def load(cls, path: str | os.PathLike, *, backbone: nn.Module | None = None
             ) -> OneStepGenerator:
        """Load a saved generator (on the CPU).

        Args:
            path: written by :meth:`save`.
            backbone: the architecture when it is not an ``MLPBackbone``/``TinyUNet`` inside
                an ``EDMPrecond`` (for a user denoiser, pass the denoiser itself).
        """
        blob, meta = read_checkpoint(path)
        spec = meta["precond"]
        if spec is not None:
            bb = backbone if backbone is not None else build_backbone(spec["backbone"] or {})
            den: Any = EDMPrecond(bb, sigma_data=spec["sigma_data"],
                                  shape=None if spec["shape"] is None else tuple(spec["shape"]))
        elif backbone is not None:
            den = backbone
        else:
            raise ValueError("`backbone` is required to load a generator around a user denoiser")
        gen = cls(den, sigma_init=meta["sigma_init"], shape=tuple(meta["shape"]))
        gen.load_state_dict(blob["state"])
        return gen.eval()
