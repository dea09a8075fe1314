"""Training-engine options shared by the teacher and the one-step trainers: mixed precision,
``torch.compile``, DistributedDataParallel and the host syncs of the loop.

Data parallel follows one rule: every process draws the *global* batch's random numbers from
identically seeded generators and keeps its own rows (``rank, rank + world, ...``), and DDP
averages the gradients of the per-process means. With equal local batches that is the gradient
of the global-batch mean, so ``torchrun --nproc_per_node=W`` reproduces one process on the same
global batch (up to float summation order).
"""

from __future__ import annotations

import contextlib
from typing import Any, Literal

import torch
from torch import nn

from mpiis.shared.torch import DistInfo, wrap_ddp

__all__ = ["AMP_CHOICES", "Engine", "adam", "read_losses"]

AMP_CHOICES = ("off", "bf16", "fp16")


class Engine:
    """Autocast, gradient scaling, wrapping and row selection for one training run.

    Args:
        device: where the model lives.
        amp: ``"off"``, ``"bf16"`` or ``"fp16"`` (fp16 adds a gradient scaler per optimiser).
        compile: wrap the trained modules in ``torch.compile``.
        dist: the process group from :func:`mpiis.shared.torch.init_distributed`, or None.
    """

    def __init__(self, device: torch.device, *, amp: Literal["off", "bf16", "fp16"] = "off",
                 compile: bool = False, dist: DistInfo | None = None) -> None:
        if dist is not None and not isinstance(dist, DistInfo):
            raise TypeError(f"`dist` must be a DistInfo from init_distributed() or None, got "
                            f"{type(dist).__name__}")
        self.device = torch.device(device)
        self.amp = amp
        self.compile = bool(compile)
        self.dist = dist if dist is not None else DistInfo(device=self.device)
        self.rank, self.world = self.dist.rank, self.dist.world_size

    def check_batch(self, batch_size: int, name: str = "batch_size") -> int:
        if batch_size % self.world:
            raise ValueError(f"`{name}` (={batch_size}) must be a multiple of the world size "
                             f"({self.world})")
        return batch_size // self.world

    def rows(self, t: torch.Tensor, dim: int = 0) -> torch.Tensor:
        """This process's rows of a global-batch tensor."""
        if self.world == 1:
            return t
        idx = [slice(None)] * dim + [slice(self.rank, None, self.world)]
        return t[tuple(idx)]

    def autocast(self) -> contextlib.AbstractContextManager[Any]:
        if self.amp == "off" or self.device.type == "meta":
            return contextlib.nullcontext()
        dtype = torch.bfloat16 if self.amp == "bf16" else torch.float16
        return torch.autocast(device_type=self.device.type, dtype=dtype)

    def scaler(self) -> torch.amp.GradScaler | None:
        if self.amp != "fp16" or self.device.type == "meta":
            return None
        return torch.amp.GradScaler(self.device.type)

    def wrap(self, module: nn.Module, *, sync: bool) -> Any:
        """The callable used in training: DDP when ``sync`` and a group is active, compiled
        when asked. ``module`` itself stays the owner of the parameters."""
        out: Any = module
        if sync and self.dist.enabled:
            out = wrap_ddp(module, self.dist)
        if self.compile:
            out = torch.compile(out)
        return out

    @staticmethod
    def backward_step(loss: torch.Tensor, opt: torch.optim.Optimizer,
                      scaler: torch.amp.GradScaler | None) -> None:
        opt.zero_grad(set_to_none=True)
        Engine.backward(loss, scaler)
        Engine.opt_step(opt, scaler)

    @staticmethod
    def backward(loss: torch.Tensor, scaler: torch.amp.GradScaler | None) -> None:
        """Accumulate the gradient of ``loss`` (scaled under fp16)."""
        (loss if scaler is None else scaler.scale(loss)).backward()

    @staticmethod
    def opt_step(opt: torch.optim.Optimizer, scaler: torch.amp.GradScaler | None) -> None:
        if scaler is None:
            opt.step()
        else:
            scaler.step(opt)
            scaler.update()

    @staticmethod
    def no_sync(module: Any) -> contextlib.AbstractContextManager[Any]:
        """DDP's ``no_sync`` (skip the gradient all-reduce of this backward pass) when
        ``module`` is DistributedDataParallel (compiled or not), else a no-op."""
        inner = getattr(module, "_orig_mod", module)
        fn = getattr(inner, "no_sync", None)
        return fn() if fn is not None else contextlib.nullcontext()


def adam(params: Any, *, lr: float, betas: tuple[float, float] = (0.9, 0.999)
         ) -> torch.optim.Adam:
    """Adam with the fused kernel where torch has one (CPU and CUDA parameters: one kernel
    for all tensors instead of a Python loop over them, the same update up to rounding), the
    plain loop elsewhere (``meta``)."""
    params = list(params)
    devices = {p.device.type for p in params}
    fused = bool(params) and devices <= {"cpu", "cuda"} and all(p.is_floating_point()
                                                                  for p in params)
    return torch.optim.Adam(params, lr=lr, betas=betas, fused=fused or None)


def read_losses(buf: list[torch.Tensor], dist: DistInfo) -> list[list[float]]:
    """One host sync for a block of per-step loss tensors (averaged over processes)."""
    if not buf:
        return []
    t = torch.stack(buf).float()
    if t.device.type == "meta":
        return [[float("nan")] * t.shape[1] for _ in range(t.shape[0])]
    if dist.enabled:
        t = t.to(dist.device)
        torch.distributed.all_reduce(t)
        t = t / dist.world_size
    return t.cpu().tolist()
