"""Maximum-entropy Gaussian completion of a partially observed covariance (Dempster 1972).

Given Cov(X_i, X_j) on the observed pattern, the max-entropy Gaussian has a precision matrix
that is zero on every unobserved pair. For a chordal pattern the precision is a sum of padded
inverses over the maximum-cardinality-search order (clique minus separator, telescoped); for a
non-chordal pattern it is found by Newton's method on the convex log-det dual.
"""

from __future__ import annotations

import numpy as np

from ._errors import InfeasibleMomentsError

__all__ = ["is_chordal", "max_entropy_completion", "mcs_order"]


def mcs_order(pattern: np.ndarray) -> list[int]:
    """Maximum cardinality search order of the graph whose adjacency is ``pattern`` (k, k)."""
    k = pattern.shape[0]
    weight = np.zeros(k, dtype=int)
    order: list[int] = []
    left = set(range(k))
    while left:
        v = max(sorted(left), key=lambda u: weight[u])
        order.append(v)
        left.remove(v)
        for u in left:
            if pattern[v, u]:
                weight[u] += 1
    return order


def _earlier_neighbours(pattern: np.ndarray, order: list[int]) -> list[list[int]]:
    return [[u for u in order[:i] if pattern[v, u]] for i, v in enumerate(order)]


def is_chordal(pattern: np.ndarray) -> bool:
    """True when every cycle of length >= 4 in the pattern's graph has a chord."""
    order = mcs_order(pattern)
    for prev in _earlier_neighbours(pattern, order):
        sub = pattern[np.ix_(prev, prev)]
        if not sub.all():
            return False
    return True


def _inv_pd(a: np.ndarray, what: str) -> np.ndarray:
    try:
        c = np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        raise InfeasibleMomentsError(
            f"{what} is not positive definite: the observed covariance entries admit no PD "
            f"completion", margin=0.0, reason="no PD completion") from None
    ci = np.linalg.inv(c)
    return ci.T @ ci


def _numerical(cov: np.ndarray, pattern: np.ndarray, what: str) -> np.ndarray:
    k = cov.shape[0]
    iu = [(i, j) for i in range(k) for j in range(i, k) if pattern[i, j]]
    basis = []
    for i, j in iu:
        e = np.zeros((k, k))
        e[i, j] = e[j, i] = 1.0
        basis.append(e)
    target = np.array([np.sum(e * cov) for e in basis])

    def build(theta):
        return sum(t * e for t, e in zip(theta, basis, strict=True))

    def obj(theta):
        kmat = build(theta)
        try:
            c = np.linalg.cholesky(kmat)
        except np.linalg.LinAlgError:
            return np.inf
        return float(theta @ target - 2.0 * np.log(np.diag(c)).sum())

    theta = np.array([1.0 / cov[i, i] if i == j else 0.0 for i, j in iu])
    for _ in range(200):
        kmat = build(theta)
        w = np.linalg.inv(kmat)
        g = target - np.array([np.sum(e * w) for e in basis])
        if np.max(np.abs(g)) <= 1e-12 * np.max(np.abs(np.diag(cov))):
            return w
        we = [w @ e @ w for e in basis]
        h = np.array([[np.sum(a * e) for e in basis] for a in we])
        d = -np.linalg.solve(h, g)
        f0, t = obj(theta), 1.0
        while obj(theta + t * d) > f0 + 1e-4 * t * (g @ d) and t > 1e-18:
            t *= 0.5
        if t <= 1e-18:
            break
        theta = theta + t * d
    raise InfeasibleMomentsError(
        f"{what}: the non-chordal pattern admits no PD completion (Newton did not converge)",
        margin=0.0, reason="no PD completion")


def max_entropy_completion(cov: np.ndarray, pattern: np.ndarray, *,
                           what: str = "the observed covariance") -> tuple[np.ndarray, np.ndarray]:
    """Complete ``cov`` (k, k; entries outside ``pattern`` ignored) to the max-entropy Gaussian.

    Returns:
        (Sigma, K): the completed covariance (k, k), equal to ``cov`` on the pattern, and its
        precision, zero outside the pattern.

    Raises:
        InfeasibleMomentsError: (reason ``"no PD completion"``) when none exists.
    """
    cov = np.asarray(cov, dtype=np.float64)
    pattern = np.asarray(pattern, dtype=bool) | np.eye(cov.shape[0], dtype=bool)
    k = cov.shape[0]
    if pattern.all():
        kmat = _inv_pd(cov, what)
        return cov.copy(), kmat
    order = mcs_order(pattern)
    if is_chordal(pattern):
        kmat = np.zeros((k, k))
        for v, prev in zip(order, _earlier_neighbours(pattern, order), strict=True):
            c = [v, *prev]
            kmat[np.ix_(c, c)] += _inv_pd(cov[np.ix_(c, c)], what)
            if prev:
                kmat[np.ix_(prev, prev)] -= _inv_pd(cov[np.ix_(prev, prev)], what)
        kmat = np.where(pattern, kmat, 0.0)
        kmat = 0.5 * (kmat + kmat.T)
        sigma = _inv_pd(kmat, what)
        return 0.5 * (sigma + sigma.T), kmat
    w = _numerical(cov, pattern, what)
    kmat = np.where(pattern, _inv_pd(w, what), 0.0)
    return 0.5 * (w + w.T), 0.5 * (kmat + kmat.T)
