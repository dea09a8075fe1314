"""Random draws that accept a ``torch.Generator`` on either device.

torch ties a generator to one device: ``torch.randn(..., generator=g, device=d)`` fails when
``g`` lives elsewhere. Every draw here is made on the generator's own device (or on the target
device when no generator is given) and then moved to the target device, so a CPU generator
drives a CUDA (or ``meta``) model and a CUDA generator drives a CPU one, with the same numbers
for the same seed wherever the model lives.
"""

from __future__ import annotations

from typing import Any

import torch

__all__ = ["draw_device", "rand", "randint", "randn"]


def draw_device(generator: torch.Generator | None, device: Any) -> torch.device:
    """Where to draw: the generator's device, else the target device (``meta`` draws on the
    CPU only when a generator is given)."""
    if generator is not None:
        return torch.device(generator.device)
    return torch.device(device) if device is not None else torch.device("cpu")


def randn(shape: tuple[int, ...], *, generator: torch.Generator | None, device: Any = None,
          dtype: torch.dtype | None = None) -> torch.Tensor:
    """Standard normal ``shape`` on ``device``, drawn from ``generator``."""
    t = torch.randn(tuple(shape), generator=generator, device=draw_device(generator, device))
    return t.to(device=device, dtype=dtype) if (device is not None or dtype is not None) else t


def rand(shape: tuple[int, ...], *, generator: torch.Generator | None, device: Any = None,
         dtype: torch.dtype | None = None) -> torch.Tensor:
    """Uniform [0, 1) ``shape`` on ``device``, drawn from ``generator``."""
    t = torch.rand(tuple(shape), generator=generator, device=draw_device(generator, device))
    return t.to(device=device, dtype=dtype) if (device is not None or dtype is not None) else t


def randint(high: int, shape: tuple[int, ...], *, generator: torch.Generator | None,
            device: Any = None) -> torch.Tensor:
    """Integers in [0, high) of ``shape`` on ``device``, drawn from ``generator``."""
    t = torch.randint(0, high, tuple(shape), generator=generator,
                      device=draw_device(generator, device))
    return t.to(device) if device is not None else t
