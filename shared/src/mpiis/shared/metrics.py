"""Framework-free metrics on numpy arrays.

Sample distances (MMD, energy distance, Fréchet distance, sliced Wasserstein), representation
metrics (linear-probe accuracy, linear CKA) and graph / target recovery scores (SHD, AUROC,
AUPRC, F1). Inputs are validated: NaN/Inf is refused with a ``ValueError`` naming the argument.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .validation import check_array, check_int, check_positive

__all__ = [
    "auprc",
    "auroc",
    "energy_distance",
    "f1_score",
    "frechet_distance",
    "gaussian_frechet_distance",
    "linear_cka",
    "linear_probe_accuracy",
    "logistic_regression",
    "mmd2",
    "shd",
    "sliced_wasserstein",
]


def _pair(x, y, name_x="x", name_y="y") -> tuple[np.ndarray, np.ndarray]:
    x = check_array(x, name_x, ndim=2, min_rows=2)
    y = check_array(y, name_y, ndim=2, min_rows=2)
    if x.shape[1] != y.shape[1]:
        raise ValueError(
            f"`{name_x}` and `{name_y}` must have the same number of columns, "
            f"got {x.shape[1]} and {y.shape[1]}"
        )
    return x.astype(np.float64, copy=False), y.astype(np.float64, copy=False)


def _sq_dists(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.maximum(d, 0.0)


# --------------------------------------------------------------------------- sample distances


def mmd2(
    x,
    y,
    *,
    bandwidths: Sequence[float] = (0.1, 0.5, 1.0, 2.0),
    unbiased: bool = True,
) -> float:
    """Squared maximum mean discrepancy with a sum of RBF kernels.

    The kernel is ``k(a, b) = sum_h exp(-||a - b||^2 / (2 h^2))`` (a sum over bandwidths, not a
    mean). The unbiased estimate leaves out the diagonal of the within-sample kernel matrices and
    can be slightly negative; the biased (V-statistic) estimate is >= 0.

    Args:
        x: samples ``(n, d)``.
        y: samples ``(m, d)``.
        bandwidths: the RBF bandwidths ``h``.
        unbiased: U-statistic (default) or V-statistic.

    Returns:
        MMD² as a float.
    """
    x, y = _pair(x, y)
    hs = [check_positive(h, "bandwidths") for h in bandwidths]
    if not hs:
        raise ValueError("`bandwidths` must name at least one bandwidth, got none")
    dxx, dyy, dxy = _sq_dists(x, x), _sq_dists(y, y), _sq_dists(x, y)

    def k(d):
        return sum(np.exp(-d / (2.0 * h * h)) for h in hs)

    kxx, kyy, kxy = k(dxx), k(dyy), k(dxy)
    n, m = len(x), len(y)
    if unbiased:
        sxx = (kxx.sum() - np.trace(kxx)) / (n * (n - 1))
        syy = (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
    else:
        sxx, syy = kxx.mean(), kyy.mean()
    return float(sxx + syy - 2.0 * kxy.mean())


def energy_distance(x, y) -> float:
    """Energy distance ``2 E||X - Y|| - E||X - X'|| - E||Y - Y'||`` (V-statistic, >= 0).

    Args:
        x: samples ``(n, d)``.
        y: samples ``(m, d)``.
    """
    x, y = _pair(x, y)
    dxy = np.sqrt(_sq_dists(x, y)).mean()
    dxx = np.sqrt(_sq_dists(x, x)).mean()
    dyy = np.sqrt(_sq_dists(y, y)).mean()
    return float(max(2.0 * dxy - dxx - dyy, 0.0))


def _sqrtm_psd(a: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh((a + a.T) / 2.0)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def gaussian_frechet_distance(mu1, cov1, mu2, cov2) -> float:
    """Fréchet (2-Wasserstein²) distance between two Gaussians.

    ``||mu1 - mu2||² + tr(C1 + C2 - 2 (C1^{1/2} C2 C1^{1/2})^{1/2})``, computed with symmetric
    square roots so that the result is real and >= 0 up to rounding.
    """
    mu1 = check_array(mu1, "mu1", ndim=1)
    mu2 = check_array(mu2, "mu2", shape=mu1.shape)
    d = mu1.shape[0]
    cov1 = check_array(cov1, "cov1", shape=(d, d))
    cov2 = check_array(cov2, "cov2", shape=(d, d))
    s1 = _sqrtm_psd(cov1)
    cross = _sqrtm_psd(s1 @ cov2 @ s1)
    val = ((mu1 - mu2) ** 2).sum() + np.trace(cov1) + np.trace(cov2) - 2.0 * np.trace(cross)
    return float(max(val, 0.0))


def frechet_distance(features_x, features_y) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (the FID formula).

    Args:
        features_x: ``(n, d)`` features of one sample (e.g. generated images).
        features_y: ``(m, d)`` features of the other (e.g. real images).
    """
    x, y = _pair(features_x, features_y, "features_x", "features_y")
    return gaussian_frechet_distance(
        x.mean(0), np.atleast_2d(np.cov(x, rowvar=False)), y.mean(0),
        np.atleast_2d(np.cov(y, rowvar=False)),
    )


