"""``CompressionConfig``: the options of the two-part code (brief, "Public API")."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

from mpiis.shared.validation import check_choice, check_int, check_positive

__all__ = ["CompressionConfig"]


@dataclass(frozen=True, kw_only=True, slots=True)
class CompressionConfig:
    """Options of the compression objective, eqs. (A) and (B).

    Attributes:
        cost: ``"codebook"`` (the paper's finite-codebook cost, eq. A) or ``"partition"``
            (set partitions with pooled MLE blocks, our extension).
        codebook_size: ``M``, values per type codebook (the paper uses 8).
        margin: relative widening of a codebook's value range (the paper uses 0.1).
        k_max: upper bound on the total number of mechanism values (the paper's example: 15);
            ``None`` for no bound.
        select: how a codebook subset is chosen: ``"kl"`` (official Gaussian path) or
            ``"code_length"``.
        center: subtract each environment's mean before coding [decision]; the paper's data
            are zero-mean and its replica uses ``False``.
        max_combinations: budget on the number of (subset tuple x environment) evaluations of
            one node; a larger search raises ``ValueError``.
        tie_tol_bits: two code lengths closer than this are a tie (relative, ``1e-6 |L|``, when
            ``x64=False``).
        x64: run the JAX work inside a scoped ``jax.enable_x64(True)`` context.
        beam_width: when a node's exhaustive codebook search exceeds ``max_combinations``
            (e.g. a node with two parents at ``M = 8``), keep per type and size the
            ``beam_width`` best subsets under a relaxed score and search their products
            exactly (an approximation; its gap is measured by the benchmark). ``None`` raises
            instead.
        codebook_charge: charge every data-driven codebook (the recipe run on the
            per-environment estimates, ``codebook=None``) the description length of the
            ``N`` estimates it is built from, ``sum_e (1/2) log2 n_e`` bits per type
            [decision]; without it a spurious edge gets a free, perfectly fitting codebook.
            Oracle / user codebooks are never charged.
        backend: ``"jax"`` (the jitted program), ``"numpy"`` (the same algorithm in
            vectorised numpy: the fair speed baseline) or ``"auto"``: JAX, except for nodes
            with three or more types (two parents) on a CPU, where the numpy form measured
            about five times faster than XLA's.
    """

    cost: Literal["codebook", "partition"] = "codebook"  # the paper's cost
    codebook_size: int = 8  # the paper's M
    margin: float = 0.1  # the official margin ratio
    k_max: int | None = None  # no bound; the paper's example uses 15
    select: Literal["kl", "code_length"] = "kl"  # official Gaussian selection
    center: bool = True  # [decision] centre each environment
    max_combinations: int = 50_000_000  # search budget per node
    tie_tol_bits: float = 1e-6  # ties are reported, never resolved
    x64: bool = True  # scoped float64
    beam_width: int | None = 8  # approximate search above the budget
    codebook_charge: bool = True  # [decision] describe data-driven codebooks
    backend: Literal["auto", "jax", "numpy"] = "auto"

    def __post_init__(self) -> None:
        check_choice(self.cost, "cost", ("codebook", "partition"))
        check_choice(self.select, "select", ("kl", "code_length"))
        check_int(self.codebook_size, "codebook_size", minimum=1)
        check_positive(self.margin, "margin", strict=False)
        if self.k_max is not None:
            check_int(self.k_max, "k_max", minimum=1)
        check_int(self.max_combinations, "max_combinations", minimum=1)
        if self.beam_width is not None:
            check_int(self.beam_width, "beam_width", minimum=1)
        check_choice(self.backend, "backend", ("auto", "jax", "numpy"))
        check_positive(self.tie_tol_bits, "tie_tol_bits", strict=False)
        for name in ("center", "x64", "codebook_charge"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"`{name}` must be a bool, got {getattr(self, name)!r}")

    @classmethod
    def tiny(cls, **overrides: object) -> CompressionConfig:
        """A small configuration for tests: ``codebook_size=4``."""
        return dataclasses.replace(cls(codebook_size=4), **overrides)
