"""The benchmark suite: smoke runs, the R claims on a quirky Epoch-layout table, and the
negative controls of every GATE (a broken variant through the same claim code must fail)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mpiis.aisafety import TrendConfig, benchmark, fit_piecewise, fit_trend, load_frontier_table
from mpiis.shared.bench import ClaimResult, Context, Suite, run_suite

R_IDS = ["R0", "R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8", "R8-bic"]


def by_id(results):
    return {r.id: r for r in results}


def test_suite_declares_the_epoch_option():
    assert isinstance(benchmark.suite, Suite)
    opt = benchmark.suite.options["epoch_csv"]
    assert opt.env == "MPIIS_AISAFETY_EPOCH_CSV" and opt.default is None


def test_smoke_run_without_a_table_skips_the_r_claims(tmp_path, monkeypatch):
    monkeypatch.delenv("MPIIS_AISAFETY_EPOCH_CSV", raising=False)
    got = benchmark.suite("smoke", seed=0, out_dir=tmp_path)
    assert all(isinstance(r, ClaimResult) for r in got)
    res = by_id(got)
    for cid in ("T1", "T1-ci", "S1-err", "S1-boot", "S1-analytic", "S2", "S2-coverage",
                "S3-vs-ols"):
        assert res[cid].gate, cid
    assert not res["S3"].gate  # OLS passes the ratio too: reported, not gated
    assert res["T1"].passed and res["T1-ci"].passed
    assert res["T1"].value == pytest.approx(4.418, abs=1e-3)
    for cid in ("R0", "R1", "R8"):
        assert res[cid].status == "skipped" and "epoch_csv" in res[cid].skipped
    assert res["P1"].status == "skipped"  # not run at smoke
    assert (tmp_path / "trend_compute.png").exists()


def test_the_whole_r_suite_runs_on_the_quirky_table(quirky_epoch, tmp_path, monkeypatch):
    """The issue's acceptance run, at smoke size: every R claim runs to the end on a table
    with every quirk, the drop counts are in the JSON, and the env alias works too."""
    monkeypatch.delenv("MPIIS_AISAFETY_EPOCH_CSV", raising=False)
    rep = run_suite("aisafety", benchmark.suite, "smoke", out_dir=tmp_path,
                    options={"epoch_csv": str(quirky_epoch["path"])})
    res = by_id(rep.results)
    for cid in R_IDS:
        assert res[cid].status not in ("errored", "skipped"), (cid, res[cid])
    doc = json.loads((tmp_path / "aisafety.json").read_text())
    r0 = {c["id"]: c for c in doc["claims"]}["R0"]["details"]
    planted = quirky_epoch["planted"]
    drops = r0["dropped_per_fit"]["compute, all 2010-2024"]
    assert drops["no publication date"] == len(planted["no publication date"])
    assert drops["unparseable publication date"] == 1
    assert drops["value <= 0"] == len(planted["value <= 0 (training_compute_flop)"])
    assert drops["unparseable value"] == 1 and drops["missing value"] > 50
    lang = r0["dropped_per_fit"]["dataset size, language 2010-2024"]
    assert lang["value <= 0"] == len(planted["value <= 0 (dataset_size)"])
    assert r0["load_issues_by_reason"]["wrong number of fields"] == 1
    assert res["R1"].details["dropped"] == {"no publication date": 1}
    r8 = res["R8"].details
    assert r8["bic_choice"]["n_breaks"] in (0, 1, 2) and len(r8["interval"]) == 2
    monkeypatch.setenv("MPIIS_AISAFETY_EPOCH_CSV", str(quirky_epoch["path"]))
    assert benchmark.suite.resolve_options()["epoch_csv"] == str(quirky_epoch["path"])


def test_r_claims_on_the_newer_layout(quirky_epoch_newer):
    ctx = Context("smoke", 0, None, {"epoch_csv": str(quirky_epoch_newer["path"])})
    res = []
    for fn in (benchmark._r0, benchmark._r1, benchmark._r2, benchmark._r3, benchmark._r4,
               benchmark._r5, benchmark._r6, benchmark._r7, benchmark._r8):
        got = fn(ctx)
        res += got if isinstance(got, list) else [got]
    res = by_id(res)
    for cid in R_IDS:
        assert res[cid].status not in ("errored", "skipped"), (cid, res[cid])
    assert res["R0"].details["columns_used"]["dataset_size"] == "Training dataset size (total)"


def test_bad_preset():
    with pytest.raises(ValueError, match="preset"):
        benchmark.suite("huge")


# ------------------------------------------------------------------ negative controls


def test_t1_negative_control():
    """T1 with the dates shuffled (compute values detached from their years) must fail."""
    df = load_frontier_table()
    good, _ = benchmark.t1_results(df, 200, np.random.default_rng(0))
    assert all(r.passed for r in good)
    bad = df.copy()
    perm = np.random.default_rng(1).permutation(len(df))
    bad[["publication_date", "year"]] = df[["publication_date", "year"]].to_numpy()[perm]
    res, _ = benchmark.t1_results(bad, 200, np.random.default_rng(0))
    assert not any(r.passed for r in res)


def _shuffled_years_fit(df, *args, **kw):
    d = df.copy()
    d["year"] = np.random.default_rng(0).permutation(d["year"].to_numpy())
    return fit_trend(d, *args, **kw)


def test_s1_negative_control():
    res = benchmark.s1_results(20, 200, np.random.default_rng(0), fit=_shuffled_years_fit)
    assert not any(r.passed for r in res)


def test_s2_negative_control():
    """Years shuffled before the break search: the break is not located, nor covered."""
    def broken(df, **kw):
        d = df.copy()
        d["year"] = np.random.default_rng(0).permutation(d["year"].to_numpy())
        return fit_piecewise(d, **kw)

    res = by_id(benchmark.s2_results([np.random.default_rng(k) for k in range(3)], 8, 100,
                                     fit=broken))
    assert not res["S2"].passed
    # with the signal gone the calibrated interval widens rather than lying (no false
    # coverage failure); the coverage gate's own control is the mislabelled level below
    assert res["S2-coverage"].details["median_interval_width_years"] > 5


def test_s2_coverage_negative_control():
    """A 50% interval passed off as 95% must fail the coverage gate."""
    def narrow(df, **kw):
        return fit_piecewise(df, level=0.5, **kw)

    res = by_id(benchmark.s2_results([np.random.default_rng(k) for k in range(3)], 15, 100,
                                     fit=narrow))
    assert res["S2"].passed and not res["S2-coverage"].passed


def test_s3_negative_control():
    """OLS in place of Huber: not better than OLS on contaminated data."""
    res = by_id(benchmark.s3_results(60, np.random.default_rng(0), robust="ols"))
    assert not res["S3-vs-ols"].passed
    # the ratio to clean OLS is near its 1.5 threshold even for OLS (1.27 in the recorded
    # run, 1.56 here): it does not separate robust from non-robust fits, so it is REPORTED
    assert 1.1 < res["S3"].value < 2.0 and not res["S3"].gate


def test_p1_baseline_computes_the_same_slopes():
    r = np.random.default_rng(0)
    t = r.uniform(2010, 2024, 50)
    ly = 20 + 0.5 * (t - 2010) + r.normal(0, 0.5, 50)
    fit = fit_trend(benchmark._table(t, ly), config=TrendConfig(n_boot=300),
                    rng=np.random.default_rng(4))
    slopes = benchmark.numpy_bootstrap_slopes(t, ly, 300, np.random.default_rng(4))
    np.testing.assert_allclose(np.sort(slopes), np.sort(fit.boot_slopes), rtol=1e-9)


def test_help_lists_the_epoch_option(capsys):
    from mpiis.shared.bench import main

    assert main(["aisafety", "--help"]) == 0
    out = capsys.readouterr().out
    assert "epoch_csv=<str>" in out and "MPIIS_AISAFETY_EPOCH_CSV" in out
