"""The solver configuration and the solution record shared by both directions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from mpiis.shared.validation import check_choice, check_int, check_positive

__all__ = ["CMaxEntConfig", "CMaxEntSolution", "ImpliedMoments"]


@dataclass(frozen=True, kw_only=True, slots=True)
class CMaxEntConfig:
    """How the convex duals are solved (brief, "Solver").

    Attributes:
        tol: convergence when the largest moment residual ||grad||_inf <= tol.
        max_iter: Newton (or L-BFGS) iterations before ``SolverDivergedError``.
        solver: ``"newton"`` (exact Hessian) or ``"lbfgs"`` (optax; for k > 50).
        near_infeasible: a feasibility margin below this issues ``NearlyInfeasibleWarning``.
            On the empirical path a converged solve with min(q, 1-q) / min(m_Y, 1-m_Y) >=
            near_infeasible, q = sigma(X beta), certifies feasibility (q is a strictly
            interior point of the separability LP); otherwise the exact LP decides.
    """

    tol: float = 1e-10  # brief: ||grad||_inf <= 1e-10
    max_iter: int = 100  # brief: default max_iter 100
    solver: Literal["newton", "lbfgs"] = "newton"  # never switched automatically
    near_infeasible: float = 1e-3  # brief: margin < 1e-3 warns

    def __post_init__(self) -> None:
        check_positive(self.tol, "tol")
        check_int(self.max_iter, "max_iter", minimum=1)
        check_choice(self.solver, "solver", ("newton", "lbfgs"))
        check_positive(self.near_infeasible, "near_infeasible", strict=False)

    @classmethod
    def tiny(cls) -> CMaxEntConfig:
        """The test preset: max_iter = 30."""
        return cls(max_iter=30)

    def to_dict(self) -> dict:
        return {"tol": self.tol, "max_iter": self.max_iter, "solver": self.solver,
                "near_infeasible": self.near_infeasible}


@dataclass(frozen=True, slots=True)
class ImpliedMoments:
    """Moments of the fitted joint p(x, y).

    Attributes:
        m_y: E[Y].
        mean: (k,) E[X].
        second: (k, k) E[X X^T].
        cross: (k,) E[X Y].
    """

    m_y: float
    mean: np.ndarray
    second: np.ndarray
    cross: np.ndarray

    @property
    def cov(self) -> np.ndarray:
        """(k, k) implied Cov(X)."""
        return self.second - np.outer(self.mean, self.mean)

    @property
    def cov_y(self) -> np.ndarray:
        """(k,) implied Cov(X_i, Y)."""
        return self.cross - self.mean * self.m_y


@dataclass(frozen=True, slots=True)
class CMaxEntSolution:
    """A CMAXENT solution: the log-odds coef^T x + intercept of p(Y = 1 | x).

    Attributes:
        direction: ``"causal"`` (X -> Y) or ``"anticausal"`` (Y -> X).
        predictors: the names of the k predictors.
        coef: (k,) log-odds coefficients, exactly 0 outside O (C1 / A1).
        intercept: the log-odds intercept.
        multipliers: the dual variables at the optimum (flat), e.g. (beta_0, beta_O) or
            (a, b, Lambda entries).
        converged: whether the solver met its tolerance (always True for closed forms).
        n_iter: solver iterations (0 for closed forms).
        max_moment_residual: the largest |model moment - target moment|.
        feasibility_margin: 1 - r (Gaussian causal), the LP margin or its lower bound from
            the converged solve (empirical), or 1 - c^T Sigma_OO^-1 c / (pi1 pi0), the share
            of variance left within class (anticausal).
        implied: moments of the fitted joint.
        method: how it was obtained (``"newton"``, ``"lda"``, ``"pooled-naive-bayes"``...).
    """

    direction: Literal["causal", "anticausal"]
    predictors: tuple[str, ...]
    coef: np.ndarray
    intercept: float
    multipliers: np.ndarray
    converged: bool
    n_iter: int
    max_moment_residual: float
    feasibility_margin: float
    implied: ImpliedMoments
    method: str = field(default="newton")

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """(n,) log-odds for X (n, k)."""
        return np.asarray(X, dtype=np.float64) @ self.coef + self.intercept

    def arrays(self) -> dict[str, np.ndarray]:
        """Every array of the solution (for saving and NaN checks)."""
        return {"coef": self.coef, "intercept": np.asarray(self.intercept),
                "multipliers": self.multipliers, "implied_mean": self.implied.mean,
                "implied_second": self.implied.second, "implied_cross": self.implied.cross,
                "implied_m_y": np.asarray(self.implied.m_y)}
