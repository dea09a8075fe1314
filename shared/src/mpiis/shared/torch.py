"""PyTorch helpers for scripts and benchmarks (extra ``mpiis-shared[torch]``).

Library code never calls :func:`seed_everything` or :func:`default_device`: it follows its
inputs' device and takes ``generator=`` arguments. Scripts and benchmarks call them once.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np

from .progress import progress

try:
    import torch as _torch
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        'mpiis.shared.torch needs PyTorch: `pip install "mpiis-shared[torch]"`'
    ) from exc

__all__ = ["count_parameters", "default_device", "make_generator", "progress", "seed_everything"]


def default_device(prefer: str | None = None) -> _torch.device:
    """``cuda`` when available (or ``prefer`` when given), else ``mps``, else ``cpu``."""
    if prefer is not None:
        return _torch.device(prefer)
    if _torch.cuda.is_available():
        return _torch.device("cuda")
    mps = getattr(_torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return _torch.device("mps")
    return _torch.device("cpu")


def seed_everything(seed: int) -> None:
    """Seed Python, numpy's legacy global RNG and torch (all devices). For scripts only."""
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - scripts only, documented above
    _torch.manual_seed(seed)


def make_generator(seed: int, device: Any = "cpu") -> _torch.Generator:
    """A ``torch.Generator`` on ``device`` seeded with ``seed``."""
    g = _torch.Generator(device=device)
    g.manual_seed(int(seed))
    return g


def count_parameters(module: _torch.nn.Module, *, trainable_only: bool = False) -> int:
    """Number of scalar parameters of ``module`` (shared tensors counted once)."""
    seen, total = set(), 0
    for p in module.parameters():
        if id(p) in seen or (trainable_only and not p.requires_grad):
            continue
        seen.add(id(p))
        total += p.numel()
    return total
