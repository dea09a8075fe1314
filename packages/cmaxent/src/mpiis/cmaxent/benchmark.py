"""Benchmark suite of mpiis.cmaxent (``mpiis-bench cmaxent --preset quick``).

The paper's claims as GATEs (each with a negative control in the tests), the OOV study and
the speed comparisons as REPORTED. Presets: ``smoke`` (3 instances per gate, k = 2),
``quick`` (the brief's instance counts and the speed claims at the smaller sizes) and
``full`` (adds the out-of-variable study R1-R3, the speed claims up to k = 20 and n = 1e5,
and the figures). scikit-learn is imported here only, as the oracle of G1 and G2.

Each claim's arithmetic lives in a small function that takes the fitting routine as an
argument (``g1_parity(instances, fit=...)``), so that the tests run a broken variant (the
wrong direction, the wrong p(x), a solver without its feasibility check) through the same code
and see it fail.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import expit

from mpiis.shared.bench import ClaimResult, Context, Suite, compare_speed, timer
from mpiis.shared.progress import progress

from . import (
    CMaxEntClassifier,
    CMaxEntConfig,
    InfeasibleMomentsError,
    LogOddsSumMerge,
    MomentTable,
    PreparedTable,
    anticausal_moments,
    boundary_angle,
    boundary_distance,
    check_feasibility,
    lda_from_moments,
    make_anticausal_gaussian,
    make_causal_logistic,
    plot_boundaries,
    pooled_naive_bayes_from_moments,
    random_instance,
    solve_anticausal,
    solve_causal,
)

__all__ = ["CLAIMS", "run", "suite"]

CLAIMS: dict[str, str] = {
    "G1": "With all moments observed and the empirical p(x), causal CMAXENT equals unpenalised "
          "logistic regression.",
    "G1-residual": "The causal fit reproduces the target moments E[Y], E[X Y] to 1e-9.",
    "G1-real": "Causal CMAXENT equals unpenalised logistic regression on scikit-learn's bundled "
               "tabular data.",
    "G2": "With all moments observed, anticausal CMAXENT equals LDA (closed form vs sklearn).",
    "G2-numerical": "The numerical anticausal dual reproduces the LDA closed form.",
    "G2-real": "Anticausal CMAXENT equals LDA on scikit-learn's bundled tabular data.",
    "G3": "With full moments (Gaussian p(x)) the causal and anticausal boundaries are parallel.",
    "G3-offset": "With full moments and pi1 != 1/2 the two boundaries are shifted.",
    "G3-symmetric": "With full moments and pi1 = 1/2 the two boundaries coincide.",
    "G4": "P1 (only (X_i, Y) observed): the numerical anticausal dual equals pooled naive Bayes.",
    "G4-causal-direction": "P1: causal coefficients are proportional to Cov(X_i, Y) / Var X_i.",
    "G4-implied-cov": "P1: the anticausal merge infers Cov(X1, X2) = pi1 pi0 delta1 delta2 for a "
                      "pair never observed together.",
    "G4-angle": "P1: the causal and anticausal boundaries differ in slope (angle > 1e-3 rad).",
    "G4-equal": "P1 with equal |Corr(X_i, Y)|: the two boundaries have the same slope.",
    "G6": "Infeasible moments (beyond a threshold classifier; separable data) raise "
          "InfeasibleMomentsError.",
    "G6-near": "Near-boundary moments (r = 0.99, 0.9999) still converge with finite "
               "coefficients and matched moments.",
    "R1": "OOV merge, anticausal truth: the causal merge has the higher test log-loss.",
    "R2": "OOV merge, causal truth: the anticausal merge has the higher test log-loss.",
    "R3": "OOV merge: mean test log-loss of LogOddsSumMerge vs both merges.",
    "P1": "Moment-only causal solve (Gaussian p(x)) vs scipy L-BFGS-B on the same dual with the "
          "quadrature nodes computed once (speed-up).",
    "P2": "Empirical causal path (fit = LR, separability certificate included) vs sklearn "
          "newton-cholesky and scipy L-BFGS-B across n (speed-up).",
    "P4": "Compile time of one jitted shape (seconds).",
}

# ---- thresholds (all from the brief's claims table; never loosened) -------------------------
G1_COEF = 1e-6  # brief G1: prototype 3.6e-8; sklearn lbfgs only reaches 8e-7
G1_RESIDUAL = 1e-9  # brief G1: max moment residual
G2_CLOSED = 1e-9  # brief G2: prototype 1.1e-13
G2_NUMERICAL = 1e-7  # brief G2: prototype 7e-11
G3_COS = 1e-10  # brief G3: 1 - cos(beta, w), prototype 2e-16
G3_OFFSET = 0.05  # brief G3: distance >= 0.05 (prototype 0.106)
G3_SYMMETRIC = 1e-8  # brief G3: distance at pi1 = 1/2
G4_P1A = 1e-7  # brief G4: numerical anticausal vs (P1a)
G4_P1C = 1e-10  # brief G4: 1 - cos(beta, P1c)
G4_COV = 1e-8  # brief G4: implied Cov(X1, X2)
G4_ANGLE = 1e-3  # brief G4: an angle counts as different above 1e-3 rad
G4_ANGLE_SHARE = 0.90  # brief G4: in >= 90% of 200 instances (prototype 98.6%)
G4_EQUAL = 1e-7  # brief G4: angle in equal-correlation instances
G6_SHARE = 1.0  # brief G6: 100% of infeasible cases raise, 100% of near cases behave
R_EXPECT = 0.95  # brief R1/R2: expect >= 95% (prototype 99% / 100%)
P1_SPEEDUP = 5.0  # brief P1: <= 0.2x of scipy's time (the brief's baseline recomputed nodes)
P2_SPEEDUP_SK = 1.0  # brief P2: <= 1.0x of sklearn newton-cholesky's time
P2_SPEEDUP_LBFGS = 2.0  # brief P2: <= 0.5x of scipy L-BFGS-B's time

_KS = (2, 3, 5)  # brief: k cycles through {2, 3, 5}
PRESETS: dict[str, dict[str, Any]] = {
    "smoke": {"g1": 3, "n_emp": 300, "g2": 3, "g3": 3, "g4": 3, "angle": 20, "inf": 1,
              "ks": (2,), "real": False, "p1_ks": (2,), "p2_ns": (1000,), "oov": 0},
    "quick": {"g1": 60, "n_emp": 4000, "g2": 60, "g3": 40, "g4": 40, "angle": 200, "inf": 3,
              "ks": _KS, "real": True, "p1_ks": (2, 5), "p2_ns": (1000, 10_000), "oov": 0},
    "full": {"g1": 60, "n_emp": 4000, "g2": 60, "g3": 40, "g4": 40, "angle": 200, "inf": 3,
             "ks": _KS, "real": True, "p1_ks": (2, 5, 20), "p2_ns": (1000, 10_000, 100_000),
             "oov": 200},
}
_OOV_TEST = 200_000  # brief F-oov: 2e5 joint test samples per instance


# ------------------------------------------------------------------------------ helpers
def _rel(a: Any, b: Any) -> float:
    """max_j |a_j - b_j| / max(1, |b_j|)."""
    a, b = np.asarray(a, float).ravel(), np.asarray(b, float).ravel()
    return float(np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b))))


def one_minus_cos(u: Any, v: Any) -> float:
    """1 - cos(u, v) computed as |u ^ v|^2 / (|u||v| (|u||v| + u.v)), exact near 0."""
    u, v = np.asarray(u, float), np.asarray(v, float)
    nu, nv = np.linalg.norm(u), np.linalg.norm(v)
    dot = float(u @ v)
    cross2 = max(nu**2 * nv**2 - dot**2, 0.0)
    if dot <= 0:
        return 1.0 - dot / (nu * nv)
    return cross2 / (nu * nv * (nu * nv + dot))


def _theta(model: Any) -> np.ndarray:
    coef = np.asarray(getattr(model, "coef_", getattr(model, "coef", None))).ravel()
    icpt = np.asarray(getattr(model, "intercept_", getattr(model, "intercept", None))).ravel()
    return np.concatenate([icpt, coef])


def sk_lr(X: np.ndarray, y: np.ndarray) -> Any:
    """The brief's LR oracle: C = inf (not penalty=None, deprecated in sklearn >= 1.8)."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=np.inf, solver="newton-cholesky", tol=1e-12,
                              max_iter=1000).fit(X, y)


