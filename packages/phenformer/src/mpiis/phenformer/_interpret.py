"""Attribution read-outs as mechanistic hypotheses (brief, "Method 6-7")."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ._model import Phenformer
from ._tokens import GeneTokens
from ._train import check_tokens

__all__ = [
    "ContextScores",
    "context_scores",
    "find_subtypes",
    "integrated_gradients",
    "mechanistic_hypotheses",
]


def integrated_gradients(
    model: Phenformer, tokens: GeneTokens | np.ndarray, *, steps: int = 32, task: int = 0,
    batch_size: int = 256,
) -> np.ndarray:
    """Integrated gradients ``(N, G, F)`` of one task's logit w.r.t. the raw token features.

    Baseline: reference-genome tokens (all Δ = 0, so features 0); ``steps`` midpoint steps
    ``α_k = (k + ½) / steps``; ``IG = x · mean_k ∂f(α_k x)/∂x``. Runs on the model's device.
    """
    if steps < 1:
        raise ValueError(f"`steps` must be >= 1, got {steps}")
    x = check_tokens(tokens, "tokens", model.config.haplotype_features, model.config.n_genes)
    dev = model.head.weight.device
    was = model.training
    model.eval()
    alphas = (torch.arange(steps, dtype=torch.float32, device=dev) + 0.5) / steps
    out = np.zeros_like(x, dtype=np.float64)
    chunk = max(1, batch_size // steps)
    for i in range(0, len(x), chunk):
        xb = torch.from_numpy(x[i:i + chunk]).to(dev)  # (b, G, F)
        path = (alphas[:, None, None, None] * xb[None]).reshape(-1, *xb.shape[1:])
        path.requires_grad_(True)
        logit = model(path)[:, task].sum()
        (grad,) = torch.autograd.grad(logit, path)
        g = grad.reshape(steps, *xb.shape).mean(0)
        out[i:i + chunk] = (xb * g).double().cpu().numpy()
    model.train(was)
    return out


@dataclass(frozen=True)
class ContextScores:
    """Normalised attribution per context ``(C,)``, tissue ``(T,)``, gene ``(G,)`` and the
    (gene, context) matrix ``(G, C)`` it is summed from."""

    context: np.ndarray
    tissue: np.ndarray
    gene: np.ndarray
    gene_context: np.ndarray


def _gene_context(ig: np.ndarray, n_contexts: int) -> np.ndarray:
    a = np.abs(ig).mean(0)  # (G, F)
    if a.shape[1] == 2 * n_contexts:
        return a[:, :n_contexts] + a[:, n_contexts:]
    return a


def context_scores(
    model: Phenformer, tokens: GeneTokens | np.ndarray, *, cases: np.ndarray | None = None,
    steps: int = 32, tissue_of_context: np.ndarray | None = None, task: int = 0,
) -> ContextScores:
    """Context score ``s_c = Σ_g mean_cases(|IG_{g,c}| + |IG_{g,C+c}|)`` normalised to sum 1;
    tissue score = mean of its contexts (renormalised); gene score = Σ_c (renormalised).

    Args:
        cases: row indices (or a boolean mask) of the individuals to explain (test cases).
        tissue_of_context: ``(C,)`` tissue index per context; ``None`` gives an empty tissue array.
    """
    x = check_tokens(tokens, "tokens", model.config.haplotype_features, model.config.n_genes)
    if cases is not None:
        x = x[np.asarray(cases)]
    if len(x) == 0:
        raise ValueError("`cases` selects no individual")
    ig = integrated_gradients(model, x, steps=steps, task=task)
    gc = _gene_context(ig, model.config.n_contexts)
    total = gc.sum()
    if not np.isfinite(total) or total <= 0:
        raise ValueError("attributions are all zero: the model ignores its tokens")
    gc = gc / total
    ctx = gc.sum(0)
    if tissue_of_context is None:
        tissue = np.zeros(0)
    else:
        t = np.asarray(tissue_of_context)
        tissue = np.array([ctx[t == k].mean() for k in range(t.max() + 1)])
        tissue = tissue / tissue.sum()
    return ContextScores(ctx, tissue, gc.sum(1), gc)


def mechanistic_hypotheses(
    scores: ContextScores, *, tissue_of_context: np.ndarray, disease: str = "disease",
    context_names: list[str] | None = None, tissue_names: list[str] | None = None,
    gene_names: list[str] | None = None, top: int = 20,
) -> list[dict[str, object]]:
    """The ranked table of (disease, tissue, context, gene, score) hypotheses, best first."""
    gc = scores.gene_context
    G, C = gc.shape
    t = np.asarray(tissue_of_context)
    cn = context_names or [f"context{c}" for c in range(C)]
    tn = tissue_names or [f"tissue{k}" for k in range(t.max() + 1)]
    gn = gene_names or [f"gene{g}" for g in range(G)]
    order = np.argsort(-gc, axis=None)[:top]
    rows = []
    for flat in order:
        g, c = divmod(int(flat), C)
        rows.append({"disease": disease, "tissue": tn[t[c]], "context": cn[c], "gene": gn[g],
                     "score": float(gc[g, c])})
    return rows


def _kmeans(x: np.ndarray, k: int, *, rng: np.random.Generator, n_init: int = 8,
            iters: int = 100) -> np.ndarray:
    best, best_labels = np.inf, None
    for _ in range(n_init):
        centres = [x[rng.integers(len(x))]]
        for _j in range(1, k):  # k-means++ seeding
            d = np.min([((x - c) ** 2).sum(1) for c in centres], axis=0)
            centres.append(x[rng.choice(len(x), p=d / d.sum())] if d.sum() > 0 else x[0])
        cen = np.array(centres)
        for _it in range(iters):
            labels = ((x[:, None] - cen[None]) ** 2).sum(2).argmin(1)
            new = np.array([x[labels == j].mean(0) if (labels == j).any() else cen[j]
                            for j in range(k)])
            if np.allclose(new, cen):
                break
            cen = new
        inertia = ((x - cen[labels]) ** 2).sum()
        if inertia < best:
            best, best_labels = inertia, labels
    return best_labels


def find_subtypes(
    model: Phenformer, tokens: GeneTokens | np.ndarray, *, cases: np.ndarray, k: int,
    tissue_of_context: np.ndarray, rng: np.random.Generator, steps: int = 32,
    return_profiles: bool = False, signed: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """k-means (k-means++, 8 restarts) on L2-normalised gene × tissue attribution profiles of
    cases (brief, "Method 7"). Returns cluster labels ``(n_cases,)``, and with
    ``return_profiles=True`` also the profiles ``(n_cases, G * T)`` that were clustered.
    ``signed=True`` keeps the sign of the attributions (risk-raising vs risk-lowering deviations)
    instead of their magnitude."""
    if k < 1:
        raise ValueError(f"`k` must be >= 1, got {k}")
    x = check_tokens(tokens, "tokens", model.config.haplotype_features, model.config.n_genes)
    x = x[np.asarray(cases)]
    if len(x) < k:
        raise ValueError(f"`cases` must select at least k={k} individuals, got {len(x)}")
    ig = integrated_gradients(model, x, steps=steps)
    if not signed:
        ig = np.abs(ig)
    C = model.config.n_contexts
    per_ctx = ig[..., :C] + ig[..., C:] if ig.shape[-1] == 2 * C else ig  # (n, G, C)
    t = np.asarray(tissue_of_context)
    prof = np.stack([per_ctx[..., t == j].sum(-1) for j in range(t.max() + 1)], -1)
    prof = prof.reshape(len(x), -1)
    prof = prof / np.maximum(np.linalg.norm(prof, axis=1, keepdims=True), 1e-12)
    labels = _kmeans(prof, k, rng=rng)
    return (labels, prof) if return_profiles else labels
