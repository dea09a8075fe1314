"""Result containers returned by the models (frozen dataclasses of numpy arrays)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["GaussianPrediction", "InterventionPrediction"]


@dataclass(frozen=True)
class InterventionPrediction:
    """The GIM's distribution over atomic interventions for m feature vectors.

    Attributes:
        target_probs: ``(m, d)`` target probabilities ``π(γ)``.
        shift_mean: ``(m, d)`` shift means ``h(γ)``.
        log_scale: ``(m, d)`` log-scales ``τ(γ)`` (shift-scale) or ``None``.
    """

    target_probs: np.ndarray
    shift_mean: np.ndarray
    log_scale: np.ndarray | None = None


@dataclass(frozen=True)
class GaussianPrediction:
    """A predicted Gaussian distribution per feature vector.

    Attributes:
        mean: ``(m, d)``.
        cov: ``(m, d, d)``.
    """

    mean: np.ndarray
    cov: np.ndarray
