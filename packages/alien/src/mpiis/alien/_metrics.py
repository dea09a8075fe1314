"""Novelty, frontier and diversity metrics (brief, "Metrics")."""

from __future__ import annotations

import numpy as np
import torch

from ._corpus import ConceptCorpus

__all__ = [
    "artwork_novelty",
    "cognitive_novelty",
    "dominated_area",
    "frontier_gain",
    "novelty_counts",
    "pareto_front",
    "vendi_score",
]


def _check_sets(sets: torch.Tensor, V: int) -> torch.Tensor:
    if not isinstance(sets, torch.Tensor):
        sets = torch.as_tensor(np.asarray(sets))
    if sets.ndim != 2 or sets.is_floating_point() or sets.dtype == torch.bool:
        raise ValueError(f"`sets` must be an integer tensor (b, L), got shape "
                         f"{tuple(sets.shape)} and dtype {sets.dtype}")
    if sets.numel() and (int(sets.min()) < 0 or int(sets.max()) >= V):
        raise ValueError(f"`sets` must hold concept ids in [0, {V}), got range "
                         f"[{int(sets.min())}, {int(sets.max())}]")
    return sets.long()


def novelty_counts(sets: torch.Tensor, incidence: torch.Tensor, *, chunk: int = 1024
                   ) -> torch.Tensor:
    """``min_i |S minus A_i|`` over the rows A_i of a bool incidence matrix ``(n, V)``.
    ``(b, L) -> (b,)`` LongTensor; chunked over candidates to bound memory."""
    sets = _check_sets(sets, incidence.shape[1])
    inc = incidence.to(device=sets.device, dtype=torch.float32)  # (n, V)
    out = torch.empty(sets.shape[0], dtype=torch.long, device=sets.device)
    for i in range(0, sets.shape[0], chunk):
        s = sets[i: i + chunk]
        onehot = torch.zeros(s.shape[0], inc.shape[1], device=sets.device)
        onehot.scatter_(1, s, 1.0)  # (b, V); a repeated concept counts once
        hits = onehot @ inc.T  # (b, n): |S ∩ A_i|, exact small integers in float32
        size = onehot.sum(dim=1)
        out[i: i + chunk] = (size - hits.max(dim=1).values).round().long()
    return out


def artwork_novelty(sets: torch.Tensor, corpus: ConceptCorpus) -> torch.Tensor:
    """N_art(S) = min_i |S minus A_i| over the corpus's artworks (> 0: new to every artwork)."""
    return novelty_counts(sets, corpus.incidence(getattr(sets, "device", None))[0])


def cognitive_novelty(sets: torch.Tensor, corpus: ConceptCorpus) -> torch.Tensor:
    """N_cog(S) = min_j |S minus B_j| over artist pools (> 0: new to every artist)."""
    return novelty_counts(sets, corpus.incidence(getattr(sets, "device", None))[1])


def _points(points) -> np.ndarray:
    p = np.asarray(points.detach().cpu() if isinstance(points, torch.Tensor) else points,
                   dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != 2:
        raise ValueError(f"`points` must have shape (n, 2) of (u, c), got {p.shape}")
    if not np.isfinite(p).all():
        raise ValueError("`points` must be finite")
    return p


def pareto_front(points) -> torch.Tensor:
    """The non-dominated (u, c) points (both maximised), sorted by increasing u.
    ``(n, 2) -> (m, 2)`` float64 tensor."""
    p = _points(points)
    order = np.lexsort((-p[:, 1], -p[:, 0]))  # by u desc, then c desc
    front, best_c = [], -np.inf
    for i in order:
        if p[i, 1] > best_c:
            front.append(p[i])
            best_c = p[i, 1]
    return torch.as_tensor(np.array(front[::-1]).reshape(-1, 2))


def dominated_area(points, *, clip: bool = True) -> float:
    """Area of ``[0, 1]^2`` dominated by the (u, c) points (union of ``[0, u] x [0, c]``), with
    c (and u) clipped to [0, 1] when ``clip``."""
    p = _points(points)
    if clip:
        p = np.clip(p, 0.0, 1.0)
    front = pareto_front(p).numpy()
    area, prev_u = 0.0, 0.0
    # front sorted by increasing u, decreasing c: each point covers (prev_u, u] x [0, c]
    for u, c in front:
        area += max(0.0, u - prev_u) * max(0.0, c)
        prev_u = max(prev_u, u)
    return float(area)


def frontier_gain(alien_points, temperature_points, *, min_coherence: float = 0.5
                  ) -> torch.Tensor:
    """Per alien setting A: ``u_A - max{u_T : c_T >= c_A}`` (the max is 0 when no temperature
    setting is that coherent); NaN where ``c_A < min_coherence``. ``(n, 2), (m, 2) -> (n,)``."""
    a, t = _points(alien_points), _points(temperature_points)
    out = np.full(a.shape[0], np.nan)
    for i, (u, c) in enumerate(a):
        if c < min_coherence:
            continue
        ok = t[:, 1] >= c
        out[i] = u - (t[ok, 0].max() if ok.any() else 0.0)
    return torch.as_tensor(out)


def vendi_score(sets: torch.Tensor) -> float:
    """Vendi score under the Jaccard kernel: ``exp(-sum_i l_i log l_i)``, l the eigenvalues of
    ``K / n`` with ``K_ij = |S_i ∩ S_j| / |S_i ∪ S_j|`` (Friedman & Dieng 2023)."""
    sets = _check_sets(sets, int(sets.max()) + 1 if len(sets) else 1)
    n = sets.shape[0]
    if n == 0:
        raise ValueError("`sets` must hold at least one set")
    V = int(sets.max()) + 1
    X = torch.zeros(n, V, dtype=torch.float64, device=sets.device)
    X.scatter_(1, sets, 1.0)
    inter = X @ X.T
    size = X.sum(dim=1)
    K = inter / (size[:, None] + size[None, :] - inter)
    lam = torch.linalg.eigvalsh(K / n).clamp_min(0.0)
    lam = lam[lam > 0]
    return float(torch.exp(-(lam * lam.log()).sum()))
