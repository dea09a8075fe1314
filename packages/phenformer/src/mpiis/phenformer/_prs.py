"""Polygenic risk score baselines: clumping + thresholding and ridge (brief, "Method 9").

Small numpy analogues of C+T and LDpred-inf, named as such; the same budget of tuning as the
method (hyper-parameters chosen on the validation split).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mpiis.shared.metrics import auroc

__all__ = [
    "P_THRESHOLDS",
    "RIDGE_C",
    "PRSModel",
    "clump",
    "ct_prs",
    "genotype_pcs",
    "gwas_marginal",
    "logistic_l2",
    "read_pgs_scoring_file",
    "ridge_prs",
]

P_THRESHOLDS = (5e-8, 1e-6, 1e-4, 1e-3, 1e-2, 0.05, 0.1, 0.5, 1.0)  # C+T grid of the brief
RIDGE_C = (1e-3, 3e-3, 1e-2, 3e-2, 1e-1)  # inverse penalties of the ridge PRS


def _check_dosages(x, name: str, n_snps: int | None = None) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"`{name}` must be 2-D (individuals, SNPs), got shape {x.shape}")
    if n_snps is not None and x.shape[1] != n_snps:
        raise ValueError(f"`{name}` must have {n_snps} SNP columns, got {x.shape[1]}")
    if not np.isfinite(x).all():
        raise ValueError(f"`{name}` holds NaN or Inf values")
    return x


def _check_y(y, name: str, n: int) -> np.ndarray:
    y = np.asarray(y)
    if y.shape != (n,):
        raise ValueError(f"`{name}` must have shape ({n},), got {y.shape}")
    if not np.isin(y, (0, 1)).all():
        raise ValueError(f"`{name}` must hold only 0 and 1")
    if y.min() == y.max():
        raise ValueError(f"`{name}` must contain both classes")
    return y.astype(np.float64)


@dataclass(frozen=True)
class PRSModel:
    """A fitted linear PRS: ``score(d) = ((d − mean) / sd) @ weights``."""

    kind: str
    mean: np.ndarray
    sd: np.ndarray
    weights: np.ndarray
    chosen: float  # the chosen p-threshold (C+T) or inverse penalty (ridge)
    val_auroc: float
    details: dict = field(default_factory=dict)

    def score(self, dosages: np.ndarray) -> np.ndarray:
        x = _check_dosages(dosages, "dosages", len(self.weights))
        return ((x - self.mean) / self.sd) @ self.weights


def genotype_pcs(x_std_train: np.ndarray, k: int = 4) -> np.ndarray:
    """Loadings ``(SNPs, k)`` of the top ``k`` principal components of standardised dosages."""
    _, _, vt = np.linalg.svd(x_std_train - x_std_train.mean(0), full_matrices=False)
    return vt[:k].T


def gwas_marginal(x: np.ndarray, y: np.ndarray, covariates: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Marginal per-SNP linear regression of ``y`` on dosage, both residualised on
    ``[1, covariates]``. Returns ``(beta, z, p)``."""
    x = _check_dosages(x, "x")
    y = _check_y(y, "y", len(x))
    n = len(x)
    cov = np.ones((n, 1)) if covariates is None else np.c_[np.ones(n), covariates]
    q, _ = np.linalg.qr(cov)
    xr = x - q @ (q.T @ x)
    yr = y - q @ (q.T @ y)
    ss = (xr * xr).sum(0)
    ss = np.where(ss > 1e-12, ss, np.inf)
    beta = (xr * yr[:, None]).sum(0) / ss
    resid = ((yr[:, None] - xr * beta) ** 2).sum(0) / max(n - cov.shape[1] - 1, 1)
    se = np.sqrt(resid / ss)
    z = np.where(se > 0, beta / np.where(se > 0, se, 1), 0.0)
    p = np.array([math.erfc(abs(v) / math.sqrt(2)) for v in z])
    return beta, z, p


def clump(p: np.ndarray, x: np.ndarray, groups: np.ndarray, *, r2: float = 0.2) -> np.ndarray:
    """Greedy clumping by p-value within each group (gene window): keep the best SNP, drop SNPs
    with r² ≥ ``r2`` to a kept one. Returns a boolean mask of index SNPs."""
    keep = np.zeros(len(p), dtype=bool)
    for g in np.unique(groups):
        idx = np.flatnonzero(groups == g)
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = np.corrcoef(x[:, idx].T) if len(idx) > 1 else np.ones((1, 1))
        corr = np.nan_to_num(corr)
        alive = np.ones(len(idx), dtype=bool)
        for j in np.argsort(p[idx], kind="stable"):
            if not alive[j]:
                continue
            keep[idx[j]] = True
            alive &= corr[j] ** 2 < r2
    return keep


