"""Initialisation arms of the student (generator and ratio trunk alike) for claims 2–3
(brief, "Initialisation arms")."""

from __future__ import annotations

import copy
import math
from typing import Any, Literal

import torch
from torch import nn

from mpiis.shared.validation import check_choice, check_int, check_positive

from ._engine import adam
from ._nets import reinit_
from ._random import randint, randn
from ._teacher import heun_sample

__all__ = ["INIT_MODES", "fit_mapping", "init_student"]

INIT_MODES = ("teacher", "random", "mapping_only", "narrow_sigma", "trunk_only", "head_only")


def _backbone(student: nn.Module, mode: str) -> Any:
    bb = getattr(student, "backbone", None)
    if bb is None or not hasattr(bb, "output_modules"):
        raise ValueError(f"`mode`={mode!r} needs an EDMPrecond teacher with an MLPBackbone or "
                         "TinyUNet backbone")
    return bb


def init_student(
    teacher: nn.Module,
    mode: Literal["teacher", "random", "mapping_only", "narrow_sigma", "trunk_only",
                  "head_only"],
    *,
    generator: torch.Generator | None = None,
    narrow_teacher: nn.Module | None = None,
    mapping_steps: int = 1000,
    sigma_init: float = 2.5,
) -> nn.Module:
    """A fresh student with the teacher's architecture, initialised by one arm.

    Arms: ``teacher`` (full teacher weights), ``random`` (fresh initialisation),
    ``mapping_only`` (random, then regressed onto the teacher's Heun-35 samples for the same z:
    a good noise-to-image map without multi-σ features), ``narrow_sigma`` (a copy of
    ``narrow_teacher``, trained at σ_init only), ``trunk_only`` (teacher trunk, output layer
    re-initialised), ``head_only`` (teacher output layer, trunk re-initialised).

    Args:
        teacher: an :class:`EDMPrecond` teacher (any denoiser for ``mode="teacher"``).
        mode: the arm.
        generator: draws re-initialised weights and the mapping data.
        narrow_teacher: required for ``"narrow_sigma"``.
        mapping_steps: regression steps for ``"mapping_only"``.
        sigma_init: the generator's σ_init (the mapping is fitted at this level).

    Returns:
        The student (trainable, in train mode); the teacher is not modified.
    """
    check_choice(mode, "mode", INIT_MODES)
    if not isinstance(teacher, nn.Module):
        raise TypeError(f"`teacher` must be an nn.Module to copy, got {type(teacher).__name__}")
    if mode == "narrow_sigma":
        if narrow_teacher is None:
            raise ValueError("`narrow_teacher` is required for mode='narrow_sigma' (train one "
                             "with TeacherConfig(sigma_law='fixed'))")
        student = copy.deepcopy(narrow_teacher)
    else:
        student = copy.deepcopy(teacher)
    student.requires_grad_(True).train()
    if mode == "random":
        reinit_(student, generator=generator)
    elif mode == "mapping_only":
        reinit_(student, generator=generator)
        fit_mapping(student, teacher, steps=mapping_steps, batch_size=256,
                    sigma_init=sigma_init, generator=generator)
    elif mode == "trunk_only":
        for m in _backbone(student, mode).output_modules():
            reinit_(m, generator=generator)
    elif mode == "head_only":
        for m in _backbone(student, mode).trunk_modules():
            reinit_(m, generator=generator)
    return student


def fit_mapping(
    student: nn.Module,
    teacher: nn.Module,
    *,
    steps: int,
    batch_size: int,
    sigma_init: float,
    generator: torch.Generator | None = None,
    lr: float = 1e-3,
    pool: int = 4096,
) -> nn.Module:
    """Regress x = student(σ_init z, σ_init) onto the teacher's Heun-35 sample for the same z
    (MSE), so that the student starts as a good one-step map (the ``mapping_only`` arm).

    A pool of ``pool`` (z, Heun(z)) pairs is drawn once; minibatches come from it.

    Returns:
        ``student``, trained in place.
    """
    steps = check_int(steps, "steps", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    sigma_init = check_positive(sigma_init, "sigma_init")
    shape = getattr(teacher, "data_shape", None)
    if shape is None:
        raise ValueError("`teacher` must know its data shape (EDMPrecond.data_shape)")
    device = next(student.parameters()).device
    z = randn((pool, *shape), generator=generator, device=device)
    nc = int(getattr(teacher, "num_classes", 0))
    y = randint(nc, (pool,), generator=generator, device=device) if nc else None
    target = heun_sample(teacher, (pool, *shape), noise=z, labels=y)
    opt = adam(student.parameters(), lr=lr)
    for _ in range(steps):
        idx = randint(pool, (batch_size,), generator=generator, device=device)
        sig = torch.full((batch_size,), sigma_init, device=device)
        out = student(sigma_init * z[idx], sig, None if y is None else y[idx])
        loss = ((out - target[idx]) ** 2).mean()
        if not math.isfinite(float(loss.detach())):
            raise RuntimeError("fit_mapping diverged: non-finite loss")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return student
