"""Decision-boundary geometry: normals, offsets, angles and distances (paper, claims 2-3).

The boundary of a linear log-odds model is {x : w^T x + w_0 = 0}; we store the unit normal
n = w / ||w|| (pointing to class 1) and the offset w_0 / ||w||, so the boundary is
n^T x = -offset.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Boundary", "boundary_angle", "boundary_distance", "decision_boundary",
           "one_minus_cos"]


@dataclass(frozen=True, slots=True)
class Boundary:
    """A hyperplane n^T x + offset = 0 with unit normal ``normal`` (k,)."""

    normal: np.ndarray
    offset: float


def _coef(model: Any) -> tuple[np.ndarray, float]:
    if hasattr(model, "coef_"):
        w = np.asarray(model.coef_, dtype=np.float64).reshape(-1)
        b = float(np.asarray(model.intercept_).reshape(-1)[0])
    elif hasattr(model, "coef") and hasattr(model, "intercept"):
        w, b = np.asarray(model.coef, dtype=np.float64).reshape(-1), float(model.intercept)
    else:
        raise TypeError(f"`model` must be fitted (coef_/intercept_) or a CMaxEntSolution, got "
                        f"{type(model).__name__}")
    return w, b


def decision_boundary(model: Any) -> Boundary:
    """The boundary of a fitted linear model (estimator or :class:`CMaxEntSolution`)."""
    w, b = _coef(model)
    norm = float(np.linalg.norm(w))
    if not norm > 0:
        raise ValueError("`model` has an all-zero coefficient vector: no decision boundary")
    return Boundary(w / norm, b / norm)


def _normal(a: Any) -> np.ndarray:
    if isinstance(a, Boundary):
        return a.normal
    if isinstance(a, np.ndarray):
        return a / np.linalg.norm(a)
    return decision_boundary(a).normal


def boundary_angle(a: Any, b: Any) -> float:
    """Angle (radians, in [0, pi]) between two boundaries' normals (or two vectors).

    Computed as atan2 of the cross and dot products, in k dimensions as
    2 atan2(||u - v||, ||u + v||), so that 1e-16 is not rounded up to 1e-8 as with arccos.
    """
    u, v = _normal(a), _normal(b)
    if u.shape != v.shape:
        raise ValueError(f"`a` and `b` must have the same dimension, got {u.shape} and {v.shape}")
    if u.shape == (2,):
        return float(abs(np.arctan2(u[0] * v[1] - u[1] * v[0], u @ v)))
    return float(2.0 * np.arctan2(np.linalg.norm(u - v), np.linalg.norm(u + v)))


def one_minus_cos(a: Any, b: Any) -> float:
    """1 - cos(angle) = ||u - v||^2 / 2 for unit normals, accurate down to 1e-32."""
    u, v = _normal(a), _normal(b)
    return float(0.5 * np.sum((u - v) ** 2))


def boundary_distance(a: Any, b: Any, *, max_angle: float = 1e-6) -> float:
    """Distance between two parallel boundaries, |offset_a - offset_b|.

    Raises:
        ValueError: when the boundaries are not parallel (angle > ``max_angle``).
    """
    ba = a if isinstance(a, Boundary) else decision_boundary(a)
    bb = b if isinstance(b, Boundary) else decision_boundary(b)
    ang = boundary_angle(ba, bb)
    if ang > max_angle:
        raise ValueError(f"the boundaries must be parallel (angle <= {max_angle:g} rad), got "
                         f"angle {ang:.3g} rad")
    return float(abs(ba.offset - bb.offset))