def sk_lda(X: np.ndarray, y: np.ndarray) -> Any:
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    return LinearDiscriminantAnalysis(solver="lsqr").fit(X, y)


def real_datasets() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """scikit-learn's bundled tables as binary problems (none of them separable)."""
    from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_wine

    out = []
    d = load_diabetes()
    out.append(("diabetes (y > median)", d.data, (d.target > np.median(d.target)).astype(int)))
    iris = load_iris()
    keep = iris.target > 0
    out.append(("iris (versicolor vs virginica)", iris.data[keep], iris.target[keep] - 1))
    w = load_wine()
    keep = w.target < 2
    out.append(("wine (classes 0 vs 1, 3 features)", w.data[keep][:, [0, 1, 4]],
                w.target[keep]))
    bc = load_breast_cancer()
    out.append(("breast cancer (5 mean features)", bc.data[:, :5], bc.target))
    return out


def _causal_lr(X: np.ndarray, y: np.ndarray) -> Any:
    return CMaxEntClassifier("causal", p_x="empirical").fit(X, y)


def _lda(X: np.ndarray, y: np.ndarray) -> Any:
    return CMaxEntClassifier("anticausal").fit(X, y)


# ------------------------------------------------------------------------------ claim maths
def g1_parity(data: Sequence[tuple[np.ndarray, np.ndarray]],
              fit: Callable[[np.ndarray, np.ndarray], Any] = _causal_lr,
              oracle: Callable[[np.ndarray, np.ndarray], Any] = sk_lr) -> list[float]:
    """Per dataset: max rel. |theta_fit - theta_oracle|, intercept included."""
    return [_rel(_theta(fit(X, y)), _theta(oracle(X, y))) for X, y in data]


