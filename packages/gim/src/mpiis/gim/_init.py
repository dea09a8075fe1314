"""Stage 1 of the fit: the median-regression initialisation (brief, "Fitting, three stages").

For each variable j, ``B[:, j]`` minimises the convex, outlier-robust objective

    (1/(2K)) Σ_k |Δ_kj - Σ_{a≠j} B_aj Δ_ka| + λ Σ_a |B_aj|,    Δ_k = x̄_k - x̄_0,

solved exactly as a linear program by scipy's HiGHS. Contexts that target j are the outliers
that the absolute loss ignores. An initial B with a cycle of gain >= 1 is repaired
(:func:`make_stable`) so that the likelihood's log|det M| is defined. Then ``b = M x̄_0`` and
``σ_j = sqrt((M C_pool Mᵀ)_jj)``.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog

from ._data import SufficientStats

__all__ = ["median_regression_init"]


def _lad_column(delta: np.ndarray, j: int, l1: float) -> np.ndarray:
    k, d = delta.shape
    others = [a for a in range(d) if a != j]
    x = delta[:, others]  # (K, d-1)
    y = delta[:, j]
    q = len(others)
    # variables: u (q), v (q), e+ (K), e- (K); B = u - v, residual = e+ - e-
    c = np.concatenate([np.full(2 * q, l1), np.full(2 * k, 1.0 / (2.0 * k))])
    a_eq = np.hstack([x, -x, np.eye(k), -np.eye(k)])
    res = linprog(c, A_eq=a_eq, b_eq=y, bounds=(0, None), method="highs")
    if res.status != 0:  # pragma: no cover - the LP is always feasible and bounded
        raise RuntimeError(f"median regression for variable {j} failed: {res.message}")
    col = np.zeros(d)
    col[others] = res.x[:q] - res.x[q:2 * q]
    return col


def _stable(w: np.ndarray, margin: float = 1e-2) -> bool:
    sign, logdet = np.linalg.slogdet(np.eye(len(w)) - w.T)
    return bool(sign > 0 and logdet >= np.log(margin))


def make_stable(w: np.ndarray) -> np.ndarray:
    """Repair an initial ``B`` whose cycles have gain >= 1 (``det(I - Bᵀ) <= 0``).

    The column-wise regressions can return both directions of an edge. When ``det M`` is not
    positive (with margin 1e-2), each 2-cycle keeps only its stronger direction; if that is not
    enough, ``B`` is shrunk by 0.9 until it is [decision: the brief leaves this case open].
    """
    if _stable(w):
        return w
    w = w.copy()
    both = (w != 0) & (w.T != 0)
    weaker = both & (np.abs(w) < np.abs(w.T))
    w[weaker] = 0.0
    while not _stable(w):
        w = 0.9 * w
    return w


def median_regression_init(stats: SufficientStats, *, l1: float = 0.01):
    """Initial ``(B, b, σ)`` from the context means (stage 1 of the brief).

    Args:
        stats: sufficient statistics, control in row 0 and at least one perturbed context.
        l1: the L1 weight ``λ`` on ``B`` (brief default 0.01).

    Returns:
        ``(weights (d, d), bias (d,), noise_std (d,))`` as float64 numpy arrays.
    """
    delta = stats.mean[1:] - stats.mean[0]
    d = delta.shape[1]
    w = make_stable(np.stack([_lad_column(delta, j, l1) for j in range(d)], axis=1))
    m = np.eye(d) - w.T
    bias = m @ stats.mean[0]
    c_pool = stats.pooled / stats.n.sum()
    var = np.einsum("ja,ab,jb->j", m, c_pool, m)
    return w, bias, np.sqrt(np.maximum(var, 1e-6))
