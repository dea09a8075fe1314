"""Errors and warnings of the package."""

from __future__ import annotations

__all__ = ["InfeasibleMomentsError", "NearlyInfeasibleWarning", "SolverDivergedError"]


class InfeasibleMomentsError(ValueError):
    """The moments admit no CMAXENT solution: the dual is unbounded.

    Attributes:
        margin: the feasibility margin (1 - r for the Gaussian causal check, the scaled LP
            slack for the empirical check); <= 0 or tiny when infeasible.
        reason: a short description of the failed condition.
        feature: the predictor behind an infeasible Gaussian causal merge (None otherwise).
        studies: the datasets (column-name tuples) that gave that predictor's moments with Y.
    """

    def __init__(self, message: str, *, margin: float, reason: str,
                 feature: str | None = None,
                 studies: tuple[tuple[str, ...], ...] = ()) -> None:
        super().__init__(message)
        self.margin = float(margin)
        self.reason = reason
        self.feature = feature
        self.studies = tuple(studies)


class SolverDivergedError(RuntimeError):
    """The dual solver hit ``max_iter`` (or its line search failed) before converging.

    Attributes:
        residual: the largest moment residual (||grad||_inf) at the last iterate.
        n_iter: iterations done.
    """

    def __init__(self, message: str, *, residual: float, n_iter: int) -> None:
        super().__init__(message)
        self.residual = float(residual)
        self.n_iter = int(n_iter)


class NearlyInfeasibleWarning(UserWarning):
    """The moments are feasible but close to the boundary: coefficients may be huge."""
