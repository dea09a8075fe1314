"""Peak bytes of a training step on a CPU, counted the way the CUDA allocator's
``max_memory_allocated`` counts them (used by the benchmark's memory claim P2).

``mpiis.shared.torch.peak_memory`` on a CPU adds the bytes of every tensor the autograd graph
saves during the step, and never subtracts: it is the *sum* of the saved tensors of all the
phases of a step (a parameter saved by three forward passes counts three times on top of its
held copy), not the peak of what is alive at once. This module counts the peak instead: every
storage the step's operations create is added when it appears and subtracted when it is freed
(a weak reference on the storage), on top of the storages alive at the start (weights,
gradients, optimiser state, EMA copies), which are subtracted when the step frees them (e.g.
gradients dropped by ``zero_grad(set_to_none=True)``).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

__all__ = ["cpu_peak_bytes"]


def _tensors(obj: Any, out: list[torch.Tensor], depth: int = 0) -> None:
    if depth > 6:
        return
    if isinstance(obj, torch.Tensor):
        out.append(obj)
        if obj.grad is not None:
            out.append(obj.grad)
    elif isinstance(obj, torch.nn.Module):
        for t in [*obj.parameters(), *obj.buffers()]:
            _tensors(t, out, depth + 1)
    elif isinstance(obj, torch.optim.Optimizer):
        for st in obj.state.values():
            _tensors(st, out, depth + 1)
    elif isinstance(obj, dict):
        for v in obj.values():
            _tensors(v, out, depth + 1)
    elif isinstance(obj, list | tuple | set):
        for v in obj:
            _tensors(v, out, depth + 1)
    elif hasattr(obj, "module") and isinstance(obj.module, torch.nn.Module):
        _tensors(obj.module, out, depth + 1)


class _Counter(TorchDispatchMode):
    def __init__(self) -> None:
        super().__init__()
        self.live: dict[int, int] = {}  # id of a live storage's finaliser -> bytes
        self.keys: dict[tuple[int, int], int] = {}  # (data_ptr, nbytes) -> finaliser id
        self.now = 0
        self.peak = 0
        self._fins: list[weakref.finalize] = []

    def add(self, t: torch.Tensor) -> None:
        if t.device.type != "cpu":
            return
        st = t.untyped_storage()
        n = st.nbytes()
        key = (st.data_ptr(), n)
        if n == 0 or key in self.keys:
            return
        fin = weakref.finalize(st, self._free, key)
        self.keys[key] = id(fin)
        self.live[id(fin)] = n
        self._fins.append(fin)
        self.now += n
        self.peak = max(self.peak, self.now)

    def _free(self, key: tuple[int, int]) -> None:
        fid = self.keys.pop(key, None)
        if fid is not None:
            self.now -= self.live.pop(fid)

    def detach(self) -> None:
        for f in self._fins:
            f.detach()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in tree_flatten(out)[0]:
            if isinstance(t, torch.Tensor):
                self.add(t)
        return out


def _count_start(c: _Counter, held: Any) -> None:
    start: list[torch.Tensor] = []
    _tensors(held, start)
    for t in start:
        c.add(t)
    # no reference survives this frame, so a storage the step frees is subtracted


def cpu_peak_bytes(step: Callable[[], Any], held: Any) -> int:
    """Peak bytes alive at once while ``step()`` runs on a CPU: the distinct storages reachable
    from ``held`` (the model, its optimiser, the EMA copy, ...) at the start, plus every storage
    the step's operations allocate, each counted from its creation to its release."""
    c = _Counter()
    _count_start(c, held)
    try:
        with c:
            step()
    finally:
        c.detach()
    return int(c.peak)
