"""Graph and adaptation metrics (brief, Benchmark "Metrics")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from mpiis.shared.metrics import auroc, f1_score
from mpiis.shared.validation import check_array

if TYPE_CHECKING:  # pragma: no cover
    from ._env import TransitionData
    from ._model import _WorldModel

__all__ = ["EdgeScores", "distractor_sensitivity", "edge_auroc", "edge_scores",
           "target_accuracy"]


@dataclass(frozen=True)
class EdgeScores:
    """Edge F1 / precision / recall pooled over the ordered off-diagonal object pairs of contact
    transitions; FPR over those pairs on no-contact transitions; SHD per transition (ordered
    off-diagonal pairs that differ), averaged over all transitions."""

    f1: float
    precision: float
    recall: float
    fpr: float
    shd: float


def _graphs(x, name: str) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    g = check_array(x, name, ndim=3, dtype="numeric")
    if g.shape[1] != g.shape[2]:
        raise ValueError(f"`{name}` must be (M, N, N), got {g.shape}")
    return g != 0


def edge_scores(pred, true, *, contact_mask=None) -> EdgeScores:
    """Score predicted per-transition graphs against the ground truth.

    Args:
        pred: ``(M, N, N)`` predicted graphs over objects (``[m, i, j]``: j -> i).
        true: ``(M, N, N)`` ground truth.
        contact_mask: ``(M,)`` bool; default: transitions whose true graph has an edge.
    """
    p, t = _graphs(pred, "pred"), _graphs(true, "true")
    if p.shape != t.shape:
        raise ValueError(f"`pred` and `true` must have the same shape, got {p.shape}, {t.shape}")
    M, N, _ = t.shape
    c = t.any(axis=(1, 2)) if contact_mask is None else np.asarray(contact_mask, dtype=bool)
    if c.shape != (M,):
        raise ValueError(f"`contact_mask` must have shape ({M},), got {c.shape}")
    off = ~np.eye(N, dtype=bool)
    pc, tc = p[c][:, off], t[c][:, off]
    tp = int((pc & tc).sum())
    prec = tp / max(int(pc.sum()), 1) if pc.sum() else (1.0 if not tc.any() else 0.0)
    rec = tp / int(tc.sum()) if tc.sum() else 1.0
    f1 = f1_score(tc.ravel(), pc.ravel()) if c.any() else float("nan")
    pn = p[~c][:, off]
    fpr = float(pn.mean()) if pn.size else float("nan")
    shd = float((p[:, off] != t[:, off]).sum(1).mean())
    return EdgeScores(f1=float(f1), precision=float(prec), recall=float(rec), fpr=fpr, shd=shd)


def edge_auroc(scores, true, *, contact_mask=None) -> float:
    """AUROC of continuous edge scores ``(M, N, N)`` over the off-diagonal pairs of contact
    transitions (the threshold-free view of a read-out)."""
    t = _graphs(true, "true")
    s = scores.detach().cpu().numpy() if isinstance(scores, torch.Tensor) else np.asarray(scores)
    c = t.any(axis=(1, 2)) if contact_mask is None else np.asarray(contact_mask, dtype=bool)
    off = ~np.eye(t.shape[1], dtype=bool)
    return auroc(t[c][:, off].ravel(), s[c][:, off].ravel())


def target_accuracy(pred_targets, true_targets) -> float:
    """Share of regimes whose predicted target vector equals the true one exactly.

    Args:
        pred_targets: ``(R, N)`` bool.
        true_targets: ``(R, N)`` bool.
    """
    if isinstance(pred_targets, torch.Tensor):
        pred_targets = pred_targets.detach().cpu().numpy()
    p = check_array(pred_targets, "pred_targets", ndim=2, dtype="numeric") != 0
    t = check_array(true_targets, "true_targets", ndim=2, dtype="numeric") != 0
    if p.shape != t.shape:
        raise ValueError(f"`pred_targets` and `true_targets` must match, got {p.shape}, {t.shape}")
    return float((p == t).all(axis=1).mean())


def distractor_sensitivity(
    model: _WorldModel, data: TransitionData, distractor_idx, *, regime=None,
) -> float:
    """Relative change ``|MSE_deleted - MSE_full| / MSE_full`` of the real objects' one-step
    prediction error when the distractor objects are deleted at test time (brief, claim 5).
    """
    from ._train import _tensors

    idx = sorted({int(i) for i in distractor_idx})
    N = data.states.shape[1]
    real = [i for i in range(N) if i not in idx]
    if not idx or not real:
        raise ValueError(f"`distractor_idx` must name some but not all objects, got {idx}")
    was = model.training
    model.eval()
    try:
        with torch.no_grad():
            x, y, r, a = _tensors(model, data)
            reg = r if model.config.n_regimes and regime is None else regime
            full = model(x, actions=a, regime=reg, sample=False).delta[:, real]
            dele = model(x, actions=a, regime=reg, sample=False, drop=idx).delta
            yr = y[:, real]
            m_full = float(((full - yr) ** 2).mean())
            m_del = float(((dele - yr) ** 2).mean())
    finally:
        model.train(was)
    return abs(m_del - m_full) / m_full