def _standardise(x_train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mu = x_train.mean(0)
    sd = x_train.std(0)
    return mu, np.where(sd > 1e-12, sd, 1.0)


def ct_prs(
    x_train: np.ndarray, y_train: np.ndarray, x_val: np.ndarray, y_val: np.ndarray, *,
    groups: np.ndarray, pcs: int = 4, thresholds: tuple[float, ...] = P_THRESHOLDS,
) -> PRSModel:
    """Clumping + thresholding PRS: marginal z with PC1-4 covariates, clumping at r² < 0.2
    within gene windows, p-threshold chosen on validation AUROC."""
    x_train = _check_dosages(x_train, "x_train")
    x_val = _check_dosages(x_val, "x_val", x_train.shape[1])
    yt = _check_y(y_train, "y_train", len(x_train))
    yv = _check_y(y_val, "y_val", len(x_val))
    mu, sd = _standardise(x_train)
    xs = (x_train - mu) / sd
    load = genotype_pcs(xs, pcs)
    beta, _, p = gwas_marginal(xs, yt, xs @ load)
    index = clump(p, xs, np.asarray(groups))
    xv = (x_val - mu) / sd
    best = (-np.inf, None, None)
    for t in thresholds:
        sel = index & (p <= t)
        if not sel.any():
            continue
        w = np.where(sel, beta, 0.0)
        a = auroc(yv, xv @ w)
        if a > best[0]:
            best = (a, t, w)
    if best[1] is None:
        raise ValueError("no SNP passes any p-value threshold")
    return PRSModel("C+T", mu, sd, best[2], float(best[1]), float(best[0]),
                    {"n_snps": int((best[2] != 0).sum())})


def logistic_l2(x: np.ndarray, y: np.ndarray, *, c: float, max_iter: int = 50,
                tol: float = 1e-8, init: tuple[np.ndarray, float] | None = None,
                ) -> tuple[np.ndarray, float]:
    """Binary logistic regression minimising ``C · Σ loss + ½‖w‖²`` (scikit-learn's
    parametrisation, unpenalised intercept) by Newton's method, optionally warm-started from
    ``init = (w, b)`` (a neighbouring penalty's solution on a grid). Returns ``(w, b)``."""
    n, d = x.shape
    xb = np.c_[x, np.ones(n)]
    w = np.zeros(d + 1) if init is None else np.r_[init[0], init[1]].astype(float)
    reg = np.full(d + 1, 1.0 / c)
    reg[-1] = 1e-8
    for _ in range(max_iter):
        z = np.clip(xb @ w, -30, 30)
        pr = 1 / (1 + np.exp(-z))
        grad = xb.T @ (pr - y) + reg * w
        h = (xb * (pr * (1 - pr))[:, None]).T @ xb + np.diag(reg)
        step = np.linalg.solve(h, grad)
        w -= step
        if np.abs(step).max() < tol:
            break
    return w[:-1], float(w[-1])


def ridge_prs(
    x_train: np.ndarray, y_train: np.ndarray, x_val: np.ndarray, y_val: np.ndarray, *,
    grid: tuple[float, ...] = RIDGE_C,
) -> PRSModel:
    """L2 logistic regression on all standardised dosages (the LDpred-inf analogue), inverse
    penalty chosen on validation AUROC."""
    x_train = _check_dosages(x_train, "x_train")
    x_val = _check_dosages(x_val, "x_val", x_train.shape[1])
    yt = _check_y(y_train, "y_train", len(x_train))
    yv = _check_y(y_val, "y_val", len(x_val))
    mu, sd = _standardise(x_train)
    xs, xv = (x_train - mu) / sd, (x_val - mu) / sd
    best = (-np.inf, None, None)
    prev = None
    for c in grid:
        w, _ = prev = logistic_l2(xs, yt, c=c, init=prev)
        a = auroc(yv, xv @ w)
        if a > best[0]:
            best = (a, c, w)
    return PRSModel("ridge", mu, sd, best[2], float(best[1]), float(best[0]))


def read_pgs_scoring_file(path: str | Path) -> list[dict[str, object]]:
    """Read a PGS Catalog scoring file (``#`` header lines, then a tab-separated table with at
    least ``effect_allele`` and ``effect_weight``). Rows with a missing or non-numeric weight are
    dropped, counted and named in one warning."""
    import warnings

    rows, bad, header = [], [], None
    for lineno, raw in enumerate(Path(path).read_text().splitlines(), 1):
        if not raw.strip() or raw.startswith("#"):
            continue
        fields = raw.rstrip("\n").split("\t")
        if header is None:
            header = fields
            missing = {"effect_allele", "effect_weight"} - set(header)
            if missing:
                raise ValueError(
                    f"`path` {path}: header line {lineno} lacks columns {sorted(missing)}"
                )
            continue
        rec = dict(zip(header, fields, strict=False))
        try:
            w = float(rec.get("effect_weight", ""))
            if not math.isfinite(w):
                raise ValueError
        except ValueError:
            bad.append(lineno)
            continue
        rec["effect_weight"] = w
        for key in ("chr_position",):
            if rec.get(key, "").isdigit():
                rec[key] = int(rec[key])
        rows.append(rec)
    if bad:
        warnings.warn(f"{path}: dropped {len(bad)} row(s) without a numeric effect_weight "
                      f"(lines {bad[:10]})", UserWarning, stacklevel=2)
    return rows
