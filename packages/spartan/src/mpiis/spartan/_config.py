"""Configurations of the SPARTAN world model and of its training (brief, Method 1-7)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from mpiis.shared.validation import check_choice, check_fraction, check_int, check_positive

__all__ = ["SpartanConfig", "TrainConfig", "spartan_paper", "spartan_small", "tiny"]

Normalization = Literal["renorm", "paper"]
Penalty = Literal["expected", "sampled"]
ConstraintGates = Literal["sampled", "eval"]


@dataclass(frozen=True, kw_only=True, slots=True)
class SpartanConfig:
    """Architecture of :class:`Spartan` / :class:`DenseTransformerWM` (brief, Method 1-4).

    Tokens: ``n_objects`` object tokens (features ``obj_dim`` plus a fixed one-hot of the object
    index added by the model), one action token when ``action_dim > 0`` and at most one
    intervention token (a learnable vector per regime when ``n_regimes > 0``).
    """

    obj_dim: int  # features per object state (without the type one-hot the model appends)
    n_objects: int  # N, object tokens per sample
    action_dim: int = 0  # 0: no action token; else one linear action token
    n_regimes: int = 0  # learnable intervention tokens u_r (0: none)
    n_layers: int = 3  # L, one head per layer [paper]
    d_model: int = 512  # d [paper]
    mlp_hidden: int = 512  # hidden width of the encoder and of the 3-layer block MLP [paper]
    temperature: float = 1.0  # logistic-noise temperature t of the gates [decision]
    gate_bias_init: float = 2.0  # b_l, learnable gate bias, opens gates at initialisation
    normalization: Normalization = "renorm"  # "renorm" (default, exact zeros) or "paper"
    penalty: Penalty = "expected"  # path penalty from gate probabilities or from samples
    dense: bool = False  # True: A = 1, ordinary softmax (the dense baseline)

    def __post_init__(self) -> None:
        check_int(self.obj_dim, "obj_dim", minimum=1)
        check_int(self.n_objects, "n_objects", minimum=1)
        check_int(self.action_dim, "action_dim", minimum=0)
        check_int(self.n_regimes, "n_regimes", minimum=0)
        check_int(self.n_layers, "n_layers", minimum=1)
        check_int(self.d_model, "d_model", minimum=1)
        check_int(self.mlp_hidden, "mlp_hidden", minimum=1)
        check_positive(self.temperature, "temperature")
        if isinstance(self.gate_bias_init, bool) or not isinstance(
            self.gate_bias_init, int | float
        ):
            raise TypeError(f"`gate_bias_init` must be a real number, got {self.gate_bias_init!r}")
        check_choice(self.normalization, "normalization", ("renorm", "paper"))
        check_choice(self.penalty, "penalty", ("expected", "sampled"))
        if not isinstance(self.dense, bool):
            raise TypeError(f"`dense` must be a bool, got {self.dense!r}")

    @property
    def max_tokens(self) -> int:
        """T with an action token (if any) and an intervention token."""
        return self.n_objects + (1 if self.action_dim else 0) + 1

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}

    @classmethod
    def tiny(cls, **kw: Any) -> SpartanConfig:
        """Test preset (L = 2, d = 16, hidden 32); same as :func:`tiny`."""
        return tiny(**kw)


def spartan_paper(**kw: Any) -> SpartanConfig:
    """The paper's width: L = 3, d = 512, MLP hidden 512 (use with Adam lr 5e-5)."""
    return SpartanConfig(**{"n_layers": 3, "d_model": 512, "mlp_hidden": 512, **kw})


def spartan_small(**kw: Any) -> SpartanConfig:
    """CPU preset: L = 2, d = 64, hidden 128 (about 0.11 M parameters on ContactBalls2D)."""
    return SpartanConfig(**{"n_layers": 2, "d_model": 64, "mlp_hidden": 128, **kw})


