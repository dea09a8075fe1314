"""The codebook recipe of the official code (brief, "Codebooks").

A type's codebook holds the distinct values of a parameter vector (the true values for oracle
codebooks, per-environment estimates for user data) topped up by evenly spaced fillers over the
value range widened by ``margin`` on both sides; variances are clipped at 0 from below.
"""

from __future__ import annotations

import numpy as np

from mpiis.shared.validation import check_array, check_int, check_positive

__all__ = ["codebook_from_values"]


def codebook_from_values(
    values: np.ndarray, *, size: int = 8, margin: float = 0.1, positive: bool = False
) -> np.ndarray:
    """Build one type's codebook of ``size`` candidate values.

    Recipe (official ``generate_candidates(method="grid")``): take ``unique(values)``; add
    ``size - n_unique`` evenly spaced fillers over ``[min - margin*range, max + margin*range]``
    (lower end clipped at 0 when ``positive``); if fillers collided with existing values, top up
    once more with a second linspace of the shortfall. When ``values`` already holds ``size`` or
    more distinct values, ``size`` evenly spaced values over the widened range are used instead
    [decision].

    Args:
        values: ``(N,)`` parameter values, one per environment.
        size: ``M``, the codebook size.
        margin: relative widening of the range.
        positive: clip the lower end at 0 (variances).

    Returns:
        ``(M',)`` sorted float64 codebook, ``M' <= size`` (a second collision can leave it short,
        as in the official code).
    """
    v = check_array(values, "values", ndim=1, min_rows=1)
    size = check_int(size, "size", minimum=1)
    margin = check_positive(margin, "margin", strict=False)
    lo, hi = float(v.min()), float(v.max())
    rng = hi - lo
    lo, hi = lo - margin * rng, hi + margin * rng
    if positive:
        lo = max(lo, 0.0)
    uniq = np.unique(v)
    if uniq.size >= size:
        return np.linspace(lo, hi, size) if size > 1 else np.array([float(np.median(v))])
    combined = np.unique(np.concatenate([uniq, np.linspace(lo, hi, size - uniq.size)]))
    short = size - combined.size
    if short > 0:
        combined = np.unique(np.concatenate([combined, np.linspace(lo, hi, short)]))
    return np.sort(combined).astype(np.float64)
