"""Side-by-side checks of mpiis.aisafety against the tools its users would otherwise use.

    uv run --no-sync python benchmarks/peers/aisafety/peers.py [--out DIR]

- scipy.stats.linregress and statsmodels OLS: slope and SE parity (<= 1e-10 relative);
- statsmodels RLM with HuberT(1.345) and MAD scale: slope parity (<= 1e-6 relative);
- speed: the vectorised pairs bootstrap (B = 2000, n = 1000) vs a Python loop of statsmodels
  OLS fits, as a ratio measured in the same process;
- ruptures Dynp (model "linear", one break), when installed: break year within +/-1 year of
  ours (its segments are discontinuous, ours is a continuous hinge);
- jsonschema: our validator is jsonschema's Draft 2020-12 validator (issue #15); this counts
  the shipped records it accepts and checks every schema is a valid 2020-12 schema;
- ai-atlas-nexus, when installed: MIT subdomain ids and labels (not run here: not installed).
Writes results.json next to this script (or into --out).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from mpiis.aisafety import (
    TrendConfig,
    fit_piecewise,
    fit_trend,
    json_schema,
    load_frontier_table,
)
from mpiis.aisafety._schema import DATA_DIR


def synth(n, seed, g=3.0, sigma=0.7):
    r = np.random.default_rng(seed)
    t = r.uniform(2010, 2024, n)
    ly = 20 + math.log10(g) * (t - 2010) + r.normal(0, sigma, n)
    return pd.DataFrame({"year": t, "training_compute_flop": 10 ** ly})


def parity_ols(out):
    import statsmodels.api as sm

    worst = 0.0
    for k, df in enumerate([load_frontier_table(), synth(100, 1), synth(1000, 2)]):
        fit = fit_trend(df, config=TrendConfig(start=2010, n_boot=100),
                        rng=np.random.default_rng(k))
        t = df["year"].to_numpy()
        y = np.log10(df["training_compute_flop"].to_numpy())
        lr = stats.linregress(t, y)
        ols = sm.OLS(y, sm.add_constant(t)).fit()
        se = fit.residual_sd_dex / math.sqrt(fit.sxx)
        for ref_b, ref_se in ((lr.slope, lr.stderr), (ols.params[1], ols.bse[1])):
            worst = max(worst, abs(fit.slope_dex / ref_b - 1), abs(se / ref_se - 1))
    out["ols_parity_max_rel_diff"] = worst
    out["ols_parity_ok"] = bool(worst <= 1e-10)


def parity_huber(out):
    import statsmodels.api as sm

    worst = 0.0
    for k in range(5):
        df = synth(100, 10 + k)
        y = np.log10(df["training_compute_flop"].to_numpy())
        y[:5] += 3.0 * np.sign(np.random.default_rng(k).normal(size=5))
        df["training_compute_flop"] = 10 ** y
        fit = fit_trend(df, config=TrendConfig(method="huber", n_boot=100),
                        rng=np.random.default_rng(k))
        X = sm.add_constant(df["year"].to_numpy() - df["year"].mean())
        ref = sm.RLM(y, X, M=sm.robust.norms.HuberT(1.345)).fit(tol=1e-12, maxiter=500)
        worst = max(worst, abs(fit.slope_dex / ref.params[1] - 1))
    out["huber_parity_max_rel_diff"] = worst
    out["huber_parity_ok"] = bool(worst <= 1e-6)


def speed(out):
    import statsmodels.api as sm

    df = synth(1000, 3)
    t = df["year"].to_numpy()
    y = np.log10(df["training_compute_flop"].to_numpy())
    rng = np.random.default_rng(0)
    fast = []
    for _ in range(3):
        t0 = time.perf_counter()
        fit_trend(df, config=TrendConfig(n_boot=2000), rng=rng)
        fast.append(time.perf_counter() - t0)
    idx = rng.integers(0, 1000, size=(2000, 1000))
    X = sm.add_constant(t - t.mean())
    t0 = time.perf_counter()
    for row in idx:
        sm.OLS(y[row], X[row]).fit()
    slow = time.perf_counter() - t0
    out["bootstrap_seconds"] = min(fast)
    out["statsmodels_loop_seconds"] = slow
    out["bootstrap_speedup"] = slow / min(fast)
    out["bootstrap_under_0.5s"] = bool(min(fast) < 0.5)


def breaks(out):
    try:
        import ruptures
    except ImportError:
        out["ruptures"] = "not installed"
        return
    r = np.random.default_rng(4)
    diffs, err_ours, err_rpt = [], [], []
    for _ in range(20):
        t = np.sort(r.uniform(1990, 2024, 200))
        tau = r.uniform(2005, 2015)
        b1, b2 = math.log10(1.5), math.log10(4.5)
        ly = 20 + b1 * (t - tau) + (b2 - b1) * np.maximum(0, t - tau) + r.normal(0, 0.7, 200)
        ours = fit_piecewise(pd.DataFrame({"year": t, "training_compute_flop": 10 ** ly}),
                             rng=np.random.default_rng(0), n_boot=100)
        sig = np.column_stack([ly, np.ones_like(t), t])
        bk = ruptures.Dynp(model="linear", min_size=10, jump=1).fit(sig).predict(n_bkps=1)[0]
        diffs.append(abs(t[bk] - ours.breaks[0]))
        err_ours.append(abs(ours.breaks[0] - tau))
        err_rpt.append(abs(t[bk] - tau))
    import importlib.metadata as md

    out["ruptures"] = f"ruptures {md.version('ruptures')}, Dynp(model='linear', min_size=10)"
    out["ruptures_median_abs_diff_years"] = float(np.median(diffs))
    out["ruptures_share_within_1y"] = float(np.mean(np.array(diffs) <= 1.0))
    # against the planted break: the continuous hinge (ours) vs ruptures' discontinuous fit
    out["median_abs_error_years_ours"] = float(np.median(err_ours))
    out["median_abs_error_years_ruptures"] = float(np.median(err_rpt))


def schema(out):
    import jsonschema

    checks = {"taxonomy": ("nodes", "risk_node"), "claims": ("claims", "claim"),
              "crosswalk": ("entries", "crosswalk"), "evalmap": ("tasks", "eval_task")}
    n = bad = 0
    for folder, (key, kind) in checks.items():
        jsonschema.Draft202012Validator.check_schema(json_schema(kind))
        v = jsonschema.Draft202012Validator(json_schema(kind))
        for p in (DATA_DIR / folder).glob("*.json"):
            for rec in json.loads(p.read_text())[key]:
                n += 1
                bad += bool(list(v.iter_errors(rec)))
    out["jsonschema_records"] = n
    out["jsonschema_disagreements"] = bad


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=Path(__file__).parent)
    args = ap.parse_args()
    out: dict = {}
    for fn in (parity_ols, parity_huber, speed, breaks, schema):
        fn(out)
    try:
        import ai_atlas_nexus  # noqa: F401
        out["ai_atlas_nexus"] = "installed: compare MIT ids by hand (not automated yet)"
    except ImportError:
        out["ai_atlas_nexus"] = "not installed"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
