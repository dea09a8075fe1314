"""Metrics of the benchmark (AUROC/AUPRC come from :mod:`mpiis.shared.metrics`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from mpiis.shared.metrics import auroc

__all__ = ["adjusted_rand_index", "bootstrap_ci", "context_rank", "mrr", "transfer_ratio"]


def transfer_ratio(auroc_b: float, auroc_a: float) -> float:
    """``(AUROC_B − 0.5) / (AUROC_A − 0.5)``: 1 = no loss of signal in the other ancestry."""
    if auroc_a <= 0.5:
        return float("nan")
    return float((auroc_b - 0.5) / (auroc_a - 0.5))


def context_rank(scores: Sequence[float] | np.ndarray, truth: int) -> int:
    """1-based rank of ``truth`` when ``scores`` are sorted descending (ties count against)."""
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim != 1 or not 0 <= truth < len(s):
        raise ValueError(f"`truth` must index `scores` of length {len(s)}, got {truth}")
    if not np.isfinite(s).all():
        raise ValueError("`scores` holds NaN or Inf values")
    return int((s >= s[truth]).sum())


def mrr(ranks: Sequence[int]) -> float:
    """Mean reciprocal rank."""
    r = np.asarray(ranks, dtype=np.float64)
    if r.size == 0 or (r < 1).any():
        raise ValueError(f"`ranks` must be a non-empty list of ranks >= 1, got {ranks}")
    return float(np.mean(1.0 / r))


def bootstrap_ci(
    y: np.ndarray, score: np.ndarray, *, metric: Callable[[np.ndarray, np.ndarray], float] = auroc,
    n_boot: int = 1000, rng: np.random.Generator, level: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``metric(y, score)`` over resampled individuals."""
    y, score = np.asarray(y), np.asarray(score)
    vals = []
    n = len(y)
    for _ in range(n_boot):
        idx = rng.integers(0, n, size=n)
        if y[idx].min() == y[idx].max():
            continue
        vals.append(metric(y[idx], score[idx]))
    a = (1 - level) / 2
    return float(np.quantile(vals, a)), float(np.quantile(vals, 1 - a))


def adjusted_rand_index(a: np.ndarray, b: np.ndarray) -> float:
    """Adjusted Rand index of two labelings (Hubert & Arabie)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"labelings must be 1-D of equal length, got {a.shape} and {b.shape}")
    _, ai = np.unique(a, return_inverse=True)
    _, bi = np.unique(b, return_inverse=True)
    table = np.zeros((ai.max() + 1, bi.max() + 1))
    np.add.at(table, (ai, bi), 1)

    def c2(x):
        return (x * (x - 1) / 2).sum()

    n = len(a)
    s_ij, s_a, s_b = c2(table), c2(table.sum(1)), c2(table.sum(0))
    expected = s_a * s_b / (n * (n - 1) / 2)
    mx = (s_a + s_b) / 2
    return float((s_ij - expected) / (mx - expected)) if mx != expected else 1.0