def sliced_wasserstein(
    x, y, *, n_projections: int = 128, p: int = 2, rng: np.random.Generator | None = None
) -> float:
    """Sliced p-Wasserstein distance: the mean over random unit directions of the 1-D
    p-Wasserstein distance between projections, to the power 1/p.

    Unequal sample sizes are handled by comparing quantile functions on a common grid.

    Args:
        x: samples ``(n, d)``.
        y: samples ``(m, d)``.
        n_projections: number of random directions.
        p: the order (>= 1).
        rng: source of the directions; ``None`` uses a fixed default generator (seed 0), so the
            metric is deterministic.
    """
    x, y = _pair(x, y)
    n_projections = check_int(n_projections, "n_projections", minimum=1)
    p = check_int(p, "p", minimum=1)
    rng = np.random.default_rng(0) if rng is None else rng
    dirs = rng.standard_normal((x.shape[1], n_projections))
    dirs /= np.linalg.norm(dirs, axis=0, keepdims=True)
    px, py = np.sort(x @ dirs, axis=0), np.sort(y @ dirs, axis=0)
    if len(px) != len(py):
        q = (np.arange(max(len(px), len(py))) + 0.5) / max(len(px), len(py))
        px = np.quantile(px, q, axis=0)
        py = np.quantile(py, q, axis=0)
    return float(np.mean(np.abs(px - py) ** p) ** (1.0 / p))


# ------------------------------------------------------------------------ representations


def linear_cka(x, y) -> float:
    """Linear centred kernel alignment between two representations of the same n inputs.

    ``CKA = ||Yc^T Xc||_F² / (||Xc^T Xc||_F ||Yc^T Yc||_F)``; invariant to orthogonal maps and
    isotropic scaling; 1 for identical representations.

    Args:
        x: ``(n, d1)``.
        y: ``(n, d2)``.
    """
    x = check_array(x, "x", ndim=2, min_rows=2).astype(np.float64, copy=False)
    y = check_array(y, "y", ndim=2, min_rows=2).astype(np.float64, copy=False)
    if len(x) != len(y):
        raise ValueError(f"`x` and `y` must have the same number of rows, got {len(x)}, {len(y)}")
    xc, yc = x - x.mean(0), y - y.mean(0)
    num = np.linalg.norm(yc.T @ xc) ** 2
    den = np.linalg.norm(xc.T @ xc) * np.linalg.norm(yc.T @ yc)
    if den == 0.0:
        raise ValueError("linear CKA is undefined for a constant representation")
    return float(num / den)


