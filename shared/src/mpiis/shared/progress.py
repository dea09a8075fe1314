"""A progress bar for training loops: tqdm, quiet when stderr is not a terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm.auto import tqdm

__all__ = ["progress"]

T = TypeVar("T")


def progress(
    iterable: Iterable[T],
    *,
    total: int | None = None,
    desc: str | None = None,
    disable: bool | None = None,
    leave: bool = False,
) -> Iterator[T]:
    """Wrap ``iterable`` in a tqdm bar.

    Args:
        iterable: what the loop runs over.
        total: its length when ``len()`` is not available.
        desc: the label shown before the bar.
        disable: ``True`` hides the bar, ``False`` forces it; ``None`` (default) shows it only
            when stderr is a terminal, so logs and CI stay clean.
        leave: keep the finished bar on screen.

    Returns:
        An iterator over the same items; call ``.set_postfix(loss=...)`` on it to show numbers.
    """
    if disable is None:
        disable = not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty())
    return tqdm(iterable, total=total, desc=desc, disable=disable, leave=leave, dynamic_ncols=True)
