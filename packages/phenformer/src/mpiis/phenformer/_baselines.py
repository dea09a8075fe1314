"""Cell-context baselines: LDSC-SEG-like and TWAS-like rankings, and logistic regression on the
flattened tokens (brief, "Method 10", "Baselines")."""

from __future__ import annotations

import numpy as np

from ._prs import _check_dosages, _check_y, logistic_l2

__all__ = ["ldsc_seg_like", "token_logistic", "twas_like"]


def ldsc_seg_like(z: np.ndarray, snp_gene: np.ndarray, reference_expression: np.ndarray, *,
                  top: float = 0.10) -> np.ndarray:
    """LDSC-SEG-like context statistics ``(C,)`` (higher = more enriched).

    Gene score = mean χ² (z²) of its SNPs; specificity ``s_gc = e_gc / Σ_c' e_gc'`` with
    ``e = exp(reference expression)``; per context, OLS of gene scores on
    ``[1, 1(s_gc in top 10%), mean expression]``; the t-statistic of the indicator ranks contexts.
    """
    z = np.asarray(z, float)
    snp_gene = np.asarray(snp_gene)
    ref = np.asarray(reference_expression, float)  # (G, C)
    G, C = ref.shape
    chi2 = np.array([np.mean(z[snp_gene == g] ** 2) for g in range(G)])
    e = np.exp(ref - ref.max())
    spec = e / e.sum(1, keepdims=True)
    mean_expr = ref.mean(1)
    out = np.zeros(C)
    k = max(1, round(top * G))
    for c in range(C):
        ind = np.zeros(G)
        ind[np.argsort(-spec[:, c])[:k]] = 1.0
        X = np.c_[np.ones(G), ind, mean_expr]
        beta, *_ = np.linalg.lstsq(X, chi2, rcond=None)
        resid = chi2 - X @ beta
        dof = max(G - X.shape[1], 1)
        cov = np.linalg.pinv(X.T @ X) * (resid @ resid / dof)
        out[c] = beta[1] / np.sqrt(max(cov[1, 1], 1e-300))
    return out


def twas_like(expression: np.ndarray, y: np.ndarray) -> np.ndarray:
    """TWAS-like context scores ``(C,)``: per (gene, context), ``z = corr(x_gc, y)·√n`` on
    predicted diploid expression ``(n, G, C)``; context score = mean over genes of ``z²``."""
    x = np.asarray(expression, float)
    if x.ndim != 3:
        raise ValueError(f"`expression` must have shape (n, G, C), got {x.shape}")
    y = _check_y(y, "y", len(x))
    n = len(x)
    xc = x - x.mean(0)
    yc = y - y.mean()
    den = np.sqrt((xc ** 2).sum(0) * (yc ** 2).sum())
    r = np.where(den > 1e-12, np.einsum("ngc,n->gc", xc, yc) / np.where(den > 1e-12, den, 1), 0)
    return ((r * np.sqrt(n)) ** 2).mean(0)


def token_logistic(x_train: np.ndarray, y_train: np.ndarray, x_val: np.ndarray, y_val: np.ndarray,
                   *, grid: tuple[float, ...] = (1e-3, 3e-3, 1e-2, 3e-2, 1e-1)):
    """L2 logistic regression on flattened tokens (G × 2C), inverse penalty chosen on validation:
    what Transformer + PMA add. Returns a scoring function of token features."""
    from mpiis.shared.metrics import auroc

    xt = _check_dosages(np.asarray(x_train).reshape(len(x_train), -1), "x_train")
    xv = _check_dosages(np.asarray(x_val).reshape(len(x_val), -1), "x_val", xt.shape[1])
    yt, yv = _check_y(y_train, "y_train", len(xt)), _check_y(y_val, "y_val", len(xv))
    mu, sd = xt.mean(0), xt.std(0)
    sd = np.where(sd > 1e-12, sd, 1.0)
    best = (-np.inf, None)
    prev = None
    xs = (xt - mu) / sd
    for c in grid:  # ascending penalties, each Newton run warm-started from the previous one
        w, b = prev = logistic_l2(xs, yt, c=c, init=prev)
        a = auroc(yv, ((xv - mu) / sd) @ w + b)
        if a > best[0]:
            best = (a, (w, b))
    w, b = best[1]
    return lambda x: ((np.asarray(x).reshape(len(x), -1) - mu) / sd) @ w + b