def logistic_regression(
    x, y, *, l2: float = 1e-4, max_iter: int = 2000, tol: float = 1e-7
) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression with an L2 penalty, fitted by accelerated gradient descent.

    Minimises ``mean_i CE(softmax(W x_i + b), y_i) + l2/2 ||W||²`` from zeros with Nesterov
    momentum and step ``1/L`` (``L`` bounds the Hessian); deterministic, numpy only.

    Args:
        x: features ``(n, d)``.
        y: integer labels ``(n,)`` in ``0..K-1``.
        l2: penalty on the weights (not the bias).
        max_iter: iteration cap.
        tol: stop when the gradient's max-abs falls below this.

    Returns:
        ``(W, b)`` with shapes ``(d, K)`` and ``(K,)``.
    """
    x = check_array(x, "x", ndim=2, min_rows=2).astype(np.float64, copy=False)
    y = _labels(y, "y", len(x))
    l2 = check_positive(l2, "l2", strict=False)
    k = int(y.max()) + 1
    n, d = x.shape
    onehot = np.eye(k)[y]
    lip = 0.5 * (np.linalg.norm(x, 2) ** 2 / n + 1.0) + l2
    step = 1.0 / lip
    w = np.zeros((d + 1, k))
    xb = np.hstack([x, np.ones((n, 1))])
    reg = np.full((d + 1, 1), l2)
    reg[-1] = 0.0
    v, t = w.copy(), 1.0
    for _ in range(max_iter):
        logits = xb @ v
        logits -= logits.max(1, keepdims=True)
        prob = np.exp(logits)
        prob /= prob.sum(1, keepdims=True)
        grad = xb.T @ (prob - onehot) / n + reg * v
        w_new = v - step * grad
        t_new = (1.0 + np.sqrt(1.0 + 4.0 * t * t)) / 2.0
        v = w_new + ((t - 1.0) / t_new) * (w_new - w)
        w, t = w_new, t_new
        if np.abs(grad).max() < tol:
            break
    return w[:-1], w[-1]


def linear_probe_accuracy(
    train_features, train_labels, test_features, test_labels, *, l2: float = 1e-4
) -> float:
    """Accuracy of a logistic-regression probe on frozen features.

    Features are standardised with the training split's mean and std, a multinomial logistic
    regression (:func:`logistic_regression`) is fitted on the training split, and the accuracy
    on the test split is returned.
    """
    ftr = check_array(train_features, "train_features", ndim=2, min_rows=2)
    fte = check_array(test_features, "test_features", ndim=2, min_rows=1)
    if ftr.shape[1] != fte.shape[1]:
        raise ValueError(
            "`train_features` and `test_features` must have the same width, "
            f"got {ftr.shape[1]} and {fte.shape[1]}"
        )
    ytr = _labels(train_labels, "train_labels", len(ftr))
    yte = _labels(test_labels, "test_labels", len(fte))
    mu, sd = ftr.mean(0), ftr.std(0)
    sd = np.where(sd > 1e-12, sd, 1.0)
    w, b = logistic_regression((ftr - mu) / sd, ytr, l2=l2)
    pred = np.argmax(((fte - mu) / sd) @ w + b, axis=1)
    return float((pred == yte).mean())


def _labels(y, name: str, n: int) -> np.ndarray:
    y = check_array(y, name, ndim=1, dtype="numeric")
    if len(y) != n:
        raise ValueError(f"`{name}` must have {n} entries to match the features, got {len(y)}")
    if y.dtype.kind == "f":
        if not np.all(y == np.round(y)):
            raise ValueError(f"`{name}` must hold integer class labels, got non-integer values")
        y = y.astype(np.int64)
    if y.min() < 0:
        raise ValueError(f"`{name}` must hold labels >= 0, got {int(y.min())}")
    return y.astype(np.int64)


# ----------------------------------------------------------------- graphs and target recovery


def _binary_scores(y_true, y_score) -> tuple[np.ndarray, np.ndarray]:
    t = check_array(y_true, "y_true", dtype="numeric").ravel()
    s = check_array(y_score, "y_score").ravel().astype(np.float64)
    if t.shape != s.shape:
        raise ValueError(f"`y_true` and `y_score` must have the same size, got {t.size}, {s.size}")
    if not np.isin(t, (0, 1)).all():
        raise ValueError("`y_true` must be binary (0/1 or bool)")
    t = t.astype(bool)
    if t.all() or not t.any():
        raise ValueError("`y_true` must contain both positives and negatives")
    return t, s


def auroc(y_true, y_score) -> float:
    """Area under the ROC curve (the Mann-Whitney statistic with tie correction).

    Args:
        y_true: binary labels, any shape (e.g. an adjacency matrix).
        y_score: scores of the same shape; higher means "positive".
    """
    t, s = _binary_scores(y_true, y_score)
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s))
    sorted_s = s[order]
    # average ranks over ties
    _, start, counts = np.unique(sorted_s, return_index=True, return_counts=True)
    avg = start + (counts - 1) / 2.0 + 1.0
    ranks[order] = np.repeat(avg, counts)
    n_pos, n_neg = t.sum(), (~t).sum()
    return float((ranks[t].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def auprc(y_true, y_score) -> float:
    """Area under the precision-recall curve as average precision
    (``sum_k (R_k - R_{k-1}) P_k`` over score thresholds, ties grouped)."""
    t, s = _binary_scores(y_true, y_score)
    order = np.argsort(-s, kind="mergesort")
    t, s = t[order], s[order]
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]  # end of each tie group
    tp = np.cumsum(t)[last]
    fp = (last + 1) - tp
    precision = tp / (tp + fp)
    recall = tp / t.sum()
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def f1_score(y_true, y_pred) -> float:
    """F1 score of binary predictions (e.g. predicted vs. true edges or targets)."""
    t = check_array(y_true, "y_true", dtype="numeric").ravel()
    p = check_array(y_pred, "y_pred", dtype="numeric").ravel()
    if t.shape != p.shape:
        raise ValueError(f"`y_true` and `y_pred` must have the same size, got {t.size}, {p.size}")
    for name, a in (("y_true", t), ("y_pred", p)):
        if not np.isin(a, (0, 1)).all():
            raise ValueError(f"`{name}` must be binary (0/1 or bool)")
    t, p = t.astype(bool), p.astype(bool)
    tp = (t & p).sum()
    denom = 2 * tp + (t & ~p).sum() + (~t & p).sum()
    return float(2 * tp / denom) if denom else 1.0


def shd(true_adj, pred_adj) -> int:
    """Structural Hamming distance between two directed graphs given as adjacency matrices.

    Counts the node pairs whose edge status differs: a missing or extra edge costs 1, and so
    does a reversed edge (not 2). Entry ``[i, j]`` nonzero means ``i -> j``.
    """
    a = check_array(true_adj, "true_adj", ndim=2, dtype="numeric")
    b = check_array(pred_adj, "pred_adj", ndim=2, dtype="numeric")
    if a.shape != b.shape or a.shape[0] != a.shape[1]:
        raise ValueError(
            f"`true_adj` and `pred_adj` must be square and of equal shape, got {a.shape}, {b.shape}"
        )
    a, b = a != 0, b != 0
    iu = np.triu_indices(a.shape[0], k=1)
    pair_a = np.stack([a[iu], a.T[iu]], 1)
    pair_b = np.stack([b[iu], b.T[iu]], 1)
    return int(np.any(pair_a != pair_b, axis=1).sum())