def tiny(**kw: Any) -> SpartanConfig:
    """Test preset: L = 2, d = 16, hidden 32."""
    return SpartanConfig(**{"n_layers": 2, "d_model": 16, "mlp_hidden": 32, **kw})


@dataclass(frozen=True, kw_only=True, slots=True)
class TrainConfig:
    """Optimisation of :func:`fit` (brief, Method 5 and 7; small-preset values)."""

    steps: int  # optimiser steps
    batch_size: int = 256  # transitions per step
    lr: float = 1e-3  # Adam learning rate (paper width: 5e-5)
    warmup_frac: float = 0.25  # first fraction of steps without penalty ("learn, then prune")
    grad_clip: float = 1.0  # gradient-norm clip
    contact_fraction: float | None = 0.5  # share of contact transitions per batch; None: off
    eval_every: int = 500  # validation MSE / checkpoint interval (steps)
    log_every: int = 25  # training-curve interval (steps)
    # optional gate-logit regulariser weight * mean(e^g + e^-g) over off-diagonal gates
    # (brief, Method 5: available, default 0, not part of SPARTAN)
    gate_logit_weight: float = 0.0
    # the MSE the GECO dual step reads: "sampled" (the training loss's, with sampled gates) or
    # "eval" (the same batch through evaluation-mode gates A = 1[g > 0], no gradient), measured
    # every `constraint_every` steps and held in between
    constraint_gates: ConstraintGates = "sampled"
    constraint_every: int = 1
    # True: after the warm-up the penalty stays off (and lambda frozen) until GECO's moving
    # average of the constraint is first met ("learn, then prune" by the constraint, not by a
    # step count); False: the penalty starts when the warm-up ends (the brief)
    prune_when_feasible: bool = False
    # the last `lr_decay_frac` of the steps decay the learning rate to 0 along a half-cosine
    # (0: constant, the brief)
    lr_decay_frac: float = 0.0
    # False: lambda is held during the cool-down (the dual step stops when the lr starts to
    # decay); True: GECO keeps updating it
    dual_in_cooldown: bool = True
    # True: at the end, restore the weights of the validation evaluation (every `eval_every`
    # steps, `val` given) with the lowest validation MSE among those of the cool-down (or, with
    # `lr_decay_frac == 0`, after the warm-up); False: the final iterate
    restore_best: bool = False

    def __post_init__(self) -> None:
        check_int(self.steps, "steps", minimum=1)
        check_choice(self.constraint_gates, "constraint_gates", ("sampled", "eval"))
        check_int(self.constraint_every, "constraint_every", minimum=1)
        for flag in ("prune_when_feasible", "dual_in_cooldown", "restore_best"):
            if not isinstance(getattr(self, flag), bool):
                raise TypeError(f"`{flag}` must be a bool, got {getattr(self, flag)!r}")
        check_fraction(self.lr_decay_frac, "lr_decay_frac")
        check_int(self.batch_size, "batch_size", minimum=1)
        check_positive(self.lr, "lr")
        check_fraction(self.warmup_frac, "warmup_frac", high_open=True)
        check_positive(self.grad_clip, "grad_clip")
        if self.contact_fraction is not None:
            check_fraction(self.contact_fraction, "contact_fraction")
        check_int(self.eval_every, "eval_every", minimum=1)
        check_int(self.log_every, "log_every", minimum=1)
        if isinstance(self.gate_logit_weight, bool) or not isinstance(
            self.gate_logit_weight, int | float
        ) or not (math.isfinite(self.gate_logit_weight) and self.gate_logit_weight >= 0):
            raise ValueError(
                f"`gate_logit_weight` must be a finite number >= 0, got {self.gate_logit_weight!r}")

    @classmethod
    def tiny(cls, **kw: Any) -> TrainConfig:
        return cls(**{"steps": 20, "batch_size": 32, "eval_every": 10, "log_every": 5, **kw})
