"""PyTorch helpers shared by the torch packages (extra ``mpiis-shared[torch]``).

- Scripts and benchmarks: :func:`default_device`, :func:`seed_everything`,
  :func:`make_generator`, :func:`count_parameters`, :func:`peak_memory`.
- Training: :class:`EMA` (and :func:`ema_decay_from_half_life`), :func:`save_checkpoint` /
  :func:`load_checkpoint` (atomic, resumable), :func:`cosine_schedule`,
  :func:`weight_decay_groups`.
- Scale-out on torch's own engine: :func:`init_distributed` (joins the group ``torchrun`` set
  up), :func:`wrap_ddp`, :func:`distributed_sampler`, :func:`all_reduce_mean`,
  :func:`cleanup_distributed`, and :func:`run_torchrun` to launch a script (tests, examples).

Library code never calls :func:`seed_everything` or :func:`default_device`: it follows its
inputs' device and takes ``generator=`` arguments. Scripts and benchmarks call them once.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np

from mpiis.shared.progress import progress

try:
    import torch as _torch
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        'mpiis.shared.torch needs PyTorch: `pip install "mpiis-shared[torch]"`'
    ) from exc

from ._dist import DistInfo as DistInfo
from ._dist import all_reduce_mean as all_reduce_mean
from ._dist import cleanup_distributed as cleanup_distributed
from ._dist import distributed_sampler as distributed_sampler
from ._dist import init_distributed as init_distributed
from ._dist import run_torchrun as run_torchrun
from ._dist import wrap_ddp as wrap_ddp
from ._train import EMA as EMA
from ._train import cosine_schedule as cosine_schedule
from ._train import ema_decay_from_half_life as ema_decay_from_half_life
from ._train import load_checkpoint as load_checkpoint
from ._train import save_checkpoint as save_checkpoint
from ._train import weight_decay_groups as weight_decay_groups

__all__ = [
    "EMA",
    "DistInfo",
    "all_reduce_mean",
    "cleanup_distributed",
    "cosine_schedule",
    "count_parameters",
    "default_device",
    "distributed_sampler",
    "ema_decay_from_half_life",
    "init_distributed",
    "load_checkpoint",
    "make_generator",
    "peak_memory",
    "progress",
    "run_torchrun",
    "save_checkpoint",
    "seed_everything",
    "weight_decay_groups",
    "wrap_ddp",
]


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


def peak_memory(step, *, device: Any = "cpu") -> int:
    """Peak bytes allocated while ``step()`` runs.

    On CUDA this is ``torch.cuda.max_memory_allocated`` (reset before the step). On a CPU,
    torch keeps no allocator statistics, so the footprint is counted: the bytes of every
    distinct tensor storage that ``step()`` returns or that is reachable from the objects it
    returns (pass the model, optimiser and EMA so their state is included), plus the peak of
    the autograd graph's saved tensors during the step.
    """
    dev = _torch.device(device)
    if dev.type == "cuda":
        _torch.cuda.synchronize(dev)
        _torch.cuda.reset_peak_memory_stats(dev)
        base = _torch.cuda.memory_allocated(dev)
        step()
        _torch.cuda.synchronize(dev)
        return int(max(_torch.cuda.max_memory_allocated(dev), base))
    saved = {"now": 0, "peak": 0}

    def pack(t):
        saved["now"] += t.untyped_storage().nbytes()
        saved["peak"] = max(saved["peak"], saved["now"])
        return t

    with _torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        held = step()
    return int(_held_bytes(held) + saved["peak"])


def _held_bytes(obj: Any) -> int:
    seen: set[int] = set()
    total = 0

    def visit(x: Any, depth: int = 0) -> None:
        nonlocal total
        if depth > 6:
            return
        if isinstance(x, _torch.Tensor):
            st = x.untyped_storage()
            key = st.data_ptr()
            if key not in seen:
                seen.add(key)
                total += st.nbytes()
            if x.grad is not None:
                visit(x.grad, depth + 1)
        elif isinstance(x, _torch.nn.Module):
            for t in list(x.parameters()) + list(x.buffers()):
                visit(t, depth + 1)
        elif isinstance(x, _torch.optim.Optimizer):
            for st in x.state.values():
                visit(st, depth + 1)
            for g in x.param_groups:
                visit(g["params"], depth + 1)
        elif isinstance(x, dict):
            for v in x.values():
                visit(v, depth + 1)
        elif isinstance(x, list | tuple | set):
            for v in x:
                visit(v, depth + 1)
        elif hasattr(x, "module") and isinstance(x.module, _torch.nn.Module):
            visit(x.module, depth + 1)

    visit(obj)
    return total
