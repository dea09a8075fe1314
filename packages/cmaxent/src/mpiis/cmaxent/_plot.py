"""Figures (optional extra ``matplotlib``): decision boundaries of 2-D models."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._geometry import decision_boundary

__all__ = ["plot_boundaries"]


def _plt() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError('plotting needs matplotlib: `pip install "mpiis-cmaxent[matplotlib]"`'
                          ) from exc
    return plt


def plot_boundaries(models: Mapping[str, Any] | Sequence[Any], *, X: Any = None, y: Any = None,
                    ax: Any = None, xlim: tuple[float, float] | None = None,
                    ylim: tuple[float, float] | None = None) -> Any:
    """Draw the decision boundaries w^T x + w_0 = 0 of 2-D models, over a scatter of (X, y).

    Args:
        models: ``{label: fitted model}`` (or a list; labels then come from ``direction``).
        X: optional (n, 2) points to scatter.
        y: optional (n,) labels colouring the points.
        ax: a matplotlib Axes (default: a new figure).
        xlim, ylim: the window (default: from X, else [-4, 4]).

    Returns:
        The Axes.
    """
    plt = _plt()
    if not isinstance(models, Mapping):
        models = {getattr(m, "direction", type(m).__name__) + f" {i}": m
                  for i, m in enumerate(models)}
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4.5))
    if X is not None:
        x = np.asarray(X)
        if x.ndim != 2 or x.shape[1] != 2:
            raise ValueError(f"`X` must have shape (n, 2), got {x.shape}")
        ax.scatter(x[:, 0], x[:, 1], c=None if y is None else np.asarray(y), s=4, alpha=0.3,
                   cmap="coolwarm")
        xlim = xlim or (float(x[:, 0].min()), float(x[:, 0].max()))
        ylim = ylim or (float(x[:, 1].min()), float(x[:, 1].max()))
    xlim, ylim = xlim or (-4.0, 4.0), ylim or (-4.0, 4.0)
    styles = ["-", "--", ":", "-."]
    for i, (label, m) in enumerate(models.items()):
        b = decision_boundary(m)
        nx, ny = b.normal
        if b.normal.shape != (2,):
            raise ValueError(f"`models` must be 2-D to plot, got {b.normal.shape[0]} features")
        if abs(ny) > abs(nx):
            xs = np.linspace(*xlim, 200)
            ys = -(b.offset + nx * xs) / ny
        else:
            ys = np.linspace(*ylim, 200)
            xs = -(b.offset + ny * ys) / nx
        ax.plot(xs, ys, styles[i % 4], lw=2, label=label)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("$X_1$")
    ax.set_ylabel("$X_2$")
    ax.legend(fontsize=8)
    return ax
