"""Benchmark figures (matplotlib, the optional ``matplotlib`` extra, imported lazily). Every
function takes numpy arrays and a path; none touches the models."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

__all__ = ["cka_bars", "curves", "grid_panels", "scatter_panels"]


def _plt():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the extra
        raise ImportError('figures need matplotlib: `pip install "mpiis-diffratio[matplotlib]"`'
                          ) from exc
    return plt


def scatter_panels(panels: Mapping[str, np.ndarray], centers: np.ndarray, path: Path) -> None:
    """2-D samples per method over the mixture centres."""
    plt = _plt()
    fig, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels), 3.2), squeeze=False)
    for ax, (name, pts) in zip(axes[0], panels.items(), strict=True):
        ax.scatter(pts[:, 0], pts[:, 1], s=2, alpha=0.4)
        ax.scatter(centers[:, 0], centers[:, 1], s=30, c="red", marker="x")
        ax.set_title(name, fontsize=9)
        ax.set_xlim(-3, 3)
        ax.set_ylim(-3, 3)
        ax.set_aspect("equal")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def curves(series: Mapping[str, tuple[Sequence[float], Sequence[float]]], path: Path, *,
           xlabel: str, ylabel: str, logy: bool = False, title: str = "") -> None:
    """One line per named (x, y) series."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for name, (x, y) in series.items():
        ax.plot(x, y, marker="o", ms=3, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def grid_panels(panels: Mapping[str, np.ndarray], shape: tuple[int, ...], path: Path, *,
                n: int = 8) -> None:
    """An n×n grid of images per method (images in [−1, 1], flattened or not)."""
    plt = _plt()
    h, w = shape[-2], shape[-1]
    fig, axes = plt.subplots(1, len(panels), figsize=(2.6 * len(panels), 2.8), squeeze=False)
    for ax, (name, imgs) in zip(axes[0], panels.items(), strict=True):
        imgs = np.clip(imgs[: n * n].reshape(-1, h, w), -1, 1)
        k = int(np.ceil(np.sqrt(len(imgs))))
        canvas = np.full((k * (h + 1), k * (w + 1)), -1.0)
        for i, im in enumerate(imgs):
            r, c = divmod(i, k)
            canvas[r * (h + 1): r * (h + 1) + h, c * (w + 1): c * (w + 1) + w] = im
        ax.imshow(canvas, cmap="gray", vmin=-1, vmax=1)
        ax.set_title(name, fontsize=9)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def cka_bars(sigmas: Sequence[float], values: Mapping[str, Sequence[float]], path: Path) -> None:
    """Linear CKA between student and teacher features per noise level, grouped bars."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    k = len(values)
    x = np.arange(len(sigmas))
    for i, (name, v) in enumerate(values.items()):
        ax.bar(x + (i - (k - 1) / 2) * 0.8 / k, v, width=0.8 / k, label=name)
    ax.set_xticks(x, [f"σ={s:g}" for s in sigmas])
    ax.set_ylabel("linear CKA with teacher")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
