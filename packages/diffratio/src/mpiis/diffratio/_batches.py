"""Turning user data into training batches: a tensor/array ``(N, ...)``, an ``(x, labels)``
pair, or an iterable of batches (tensors or pairs), cycled."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import torch

from ._checks import as_tensor, check_finite, check_x
from ._random import randint

__all__ = ["BatchSource"]


def _is_pair(data: Any) -> bool:
    return (isinstance(data, tuple | list) and len(data) == 2
            and not isinstance(data[0], int | float))


class BatchSource:
    """Draws ``(x, labels)`` batches of a fixed size.

    Args:
        data: ``(N, ...)`` tensor/array, ``(x, labels)``, or an iterable of such batches.
        batch_size: batch size (for in-memory data; iterables yield their own batch sizes).
        shape: expected per-example shape (``None`` = any).
        device: where in-memory data is moved.
        rank, world: data parallel: every process draws the same global batch and keeps rows
            ``rank, rank + world, ...`` of it (``world=1``: the whole batch).
    """

    def __init__(self, data: Any, batch_size: int, *, shape: tuple[int, ...] | None = None,
                 device: torch.device | None = None, rank: int = 0, world: int = 1) -> None:
        self.batch_size = batch_size
        self.rank, self.world = int(rank), int(world)
        self.shape = shape
        self.device = device
        self.x: torch.Tensor | None = None
        self.labels: torch.Tensor | None = None
        self._iterable: Iterable[Any] | None = None
        self._it: Iterator[Any] | None = None
        if data is None:
            raise TypeError("`data` must be a tensor, an array, an (x, labels) pair or an "
                            "iterable of batches, got None")
        if isinstance(data, torch.Tensor) or hasattr(data, "__array__"):
            self.x = check_x(data, "data", shape)
        elif _is_pair(data) and (isinstance(data[0], torch.Tensor)
                                 or hasattr(data[0], "__array__")):
            self.x = check_x(data[0], "data", shape)
            self.labels = torch.as_tensor(data[1]).long()
            if self.labels.shape != (self.x.shape[0],):
                raise ValueError(f"`data` labels must have shape ({self.x.shape[0]},), got "
                                 f"{tuple(self.labels.shape)}")
        elif isinstance(data, Iterable):
            self._iterable = data
        else:
            raise TypeError(f"`data` must be a tensor, an array, an (x, labels) pair or an "
                            f"iterable of batches, got {type(data).__name__}")
        if self.x is not None and self.x.shape[0] == 0:
            raise ValueError(f"`data` must hold at least 1 example, got shape "
                             f"{tuple(self.x.shape)}")
        if self.x is not None and device is not None:
            self.x = self.x.to(device)
            if self.labels is not None:
                self.labels = self.labels.to(device)

    def __len__(self) -> int:
        return 0 if self.x is None else int(self.x.shape[0])

    def next(self, *, generator: torch.Generator | None = None
             ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """One batch ``(x, labels)``; in-memory data is sampled with replacement."""
        if self.x is not None:
            idx = randint(self.x.shape[0], (self.batch_size,), generator=generator,
                          device=self.x.device)
            idx = idx[self.rank :: self.world]
            return self.x[idx], None if self.labels is None else self.labels[idx]
        assert self._iterable is not None
        if self._it is None:
            self._it = iter(self._iterable)
        try:
            item = next(self._it)
        except StopIteration:
            self._it = iter(self._iterable)
            try:
                item = next(self._it)
            except StopIteration:
                raise ValueError("`data` is an empty iterable") from None
        if _is_pair(item):
            x, y = item
            y = torch.as_tensor(y).long()
        else:
            x, y = item, None
        x = check_finite(check_x(as_tensor(x, "data"), "data", self.shape), "data")
        if x.shape[0] == 0:
            raise ValueError("`data` yielded an empty batch")
        if self.world > 1:
            x = x[self.rank :: self.world]
            y = None if y is None else y[self.rank :: self.world]
        if self.device is not None:
            x = x.to(self.device)
            y = None if y is None else y.to(self.device)
        return x, y
