"""Side-by-side comparison of mpiis.cmaxent with the external peers of the brief.

    uv run --no-sync python benchmarks/peers/cmaxent/compare.py [--out DIR]

Peers (dev-only): scikit-learn LogisticRegression (newton-cholesky and lbfgs), statsmodels
Logit, scipy L-BFGS-B on the same dual, scikit-learn LinearDiscriminantAnalysis (lsqr) and
GaussianNB (for reference on P1). Coefficient agreement is max_j |a_j - b_j| / max(1, |b_j|)
over (intercept, coef); times are medians of 3 runs after one warm-up, in the same process.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import statsmodels.api as sm
from scipy import optimize
from sklearn.datasets import load_diabetes, load_iris
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB

from mpiis.cmaxent import (
    CMaxEntClassifier,
    MomentTable,
    make_anticausal_gaussian,
    pooled_naive_bayes_from_moments,
    random_instance,
)


def rel(a, b):
    a, b = np.ravel(a), np.ravel(b)
    return float(np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b))))


def timed(fn, reps=3):
    fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t0)
    return out, float(np.median(ts))


def theta(m):
    return np.r_[np.ravel(m.intercept_), np.ravel(m.coef_)]


def scipy_lr(X, y):
    n = len(y)
    a = np.column_stack([np.ones(n), X])

    def fg(z):
        t = a @ z
        p = 1 / (1 + np.exp(-t))
        return float(np.mean(np.logaddexp(0, t) - y * t)), a.T @ (p - y) / n

    return optimize.minimize(fg, np.zeros(a.shape[1]), jac=True, method="L-BFGS-B",
                             options={"gtol": 1e-10, "ftol": 1e-15, "maxiter": 10000}).x


def datasets():
    rng = np.random.default_rng(0)
    out = []
    for k in (2, 5):
        inst = random_instance("emp", k=k, rng=rng)
        out.append((f"F-emp k={k} n=4000", inst.X, inst.y))
    d = load_diabetes()
    out.append(("diabetes (y > median)", d.data, (d.target > np.median(d.target)).astype(int)))
    iris = load_iris()
    keep = iris.target > 0
    out.append(("iris versicolor/virginica", iris.data[keep], iris.target[keep] - 1))
    X, y = make_anticausal_gaussian(pi1=0.3, mu0=np.zeros(10), mu1=np.full(10, 0.2),
                                    cov_within=np.eye(10), n=100_000, rng=rng)
    out.append(("Gaussian k=10 n=1e5", X, y))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=Path(__file__).parent)
    args = ap.parse_args()
    rows = ["| data | peer | max rel. coef diff vs ours | ours (s) | peer (s) | ratio |",
            "|---|---|---|---|---|---|"]
    for name, X, y in datasets():
        yf = y.astype(float)
        ours, t_ours = timed(lambda X=X, y=y: CMaxEntClassifier("causal", p_x="empirical")
                             .fit(X, y))
        peers = {
            "sklearn LR newton-cholesky": lambda X=X, y=y: theta(LogisticRegression(
                C=np.inf, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(X, y)),
            "sklearn LR lbfgs": lambda X=X, y=y: theta(LogisticRegression(
                C=np.inf, solver="lbfgs", tol=1e-12, max_iter=10000).fit(X, y)),
            "statsmodels Logit": lambda X=X, y=y: sm.Logit(y, sm.add_constant(X)).fit(
                disp=0, method="newton", tol=1e-12, maxiter=100).params,
            "scipy L-BFGS-B (dual)": lambda X=X, yf=yf: scipy_lr(X, yf),
        }
        for peer, fn in peers.items():
            th, t = timed(fn)
            rows.append(f"| {name} | {peer} | {rel(theta(ours), th):.2e} | {t_ours:.4f} | "
                        f"{t:.4f} | {t_ours / t:.2f} |")
        lda, t_lda = timed(lambda X=X, y=y: CMaxEntClassifier("anticausal").fit(X, y))
        th, t = timed(lambda X=X, y=y: theta(LinearDiscriminantAnalysis(solver="lsqr")
                                             .fit(X, y)))
        rows.append(f"| {name} | sklearn LDA lsqr (vs anticausal) | {rel(theta(lda), th):.2e} "
                    f"| {t_lda:.4f} | {t:.4f} | {t_lda / t:.2f} |")
    # GaussianNB on P1-type data: per-class variances, so it differs from pooled naive Bayes
    rng = np.random.default_rng(1)
    X, y = make_anticausal_gaussian(pi1=0.4, mu0=np.zeros(2), mu1=np.array([0.8, -0.6]),
                                    cov_within=np.diag([1.0, 1.5]), n=20000, rng=rng)
    t1 = MomentTable.from_datasets({("X1", "Y"): np.column_stack([X[:, 0], y]),
                                    ("X2", "Y"): np.column_stack([X[:, 1], y])})
    nb = pooled_naive_bayes_from_moments(t1)
    g = GaussianNB().fit(X, y)
    lo_ours = X @ nb.coef + nb.intercept
    lp = g.predict_log_proba(X)
    lo_g = lp[:, 1] - lp[:, 0]
    rows.append(f"| P1 data n=2e4 | GaussianNB (per-class variances; reference) | "
                f"max |log-odds diff| = {np.max(np.abs(lo_ours - lo_g)):.2e} | | | |")
    text = "# cmaxent vs peers\n\n" + "\n".join(rows) + "\n"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "peers.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
