"""The GECO-style Lagrangian controller and the calibration of tau (brief, Method 5; Eqs. 7-8)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

from mpiis.shared.validation import check_choice, check_fraction, check_positive

if TYPE_CHECKING:  # pragma: no cover
    from ._env import TransitionData
    from ._model import _WorldModel

__all__ = ["GECOLagrangian", "calibrate_tau"]


class GECOLagrangian:
    """Controller of ``min E||A_bar||_1 s.t. E[MSE] <= tau`` (Eqs. 7-8), written as
    ``loss = (MSE - tau) + L_sparse / lambda``.

    Each :meth:`update` takes the training batch's MSE: ``c = (MSE - tau) / tau``,
    ``m <- momentum m + (1 - momentum) c``, ``log lambda <- clip(log lambda + s alpha m,
    log lambda_min, log lambda_max)`` with ``s = speedup`` while the averaged constraint is met
    (``m < 0``) and ``s = 1`` otherwise. Above tau, lambda grows and the sparsity weight
    ``1/lambda`` shrinks; below tau the weight grows and pruning proceeds. ``speedup > 1`` is
    the asymmetric step of the GECO controller of the authors' lab (GENESIS,
    applied-ai-lab/genesis ``utils/geco.py``, ``g_speedup = 10``): the pressure comes back
    ``speedup`` times faster than it is relaxed, so that a lambda raised while the model was
    still learning does not stall pruning for thousands of steps.

    Raises:
        ValueError: ``tau <= 0``, ``alpha <= 0``, momentum outside [0, 1),
            ``lambda_min > lambda_init`` or ``lambda_init > lambda_max``.
    """

    def __init__(self, *, tau: float, alpha: float = 0.01, momentum: float = 0.99,
                 lambda_init: float = 100.0, lambda_min: float = 1.0,
                 lambda_max: float = 1e6, speedup: float = 1.0) -> None:
        self.tau = check_positive(tau, "tau")
        self.alpha = check_positive(alpha, "alpha")
        self.momentum = check_fraction(momentum, "momentum", high_open=True)
        self.speedup = check_positive(speedup, "speedup")
        if self.speedup < 1:
            raise ValueError(f"`speedup` must be >= 1, got {speedup}")
        check_positive(lambda_init, "lambda_init")
        check_positive(lambda_min, "lambda_min")
        check_positive(lambda_max, "lambda_max")
        if lambda_min > lambda_init:
            raise ValueError(f"`lambda_min` (={lambda_min}) must be <= `lambda_init` "
                             f"(={lambda_init})")
        if lambda_init > lambda_max:
            raise ValueError(f"`lambda_init` (={lambda_init}) must be <= `lambda_max` "
                             f"(={lambda_max})")
        self.lambda_min, self.lambda_max = float(lambda_min), float(lambda_max)
        self.log_lambda = math.log(lambda_init)
        self.m = 0.0

    @property
    def lam(self) -> float:
        """The current multiplier lambda."""
        return math.exp(self.log_lambda)

    @property
    def weight(self) -> float:
        """The sparsity weight ``1 / lambda``."""
        return math.exp(-self.log_lambda)

    def observe(self, constraint_value: float) -> float:
        """Fold one batch MSE into the moving average ``m`` without a dual step; returns ``m``
        (``m <= 0``: the averaged constraint is met)."""
        v = float(constraint_value)
        if not math.isfinite(v):
            raise ValueError(f"`constraint_value` must be finite, got {constraint_value}")
        c = (v - self.tau) / self.tau
        self.m = self.momentum * self.m + (1.0 - self.momentum) * c
        return self.m

    def update(self, constraint_value: float) -> float:
        """One dual step from the batch MSE (the constrained quantity); returns lambda."""
        self.observe(constraint_value)
        step = self.alpha * self.m * (self.speedup if self.m < 0 else 1.0)
        self.log_lambda = min(max(self.log_lambda + step,
                                  math.log(self.lambda_min)), math.log(self.lambda_max))
        return self.lam

    def state_dict(self) -> dict[str, float]:
        return {"tau": self.tau, "alpha": self.alpha, "momentum": self.momentum,
                "log_lambda": self.log_lambda, "m": self.m, "lambda_min": self.lambda_min,
                "lambda_max": self.lambda_max, "speedup": self.speedup}

    def load_state_dict(self, state: Mapping[str, float]) -> None:
        for k in ("tau", "alpha", "momentum", "log_lambda", "m", "lambda_min", "lambda_max"):
            setattr(self, k, float(state[k]))
        self.speedup = float(state.get("speedup", 1.0))

    def __repr__(self) -> str:
        return f"GECOLagrangian(tau={self.tau:.4g}, lambda={self.lam:.4g}, m={self.m:.3g})"


def calibrate_tau(
    dense_model: _WorldModel,
    data: Mapping[str, TransitionData],
    *,
    factor: float = 1.0,
    source: Literal["val", "train"] = "val",
    contact_fraction: float | None = 0.5,
) -> float:
    """``tau = factor x MSE`` of the trained dense model (evaluation mode) on ``data[source]``,
    with contact and no-contact transitions weighted as the training sampler draws them.

    Args:
        dense_model: the trained dense world model (its residual standardiser is used).
        data: ``{"train": ..., "val": ...}`` transition sets.
        factor: ``tau_factor`` (1.0 in the paper).
        source: which split.
        contact_fraction: the sampler's share of contact transitions; ``None``: plain mean.
    """
    from ._train import prediction_mse

    check_positive(factor, "factor")
    check_choice(source, "source", ("val", "train"))
    if source not in data:
        raise ValueError(f"`data` must have a {source!r} split, got keys {sorted(data)}")
    mse = prediction_mse(dense_model, data[source], contact_fraction=contact_fraction)
    return float(factor * mse)
