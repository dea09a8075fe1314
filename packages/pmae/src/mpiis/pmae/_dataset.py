"""``torch.utils.data`` inputs of :func:`pretrain` and the paper's augmentation (random resized
crop + horizontal flip), batched on the images' device."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mpiis.shared import data as _sd
from mpiis.shared.validation import check_int

from ._checks import as_images, describe

__all__ = ["ImageFolderDataset", "ImageTensorDataset", "RandomResizedCropFlip", "npz_dataset"]

_EXTS = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}


class ImageTensorDataset(torch.utils.data.Dataset):
    """In-memory images ``(N, C, H, W)`` (array or tensor, float in [0, 1]) with optional labels;
    items are ``(image, label)`` (label -1 without labels)."""

    def __init__(self, images: Any, labels: Any = None) -> None:
        self.images = as_images(images, "images").float()
        n = self.images.shape[0]
        if labels is None:
            self.labels = torch.full((n,), -1, dtype=torch.long)
        else:
            y = torch.as_tensor(np.asarray(labels))
            if y.ndim != 1 or y.shape[0] != n:
                raise ValueError(f"`labels` must have shape ({n},) to match `images`, "
                                 f"got {tuple(y.shape)}")
            if y.is_floating_point() or y.dtype == torch.bool:
                raise TypeError(f"`labels` must be integers, got dtype {y.dtype}")
            self.labels = y.long()

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.images[i], self.labels[i]


def npz_dataset(path: str | os.PathLike, *, images_key: str = "images",
                labels_key: str | None = "labels") -> ImageTensorDataset:
    """An ``.npz`` file of images (and labels) as a dataset (``mpiis.shared.data.load_npz``:
    integer images are scaled from 0..255, channels-last moved first). The arrays are read into
    memory; use :class:`ImageFolderDataset` to stream from disk."""
    d = _sd.load_npz(path, images_key=images_key, labels_key=labels_key)
    return ImageTensorDataset(d.images, d.labels if labels_key is not None else None)


class ImageFolderDataset(torch.utils.data.Dataset):
    """An image folder ``root/<class>/<file>`` streamed from disk: each item is read (Pillow,
    extra ``images``), converted to RGB or grey, resized to ``size`` and scaled to [0, 1] when it
    is requested, so the set never has to fit in memory. Use with ``num_workers`` > 0 in
    :class:`PretrainConfig` to read in parallel.

    Args:
        root: one subfolder per class (sorted names give the labels).
        size: ``(H, W)`` (an int means square); required when the images differ in size.
        grayscale: one channel instead of three.
    """

    def __init__(self, root: str | os.PathLike, *, size: int | tuple[int, int] | None = None,
                 grayscale: bool = False) -> None:
        root = Path(root)
        if not root.is_dir():
            raise FileNotFoundError(f"`root` is not a directory: {root}")
        self.classes = sorted(p.name for p in root.iterdir() if p.is_dir())
        if not self.classes:
            raise ValueError(f"`root` must contain one subfolder per class, found none in {root}")
        self.files: list[tuple[Path, int]] = [
            (f, k) for k, c in enumerate(self.classes) for f in sorted((root / c).iterdir())
            if f.suffix.lower() in _EXTS]
        if not self.files:
            raise ValueError(f"`root` holds no image files under its class folders: {root}")
        if isinstance(size, int):
            size = (check_int(size, "size", minimum=1),) * 2
        self.size = size
        self.grayscale = bool(grayscale)
        self.root = root

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        try:
            from PIL import Image
        except ImportError as exc:  # pragma: no cover - the extra
            raise ImportError('reading image folders needs Pillow: `pip install '
                              '"mpiis-pmae[images]"`') from exc
        path, label = self.files[i]
        with Image.open(path) as im:
            im = im.convert("L" if self.grayscale else "RGB")
            if self.size is not None:
                im = im.resize((self.size[1], self.size[0]), Image.Resampling.BICUBIC)
            arr = np.asarray(im, dtype=np.float32) / 255.0
        img = arr[None] if self.grayscale else arr.transpose(2, 0, 1)
        return torch.from_numpy(np.ascontiguousarray(img)), torch.tensor(label)


class RandomResizedCropFlip:
    """The paper's augmentation: ``RandomResizedCrop(scale=(0.2, 1), bicubic)`` and a horizontal
    flip with probability 1/2, applied to a whole batch on its device in one ``grid_sample``.

    Per image: area share ``s ~ U(scale)``, aspect ``a`` log-uniform in ``ratio``, crop width
    ``sqrt(s a)`` and height ``sqrt(s / a)`` of the side (clipped to 1, where torchvision instead
    retries up to 10 times), a uniform position inside the image, resampled to the input size.
    Use it as ``PretrainConfig(augment=RandomResizedCropFlip())``; it draws from the training
    generator, so runs stay reproducible.

    Args:
        scale: range of the crop's area share.
        ratio: range of the crop's aspect ratio (width / height).
        flip: flip horizontally with probability 1/2.
        mode: ``grid_sample`` interpolation (``"bicubic"`` as in the paper, or ``"bilinear"``).
    """

    def __init__(self, *, scale: tuple[float, float] = (0.2, 1.0),
                 ratio: tuple[float, float] = (3 / 4, 4 / 3), flip: bool = True,
                 mode: str = "bicubic") -> None:
        lo, hi = (float(v) for v in scale)
        if not 0 < lo <= hi <= 1:
            raise ValueError(f"`scale` must satisfy 0 < lo <= hi <= 1, got {scale!r}")
        rlo, rhi = (float(v) for v in ratio)
        if not 0 < rlo <= rhi:
            raise ValueError(f"`ratio` must satisfy 0 < lo <= hi, got {ratio!r}")
        if mode not in ("bicubic", "bilinear", "nearest"):
            raise ValueError(f"`mode` must be 'bicubic', 'bilinear' or 'nearest', got {mode!r}")
        self.scale, self.ratio, self.flip, self.mode = (lo, hi), (rlo, rhi), bool(flip), mode

    def __repr__(self) -> str:
        return (f"RandomResizedCropFlip(scale={self.scale}, ratio={self.ratio}, "
                f"flip={self.flip}, mode={self.mode!r})")

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or x.ndim != 4 or not x.is_floating_point():
            raise ValueError(f"`x` must be a float tensor (B, C, H, W), got {describe(x)}")
        b = x.shape[0]
        gdev = generator.device if generator is not None else x.device
        u = torch.rand(b, 5, generator=generator, device=gdev).to(x.device, torch.float32)
        area = self.scale[0] + (self.scale[1] - self.scale[0]) * u[:, 0]
        la, lb = math.log(self.ratio[0]), math.log(self.ratio[1])
        aspect = torch.exp(la + (lb - la) * u[:, 1])
        w = torch.sqrt(area * aspect).clamp(max=1.0)
        h = torch.sqrt(area / aspect).clamp(max=1.0)
        cx = (2 * u[:, 2] - 1) * (1 - w)  # crop centre in [-1, 1] coordinates
        cy = (2 * u[:, 3] - 1) * (1 - h)
        sx = torch.where(u[:, 4] < 0.5, -w, w) if self.flip else w
        theta = torch.zeros(b, 2, 3, device=x.device, dtype=torch.float32)
        theta[:, 0, 0], theta[:, 0, 2] = sx, cx
        theta[:, 1, 1], theta[:, 1, 2] = h, cy
        grid = torch.nn.functional.affine_grid(theta, list(x.shape), align_corners=False)
        out = torch.nn.functional.grid_sample(x.float(), grid, mode=self.mode,
                                              padding_mode="border", align_corners=False)
        return out.to(x.dtype)
