"""Benchmark of mpiis.aisafety: the claims table of the paper brief, as a bench v2 ``Suite``.

GATEs: T1 (the bundled frontier table grows about 4x/yr, and its CI holds 4.0), S1 (planted
growth recovered with calibrated intervals), S2 (a planted break is located, and its
bootstrap-calibrated interval covers it), S3-vs-ols (Huber beats OLS under contamination; the
S3 ratio to clean OLS is REPORTED: OLS itself lands near its threshold). REPORTED: T2 (C2's
multipliers), B1 (backtest), P1 (bootstrap speed against a vectorised numpy baseline) and, at
every preset when a table in Epoch AI's notable-models layout is given
(``--set epoch_csv=PATH`` or ``MPIIS_AISAFETY_EPOCH_CSV``), R0 (what the loader read and
dropped) and R1-R8 on that table; without one they are listed as skipped with the reason.
Deterministic facts about shipped files (schema validity, the coverage report of a fixed set
of evaluations) are unit tests. Only the public API of :mod:`mpiis.aisafety` is used.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mpiis.shared.bench import ClaimResult, Context, Option, Suite, compare_speed
from mpiis.shared.progress import progress

from . import (
    DroppedRowsWarning,
    TrendConfig,
    backtest,
    by_domain,
    extrapolate_ratio,
    fit_piecewise,
    fit_trend,
    frontier_flag,
    load_frontier_table,
    load_notable_models,
    residual_above_trend,
    top_k_at_release,
)

suite = Suite(
    "aisafety",
    description="International AI Safety Report (2025): trend fits, breaks and backtests.",
    options=[Option("epoch_csv", type=str, default=None,
                    help="a CSV in Epoch AI's notable-models layout; runs claims R0-R8",
                    env="MPIIS_AISAFETY_EPOCH_CSV")],
)

# ---- thresholds (paper brief, benchmark table; the reference values are the brief's pilots)
T1_RANGE = (3.5, 5.0)  # point growth on the bundled table (ref. 4.42)
T1_TARGET = 4.0  # the report's ~4x per year must lie in the 95% bootstrap CI (ref. 3.91-4.88)
S1_ERR_MAX = 0.05  # median |g_hat/g - 1| (ref. 0.033)
S1_BOOT_RANGE = (0.90, 0.98)  # bootstrap 95% coverage (ref. 0.933)
S1_ANALYTIC_RANGE = (0.92, 0.98)  # analytic 95% coverage (ref. 0.945)
S2_MIN_SHARE = 0.90  # share of datasets with |tau_hat - tau| <= 1.5 y (ref. 1.00)
S2_TOL_YEARS = 1.5
S2_MIN_COVERAGE = 0.90  # 95% break interval: not anti-conservative by more than 5 points
S3_RATIO_MAX = 1.5  # median slope error Huber(contaminated) / OLS(clean) (ref. 1.17)
B1_COVERAGE_MIN = 0.70  # backtest target (ref. 1.0 on the bundled table)
B1_ERROR_MAX = 0.6  # dex (ref. 0.76: the bundled table misses this target)
C2_TARGETS = (100.0, 1e4)

PRESETS: dict[str, dict[str, int]] = {
    # S1 datasets per growth and their B; S2 seeds x datasets and the break bootstrap's B;
    # S3 datasets; B of the trend fits on real tables
    "smoke": dict(s1=50, s1_boot=200, s2_seeds=3, s2=10, s2_boot=200, s3=50, boot=200),
    "quick": dict(s1=500, s1_boot=1000, s2_seeds=4, s2=50, s2_boot=300, s3=500, boot=1000),
    "full": dict(s1=1000, s1_boot=2000, s2_seeds=5, s2=80, s2_boot=500, s3=500, boot=2000),
}

CLAIMS = {
    "T1": "The bundled frontier table grows at about the report's ~4x per year (C1).",
    "S1": "Planted growth rates are recovered with calibrated 95% intervals.",
    "S2": "A planted break is located within 1.5 years and its 95% interval covers it.",
    "S3": "Huber on contaminated data is nearly as accurate as OLS on clean data, and beats "
          "OLS on contaminated data.",
    "T2": "C2 (~100x by end-2026, ~10,000x by 2030) is within the bundled table's trend.",
    "B1": "Backtest on the bundled table: 80% prediction intervals cover the 2022-2024 rows.",
    "P1": "The vectorised pairs bootstrap is at least as fast as batched numpy least squares.",
    "R0": "An Epoch-layout table loads whole; unusable rows are dropped per fit and counted.",
    "R1": "Frontier training compute 2010-2024 grows 4-5x per year (Epoch data).",
    "R2": "The frontier rule and window move the growth estimate by >= 1x per year.",
    "R3": "Frontier training cost grows about 2.4x per year since 2016 (C7).",
    "R4": "Frontier training power grows more than 2x per year (C6).",
    "R5": "C2 is consistent with the Epoch frontier fit.",
    "R6": "Backtest on Epoch frontier data, train < 2022: 80% PI coverage >= 0.70.",
    "R7": "Language-model dataset size grows 2.5-3x per year (C3).",
    "R8": "All notable models show a deep-learning-era break around 2010-2012.",
}

Fitter = Callable[..., Any]


def _table(t: np.ndarray, ly: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"year": t, "training_compute_flop": 10.0 ** ly})


# ------------------------------------------------------------------------------------ T1


def t1_results(df: pd.DataFrame, boot: int, rng: np.random.Generator
               ) -> tuple[list[ClaimResult], Any]:
    """Claim T1 on ``df`` (the bundled table; the negative control passes it with shuffled
    dates): the results and the fit."""
    fit = fit_trend(df, config=TrendConfig(start=2012, end=2025, n_boot=boot), rng=rng)
    lo, hi = fit.ci()
    det = {"n": fit.n, "ci_bootstrap": [lo, hi], "ci_analytic": list(fit.ci(kind="analytic")),
           "doubling_months": fit.doubling_months, "residual_sd_dex": fit.residual_sd_dex,
           "n_boot": boot}
    return [
        ClaimResult.measure(id="T1", claim=CLAIMS["T1"],
                            metric="OLS growth per year, bundled table 2012-2024",
                            value=fit.growth, threshold=T1_RANGE, comparator="in", gate=True,
                            paper="ref. 4.42 (report ~4x)", details=det),
        ClaimResult.measure(id="T1-ci", claim="The 95% bootstrap interval of that growth "
                            "contains 4.0.",
                            metric=f"1 if the 95% bootstrap CI [{lo:.2f}, {hi:.2f}] contains 4.0",
                            value=float(lo <= T1_TARGET <= hi), threshold=1.0, comparator="==",
                            gate=True, paper="ref. 3.91-4.88", details=det),
    ], fit


def _bundled(ctx: Context) -> tuple[list[ClaimResult], Any]:
    return ctx.shared("t1", lambda: t1_results(load_frontier_table(), 2000, ctx.rng(1)))


def _bundled_fit(ctx: Context) -> Any:
    return _bundled(ctx)[1]


@suite.claim("T1", CLAIMS["T1"], gate=True)
def _t1(ctx: Context) -> list[ClaimResult]:
    out, fit = _bundled(ctx)
    from . import plot_bootstrap, plot_trend

    ctx.figure("trend_compute.png", lambda p: plot_trend(
        fit, load_frontier_table(), path=p,
        title="bundled frontier table (Epoch AI, top 3 per year)"))
    ctx.figure("bootstrap_growth.png", lambda p: plot_bootstrap(fit, path=p))
    return out


# ------------------------------------------------------------------------------------ S1


def s1_results(n_sets: int, boot: int, rng: np.random.Generator, *,
               fit: Fitter = fit_trend) -> list[ClaimResult]:
    """Claim S1: planted growth g in {1.5, 3, 5}, n = 100, sigma = 0.8. ``fit`` is the
    estimator under test (the negative control passes a broken one)."""
    growths = (1.5, 3.0, 5.0)
    n, sigma = 100, 0.8
    per_cell: dict[str, dict[str, float]] = {}
    errs, cov_b, cov_a = [], [], []
    for g in growths:
        e, cb, ca = [], [], []
        for _ in progress(range(n_sets), desc=f"S1 g={g}"):
            t = rng.uniform(2010, 2024, n)
            ly = 20 + math.log10(g) * (t - 2010) + rng.normal(0, sigma, n)
            f = fit(_table(t, ly), config=TrendConfig(n_boot=boot), rng=rng)
            e.append(abs(f.growth / g - 1))
            lo, hi = f.ci()
            cb.append(lo <= g <= hi)
            lo, hi = f.ci(kind="analytic")
            ca.append(lo <= g <= hi)
        per_cell[str(g)] = {"median_rel_error": float(np.median(e)),
                            "coverage_bootstrap": float(np.mean(cb)),
                            "coverage_analytic": float(np.mean(ca))}
        errs += e
        cov_b += cb
        cov_a += ca
    det = {"per_growth": per_cell, "datasets_per_growth": n_sets, "n_boot": boot, "n": n,
           "sigma": sigma}
    return [
        ClaimResult.measure(id="S1-err", claim="Planted growth rates are recovered (median "
                            "relative error).",
                            metric="median |g_hat/g - 1| over g in {1.5, 3, 5}",
                            value=float(np.median(errs)), threshold=S1_ERR_MAX, comparator="<=",
                            gate=True, paper="ref. 0.033", details=det),
        ClaimResult.measure(id="S1-boot", claim="95% pairs-bootstrap intervals of the growth "
                            "are calibrated.",
                            metric=f"coverage of the 95% bootstrap CI (B={boot})",
                            value=float(np.mean(cov_b)), threshold=S1_BOOT_RANGE, comparator="in",
                            gate=True, paper="ref. 0.933", details=det),
        ClaimResult.measure(id="S1-analytic", claim="95% analytic intervals of the growth are "
                            "calibrated.",
                            metric="coverage of the 95% analytic CI", value=float(np.mean(cov_a)),
                            threshold=S1_ANALYTIC_RANGE, comparator="in", gate=True,
                            paper="ref. 0.945", details=det),
    ]


@suite.claim("S1", CLAIMS["S1"], gate=True)
def _s1(ctx: Context) -> list[ClaimResult]:
    p = PRESETS[ctx.preset]
    return s1_results(p["s1"], p["s1_boot"], ctx.rng(2))


# ------------------------------------------------------------------------------------ S2


def s2_data(rng: np.random.Generator) -> tuple[pd.DataFrame, float]:
    """n = 200, t ~ U(1990, 2024), 1.5x -> 4.5x per year at tau ~ U(2005, 2015), sigma = 0.7."""
    n, sigma = 200, 0.7
    t = rng.uniform(1990, 2024, n)
    tau = rng.uniform(2005, 2015)
    b1, b2 = math.log10(1.5), math.log10(4.5)
    ly = 20 + b1 * (t - tau) + (b2 - b1) * np.maximum(0, t - tau) + rng.normal(0, sigma, n)
    return _table(t, ly), float(tau)


def s2_results(seeds: list[np.random.Generator], n_sets: int, boot: int, *,
               fit: Fitter = fit_piecewise) -> list[ClaimResult]:
    """Claim S2 over ``len(seeds)`` seeds of ``n_sets`` datasets (200 at quick, 400 at full):
    location share and the coverage of the 95% break interval (``fit`` is the method under
    test). The chi2(1) profile cut-off is measured on the same fits as the baseline; on this
    continuous-kink design it happens to cover too, but nothing guarantees it, while the
    bootstrap calibration adapts its cut-off to the design."""
    share, cover, chi2, widths, errs = [], [], [], [], []
    for rng in seeds:
        hits, cov, cov_chi2 = [], [], []
        for _ in progress(range(n_sets), desc="S2"):
            df, tau = s2_data(rng)
            f = fit(df, n_breaks=1, rng=rng, n_boot=boot)
            errs.append(abs(f.breaks[0] - tau))
            hits.append(errs[-1] <= S2_TOL_YEARS)
            lo, hi = f.break_intervals[0]
            cov.append(lo <= tau <= hi)
            widths.append(hi - lo)
            g, r = f.profile["grid"], f.profile["rss"]
            inside = g[f.n * np.log(r / r.min()) <= 3.841]
            cov_chi2.append(inside.min() - 0.05 <= tau <= inside.max() + 0.05)
        share.append(float(np.mean(hits)))
        cover.append(float(np.mean(cov)))
        chi2.append(float(np.mean(cov_chi2)))
    det = {"seeds": len(seeds), "datasets_per_seed": n_sets, "n_boot": boot,
           "per_seed_share": share, "per_seed_coverage": cover,
           "per_seed_coverage_chi2_cutoff": chi2, "median_abs_error_years":
           float(np.median(errs)), "median_interval_width_years": float(np.median(widths)),
           "interval": "bootstrap-calibrated LR inversion (fixed-design residual bootstrap)"}
    return [
        ClaimResult.measure(id="S2", claim="A planted break in the growth rate is located "
                            "within 1.5 years.",
                            metric="share of datasets with |tau_hat - tau| <= 1.5 y",
                            value=share, threshold=S2_MIN_SHARE, comparator=">=", gate=True,
                            paper="ref. 1.00", details=det),
        ClaimResult.measure(id="S2-coverage", claim="The 95% interval of the break year "
                            "covers the planted break.",
                            metric=f"coverage of the 95% break interval over "
                                   f"{len(seeds) * n_sets} simulated datasets",
                            value=cover, threshold=S2_MIN_COVERAGE, comparator=">=", gate=True,
                            baseline=float(np.mean(chi2)),
                            paper="nominal 0.95 (baseline: the brief's chi2(1) profile cut-off)",
                            details=det),
    ]


@suite.claim("S2", CLAIMS["S2"], gate=True)
def _s2(ctx: Context) -> list[ClaimResult]:
    p = PRESETS[ctx.preset]
    out = s2_results([ctx.rng(30 + k) for k in range(p["s2_seeds"])], p["s2"], p["s2_boot"])
    from . import plot_break_profile

    df, tau = s2_data(ctx.rng(7))
    ctx.figure("break_profile.png", lambda path: plot_break_profile(
        fit_piecewise(df, n_breaks=1, rng=ctx.rng(8)), path=path,
        title=f"synthetic S2 data (planted 1.5x -> 4.5x/yr at {tau:.1f})"))
    return out


# ------------------------------------------------------------------------------------ S3


def s3_results(n_sets: int, rng: np.random.Generator, *,
               robust: str = "huber") -> list[ClaimResult]:
    """Claim S3: n = 100, g = 3, sigma = 0.7, 5% of rows shifted +/-3 dex. ``robust`` is the
    method under test (the negative control passes ``"ols"``)."""
    n, g, sigma = 100, 3.0, 0.7
    b = math.log10(g)
    e_clean, e_ols, e_hub = [], [], []
    cfg_o, cfg_h = TrendConfig(n_boot=100), TrendConfig(n_boot=100, method=robust)
    for _ in progress(range(n_sets), desc="S3"):
        t = rng.uniform(2010, 2024, n)
        ly = 20 + b * (t - 2010) + rng.normal(0, sigma, n)
        bad = rng.choice(n, size=n // 20, replace=False)
        lc = ly.copy()
        lc[bad] += 3.0 * rng.choice([-1.0, 1.0], size=len(bad))
        e_clean.append(abs(fit_trend(_table(t, ly), config=cfg_o, rng=rng).slope_dex - b))
        e_ols.append(abs(fit_trend(_table(t, lc), config=cfg_o, rng=rng).slope_dex - b))
        e_hub.append(abs(fit_trend(_table(t, lc), config=cfg_h, rng=rng).slope_dex - b))
    m_clean, m_ols, m_hub = (float(np.median(x)) for x in (e_clean, e_ols, e_hub))
    det = {"median_slope_error_dex": {"ols_clean": m_clean, "ols_contaminated": m_ols,
                                      f"{robust}_contaminated": m_hub}, "datasets": n_sets}
    return [
        ClaimResult.measure(id="S3", claim="Huber on contaminated data is nearly as accurate "
                            "as OLS on clean data.",
                            metric="median slope error: Huber(contaminated) / OLS(clean)",
                            value=m_hub / m_clean, threshold=S3_RATIO_MAX, comparator="<=",
                            # REPORTED, not a GATE: OLS itself lands near 1.5 on this design
                            # (1.27 to 1.56 across seeds), so the ratio does not separate a
                            # robust fit from a non-robust one; S3-vs-ols is the gate that does
                            gate=False, baseline=m_ols / m_clean, paper="ref. 1.17",
                            details=det),
        ClaimResult.measure(id="S3-vs-ols", claim="Huber beats OLS on contaminated data.",
                            metric="median slope error (dex/yr): Huber minus OLS, contaminated",
                            value=m_hub - m_ols, threshold=0.0, comparator="<", gate=True,
                            baseline=m_ols, paper="ref. 0.0126 vs 0.0159 dex/yr", details=det),
    ]


@suite.claim("S3", CLAIMS["S3"], gate=True)
def _s3(ctx: Context) -> list[ClaimResult]:
    return s3_results(PRESETS[ctx.preset]["s3"], ctx.rng(4))


# ------------------------------------------------------------------------------- T2, B1, P1


@suite.claim("T2", CLAIMS["T2"], gate=False)
def _t2(ctx: Context) -> list[ClaimResult]:
    fit = _bundled_fit(ctx)
    out = []
    for to, target, ref in ((2027.0, C2_TARGETS[0], "100x (ref. 86 [60, 116])"),
                            (2030.0, C2_TARGETS[1], "10,000x (ref. 7,400 [3,600, 13,500])")):
        r = extrapolate_ratio(fit, 2024.0, to)
        ok = r.contains(target)
        out.append(ClaimResult.measure(
            id=f"T2-{int(to)}", claim=f"C2: ~{target:,.0f}x the end-2023 frontier compute by "
            f"{to:g} is within the fitted trend.",
            metric=f"ratio end-2023 -> {to:g}, 95% CI [{r.low:,.0f}, {r.high:,.0f}] "
                   f"{'contains' if ok else 'misses'} {target:,.0f}",
            value=r.value, paper=ref,
            details={"ci": [r.low, r.high], "contains_target": ok, "target": target}))
    return out


@suite.claim("B1", CLAIMS["B1"], gate=False)
def _b1(ctx: Context) -> list[ClaimResult]:
    df = load_frontier_table()
    bt = backtest(df, train_end=2022.0, horizon=3.0, start=2010.0, rng=ctx.rng(9))
    roll = backtest(df, train_end=2022.0, rolling=True, rng=ctx.rng(10))
    from . import plot_backtest

    ctx.figure("backtest.png", lambda p: plot_backtest(bt, path=p))
    det = {"n_train": bt.n_train, "n_test": bt.n_test, "train_growth": bt.train_growth,
           "train_growth_ci": list(bt.train_growth_ci),
           "median_residual_dex": bt.median_residual_dex,
           "rolling": {"coverage": roll.coverage, "median_abs_error_dex":
                       roll.median_abs_error_dex, "n_test": roll.n_test}}
    return [
        ClaimResult.measure(id="B1-coverage", claim=CLAIMS["B1"],
                            metric="80% PI coverage, train < 2022, test 2022-2024",
                            value=bt.coverage, threshold=B1_COVERAGE_MIN, comparator=">=",
                            paper="target >= 0.70 (ref. 1.0, 9/9)", details=det),
        ClaimResult.measure(id="B1-error", claim="Backtest on the bundled table: median "
                            "absolute error is at most 0.6 dex.",
                            metric="median |actual - predicted| (dex)",
                            value=bt.median_abs_error_dex, threshold=B1_ERROR_MAX,
                            comparator="<=", paper="target <= 0.6 (ref. 0.76, misses)",
                            details=det),
    ]


def numpy_bootstrap_slopes(t: np.ndarray, ly: np.ndarray, n_boot: int,
                           rng: np.random.Generator) -> np.ndarray:
    """The fair baseline of P1: the same pairs bootstrap written in plain vectorised numpy
    (gather the resamples, batched normal equations, one ``np.linalg.solve``)."""
    n = len(t)
    idx = rng.integers(0, n, size=(n_boot, n))
    x = t[idx] - t.mean()
    X = np.stack([np.ones_like(x), x], axis=-1)  # (B, n, 2)
    XtX = np.einsum("bni,bnj->bij", X, X)
    Xty = np.einsum("bni,bn->bi", X, ly[idx])
    return np.linalg.solve(XtX, Xty[..., None])[:, 1, 0]


@suite.claim("P1", CLAIMS["P1"], gate=False, presets=("quick", "full"))
def _p1(ctx: Context) -> ClaimResult:
    rng = ctx.rng(5)
    sizes = {}
    for n in (100, 1000):
        t = rng.uniform(2010, 2024, n)
        ly = 20 + 0.6 * (t - 2010) + rng.normal(0, 0.8, n)
        df = _table(t, ly)
        cfg = TrendConfig(n_boot=2000)
        sp = compare_speed({
            "ours": lambda df=df, cfg=cfg: fit_trend(df, config=cfg, rng=rng),
            "numpy": lambda t=t, ly=ly: numpy_bootstrap_slopes(t, ly, 2000, rng),
        }, repeats=5, warmup=1)
        sizes[n] = {"speedup": sp.ratio("numpy", "ours"), **sp.details()}
    return ClaimResult.measure(
        id="P1", claim=CLAIMS["P1"],
        metric="speed-up of fit_trend (B=2000) over a batched numpy normal-equations "
               "bootstrap, n=1000 (n=100 in details)",
        value=sizes[1000]["speedup"], threshold=1.0, comparator=">=",
        baseline=sizes[1000]["median_s"]["numpy"],
        paper="brief: >= 20x over a loop of statsmodels fits (see benchmarks/peers) and "
              "< 0.5 s", details={str(k): v for k, v in sizes.items()})


# ------------------------------------------------------------------ Epoch claims (any preset)

_R_PAPER = {
    "R1": "point in [4.0, 5.0], CI ∋ 4.5 (pilot 4.54, 4.18-4.94)",
    "R2": "spread >= 1x/yr (pilot 4.97, 3.99, 4.57, 4.14, 9.4)",
    "R3": "CI ∋ 2.4 (pilot 2.36, 1.83-3.05)",
    "R4": "point > 1.8, CI ∋ 2.0 (pilot 2.09)",
    "R5": "CI ∋ 100 and ∋ 10^4 (pilot 94 [74, 116]; 8,800 [5,400, 13,500])",
    "R6": ">= 0.70; <= 0.6 dex (pilot 1.0; 0.38)",
    "R7": "CI overlaps 2.5-3.0 (pilot 2.81, 2.37-3.33)",
    "R8": "tau in [2008, 2016], pre in [1.3, 1.7] (pilot 2011.5; 1.52 -> 4.69, one break)",
}


def _epoch(ctx: Context) -> pd.DataFrame:
    path = ctx.options.get("epoch_csv")
    if not path:
        ctx.skip("no table given: --set epoch_csv=PATH (or MPIIS_AISAFETY_EPOCH_CSV)")

    def load() -> pd.DataFrame:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DroppedRowsWarning)  # counted in R0's details
            return load_notable_models(Path(path))

    return ctx.shared("epoch", load)


def _quiet(fn: Callable[[], Any]) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DroppedRowsWarning)  # the drops go into the details
        return fn()


def _growth(ctx: Context, d: pd.DataFrame, y: str = "training_compute_flop",
            start: float = 2010.0, end: float = 2025.0, stream: int = 60):
    boot = PRESETS[ctx.preset]["boot"]
    return _quiet(lambda: fit_trend(d, y, config=TrendConfig(start=start, end=end,
                                                             n_boot=boot),
                                    rng=ctx.rng(stream)))


def _drops(fit: Any) -> dict[str, int]:
    return {k: len(v) for k, v in fit.dropped.items() if v}


def _r1_fit(ctx: Context):
    return ctx.shared("r1", lambda: _growth(ctx, frontier_flag(_epoch(ctx)), stream=61))


@suite.claim("R0", CLAIMS["R0"], gate=False)
def _r0(ctx: Context) -> ClaimResult:
    df = _epoch(ctx)
    issues = df.attrs.get("load_issues", [])
    by_reason: dict[str, int] = {}
    for i in issues:
        key = i["reason"] if not i["column"] else f"{i['reason']} ({i['column']})"
        key = "wrong number of fields" if "fields, header has" in i["reason"] else key
        by_reason[key] = by_reason.get(key, 0) + 1
    fits = {"compute, all 2010-2024": ("training_compute_flop", df, 2010.0, 2025.0),
            "compute, frontier 2010-2024": ("training_compute_flop", frontier_flag(df),
                                            2010.0, 2025.0),
            "cost, frontier 2016-2024": ("training_cost_usd2023", frontier_flag(df), 2016.0,
                                         2025.0),
            "power, frontier 2010-2024": ("training_power_w", frontier_flag(df), 2010.0,
                                          2025.0),
            "dataset size, language 2010-2024": ("dataset_size", by_domain(df, "Language"),
                                                 2010.0, 2025.0)}
    from . import DROP_REASONS  # noqa: F401  (the reasons, for readers of the JSON)
    from ._rows import usable_rows

    per_fit = {label: usable_rows(d, y, s, e).drop_counts()
               for label, (y, d, s, e) in fits.items()}
    multi = int(df["domain"].fillna("").str.contains(",").sum())
    return ClaimResult.measure(
        id="R0", claim=CLAIMS["R0"], metric="rows read (records left out at load in details)",
        value=float(len(df)), paper="Epoch snapshot 2025-03-16: 924 rows",
        details={"rows": len(df), "columns_used": df.attrs.get("columns_used", {}),
                 "ignored_columns": df.attrs.get("ignored_columns", []),
                 "load_issues_by_reason": by_reason, "load_issues": issues[:50],
                 "rows_without_date": int(df["year"].isna().sum()),
                 "multi_domain_cells": multi, "dropped_per_fit": per_fit})


@suite.claim("R1", CLAIMS["R1"], gate=False)
def _r1(ctx: Context) -> ClaimResult:
    df = _epoch(ctx)
    f1 = _r1_fit(ctx)
    lo, hi = f1.ci()
    from . import plot_trend

    ctx.figure("trend_compute_epoch.png", lambda p: plot_trend(
        f1, df.loc[df["training_compute_flop"] > 0], highlight=frontier_flag(df), path=p,
        title="Epoch notable models"))
    return ClaimResult.measure(
        id="R1", claim=CLAIMS["R1"], metric=f"OLS growth, frontier flag, 95% CI [{lo:.2f}, "
        f"{hi:.2f}] {'contains' if lo <= 4.5 <= hi else 'misses'} 4.5", value=f1.growth,
        threshold=(4.0, 5.0), comparator="in", paper=_R_PAPER["R1"],
        details={"n": f1.n, "ci": [lo, hi], "dropped": _drops(f1)})


@suite.claim("R2", CLAIMS["R2"], gate=False)
def _r2(ctx: Context) -> ClaimResult:
    df = _epoch(ctx)
    rules = [("frontier flag 2010-2024", lambda: frontier_flag(df), 2010.0, 2025.0),
             ("top-10 at release 2010-2024", lambda: top_k_at_release(df, 10), 2010.0, 2025.0),
             ("all notable 2010-2023", lambda: df, 2010.0, 2024.0),
             ("all notable 2010-2024", lambda: df, 2010.0, 2025.0),
             ("residual q=0.75 2010-2024", lambda: _quiet(lambda: residual_above_trend(
                 df, 0.75)), 2010.0, 2025.0),
             ("language 2018-2024", lambda: by_domain(df, "Language"), 2018.0, 2025.0)]
    sens = []
    for k, (label, sub, s, e) in enumerate(rules):
        f = _growth(ctx, sub(), start=s, end=e, stream=62 + k)
        sens.append({"rule": label, "growth": f.growth, "ci": list(f.ci()), "n": f.n,
                     "dropped": _drops(f)})
    from . import plot_sensitivity

    ctx.figure("sensitivity_epoch.png", lambda p: plot_sensitivity(
        [(r["rule"], r["growth"], *r["ci"]) for r in sens], path=p))
    spread = max(r["growth"] for r in sens) - min(r["growth"] for r in sens)
    return ClaimResult.measure(
        id="R2", claim=CLAIMS["R2"], metric="max - min growth over frontier rules and windows",
        value=spread, threshold=1.0, comparator=">=", paper=_R_PAPER["R2"],
        details={"rules": sens})


@suite.claim("R3", CLAIMS["R3"], gate=False)
def _r3(ctx: Context) -> ClaimResult:
    front = frontier_flag(_epoch(ctx))
    f3 = _growth(ctx, front, "training_cost_usd2023", 2016.0, 2025.0, stream=70)
    lo, hi = f3.ci()
    from . import plot_trend

    ctx.figure("trend_cost.png", lambda p: plot_trend(
        f3, front.loc[front["training_cost_usd2023"] > 0], path=p))
    return ClaimResult.measure(
        id="R3", claim=CLAIMS["R3"], metric=f"1 if the 95% CI [{lo:.2f}, {hi:.2f}] contains 2.4 "
        f"(growth {f3.growth:.2f}, n={f3.n})", value=float(lo <= 2.4 <= hi), threshold=1.0,
        comparator="==", paper=_R_PAPER["R3"],
        details={"growth": f3.growth, "ci": [lo, hi], "n": f3.n, "dropped": _drops(f3)})


@suite.claim("R4", CLAIMS["R4"], gate=False)
def _r4(ctx: Context) -> ClaimResult:
    front = frontier_flag(_epoch(ctx))
    f4 = _growth(ctx, front, "training_power_w", stream=71)
    lo, hi = f4.ci()
    from . import plot_trend

    ctx.figure("trend_power.png", lambda p: plot_trend(
        f4, front.loc[front["training_power_w"] > 0], path=p))
    return ClaimResult.measure(
        id="R4", claim=CLAIMS["R4"], metric=f"OLS growth of power, 95% CI [{lo:.2f}, {hi:.2f}] "
        f"{'contains' if lo <= 2.0 <= hi else 'misses'} 2.0", value=f4.growth, threshold=1.8,
        comparator=">", paper=_R_PAPER["R4"],
        details={"n": f4.n, "ci": [lo, hi], "dropped": _drops(f4)})


@suite.claim("R5", CLAIMS["R5"], gate=False)
def _r5(ctx: Context) -> ClaimResult:
    _epoch(ctx)
    f1 = _r1_fit(ctx)
    r5 = [extrapolate_ratio(f1, 2024.0, to) for to in (2027.0, 2030.0)]
    ok5 = all(r.contains(v) for r, v in zip(r5, C2_TARGETS, strict=True))
    return ClaimResult.measure(
        id="R5", claim=CLAIMS["R5"], metric="1 if both ratio CIs contain 100 and 10^4; ratios "
        + "; ".join(f"{r.value:,.0f} [{r.low:,.0f}, {r.high:,.0f}]" for r in r5),
        value=float(ok5), threshold=1.0, comparator="==", paper=_R_PAPER["R5"],
        details={"ratios": [[r.value, r.low, r.high] for r in r5]})


@suite.claim("R6", CLAIMS["R6"], gate=False)
def _r6(ctx: Context) -> ClaimResult:
    front = frontier_flag(_epoch(ctx))
    bt = _quiet(lambda: backtest(front, train_end=2022.0, rng=ctx.rng(72)))
    return ClaimResult.measure(
        id="R6", claim=CLAIMS["R6"], metric=f"80% PI coverage (median |error| "
        f"{bt.median_abs_error_dex:.2f} dex, n_test={bt.n_test})", value=bt.coverage,
        threshold=0.70, comparator=">=", paper=_R_PAPER["R6"],
        details={"median_abs_error_dex": bt.median_abs_error_dex, "n_train": bt.n_train,
                 "median_residual_dex": bt.median_residual_dex,
                 "dropped": {k: len(v) for k, v in bt.dropped.items() if v}})


@suite.claim("R7", CLAIMS["R7"], gate=False)
def _r7(ctx: Context) -> ClaimResult:
    f7 = _growth(ctx, by_domain(_epoch(ctx), "Language"), "dataset_size", stream=73)
    lo, hi = f7.ci()
    return ClaimResult.measure(
        id="R7", claim=CLAIMS["R7"], metric=f"1 if the 95% CI [{lo:.2f}, {hi:.2f}] overlaps "
        f"[2.5, 3.0] (growth {f7.growth:.2f}, n={f7.n})", value=float(lo <= 3.0 and hi >= 2.5),
        threshold=1.0, comparator="==", paper=_R_PAPER["R7"],
        details={"growth": f7.growth, "ci": [lo, hi], "n": f7.n, "dropped": _drops(f7)})


@suite.claim("R8", CLAIMS["R8"], gate=False)
def _r8(ctx: Context) -> list[ClaimResult]:
    df = _epoch(ctx)
    boot = max(200, PRESETS[ctx.preset]["boot"] // 4)
    one = _quiet(lambda: fit_piecewise(df, n_breaks=1, start=1950.0, end=2025.0,
                                       rng=ctx.rng(74), n_boot=boot))
    bic = _quiet(lambda: fit_piecewise(df, n_breaks="bic", start=1950.0, end=2025.0,
                                       rng=ctx.rng(75), n_boot=boot))
    pre, post = one.growth_by_segment
    det_one = {"interval": list(one.break_intervals[0]), "growth": [pre, post],
               "interval_method": one.interval_method, "lr_cutoff": one.lr_cutoff,
               "n": one.n, "dropped": {k: len(v) for k, v in one.dropped.items() if v},
               "pre_in_1.3_1.7": bool(1.3 <= pre <= 1.7)}
    det_bic = {"n_breaks": bic.n_breaks, "breaks": list(bic.breaks),
               "intervals": [list(v) for v in bic.break_intervals],
               "growth_by_segment": list(bic.growth_by_segment),
               "bic": {str(k): v for k, v in bic.bic.items()}}
    return [
        ClaimResult.measure(
            id="R8", claim=CLAIMS["R8"] + " (one break forced: the pilot's and the report's "
            "reading)",
            metric=f"break year, one break forced (pre {pre:.2f} -> post {post:.2f}x/yr, 95% "
                   f"interval [{one.break_intervals[0][0]:.1f}, {one.break_intervals[0][1]:.1f}])",
            value=one.breaks[0], threshold=(2008.0, 2016.0), comparator="in",
            paper=_R_PAPER["R8"], details={**det_one, "bic_choice": det_bic}),
        ClaimResult.measure(
            id="R8-bic", claim="The number of breaks BIC chooses on all notable models "
            "1950-2024 (0, 1 or 2).",
            metric="breaks chosen by BIC: " + (", ".join(
                f"{b:.2f} [{lo:.1f}, {hi:.1f}]" for b, (lo, hi)
                in zip(bic.breaks, bic.break_intervals, strict=True)) or "none"),
            value=float(bic.n_breaks), paper="pilot: BIC picks 2 breaks on the real table; "
            "the report's claim is the single deep-learning-era break (R8)",
            details=det_bic),
    ]
