"""Benchmark of mpiis.aisafety: the claims table of the paper brief.

GATEs (quick): T1 (the bundled frontier table grows about 4x/yr), D1 (every shipped record
validates), S1 (planted growth recovered with calibrated intervals), S2 (a planted break is
located), S3 (Huber resists outliers), E1 (the coverage report is exact). REPORTED: T2 (C2's
multipliers), B1 (backtest), P1 (bootstrap speed) and, at ``full`` with an Epoch AI CSV given
by ``epoch_csv=`` or ``MPIIS_AISAFETY_EPOCH_CSV``, R1-R8 on Epoch's Notable AI Models table.
Only the public API of :mod:`mpiis.aisafety` is used.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mpiis.shared.bench import ClaimResult, check_preset, timer
from mpiis.shared.progress import progress

from . import (
    TrendConfig,
    backtest,
    by_domain,
    coverage,
    extrapolate_ratio,
    fit_piecewise,
    fit_trend,
    frontier_flag,
    load_frontier_table,
    load_notable_models,
    read_lm_eval_results,
    residual_above_trend,
    top_k_at_release,
    validate_records,
)

CLAIMS: dict[str, str] = {
    "T1": "The bundled frontier table grows at about the report's ~4x per year (C1).",
    "T1-ci": "The 95% bootstrap interval of that growth contains 4.0.",
    "D1": "Every shipped record passes its schema and the referential-integrity checks.",
    "S1-err": "Planted growth rates are recovered (median relative error).",
    "S1-boot": "95% pairs-bootstrap intervals of the growth are calibrated.",
    "S1-analytic": "95% analytic intervals of the growth are calibrated.",
    "S2": "A planted break in the growth rate is located within 1.5 years.",
    "S3": "Huber on contaminated data is nearly as accurate as OLS on clean data.",
    "S3-vs-ols": "Huber beats OLS on contaminated data.",
    "E1": "The coverage report of a fixed set of evaluations is exact.",
    "T2-2027": "C2: ~100x the end-2023 frontier compute by end-2026 is within the fitted trend.",
    "T2-2030": "C2: ~10,000x by 2030 is within the fitted trend.",
    "B1-coverage": "Backtest on the bundled table: 80% prediction intervals cover the test rows.",
    "B1-error": "Backtest on the bundled table: median absolute error is at most 0.6 dex.",
    "P1": "The vectorised bootstrap is >= 20x faster than a Python loop of refits.",
    "R1": "Frontier training compute 2010-2024 grows 4-5x per year (Epoch data).",
    "R2": "The frontier rule and window move the growth estimate by >= 1x per year.",
    "R3": "Frontier training cost grows about 2.4x per year since 2016 (C7).",
    "R4": "Frontier training power grows more than 2x per year (C6).",
    "R5": "C2 is consistent with the Epoch frontier fit.",
    "R6": "Backtest on Epoch frontier data, train < 2022: 80% PI coverage >= 0.70.",
    "R7": "Language-model dataset size grows 2.5-3x per year (C3).",
    "R8": "All notable models show a deep-learning-era break around 2010-2012.",
}

# ---- thresholds (paper brief, benchmark table; the reference values are the brief's pilots)
T1_RANGE = (3.5, 5.0)  # point growth on the bundled table (ref. 4.42)
T1_TARGET = 4.0  # the report's ~4x per year must lie in the 95% bootstrap CI (ref. 3.91-4.88)
S1_ERR_MAX = 0.05  # median |g_hat/g - 1| (ref. 0.033)
S1_BOOT_RANGE = (0.90, 0.98)  # bootstrap 95% coverage (ref. 0.933)
S1_ANALYTIC_RANGE = (0.92, 0.98)  # analytic 95% coverage (ref. 0.945)
S2_MIN_SHARE = 0.90  # share of datasets with |tau_hat - tau| <= 1.5 y (ref. 1.00)
S2_TOL_YEARS = 1.5
S3_RATIO_MAX = 1.5  # median slope error Huber(contaminated) / OLS(clean) (ref. 1.17)
B1_COVERAGE_MIN = 0.70  # backtest target (ref. 1.0 on the bundled table)
B1_ERROR_MAX = 0.6  # dex (ref. 0.76: the bundled table misses this target)
P1_SPEEDUP_MIN = 20.0  # performance target of the brief
C2_TARGETS = (100.0, 1e4)

_PRESETS = {
    #        S1 datasets, S1 B, S2 datasets, S3 datasets, T1 B
    "smoke": dict(s1=50, s1_boot=200, s2=0, s3=0, t1_boot=200, speed_reps=1),
    "quick": dict(s1=500, s1_boot=1000, s2=100, s3=500, t1_boot=2000, speed_reps=1),
    "full": dict(s1=1000, s1_boot=2000, s2=100, s3=500, t1_boot=2000, speed_reps=3),
}


def _table(t: np.ndarray, ly: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"year": t, "training_compute_flop": 10.0 ** ly})


# ------------------------------------------------------------------------------------ claims


def _t1(boot: int, rng: np.random.Generator) -> tuple[list[ClaimResult], Any]:
    with timer() as tm:
        fit = fit_trend(load_frontier_table(),
                        config=TrendConfig(start=2012, end=2025, n_boot=boot), rng=rng)
        lo, hi = fit.ci()
    common = dict(seconds=tm.seconds, details={
        "n": fit.n, "ci_bootstrap": [lo, hi], "ci_analytic": list(fit.ci(kind="analytic")),
        "doubling_months": fit.doubling_months, "residual_sd_dex": fit.residual_sd_dex,
        "n_boot": boot})
    return [
        ClaimResult.measure(id="T1", claim=CLAIMS["T1"],
                            metric="OLS growth per year, bundled table 2012-2024", value=fit.growth,
                            threshold=T1_RANGE, comparator="in", gate=True,
                            paper="ref. 4.42 (report ~4x)", **common),
        ClaimResult.measure(id="T1-ci", claim=CLAIMS["T1-ci"],
                            metric=f"1 if the 95% bootstrap CI [{lo:.2f}, {hi:.2f}] contains 4.0",
                            value=float(lo <= T1_TARGET <= hi), threshold=1.0, comparator="==",
                            gate=True, paper="ref. 3.91-4.88", **common),
    ], fit


def _d1() -> ClaimResult:
    with timer() as tm:
        rep = validate_records()
    return ClaimResult.measure(
        id="D1", claim=CLAIMS["D1"], metric="validation errors over all shipped files",
        value=len(rep.errors), threshold=0, comparator="==", gate=True, seconds=tm.seconds,
        details={"n_files": rep.n_files, "n_records": rep.n_records,
                 "errors": [list(e) for e in rep.errors[:20]]})


def _s1(n_sets: int, boot: int, rng: np.random.Generator) -> list[ClaimResult]:
    growths = (1.5, 3.0, 5.0)
    n, sigma = 100, 0.8
    per_cell: dict[str, dict[str, float]] = {}
    errs, cov_b, cov_a = [], [], []
    with timer() as tm:
        for g in growths:
            e, cb, ca = [], [], []
            for _ in progress(range(n_sets), desc=f"S1 g={g}"):
                t = rng.uniform(2010, 2024, n)
                ly = 20 + math.log10(g) * (t - 2010) + rng.normal(0, sigma, n)
                fit = fit_trend(_table(t, ly), config=TrendConfig(n_boot=boot), rng=rng)
                e.append(abs(fit.growth / g - 1))
                lo, hi = fit.ci()
                cb.append(lo <= g <= hi)
                lo, hi = fit.ci(kind="analytic")
                ca.append(lo <= g <= hi)
            per_cell[str(g)] = {"median_rel_error": float(np.median(e)),
                                "coverage_bootstrap": float(np.mean(cb)),
                                "coverage_analytic": float(np.mean(ca))}
            errs += e
            cov_b += cb
            cov_a += ca
    det = {"per_growth": per_cell, "datasets_per_growth": n_sets, "n_boot": boot, "n": n,
           "sigma": sigma}
    sec = tm.seconds
    return [
        ClaimResult.measure(id="S1-err", claim=CLAIMS["S1-err"],
                            metric="median |g_hat/g - 1| over g in {1.5, 3, 5}",
                            value=float(np.median(errs)), threshold=S1_ERR_MAX, comparator="<=",
                            gate=True, paper="ref. 0.033", seconds=sec, details=det),
        ClaimResult.measure(id="S1-boot", claim=CLAIMS["S1-boot"],
                            metric=f"coverage of the 95% bootstrap CI (B={boot})",
                            value=float(np.mean(cov_b)), threshold=S1_BOOT_RANGE, comparator="in",
                            gate=True, paper="ref. 0.933", details=det),
        ClaimResult.measure(id="S1-analytic", claim=CLAIMS["S1-analytic"],
                            metric="coverage of the 95% analytic CI", value=float(np.mean(cov_a)),
                            threshold=S1_ANALYTIC_RANGE, comparator="in", gate=True,
                            paper="ref. 0.945", details=det),
    ]


def _s2_data(rng: np.random.Generator) -> tuple[pd.DataFrame, float]:
    n, sigma = 200, 0.7
    t = rng.uniform(1990, 2024, n)
    tau = rng.uniform(2005, 2015)
    b1, b2 = math.log10(1.5), math.log10(4.5)
    ly = 20 + b1 * (t - tau) + (b2 - b1) * np.maximum(0, t - tau) + rng.normal(0, sigma, n)
    return _table(t, ly), float(tau)


def _s2(n_sets: int, rng: np.random.Generator) -> ClaimResult:
    hits, errs, pre, post = [], [], [], []
    with timer() as tm:
        for _ in progress(range(n_sets), desc="S2"):
            df, tau = _s2_data(rng)
            fit = fit_piecewise(df, n_breaks=1)
            errs.append(abs(fit.breaks[0] - tau))
            hits.append(errs[-1] <= S2_TOL_YEARS)
            pre.append(fit.growth_by_segment[0])
            post.append(fit.growth_by_segment[1])
    return ClaimResult.measure(
        id="S2", claim=CLAIMS["S2"], metric="share of datasets with |tau_hat - tau| <= 1.5 y",
        value=float(np.mean(hits)), threshold=S2_MIN_SHARE, comparator=">=", gate=True,
        paper="ref. 1.00", seconds=tm.seconds,
        details={"datasets": n_sets, "median_abs_error_years": float(np.median(errs)),
                 "median_pre_growth": float(np.median(pre)),
                 "median_post_growth": float(np.median(post))})


def _s3(n_sets: int, rng: np.random.Generator) -> list[ClaimResult]:
    n, g, sigma = 100, 3.0, 0.7
    b = math.log10(g)
    e_clean, e_ols, e_hub = [], [], []
    cfg_o, cfg_h = TrendConfig(n_boot=100), TrendConfig(n_boot=100, method="huber")
    with timer() as tm:
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
                                      "huber_contaminated": m_hub}, "datasets": n_sets}
    return [
        ClaimResult.measure(id="S3", claim=CLAIMS["S3"],
                            metric="median slope error: Huber(contaminated) / OLS(clean)",
                            value=m_hub / m_clean, threshold=S3_RATIO_MAX, comparator="<=",
                            gate=True, baseline=m_ols / m_clean, paper="ref. 1.17",
                            seconds=tm.seconds, details=det),
        ClaimResult.measure(id="S3-vs-ols", claim=CLAIMS["S3-vs-ols"],
                            metric="median slope error (dex/yr): Huber minus OLS, contaminated",
                            value=m_hub - m_ols, threshold=0.0, comparator="<", gate=True,
                            baseline=m_ols, paper="ref. 0.0126 vs 0.0159 dex/yr", details=det),
    ]


E1_TASKS = ("wmdp_bio", "bbq", "truthfulqa_mc2", "mmlu", "my_custom_task")


def write_e1_fixture(folder: Path) -> list[Path]:
    """Two lm-evaluation-harness results files (models ``model-a``, ``model-b``) with the
    tasks of claim E1."""
    paths = []
    for k, model in enumerate(("model-a", "model-b")):
        results = {task: {"alias": task, "acc,none": 0.3 + 0.1 * j + 0.05 * k,
                          "acc_stderr,none": 0.01} for j, task in enumerate(E1_TASKS)}
        doc = {"results": results, "config": {"model": "hf",
                                              "model_args": f"pretrained=org/{model}"},
               "model_name": model,
               "n-samples": {t: {"original": 100, "effective": 100} for t in E1_TASKS}}
        p = folder / f"results_{model}.json"
        p.write_text(json.dumps(doc))
        paths.append(p)
    return paths


def _e1(out_dir: Path | None) -> tuple[ClaimResult, Any]:
    with timer() as tm, tempfile.TemporaryDirectory() as tmp:
        rep = coverage(read_lm_eval_results(write_e1_fixture(Path(tmp))))
    want_cov = {"iasr.malicious_use.bio_chem", "iasr.malfunctions.bias",
                "iasr.malfunctions.reliability"}
    checks = {
        "covered": set(rep.covered) == want_cov,
        "uncovered_10": len(rep.uncovered) == 10,
        "mmlu_capability_only": rep.capability_tasks == ("mmlu",),
        "custom_unmapped": rep.unmapped_tasks == ("my_custom_task",),
        "scores_kept": len(rep.scores) == 2 * len(E1_TASKS),
    }
    return ClaimResult.measure(
        id="E1", claim=CLAIMS["E1"], metric="share of the 5 expected coverage facts that hold",
        value=float(np.mean(list(checks.values()))), threshold=1.0, comparator="==", gate=True,
        seconds=tm.seconds, details={"checks": checks, "covered": list(rep.covered),
                                     "uncovered": list(rep.uncovered)}), rep


def _t2(fit) -> list[ClaimResult]:
    out = []
    for to, target, ref in ((2027.0, C2_TARGETS[0], "100x (ref. 86 [60, 116])"),
                            (2030.0, C2_TARGETS[1], "10,000x (ref. 7,400 [3,600, 13,500])")):
        r = extrapolate_ratio(fit, 2024.0, to)
        ok = r.contains(target)
        out.append(ClaimResult.measure(
            id=f"T2-{int(to)}", claim=CLAIMS[f"T2-{int(to)}"],
            metric=f"ratio end-2023 -> {to:g}, 95% CI [{r.low:,.0f}, {r.high:,.0f}] "
                   f"{'contains' if ok else 'misses'} {target:,.0f}",
            value=r.value, paper=ref,
            details={"ci": [r.low, r.high], "contains_target": ok, "target": target}))
    return out


def _b1() -> tuple[list[ClaimResult], Any]:
    with timer() as tm:
        bt = backtest(load_frontier_table(), train_end=2022.0, horizon=3.0, start=2010.0)
        roll = backtest(load_frontier_table(), train_end=2022.0, rolling=True)
    det = {"n_train": bt.n_train, "n_test": bt.n_test, "train_growth": bt.train_growth,
           "median_residual_dex": bt.median_residual_dex,
           "rolling": {"coverage": roll.coverage, "median_abs_error_dex":
                       roll.median_abs_error_dex, "n_test": roll.n_test}}
    return [
        ClaimResult.measure(id="B1-coverage", claim=CLAIMS["B1-coverage"],
                            metric="80% PI coverage, train < 2022, test 2022-2024",
                            value=bt.coverage, threshold=B1_COVERAGE_MIN, comparator=">=",
                            paper="target >= 0.70 (ref. 1.0, 9/9)", seconds=tm.seconds,
                            details=det),
        ClaimResult.measure(id="B1-error", claim=CLAIMS["B1-error"],
                            metric="median |actual - predicted| (dex)",
                            value=bt.median_abs_error_dex, threshold=B1_ERROR_MAX,
                            comparator="<=", paper="target <= 0.6 (ref. 0.76, misses)",
                            details=det),
    ], bt


def _refit_loop(t: np.ndarray, ly: np.ndarray, idx: np.ndarray) -> str:
    """The baseline: one least-squares refit per resample in a Python loop (statsmodels OLS,
    as in the brief's peer comparison, or numpy.polyfit when statsmodels is absent)."""
    try:
        import statsmodels.api as sm
    except ImportError:
        for row in idx:
            np.polyfit(t[row], ly[row], 1)
        return "numpy.polyfit"
    X = sm.add_constant(t - t.mean())
    for row in idx:
        sm.OLS(ly[row], X[row]).fit()
    return "statsmodels OLS"


def _p1(reps: int, rng: np.random.Generator) -> ClaimResult:
    n, B = 1000, 2000
    t = rng.uniform(2010, 2024, n)
    ly = 20 + 0.6 * (t - 2010) + rng.normal(0, 0.8, n)
    df = _table(t, ly)
    cfg = TrendConfig(n_boot=B)
    fast, slow = [], []
    name = ""
    for _ in range(reps):
        t0 = time.perf_counter()
        fit_trend(df, config=cfg, rng=rng)
        fast.append(time.perf_counter() - t0)
        idx = rng.integers(0, n, size=(B, n))
        t0 = time.perf_counter()
        name = _refit_loop(t, ly, idx)
        slow.append(time.perf_counter() - t0)
    f, s = min(fast), min(slow)
    return ClaimResult.measure(
        id="P1", claim=CLAIMS["P1"],
        metric=f"speed-up of fit_trend (B=2000, n=1000, {f:.2f} s) over a loop of {name} fits",
        value=s / f, threshold=P1_SPEEDUP_MIN, comparator=">=",
        paper="target >= 20x and < 0.5 s", seconds=f + s,
        details={"seconds_vectorised": f, "seconds_loop": s, "loop": name})


# ------------------------------------------------------------------------- Epoch claims (full)


def _skipped(cid: str, paper: str) -> ClaimResult:
    return ClaimResult.measure(id=cid, claim=CLAIMS[cid],
                               metric="skipped: no data (set MPIIS_AISAFETY_EPOCH_CSV)",
                               value=None, paper=paper, details={"status": "skipped: no data"})


_R_PAPER = {
    "R1": "point in [4.0, 5.0], CI ∋ 4.5 (pilot 4.54, 4.18-4.94)",
    "R2": "spread >= 1x/yr (pilot 4.97, 3.99, 4.57, 4.14, 9.4)",
    "R3": "CI ∋ 2.4 (pilot 2.36, 1.83-3.05)",
    "R4": "point > 1.8, CI ∋ 2.0 (pilot 2.09)",
    "R5": "CI ∋ 100 and ∋ 10^4 (pilot 94 [74, 116]; 8,800 [5,400, 13,500])",
    "R6": ">= 0.70; <= 0.6 dex (pilot 1.0; 0.38)",
    "R7": "CI overlaps 2.5-3.0 (pilot 2.81, 2.37-3.33)",
    "R8": "tau in [2008, 2016], pre in [1.3, 1.7] (pilot 2011.5; 1.52 -> 4.69)",
}


def _epoch_claims(path: Path, rng: np.random.Generator, boot: int,
                  out_dir: Path | None) -> list[ClaimResult]:
    df = load_notable_models(path)
    front = frontier_flag(df)
    out: list[ClaimResult] = []

    def growth(d, y="training_compute_flop", start=2010.0, end=2025.0):
        return fit_trend(d, y, config=TrendConfig(start=start, end=end, n_boot=boot), rng=rng)

    f1 = growth(front)
    lo, hi = f1.ci()
    out.append(ClaimResult.measure(
        id="R1", claim=CLAIMS["R1"], metric=f"OLS growth, frontier flag, 95% CI [{lo:.2f}, "
        f"{hi:.2f}] {'contains' if lo <= 4.5 <= hi else 'misses'} 4.5", value=f1.growth,
        threshold=(4.0, 5.0), comparator="in", paper=_R_PAPER["R1"],
        details={"n": f1.n, "ci": [lo, hi]}))
    rules = [("frontier flag 2010-2024", front, 2010.0, 2025.0),
             ("top-10 at release 2010-2024", top_k_at_release(df, 10), 2010.0, 2025.0),
             ("all notable 2010-2023", df, 2010.0, 2024.0),
             ("all notable 2010-2024", df, 2010.0, 2025.0),
             ("residual q=0.75 2010-2024", residual_above_trend(df, 0.75), 2010.0, 2025.0),
             ("language 2018-2024", by_domain(df, "Language"), 2018.0, 2025.0)]
    sens = []
    for label, d, s, e in rules:
        f = growth(d, start=s, end=e)
        sens.append((label, f.growth, *f.ci(), f.n))
    spread = max(r[1] for r in sens) - min(r[1] for r in sens)
    out.append(ClaimResult.measure(
        id="R2", claim=CLAIMS["R2"], metric="max - min growth over frontier rules and windows",
        value=spread, threshold=1.0, comparator=">=", paper=_R_PAPER["R2"],
        details={"rules": [{"rule": r[0], "growth": r[1], "ci": [r[2], r[3]], "n": r[4]}
                           for r in sens]}))
    f3 = growth(front, "training_cost_usd2023", 2016.0, 2025.0)
    lo, hi = f3.ci()
    out.append(ClaimResult.measure(
        id="R3", claim=CLAIMS["R3"], metric=f"1 if the 95% CI [{lo:.2f}, {hi:.2f}] contains 2.4 "
        f"(growth {f3.growth:.2f}, n={f3.n})", value=float(lo <= 2.4 <= hi), threshold=1.0,
        comparator="==", paper=_R_PAPER["R3"], details={"growth": f3.growth, "ci": [lo, hi]}))
    f4 = growth(front, "training_power_w")
    lo, hi = f4.ci()
    out.append(ClaimResult.measure(
        id="R4", claim=CLAIMS["R4"], metric=f"OLS growth of power, 95% CI [{lo:.2f}, {hi:.2f}] "
        f"{'contains' if lo <= 2.0 <= hi else 'misses'} 2.0", value=f4.growth, threshold=1.8,
        comparator=">", paper=_R_PAPER["R4"], details={"n": f4.n, "ci": [lo, hi]}))
    r5 = [extrapolate_ratio(f1, 2024.0, to) for to in (2027.0, 2030.0)]
    ok5 = all(r.contains(v) for r, v in zip(r5, C2_TARGETS, strict=True))
    out.append(ClaimResult.measure(
        id="R5", claim=CLAIMS["R5"], metric="1 if both ratio CIs contain 100 and 10^4; ratios "
        + "; ".join(f"{r.value:,.0f} [{r.low:,.0f}, {r.high:,.0f}]" for r in r5),
        value=float(ok5), threshold=1.0, comparator="==", paper=_R_PAPER["R5"],
        details={"ratios": [[r.value, r.low, r.high] for r in r5]}))
    bt = backtest(front, train_end=2022.0)
    out.append(ClaimResult.measure(
        id="R6", claim=CLAIMS["R6"], metric=f"80% PI coverage (median |error| "
        f"{bt.median_abs_error_dex:.2f} dex, n_test={bt.n_test})", value=bt.coverage,
        threshold=0.70, comparator=">=", paper=_R_PAPER["R6"],
        details={"median_abs_error_dex": bt.median_abs_error_dex,
                 "median_residual_dex": bt.median_residual_dex}))
    f7 = growth(by_domain(df, "Language"), "dataset_size")
    lo, hi = f7.ci()
    out.append(ClaimResult.measure(
        id="R7", claim=CLAIMS["R7"], metric=f"1 if the 95% CI [{lo:.2f}, {hi:.2f}] overlaps "
        f"[2.5, 3.0] (growth {f7.growth:.2f}, n={f7.n})", value=float(lo <= 3.0 and hi >= 2.5),
        threshold=1.0, comparator="==", paper=_R_PAPER["R7"], details={"ci": [lo, hi]}))
    pw = fit_piecewise(df, n_breaks=1, start=1950.0, end=2025.0)
    out.append(ClaimResult.measure(
        id="R8", claim=CLAIMS["R8"], metric=f"break year (pre {pw.growth_by_segment[0]:.2f} -> "
        f"post {pw.growth_by_segment[1]:.2f}x/yr)", value=pw.breaks[0],
        threshold=(2008.0, 2016.0), comparator="in", paper=_R_PAPER["R8"],
        details={"interval": list(pw.break_intervals[0]),
                 "growth": list(pw.growth_by_segment)}))
    if out_dir is not None:
        from . import plot_sensitivity, plot_trend

        plot_trend(f1, df.loc[~df["training_compute_flop"].isna()], highlight=front,
                   path=out_dir / "trend_compute_epoch.png", title="Epoch notable models")
        plot_trend(f3, front.loc[~front["training_cost_usd2023"].isna()],
                   path=out_dir / "trend_cost.png")
        plot_trend(f4, front.loc[~front["training_power_w"].isna()],
                   path=out_dir / "trend_power.png")
        plot_sensitivity([(r[0], r[1], r[2], r[3]) for r in sens],
                         path=out_dir / "sensitivity_epoch.png")
    return out


# ---------------------------------------------------------------------------------- run


def run(preset: str, *, seed: int = 0, out_dir: Path | None = None,
        epoch_csv: str | Path | None = None) -> list[ClaimResult]:
    """Run the claims of the brief at ``preset`` (smoke, quick, full); write figures to
    ``out_dir`` when given."""
    check_preset(preset)
    p = _PRESETS[preset]
    out_dir = Path(out_dir) if out_dir is not None else None

    def rng(k: int) -> np.random.Generator:
        return np.random.default_rng([seed, k])

    results: list[ClaimResult] = []
    t1, fit = _t1(p["t1_boot"], rng(1))
    results += t1
    results.append(_d1())
    results += _s1(p["s1"], p["s1_boot"], rng(2))
    if p["s2"]:
        results.append(_s2(p["s2"], rng(3)))
    if p["s3"]:
        results += _s3(p["s3"], rng(4))
    e1, cov = _e1(out_dir)
    results.append(e1)
    results += _t2(fit)
    b1, bt = _b1()
    results += b1
    results.append(_p1(p["speed_reps"], rng(5)))
    if preset == "full":
        csv = epoch_csv or os.environ.get("MPIIS_AISAFETY_EPOCH_CSV")
        if csv:
            results += _epoch_claims(Path(csv), rng(6), p["t1_boot"], out_dir)
        else:
            results += [_skipped(cid, _R_PAPER[cid]) for cid in _R_PAPER]
    if out_dir is not None:
        _figures(out_dir, fit, bt, cov, rng(7), full=preset == "full")
    return results


def _figures(out: Path, fit, bt, cov, rng: np.random.Generator, *, full: bool) -> None:
    try:
        from . import (
            plot_backtest,
            plot_bootstrap,
            plot_break_profile,
            plot_coverage,
            plot_sensitivity,
            plot_trend,
        )

        df = load_frontier_table()
        plot_trend(fit, df, path=out / "trend_compute.png",
                   title="bundled frontier table (Epoch AI, top 3 per year)")
        plot_bootstrap(fit, path=out / "bootstrap_growth.png")
        plot_backtest(bt, path=out / "backtest.png")
        plot_coverage(cov, path=out / "coverage.png")
        if full:
            rows = [("OLS 2012-2024 (bootstrap)", fit.growth, *fit.ci()),
                    ("OLS 2012-2024 (analytic)", fit.growth, *fit.ci(kind="analytic"))]
            for label, cfg in (("Huber 2012-2024", TrendConfig(method="huber")),
                               ("OLS 2016-2024", TrendConfig(start=2016)),
                               ("OLS 2012-2021", TrendConfig(end=2022))):
                f = fit_trend(df, config=cfg, rng=rng)
                rows.append((label, f.growth, *f.ci()))
            plot_sensitivity(rows, path=out / "sensitivity.png")
            s2_df, tau = _s2_data(rng)
            plot_break_profile(fit_piecewise(s2_df, n_breaks=1), path=out / "break_profile.png",
                               title=f"synthetic S2 data (planted 1.5x -> 4.5x/yr at {tau:.1f})")
    except ImportError:  # matplotlib is an optional extra
        return
