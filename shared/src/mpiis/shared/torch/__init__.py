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
import weakref as _weakref
from typing import Any

import numpy as np

from mpiis.shared.progress import progress

try:
    import torch as _torch
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        'mpiis.shared.torch needs PyTorch: `pip install "mpiis-shared[torch]"`'
    ) from exc
from torch.utils._python_dispatch import TorchDispatchMode as _TorchDispatchMode
from torch.utils._pytree import tree_flatten as _tree_flatten

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


def peak_memory(step, *, device: Any = "cpu", held: Any = None) -> int:
    """Peak bytes alive at once while ``step()`` runs.

    On CUDA this is ``torch.cuda.max_memory_allocated`` (reset before the step). On a CPU,
    torch keeps no allocator statistics, so the bytes are counted the way that allocator
    counts them: every storage an operation of the step creates is added when it appears and
    subtracted when it is freed, on top of the storages alive before the step (the model,
    optimiser state, EMA copy), which count from the start: those an operation reads, those
    reachable from ``held`` and those reachable from what ``step()`` returns (pass the model,
    optimiser and EMA either way). A step in phases (two forward-backward passes, a generator
    and a critic update) therefore scores its largest moment, not the sum of its phases.
    """
    dev = _torch.device(device)
    if dev.type == "cuda":
        _torch.cuda.synchronize(dev)
        _torch.cuda.reset_peak_memory_stats(dev)
        base = _torch.cuda.memory_allocated(dev)
        step()
        _torch.cuda.synchronize(dev)
        return int(max(_torch.cuda.max_memory_allocated(dev), base))
    counter = _StorageCounter()
    counter.track_all(held)
    try:
        with counter:
            returned = step()
        # storages that existed before the step and are still alive (not created by it)
        extra = _held_bytes(returned, skip=set(counter.live))
    finally:
        counter.close()
    return int(counter.peak + extra)


def _storage_key(t: Any) -> tuple[int, int]:
    st = t.untyped_storage()
    return st.data_ptr(), st.nbytes()


class _StorageCounter(_TorchDispatchMode):
    """Live bytes of the CPU storages that operations create (and of those given to
    :meth:`track_all`): each added once when first seen, subtracted when its storage is freed."""

    def __init__(self) -> None:
        super().__init__()
        self.live: dict[tuple[int, int], int] = {}
        self.now = 0
        self.peak = 0
        self._finalizers: list[_weakref.finalize] = []

    def track(self, t: Any, *, existing: bool = False) -> None:
        """Count ``t``'s storage once. ``existing``: it was alive before the step (an input
        met for the first time), so every moment counted so far held it too."""
        if not isinstance(t, _torch.Tensor) or t.device.type != "cpu":
            return
        if t.layout != _torch.strided:
            return
        key = _storage_key(t)
        if key[1] == 0 or key in self.live:
            return
        self.live[key] = key[1]
        self.now += key[1]
        self.peak = self.peak + key[1] if existing else max(self.peak, self.now)
        self._finalizers.append(_weakref.finalize(t.untyped_storage(), self._free, key))

    def track_all(self, obj: Any) -> None:
        for t in _reachable_tensors(obj):
            self.track(t, existing=True)

    def _free(self, key: tuple[int, int]) -> None:
        n = self.live.pop(key, None)
        if n is not None:
            self.now -= n

    def close(self) -> None:
        for f in self._finalizers:
            f.detach()
        self._finalizers.clear()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        for t in _tree_flatten((args, kwargs))[0]:
            self.track(t, existing=True)  # in-place ops and views keep their input's storage
        out = func(*args, **kwargs)
        for t in _tree_flatten(out)[0]:
            self.track(t)
        return out


def _reachable_tensors(obj: Any) -> list[Any]:
    """Tensors reachable from ``obj``: tensors (and their ``.grad``), modules' parameters and
    buffers, optimiser state, containers, and objects with a ``.module`` (EMA). Iterative, so
    no closure cycle keeps the tensors alive after the caller lets go of them."""
    out: list[Any] = []
    stack: list[tuple[Any, int]] = [] if obj is None else [(obj, 0)]
    while stack:
        x, depth = stack.pop()
        if depth > 6:
            continue
        if isinstance(x, _torch.Tensor):
            out.append(x)
            if x.grad is not None:
                stack.append((x.grad, depth + 1))
        elif isinstance(x, _torch.nn.Module):
            stack.extend((t, depth + 1) for t in [*x.parameters(), *x.buffers()])
        elif isinstance(x, _torch.optim.Optimizer):
            stack.extend((v, depth + 1) for v in x.state.values())
            stack.extend((g["params"], depth + 1) for g in x.param_groups)
        elif isinstance(x, dict):
            stack.extend((v, depth + 1) for v in x.values())
        elif isinstance(x, list | tuple | set):
            stack.extend((v, depth + 1) for v in x)
        elif hasattr(x, "module") and isinstance(x.module, _torch.nn.Module):
            stack.append((x.module, depth + 1))
    return out


def _held_bytes(obj: Any, *, skip: set[tuple[int, int]] | None = None) -> int:
    """Bytes of the distinct storages reachable from ``obj`` (those in ``skip`` left out)."""
    seen = set(skip or ())
    total = 0
    for t in _reachable_tensors(obj):
        key = _storage_key(t)
        if key not in seen:
            seen.add(key)
            total += key[1]
    return total
