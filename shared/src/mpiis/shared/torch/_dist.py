"""Data-parallel training on torch's own engine: ``torchrun`` + DistributedDataParallel.

A training script calls :func:`init_distributed` once; under ``torchrun`` it joins the process
group (NCCL on GPUs, gloo on CPUs) and reports its rank, otherwise it returns a single-process
:class:`DistInfo` and everything below is a no-op. :func:`run_torchrun` launches a script with
``python -m torch.distributed.run`` (what a user types as ``torchrun``), for tests and examples.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist

__all__ = [
    "DistInfo",
    "all_reduce_mean",
    "cleanup_distributed",
    "distributed_sampler",
    "init_distributed",
    "run_torchrun",
    "wrap_ddp",
]


@dataclass(frozen=True)
class DistInfo:
    """Where this process stands: ``rank`` of ``world_size``, its ``device``, and whether a
    process group is active (``enabled``)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    enabled: bool = False

    @property
    def is_main(self) -> bool:
        """Rank 0: the process that logs, evaluates and writes checkpoints."""
        return self.rank == 0


def init_distributed(backend: str | None = None, *, device: str | None = None) -> DistInfo:
    """Join the process group that ``torchrun`` set up (its ``RANK``/``WORLD_SIZE``/
    ``LOCAL_RANK`` environment); without it, return a single-process :class:`DistInfo`.

    Args:
        backend: ``"nccl"`` or ``"gloo"``; default NCCL when CUDA is available, else gloo.
        device: force ``"cpu"`` (e.g. gloo tests on a GPU machine); default the local GPU.
    """
    use_cuda = torch.cuda.is_available() and device != "cpu"
    if "RANK" not in os.environ or int(os.environ.get("WORLD_SIZE", "1")) < 2:
        dev = torch.device("cuda") if use_cuda else torch.device(device or "cpu")
        return DistInfo(device=dev)
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if use_cuda:
        torch.cuda.set_device(local)
        dev = torch.device("cuda", local)
    else:
        dev = torch.device("cpu")
    if not dist.is_initialized():
        dist.init_process_group(backend or ("nccl" if use_cuda else "gloo"), rank=rank,
                                world_size=world)
    return DistInfo(rank, world, local, dev, True)


def cleanup_distributed(*, barrier: bool | None = None) -> None:
    """Leave the process group, when one is active.

    The ranks first meet at a barrier, so that none tears its gloo/NCCL connections down while
    a peer still uses them (rank 0 saving a checkpoint while rank 1 leaves made gloo abort the
    other process with "terminate called without an active exception"). ``barrier=None``
    (default) skips the barrier when called while an exception propagates (from a ``finally``
    block): a failed rank must not wait for peers that may be stuck in a collective.
    """
    if not (dist.is_available() and dist.is_initialized()):
        return
    if barrier is None:
        barrier = sys.exc_info()[1] is None
    if barrier:
        dist.barrier()
    dist.destroy_process_group()


def wrap_ddp(model: torch.nn.Module, info: DistInfo, **kwargs: Any) -> torch.nn.Module:
    """``DistributedDataParallel(model)`` when a group is active, else ``model`` itself.
    Move the model to ``info.device`` first."""
    if not info.enabled:
        return model
    ids = [info.device.index] if info.device.type == "cuda" else None
    return torch.nn.parallel.DistributedDataParallel(model, device_ids=ids, **kwargs)


def distributed_sampler(dataset: Any, info: DistInfo, *, shuffle: bool, seed: int = 0,
                        drop_last: bool = False) -> torch.utils.data.DistributedSampler | None:
    """A ``DistributedSampler`` giving each rank its share of ``dataset``, or ``None`` for a
    single process (then let the DataLoader shuffle). Call ``sampler.set_epoch(epoch)`` each
    epoch."""
    if not info.enabled:
        return None
    return torch.utils.data.DistributedSampler(dataset, num_replicas=info.world_size,
                                               rank=info.rank, shuffle=shuffle, seed=seed,
                                               drop_last=drop_last)


def all_reduce_mean(t: torch.Tensor, info: DistInfo) -> torch.Tensor:
    """The mean of ``t`` over ranks (in place; a no-op for a single process)."""
    if info.enabled:
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
        t /= info.world_size
    return t


def run_torchrun(script: str | os.PathLike, *, nproc: int = 2, args: Sequence[str] = (),
                 timeout: float = 300.0, threads_per_process: int = 1,
                 env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``torchrun --standalone --nproc_per_node=nproc script args`` and return the finished
    process (raising ``RuntimeError`` with its output when it fails).

    Each process gets ``OMP_NUM_THREADS=threads_per_process`` so that CPU tests do not
    oversubscribe the machine.
    """
    script = Path(script)
    if not script.is_file():
        raise FileNotFoundError(f"`script` {str(script)!r} does not exist")
    if nproc < 1:
        raise ValueError(f"`nproc` must be >= 1, got {nproc}")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone",
           f"--nproc_per_node={nproc}", str(script), *map(str, args)]
    full_env = {**os.environ, "OMP_NUM_THREADS": str(threads_per_process), **(env or {})}
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=full_env,
                         check=False)
    if out.returncode != 0:
        raise RuntimeError(f"torchrun exited {out.returncode}:\n{out.stdout}\n{out.stderr}")
    return out