def moment_residual(data: Sequence[tuple[np.ndarray, np.ndarray]],
                    coefs: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> list[float]:
    """Per dataset: max |mean(q) - mean(y)|, |mean(q x) - mean(y x)| with q = sigma(theta),
    computed here from the returned coefficients, not from the solver's own gradient."""
    out = []
    for X, y in data:
        th = coefs(X, y)
        q = expit(th[0] + X @ th[1:])
        r = np.concatenate([[np.mean(q - y)], X.T @ (q - y) / len(y)])
        out.append(float(np.max(np.abs(r))))
    return out


def g2_parity(insts: Sequence[Any], closed: Callable[[Any], Any] = lda_from_moments
              ) -> list[float]:
    """Per instance: the moment-table closed form vs sklearn LDA on the raw data."""
    return [_rel(_theta(closed(i.table)), _theta(sk_lda(i.X, i.y))) for i in insts]


def g2_numerical(tables: Sequence[Any], numerical: Callable[[Any], Any] | None = None
                 ) -> list[float]:
    """Per table: the numerical anticausal dual vs the LDA closed form."""
    numerical = numerical or (lambda t: solve_anticausal(t, method="numerical"))
    return [_rel(_theta(numerical(t)), _theta(lda_from_moments(t))) for t in tables]


def g3_parallel(insts: Sequence[Any], causal: Callable[[Any], Any] | None = None
                ) -> list[float]:
    """Per instance: 1 - cos(beta, w) of the causal (Gaussian p(x)) and LDA boundaries."""
    causal = causal or (lambda inst: solve_causal(inst.table))
    return [one_minus_cos(causal(i).coef, lda_from_moments(i.table).coef) for i in insts]


def offset_distance(pi1: float) -> float:
    """Boundary distance of the brief's offset configuration (mu1 = (2, 1), Sigma_w = I)."""
    tab = anticausal_moments(pi1=pi1, mu0=np.zeros(2), mu1=np.array([2.0, 1.0]),
                             cov_within=np.eye(2))
    return boundary_distance(solve_causal(tab), solve_anticausal(tab))


def g4_p1a(tables: Sequence[Any], numerical: Callable[[Any], Any] | None = None
           ) -> list[float]:
    numerical = numerical or (lambda t: solve_anticausal(t, method="numerical"))
    return [_rel(_theta(numerical(t)), _theta(pooled_naive_bayes_from_moments(t)))
            for t in tables]


def g4_direction(tables: Sequence[Any], solve: Callable[[Any], Any] = solve_causal
                 ) -> list[float]:
    return [one_minus_cos(solve(t).coef, t.cov_y / t.var) for t in tables]


def g4_implied_cov(insts: Sequence[Any], solve: Callable[[Any], Any] | None = None
                   ) -> list[float]:
    """|implied Cov(X1, X2) - pi1 pi0 delta1 delta2| of the anticausal merge."""
    solve = solve or (lambda t: solve_anticausal(t, method="numerical"))
    out = []
    for i in insts:
        d = i.truth["mu1"] - i.truth["mu0"]
        p = i.truth["pi1"]
        out.append(abs(solve(i.table).implied.cov[0, 1] - p * (1 - p) * d[0] * d[1]))
    return out


def angles(tables: Sequence[Any]) -> list[float]:
    return [boundary_angle(solve_causal(t).coef, solve_anticausal(t).coef) for t in tables]


def angle_share(tables: Sequence[Any]) -> tuple[float, list[float]]:
    """Share of tables whose causal and anticausal boundaries differ by > 1e-3 rad."""
    a = angles(tables)
    return float(np.mean(np.array(a) > G4_ANGLE)), a


def infeasible_share(cases: Sequence[Callable[[], Any]]) -> tuple[float, list[str]]:
    """Share of cases whose call raises InfeasibleMomentsError; what each case did."""
    what = []
    for case in cases:
        try:
            case()
            what.append("returned")
        except InfeasibleMomentsError:
            what.append("InfeasibleMomentsError")
        except Exception as exc:
            what.append(type(exc).__name__)
    return float(np.mean([w == "InfeasibleMomentsError" for w in what])), what


def near_ok(tables: Sequence[Any], config: CMaxEntConfig | None = None) -> list[bool]:
    """Per table: the causal solve returns finite coefficients whose implied moments match
    the targets to 1e-9 (checked here from the returned implied moments)."""
    out = []
    for t in tables:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                s = solve_causal(t, config=config)
        except Exception:
            out.append(False)
            continue
        resid = max(abs(s.implied.m_y - t.m_y),
                    float(np.max(np.abs((s.implied.cross - t.cross)[t.obs_y]))))
        out.append(bool(np.isfinite(s.coef).all() and np.isfinite(s.intercept)
                        and resid <= G1_RESIDUAL))
    return out


# ------------------------------------------------------------------------------ instances
def threshold_infeasible(scale: float, *, k: int, rng: np.random.Generator,
                         n_mc: int = 400_000) -> MomentTable:
    """Gaussian-X moments whose Cov(X, Y) is ``scale`` times that of the deterministic
    threshold rule y = 1{u^T x > t}, estimated by Monte Carlo (independent of the checker's
    r formula). The threshold rule maximises Cov(u^T X, q(X)) over q in [0, 1] with
    E[q] = m_Y (Neyman-Pearson), so any scale > 1 beyond the Monte Carlo error is infeasible
    under the Gaussian p(x); scale < 1 is feasible."""
    a = rng.standard_normal((k, k)) * 0.3 + np.eye(k)
    cov = a @ a.T
    mu = rng.normal(0.0, 0.5, k)
    u = rng.standard_normal(k)
    x = rng.multivariate_normal(mu, cov, size=n_mc)
    s = x @ u
    t = np.quantile(s, rng.uniform(0.3, 0.7))
    y = (s > t).astype(float)
    m_y = y.mean()
    c = (x - x.mean(0)).T @ (y - m_y) / n_mc * scale
    names = [f"X{i + 1}" for i in range(k)] + ["Y"]
    mean = np.append(mu, m_y)
    second = np.zeros((k + 1, k + 1))
    second[:k, :k] = cov + np.outer(mu, mu)
    second[:k, k] = second[k, :k] = c + mu * m_y
    second[k, k] = m_y
    return MomentTable.from_population(mean=mean, second_moment=second,
                                       observed=[tuple(names)], names=names)


def separable_sample(rng: np.random.Generator, *, n: int = 400,
                     k: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Data whose labels scikit-learn's LinearSVC separates perfectly (checked, redrawn
    otherwise): an oblique direction with a margin, found independently of the LP."""
    from sklearn.svm import LinearSVC

    while True:
        x = rng.standard_normal((n, k))
        w = rng.standard_normal(k)
        s = x @ w / np.linalg.norm(w)
        keep = np.abs(s) > 0.1
        x, y = x[keep], (s[keep] > 0).astype(int)
        svc = LinearSVC(C=1e4, max_iter=100_000, dual="auto").fit(x, y)
        if np.all(svc.predict(x) == y):
            return x, y


# ------------------------------------------------------------------------------ suite
suite = Suite("cmaxent", description=__doc__ or "")


def _p(ctx: Context) -> dict[str, Any]:
    return PRESETS[ctx.preset]


def _emp(ctx: Context) -> list[tuple[np.ndarray, np.ndarray]]:
    def make():
        p, rng = _p(ctx), ctx.rng(1)
        return [(lambda i: (i.X, i.y))(random_instance("emp", k=p["ks"][j % len(p["ks"])],
                                                       rng=rng, n=p["n_emp"]))
                for j in range(p["g1"])]

    return ctx.shared("emp", make)


def _lda_insts(ctx: Context) -> list[Any]:
    def make():
        p, rng = _p(ctx), ctx.rng(2)
        return [random_instance("lda", k=p["ks"][j % len(p["ks"])], rng=rng)
                for j in range(p["g2"])]

    return ctx.shared("lda", make)


def _feasible(kind: str, rng: np.random.Generator, count: int, k: int = 2) -> list[Any]:
    out = []
    while len(out) < count:
        inst = random_instance(kind, k=k, rng=rng)
        if check_feasibility(inst.table).feasible:
            out.append(inst)
    return out


def _p1(ctx: Context) -> list[Any]:
    return ctx.shared("p1", lambda: _feasible("p1", ctx.rng(4), _p(ctx)["g4"]))


@suite.claim("G1", CLAIMS["G1"], gate=True)
def _g1(ctx: Context) -> list[ClaimResult]:
    data = _emp(ctx)
    fits: dict[int, Any] = {}

    def fit(X: np.ndarray, y: np.ndarray) -> Any:  # one fit per instance for both claims
        if id(X) not in fits:
            fits[id(X)] = _causal_lr(X, y)
        return fits[id(X)]

    with timer() as t:
        per = g1_parity(progress(data, desc="G1 F-emp"), fit=fit)
    with timer() as t2:
        resid = moment_residual(data, lambda X, y: _theta(fit(X, y)))
    how = [f.solution_.feasibility_margin for f in fits.values()]
    det = {"instances": len(data), "n": _p(ctx)["n_emp"], "median": float(np.median(per)),
           "ks": list(_p(ctx)["ks"]), "oracle": "sklearn LogisticRegression(C=inf, "
           "solver='newton-cholesky', tol=1e-12)", "min_feasibility_margin": min(how)}
    return [
        ClaimResult.measure(id="G1", claim=CLAIMS["G1"], metric="max rel. |theta - sklearn "
                            "newton-cholesky| over F-emp", value=max(per), threshold=G1_COEF,
                            comparator="<=", gate=True, seconds=t.seconds, details=det),
        ClaimResult.measure(id="G1-residual", claim=CLAIMS["G1-residual"],
                            metric="max |E_n[q x] - E_n[y x]| from the returned coefficients",
                            value=max(resid), threshold=G1_RESIDUAL, comparator="<=",
                            gate=True, seconds=t2.seconds,
                            details={"median": float(np.median(resid))}),
    ]


@suite.claim("G1-real", CLAIMS["G1-real"], gate=True, presets=("quick", "full"))
def _g1_real(ctx: Context) -> list[ClaimResult]:
    sets = real_datasets()
    data = [(X, y) for _, X, y in sets]
    names = [nm for nm, _, _ in sets]
    with timer() as t:
        lr = g1_parity(data)
    with timer() as t2:
        lda = g1_parity(data, fit=_lda, oracle=sk_lda)
    return [
        ClaimResult.measure(id="G1-real", claim=CLAIMS["G1-real"],
                            metric="max rel. |theta - sklearn LR| on sklearn datasets",
                            value=max(lr), threshold=G1_COEF, comparator="<=", gate=True,
                            seconds=t.seconds, details=dict(zip(names, lr, strict=True))),
        ClaimResult.measure(id="G2-real", claim=CLAIMS["G2-real"],
                            metric="max rel. |theta - sklearn LDA| on sklearn datasets",
                            value=max(lda), threshold=G2_CLOSED, comparator="<=", gate=True,
                            seconds=t2.seconds, details=dict(zip(names, lda, strict=True))),
    ]


@suite.claim("G2", CLAIMS["G2"], gate=True)
def _g2(ctx: Context) -> list[ClaimResult]:
    insts = _lda_insts(ctx)
    with timer() as t:
        closed = g2_parity(insts)
    with timer() as t2:
        numer = g2_numerical([i.table for i in progress(insts, desc="G2 numerical")])
    return [
        ClaimResult.measure(id="G2", claim=CLAIMS["G2"], metric="max rel. |closed form - "
                            "sklearn LDA(lsqr)| over F-lda", value=max(closed),
                            threshold=G2_CLOSED, comparator="<=", gate=True,
                            seconds=t.seconds, details={"instances": len(insts)}),
        ClaimResult.measure(id="G2-numerical", claim=CLAIMS["G2-numerical"],
                            metric="max rel. |numerical dual - closed form|", value=max(numer),
                            threshold=G2_NUMERICAL, comparator="<=", gate=True,
                            seconds=t2.seconds),
    ]


@suite.claim("G3", CLAIMS["G3"], gate=True)
def _g3(ctx: Context) -> list[ClaimResult]:
    p, rng = _p(ctx), ctx.rng(3)
    insts, redrawn = [], 0
    while len(insts) < p["g3"]:
        inst = random_instance("lda", k=p["ks"][len(insts) % len(p["ks"])], rng=rng)
        if check_feasibility(inst.table).feasible:
            insts.append(inst)
        else:
            redrawn += 1
    with timer() as t:
        cos = g3_parallel(insts)
        dist, dist_sym = offset_distance(0.2), offset_distance(0.5)
    return [
        ClaimResult.measure(id="G3", claim=CLAIMS["G3"], metric="max 1 - cos(beta, w) over "
                            "F-lda sample moments", value=max(cos), threshold=G3_COS,
                            comparator="<=", gate=True, seconds=t.seconds,
                            details={"instances": len(insts), "redrawn_r_ge_1": redrawn}),
        ClaimResult.measure(id="G3-offset", claim=CLAIMS["G3-offset"],
                            metric="boundary distance, pi1 = 0.2, mu1 = (2, 1), Sigma_w = I",
                            value=dist, threshold=G3_OFFSET, comparator=">=", gate=True,
                            details={"prototype": 0.106}),
        ClaimResult.measure(id="G3-symmetric", claim=CLAIMS["G3-symmetric"],
                            metric="boundary distance at pi1 = 1/2", value=dist_sym,
                            threshold=G3_SYMMETRIC, comparator="<=", gate=True),
    ]


@suite.claim("G4", CLAIMS["G4"], gate=True)
def _g4(ctx: Context) -> list[ClaimResult]:
    insts = _p1(ctx)
    tables = [i.table for i in insts]
    with timer() as t:
        p1a = g4_p1a(tables)
        p1c = g4_direction(tables)
        cov = g4_implied_cov(insts)
    return [
        ClaimResult.measure(id="G4", claim=CLAIMS["G4"], metric="max rel. |numerical "
                            "anticausal - (P1a)| (coef, intercept)", value=max(p1a),
                            threshold=G4_P1A, comparator="<=", gate=True, seconds=t.seconds,
                            details={"instances": len(insts)}),
        ClaimResult.measure(id="G4-causal-direction", claim=CLAIMS["G4-causal-direction"],
                            metric="max 1 - cos(beta, Cov(X_i, Y) / Var X_i)", value=max(p1c),
                            threshold=G4_P1C, comparator="<=", gate=True),
        ClaimResult.measure(id="G4-implied-cov", claim=CLAIMS["G4-implied-cov"],
                            metric="max |anticausal implied Cov(X1, X2) - pi1 pi0 d1 d2|",
                            value=max(cov), threshold=G4_COV, comparator="<=", gate=True),
    ]


@suite.claim("G4-angle", CLAIMS["G4-angle"], gate=True)
def _g4_angle(ctx: Context) -> list[ClaimResult]:
    p, rng = _p(ctx), ctx.rng(5)
    with timer() as t:
        share, unequal = angle_share([i.table for i in _feasible("p1", rng, p["angle"])])
        equal = angles([i.table for i in _feasible("p1-equal", rng, p["g4"])])
    return [
        ClaimResult.measure(id="G4-angle", claim=CLAIMS["G4-angle"],
                            metric=f"share of {len(unequal)} F-P1 instances with angle > 1e-3 "
                                   f"rad", value=share, threshold=G4_ANGLE_SHARE,
                            comparator=">=", gate=True, seconds=t.seconds,
                            details={"median_angle_rad": float(np.median(unequal)),
                                     "prototype_share": 0.986, "prototype_median": 0.028}),
        ClaimResult.measure(id="G4-equal", claim=CLAIMS["G4-equal"],
                            metric="max angle (rad), equal-correlation F-P1", value=max(equal),
                            threshold=G4_EQUAL, comparator="<=", gate=True),
    ]


def g6_cases(rng: np.random.Generator, reps: int,
             solve: Callable[..., Any] = solve_causal) -> tuple[list[Callable[[], Any]], dict]:
    """The infeasible cases: Gaussian moments beyond a threshold classifier (scales 1.05, 1.5,
    3, k in {2, 4}) and LinearSVC-separable samples (empirical p(x))."""
    cases, points = [], []
    for scale in (1.05, 1.5, 3.0):
        for j in range(reps):
            tab = threshold_infeasible(scale, k=2 + 2 * (j % 2), rng=rng)
            points.append(1.0 - PreparedTable(tab).r)
            cases.append(lambda tab=tab: solve(tab))
    for _ in range(reps):
        x, y = separable_sample(rng)
        names = ("X1", "X2", "X3", "Y")
        tab = MomentTable.from_datasets({names: np.column_stack([x, y])})
        cases.append(lambda tab=tab, x=x: solve(tab, p_x="empirical", X=x))
    return cases, {"checker_margins_of_gaussian_cases": points}


@suite.claim("G6", CLAIMS["G6"], gate=True)
def _g6(ctx: Context) -> list[ClaimResult]:
    p = _p(ctx)
    cases, det = g6_cases(ctx.rng(6), p["inf"])
    with timer() as t:
        share, what = infeasible_share(cases)
        near = [random_instance("inf", k=2, r=r, rng=ctx.rng(7)).table
                for r in (0.99, 0.9999) for _ in range(p["inf"])]
        ok = near_ok(near)
    return [
        ClaimResult.measure(id="G6", claim=CLAIMS["G6"], metric="share of infeasible cases "
                            "(threshold-rule moments x 1.05-3, LinearSVC-separable data) "
                            "raising InfeasibleMomentsError", value=share, threshold=G6_SHARE,
                            comparator=">=", gate=True, seconds=t.seconds,
                            details={"cases": len(cases), "outcomes": what, **det}),
        ClaimResult.measure(id="G6-near", claim=CLAIMS["G6-near"],
                            metric="share of r in {0.99, 0.9999} cases converged, finite, "
                                   "moments matched to 1e-9", value=float(np.mean(ok)),
                            threshold=G6_SHARE, comparator=">=", gate=True,
                            details={"cases": len(near)}),
    ]


# ------------------------------------------------------------------------------ OOV study
def _oov(truth: str, rng: np.random.Generator, n_inst: int, n_test: int,
         seed: int) -> dict[str, Any]:
    kind = f"oov-{truth}"
    excess, ll = [], {"causal": [], "anticausal": [], "logodds": [], "bayes": []}
    redrawn = 0
    for i in progress(range(n_inst), desc=f"OOV {truth} truth"):
        while True:
            inst = random_instance(kind, k=2, rng=rng)
            if check_feasibility(inst.table).feasible:
                break
            redrawn += 1
        prep = PreparedTable(inst.table)
        c = CMaxEntClassifier("causal").fit_moments(prep)
        a = CMaxEntClassifier("anticausal").fit_moments(prep)
        lo = LogOddsSumMerge().fit_moments(prep)
        X, y = inst.sample(n_test, rng=np.random.default_rng([seed, 7919, i]))
        lc, la, llo = c.log_loss(X, y), a.log_loss(X, y), lo.log_loss(X, y)
        t = inst.bayes_log_odds(X)
        ll["causal"].append(lc)
        ll["anticausal"].append(la)
        ll["logodds"].append(llo)
        ll["bayes"].append(float(np.mean(np.logaddexp(0.0, t) - y * t)))
        excess.append(lc - la if truth == "anticausal" else la - lc)
    return {"excess": np.array(excess), "ll": {k: np.array(v) for k, v in ll.items()},
            "redrawn": redrawn}


def _studies(ctx: Context) -> dict[str, Any]:
    def make():
        n = _p(ctx)["oov"]
        return {truth: _oov(truth, ctx.rng(10 + j), n, _OOV_TEST, ctx.seed)
                for j, truth in enumerate(("anticausal", "causal"))}

    return ctx.shared("oov", make)


_NOTE = ("true in population (the matched merge is Bayes-optimal, so the excess is a KL "
         "divergence >= 0); the effect is tiny and the empirical share depends on the "
         "test-sample size")


@suite.claim("R1", CLAIMS["R1"], gate=False, presets=("full",))
def _r1(ctx: Context) -> ClaimResult:
    return _r(ctx, "R1", "anticausal",
              "expect >= 95% (prototype 99%, median 1.2e-3, q10 8.7e-5, q90 1.1e-2)")


@suite.claim("R2", CLAIMS["R2"], gate=False, presets=("full",))
def _r2(ctx: Context) -> ClaimResult:
    return _r(ctx, "R2", "causal", "expect >= 95% (prototype 100%, median 1.8e-3)")


def _r(ctx: Context, rid: str, truth: str, paper: str) -> ClaimResult:
    with timer() as t:
        s = _studies(ctx)[truth]
    e = s["excess"]
    return ClaimResult.measure(
        id=rid, claim=CLAIMS[rid],
        metric=f"share of {len(e)} F-oov instances where the mismatched merge has the higher "
               f"test log-loss ({_OOV_TEST} test samples each)",
        value=float(np.mean(e > 0)), threshold=R_EXPECT, comparator=">=", gate=False,
        paper=paper, seconds=t.seconds,
        details={"median_excess_nats": float(np.median(e)), "q10": float(np.quantile(e, 0.1)),
                 "q90": float(np.quantile(e, 0.9)), "redrawn_r_ge_1": s["redrawn"],
                 "note": _NOTE})


@suite.claim("R3", CLAIMS["R3"], gate=False, presets=("full",))
def _r3(ctx: Context) -> ClaimResult:
    studies = _studies(ctx)
    det = {f"{truth}_truth_{name}": float(np.mean(v))
           for truth, s in studies.items() for name, v in s["ll"].items()}
    a = studies["anticausal"]["ll"]
    return ClaimResult.measure(
        id="R3", claim=CLAIMS["R3"], metric="mean test log-loss of LogOddsSumMerge "
        "(anticausal truth; both truths in details)", value=float(np.mean(a["logodds"])),
        baseline=float(np.mean(a["anticausal"])), paper="no paper expectation; for context",
        details=det)


# ------------------------------------------------------------------------------ speed
class ScipyGaussianDual:
    """The fair baseline of P1: (C2) under N(mu, Sigma) in vectorised numpy with the brief's
    quadrature rule, every node, weight and node function computed once, minimised by scipy
    L-BFGS-B with the analytic gradient (G_0 a + G_1 Sigma beta - target)."""

    def __init__(self, mu: np.ndarray, sig: np.ndarray, m_y: float, m_xy: np.ndarray) -> None:
        from scipy.special import ndtr

        self.ndtr = ndtr
        self.mu, self.sig, self.m_y, self.m_xy = mu, sig, m_y, m_xy
        hx, hw = np.polynomial.hermite.hermgauss(64)
        self.hx, self.hw = np.sqrt(2.0) * hx, hw / np.sqrt(np.pi)
        lx, lw = np.polynomial.legendre.leggauss(96)
        self.tp, self.wp = 20.0 * (lx + 1.0), 20.0 * lw  # [0, 40]
        self.rem = np.log1p(np.exp(-self.tp))
        self.sneg = expit(-self.tp)
        self.dsig = self.sneg * (1.0 - self.sneg)

    def _g(self, m: float, s: float) -> tuple[float, float, float]:
        if s < 1.0:
            t = m + s * self.hx
            e = expit(t)
            return (float(np.logaddexp(0.0, t) @ self.hw), float(e @ self.hw),
                    float((e * (1.0 - e)) @ self.hw))
        c = 1.0 / (s * np.sqrt(2.0 * np.pi))
        dp = np.exp(-0.5 * ((self.tp - m) / s) ** 2) * c * self.wp
        dn = np.exp(-0.5 * ((self.tp + m) / s) ** 2) * c * self.wp
        z = m / s
        g_1 = m * self.ndtr(z) + s * np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi) + (
            dp + dn) @ self.rem
        return float(g_1), float(self.ndtr(z) + (dn - dp) @ self.sneg), float(
            (dp + dn) @ self.dsig)

    def fg(self, z: np.ndarray) -> tuple[float, np.ndarray]:
        b0, b = z[0], z[1:]
        sb = self.sig @ b
        m, s = b0 + b @ self.mu, float(np.sqrt(max(b @ sb, 0.0)))
        g_1, g0, g1 = self._g(m, s)
        grad = np.empty_like(z)
        grad[0] = g0 - self.m_y
        grad[1:] = g0 * self.mu + g1 * sb - self.m_xy
        return g_1 - b0 * self.m_y - b @ self.m_xy, grad

    def solve(self) -> np.ndarray:
        from scipy import optimize

        return optimize.minimize(self.fg, np.zeros(1 + len(self.mu)), jac=True,
                                 method="L-BFGS-B", options={"gtol": 1e-10, "ftol": 1e-15,
                                                             "maxiter": 10_000}).x


def _speed_ratio_claim(cid: str, cmp: Any, base: str, target: float, metric: str,
                       paper: str, details: dict) -> ClaimResult:
    sp = cmp.ratio(base, "ours")
    return ClaimResult.measure(id=cid, claim=CLAIMS[cid.split(".")[0]], metric=metric,
                               value=sp, threshold=target, comparator=">=", gate=False,
                               paper=paper, details={**details, **cmp.details()})


@suite.claim("P1", CLAIMS["P1"], gate=False, presets=("quick", "full"))
def _sp1(ctx: Context) -> list[ClaimResult]:
    out = []
    rng = ctx.rng(20)
    for k in _p(ctx)["p1_ks"]:
        prep = PreparedTable(random_instance("inf", k=k, r=0.5, rng=rng).table)
        o = prep.obs_y
        base = ScipyGaussianDual(prep.mean[o], prep.sigma[np.ix_(o, o)], prep.m_y,
                                 prep.cross[o])
        cmp = compare_speed({"ours": lambda prep=prep: solve_causal(prep),
                             "scipy_lbfgsb": base.solve}, repeats=7)
        ours = solve_causal(prep)
        theirs = base.solve()
        out.append(_speed_ratio_claim(
            f"P1.k{k}", cmp, "scipy_lbfgsb", P1_SPEEDUP,
            f"speed-up vs scipy L-BFGS-B (nodes once), k = {k}: median time ratio",
            "<= 0.2x the time (prototype 0.005-0.02x, against a baseline that recomputed the "
            "nodes on every call)",
            {"k": k, "newton_iterations": ours.n_iter,
             "max_rel_coef_diff": _rel(theirs, np.r_[ours.intercept, ours.coef[o]]),
             "scipy_final_residual": float(np.max(np.abs(base.fg(theirs)[1]))),
             "ours_final_residual": ours.max_moment_residual,
             "timed": "solve_causal(PreparedTable) vs scipy.optimize.minimize on the same "
                      "mu, Sigma (the completion is shared)"}))
    return out


def _scipy_lr(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    from scipy import optimize

    n = len(y)
    yf = y.astype(float)

    def fg(z):
        t = z[0] + X @ z[1:]
        f = float(np.mean(np.logaddexp(0.0, t) - yf * t))
        r = expit(t) - yf
        return f, np.concatenate([[r.mean()], X.T @ r / n])

    return optimize.minimize(fg, np.zeros(X.shape[1] + 1), jac=True, method="L-BFGS-B",
                             options={"gtol": 1e-10, "ftol": 1e-15, "maxiter": 10_000}).x


@suite.claim("P2", CLAIMS["P2"], gate=False, presets=("quick", "full"))
def _sp2(ctx: Context) -> list[ClaimResult]:
    from mpiis.cmaxent._feasibility import box_feasible, lp_margin

    out = []
    rng = ctx.rng(21)
    k = 10
    beta = rng.uniform(-0.5, 0.5, k)
    for n in _p(ctx)["p2_ns"]:
        X, y = make_causal_logistic(mean=np.zeros(k), cov=np.eye(k), beta0=0.3, beta=beta,
                                    n=n, rng=rng)
        est = CMaxEntClassifier()
        cmp = compare_speed({"ours": lambda X=X, y=y, est=est: est.fit(X, y),
                             "sklearn_newton_cholesky": lambda X=X, y=y: sk_lr(X, y),
                             "scipy_lbfgsb": lambda X=X, y=y: _scipy_lr(X, y)}, repeats=5)
        prep = PreparedTable(MomentTable.from_datasets(
            {(*[f"x{i}" for i in range(k)], "Y"): np.column_stack([X, y])}))
        t0 = time.perf_counter()
        box_feasible(prep, X, 1e-3 * min(prep.m_y, 1.0 - prep.m_y))
        det: dict[str, Any] = {
            "n": n, "k": k, "certified_margin": est.solution_.feasibility_margin,
            "check": "always on: the certificate min(q, 1-q) of the converged fit (inside the "
                     "timed fit); when it is below 1e-3 the fixed-eps LP, then the exact LP",
            "fixed_eps_lp_s": time.perf_counter() - t0}
        if n <= 1000:  # the exact LP (one row per example) costs seconds from n = 1e4 on
            t0 = time.perf_counter()
            lp_margin(prep, X)
            det["exact_lp_s"] = time.perf_counter() - t0
        tag = f"n{n:.0e}".replace("+0", "")
        out.append(_speed_ratio_claim(
            f"P2.{tag}", cmp, "sklearn_newton_cholesky", P2_SPEEDUP_SK,
            f"speed-up vs sklearn newton-cholesky, n = {n}, k = {k}",
            "<= 1.0x the time (prototype 0.36x at n = 1e5)", det))
        out.append(_speed_ratio_claim(
            f"P2.{tag}.lbfgs", cmp, "scipy_lbfgsb", P2_SPEEDUP_LBFGS,
            f"speed-up vs scipy L-BFGS-B, n = {n}, k = {k}",
            "<= 0.5x the time (prototype 0.24x at n = 1e5)", det))
    return out


@suite.claim("P4", CLAIMS["P4"], gate=False, presets=("quick", "full"))
def _sp4(ctx: Context) -> list[ClaimResult]:
    rng = ctx.rng(22)
    prep = PreparedTable(random_instance("inf", k=7, r=0.5, rng=rng).table)
    t0 = time.perf_counter()
    solve_causal(prep)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    solve_causal(prep)
    warm = time.perf_counter() - t0
    X, y = make_causal_logistic(mean=np.zeros(7), cov=np.eye(7), beta0=0.1,
                                beta=rng.uniform(-0.5, 0.5, 7), n=2999, rng=rng)
    t0 = time.perf_counter()
    CMaxEntClassifier().fit(X, y)
    first_e = time.perf_counter() - t0
    t0 = time.perf_counter()
    CMaxEntClassifier().fit(X[:-1], y[:-1])
    refit = time.perf_counter() - t0
    paper = "a few seconds (prototype 4-16 s under contention)"
    return [
        ClaimResult.measure(id="P4", claim=CLAIMS["P4"], metric="first call - warm call, "
                            "Gaussian causal solve at k = 7 (s)", value=first - warm,
                            paper=paper, details={"first_s": first, "warm_s": warm}),
        ClaimResult.measure(id="P4.empirical", claim=CLAIMS["P4"], metric="first fit - refit "
                            "at n - 1, empirical path at k = 7, n = 2999 (s)",
                            value=first_e - refit, paper=paper,
                            details={"first_s": first_e, "refit_at_n_minus_1_s": refit}),
    ]


# ------------------------------------------------------------------------------ figures
@suite.claim("F", "Figures: boundaries, feasibility ellipsoid and OOV excess.", gate=False,
             presets=("full",))
def _figs(ctx: Context) -> ClaimResult:
    rng = ctx.rng(9)
    made = [p for p in (ctx.figure("boundaries_full.png", lambda path: _fig_full(path, rng)),
                        ctx.figure("boundaries_p1.png", lambda path: _fig_p1(path, rng)),
                        ctx.figure("feasibility.png", _fig_feasibility),
                        ctx.figure("oov_excess.png", lambda path: _fig_oov(path, ctx)))
            if p is not None]
    return ClaimResult.measure(id="F", claim="Figures: boundaries, feasibility ellipsoid and "
                               "OOV excess.", metric="figures written", value=len(made),
                               details={"files": [p.name for p in made], "notes": ctx.notes})


def _fig_full(path: Path, rng: np.random.Generator) -> None:
    tab = anticausal_moments(pi1=0.2, mu0=np.zeros(2), mu1=np.array([2.0, 1.0]),
                             cov_within=np.eye(2))
    X, y = make_anticausal_gaussian(pi1=0.2, mu0=np.zeros(2), mu1=np.array([2.0, 1.0]),
                                    cov_within=np.eye(2), n=3000, rng=rng)
    models = {"causal (X->Y)": CMaxEntClassifier("causal").fit_moments(tab),
              "anticausal (Y->X)": CMaxEntClassifier("anticausal").fit_moments(tab)}
    ax = plot_boundaries(models, X=X, y=y)
    ax.set_title("full moments: parallel, shifted (pi1 = 0.2)")
    ax.figure.savefig(path, dpi=110, bbox_inches="tight")


def _fig_p1(path: Path, rng: np.random.Generator) -> None:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4.5))
    for ax, kind, title in ((axes[0], "p1", "P1, unequal |Corr(X_i, Y)|"),
                            (axes[1], "p1-equal", "P1, equal |Corr(X_i, Y)|")):
        inst = _feasible(kind, rng, 1)[0]
        Xs, ys = inst.sample(2000, rng=rng)
        ms = {"causal": CMaxEntClassifier("causal").fit_moments(inst.table),
              "anticausal": CMaxEntClassifier("anticausal").fit_moments(inst.table)}
        plot_boundaries(ms, X=Xs, y=ys, ax=ax)
        ax.set_title(f"{title}: angle {boundary_angle(ms['causal'], ms['anticausal']):.2e} rad")
    fig.savefig(path, dpi=110, bbox_inches="tight")


def _fig_feasibility(path: Path) -> None:
    import matplotlib.pyplot as plt
    from scipy import stats

    fig, ax = plt.subplots(figsize=(5, 5))
    th = np.linspace(0, 2 * np.pi, 400)
    ax.plot(np.cos(th), np.sin(th), "k-", label="r = 1 (boundary)")
    rng = np.random.default_rng(3)
    for r, mark in ((1.01, "rx"), (1.5, "rx"), (3.0, "rx"), (0.99, "go"), (0.9999, "go")):
        inst = random_instance("inf", k=2, r=r, rng=rng)
        phi = stats.norm.pdf(stats.norm.ppf(inst.truth["pi1"]))
        pnt = inst.truth["c"] / np.sqrt(inst.truth["var"]) / phi
        ax.plot(*pnt, mark)
    ax.set_xlabel(r"$c_1 / (\sqrt{v_1}\,\phi(\Phi^{-1}(m_Y)))$")
    ax.set_ylabel(r"$c_2 / (\sqrt{v_2}\,\phi(\Phi^{-1}(m_Y)))$")
    ax.set_title("P1 feasibility: r = |c / sqrt(v)|^2 / phi^2 < 1\n(x: raises, o: solved)")
    ax.set_aspect("equal")
    fig.savefig(path, dpi=110, bbox_inches="tight")


def _fig_oov(path: Path, ctx: Context) -> None:
    import matplotlib.pyplot as plt

    studies = _studies(ctx)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, truth in zip(axes, ("anticausal", "causal"), strict=True):
        e = studies[truth]["excess"]
        pos = e[e > 0]
        if len(pos):
            ax.hist(pos, bins=np.logspace(np.log10(pos.min()), np.log10(pos.max()) + 1e-9, 30))
        ax.set_xscale("log")
        ax.set_title(f"{truth} truth: excess log-loss of the mismatched merge\n"
                     f"({np.mean(e > 0):.1%} > 0, {np.sum(e <= 0)} <= 0 not shown)")
        ax.set_xlabel("excess test log-loss (nats)")
    fig.savefig(path, dpi=110, bbox_inches="tight")


# ------------------------------------------------------------------------------ entry point
def run(preset: str = "quick", *, seed: int = 0,
        out_dir: Path | None = None) -> list[ClaimResult]:
    """Run the suite at ``preset`` (smoke / quick / full); figures go to ``out_dir``."""
    return suite(preset, seed=seed, out_dir=out_dir)
