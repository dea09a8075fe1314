from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mpiis.aisafety import (
    DroppedRowsWarning,
    InsufficientDataError,
    PiecewiseFit,
    TrendConfig,
    TrendFit,
    fit_piecewise,
    fit_trend,
    load_frontier_table,
)
from mpiis.shared.testing import (
    assert_same_output,
    check_deterministic,
    check_refuses_nonfinite,
    check_save_load,
)


def synth(n=100, g=3.0, sigma=0.5, seed=0, lo=2010.0, hi=2024.0):
    r = np.random.default_rng(seed)
    t = r.uniform(lo, hi, n)
    ly = 20 + math.log10(g) * (t - 2010) + r.normal(0, sigma, n)
    return pd.DataFrame({"model": [f"m{i}" for i in range(n)], "year": t,
                         "training_compute_flop": 10 ** ly})


def test_bundled_table_pinned_reference_values(rng):
    # brief, "Data": n = 38, OLS 4.418x/yr, analytic 95% CI 3.829-5.098, doubling 5.6 months,
    # residual SD 0.715 dex, Huber 4.46x/yr
    fit = fit_trend(load_frontier_table(), config=TrendConfig(start=2012), rng=rng)
    assert fit.n == 38
    assert fit.growth == pytest.approx(4.418, abs=1e-3)
    lo, hi = fit.ci(kind="analytic")
    assert (lo, hi) == (pytest.approx(3.829, abs=1e-3), pytest.approx(5.098, abs=1e-3))
    assert fit.doubling_months == pytest.approx(5.6, abs=0.05)
    assert fit.residual_sd_dex == pytest.approx(0.715, abs=1e-3)
    blo, bhi = fit.ci()
    assert 3.8 < blo < 4.0 and 4.8 < bhi < 5.0  # ref. ~3.91-4.88 at B = 2000
    hub = fit_trend(load_frontier_table(), config=TrendConfig.tiny(method="huber"), rng=rng)
    assert hub.growth == pytest.approx(4.46, abs=0.01)


def test_ols_parity_with_scipy_linregress(rng):
    df = synth(80, seed=3)
    fit = fit_trend(df, config=TrendConfig.tiny(), rng=rng)
    ref = stats.linregress(df["year"], np.log10(df["training_compute_flop"]))
    assert fit.slope_dex == pytest.approx(ref.slope, rel=1e-10)
    se = fit.residual_sd_dex / math.sqrt(fit.sxx)
    assert se == pytest.approx(ref.stderr, rel=1e-10)


def test_huber_parity_with_statsmodels_rlm(rng):
    sm = pytest.importorskip("statsmodels.api")
    df = synth(100, seed=4)
    ly = np.log10(df["training_compute_flop"].to_numpy())
    ly[:5] += 3.0
    df["training_compute_flop"] = 10 ** ly
    fit = fit_trend(df, config=TrendConfig.tiny(method="huber"), rng=rng)
    X = sm.add_constant(df["year"].to_numpy() - df["year"].mean())
    ref = sm.RLM(ly, X, M=sm.robust.norms.HuberT(1.345)).fit(tol=1e-12, maxiter=300)
    assert fit.slope_dex == pytest.approx(ref.params[1], rel=1e-6)


def test_huber_resists_an_outlier_that_moves_ols(rng):
    df = synth(60, seed=5, sigma=0.2)
    ly = np.log10(df["training_compute_flop"].to_numpy())
    late = np.argsort(df["year"].to_numpy())[-3:]
    ly[late] -= 4.0
    df["training_compute_flop"] = 10 ** ly
    ols = fit_trend(df, config=TrendConfig.tiny(), rng=rng)
    hub = fit_trend(df, config=TrendConfig.tiny(method="huber"), rng=rng)
    b = math.log10(3.0)
    assert abs(hub.slope_dex - b) < abs(ols.slope_dex - b) / 3


def test_shapes_and_prediction_interval_formula(rng):
    df = synth(50)
    fit = fit_trend(df, config=TrendConfig.tiny(), rng=rng)
    assert fit.boot_slopes.shape == (200,)
    p = fit.predict([2012.0, 2020.0, 2030.0])
    assert p.mean_dex.shape == (3,) and p.level == 0.8
    t0 = 2030.0
    lev = 1 / fit.n + (t0 - fit.t_mean) ** 2 / fit.sxx
    half = stats.t.ppf(0.9, fit.n - 2) * fit.residual_sd_dex * math.sqrt(1 + lev)
    assert p.high_dex[2] - p.mean_dex[2] == pytest.approx(half, rel=1e-12)
    m = fit.predict(t0, interval="mean")
    assert m.high_dex[0] - m.low_dex[0] < p.high_dex[2] - p.low_dex[2]
    assert "not a prediction of capability" in fit.summary()


def test_planted_growth_is_recovered(rng):
    fit = fit_trend(synth(400, g=5.0, sigma=0.3), config=TrendConfig.tiny(), rng=rng)
    assert fit.growth == pytest.approx(5.0, rel=0.05)
    lo, hi = fit.ci()
    assert lo < 5.0 < hi


def test_deterministic_for_a_given_generator():
    df = synth(40)

    def run(seed):
        return fit_trend(df, config=TrendConfig.tiny(), rng=np.random.default_rng(seed)).boot_slopes

    check_deterministic(run)


def test_save_load_round_trip(tmp_path, rng):
    fit = fit_trend(synth(40), config=TrendConfig.tiny(method="huber"), rng=rng)
    loaded = check_save_load(fit, lambda f: (f.predict([2011.5, 2026.0]).high_dex, f.ci(),
                                             f.growth), tmp_path / "fit.json")
    assert isinstance(loaded, TrendFit)
    assert_same_output(loaded.boot_slopes, fit.boot_slopes)


def test_missing_values_dropped_and_counted(rng):
    df = synth(30)
    df.loc[[1, 2, 3], "training_compute_flop"] = np.nan
    with pytest.warns(DroppedRowsWarning, match=r"3 missing value \(m1, m2, m3\)"):
        fit = fit_trend(df, config=TrendConfig.tiny(), rng=rng)
    assert (fit.n, fit.n_dropped) == (27, 3)
    assert fit.dropped["missing value"] == ("m1", "m2", "m3")


def test_window_is_half_open(rng):
    df = pd.DataFrame({"year": [2010.0, 2011.0, 2012.0, 2013.0, 2014.0, 2015.0],
                       "training_compute_flop": [1e20, 3e20, 9e20, 2e21, 8e21, 1e22]})
    fit = fit_trend(df, config=TrendConfig.tiny(start=2010, end=2015), rng=rng)
    assert fit.n == 5


def test_bootstrap_redraws_zero_variance_resamples(rng):
    df = pd.DataFrame({"year": [2010.0] * 4 + [2011.0],
                       "training_compute_flop": [1e20, 2e20, 3e20, 4e20, 1e21]})
    fit = fit_trend(df, config=TrendConfig.tiny(), rng=rng)
    assert fit.n_redrawn > 0 and any("redrawn" in w for w in fit.warnings)
    assert np.isfinite(fit.boot_slopes).all()


# --------------------------------------------------------------------------- validation


def test_unknown_column_lists_available(rng):
    with pytest.raises(KeyError, match="available"):
        fit_trend(synth(20), "flops", rng=rng)


def test_too_few_rows(rng):
    with pytest.raises(InsufficientDataError, match=r"need >= 5 rows .* got 3"):
        fit_trend(synth(3), config=TrendConfig.tiny(), rng=rng)


@pytest.mark.parametrize("bad", [0.0, -1.0, -np.inf])
def test_nonpositive_values_are_dropped_counted_and_named(bad, rng):
    df = synth(20)
    df.loc[4, "training_compute_flop"] = bad
    with pytest.warns(DroppedRowsWarning, match=r"1 value <= 0 \(m4\)"):
        fit = fit_trend(df, config=TrendConfig.tiny(), rng=rng)
    assert fit.n == 19 and fit.n_dropped == 1
    assert fit.dropped["value <= 0"] == ("m4",)
    ref = fit_trend(df.drop(index=4), config=TrendConfig.tiny(), rng=np.random.default_rng(0))
    assert fit.slope_dex == pytest.approx(ref.slope_dex, rel=1e-12)


def test_infinite_and_undated_rows_are_dropped(rng):
    df = synth(20)
    df.loc[2, "training_compute_flop"] = np.inf
    df.loc[7, "year"] = np.nan
    df.loc[9, "training_compute_flop"] = np.nan
    with pytest.warns(DroppedRowsWarning) as rec:
        fit = fit_trend(df, config=TrendConfig.tiny(), rng=rng)
    assert len(rec) == 1  # one warning per fit
    assert fit.drop_counts() == {"non-finite value": 1, "no publication date": 1,
                                 "missing value": 1}
    assert fit.n == 17 and "3 dropped" in fit.summary()


def test_too_few_rows_is_a_typed_error(rng):
    df = synth(8)
    df.loc[:3, "training_compute_flop"] = 0.0
    with pytest.raises(InsufficientDataError, match=r"need >= 5 rows .* got 4 \(4 dropped"):
        fit_trend(df, config=TrendConfig.tiny(), rng=rng)


def test_prediction_refuses_nonfinite_years(rng):
    fit = fit_trend(synth(20), config=TrendConfig.tiny(), rng=rng)
    check_refuses_nonfinite(lambda t: fit.predict(t), np.array([2020.0, 2021.0]), match="`t`")


def test_zero_variance_in_t(rng):
    df = pd.DataFrame({"year": [2015.0] * 6, "training_compute_flop": np.arange(1, 7) * 1e20})
    with pytest.raises(ValueError, match="zero variance"):
        fit_trend(df, config=TrendConfig.tiny(), rng=rng)


def test_config_validation():
    with pytest.raises(ValueError, match="`start`"):
        TrendConfig(start=2020, end=2010)
    with pytest.raises(ValueError, match="ci_level"):
        TrendConfig(ci_level=1.0)
    with pytest.raises(ValueError, match="pi_level"):
        TrendConfig(pi_level=0.0)
    with pytest.raises(ValueError, match="n_boot"):
        TrendConfig(n_boot=50)
    with pytest.raises(ValueError, match="method"):
        TrendConfig(method="lad")
    with pytest.raises(TypeError, match="start"):
        TrendConfig(start="2010")


def test_rng_must_be_a_generator():
    with pytest.raises(TypeError, match="rng"):
        fit_trend(synth(20), config=TrendConfig.tiny(), rng=0)


def test_analytic_interval_is_ols_only(rng):
    fit = fit_trend(synth(20), config=TrendConfig.tiny(method="huber"), rng=rng)
    with pytest.raises(ValueError, match="analytic"):
        fit.ci(kind="analytic")
    with pytest.raises(ValueError, match="level"):
        fit.ci(1.5)


def test_huber_nonconvergence_raises(monkeypatch, rng):
    import mpiis.aisafety._trends as tr

    monkeypatch.setattr(tr, "HUBER_MAX_ITER", 1)
    df = synth(50)
    ly = np.log10(df["training_compute_flop"].to_numpy())
    ly[:5] += 3
    df["training_compute_flop"] = 10 ** ly
    with pytest.raises(RuntimeError, match=r"did not converge.*last step"):
        fit_trend(df, config=TrendConfig.tiny(method="huber"), rng=rng)


def test_huber_zero_mad_falls_back_with_a_warning(rng):
    t = np.arange(2010.0, 2018.0)
    # an exact line (powers of ten): every residual is 0, so the MAD is 0
    df = pd.DataFrame({"year": t, "training_compute_flop": [10.0 ** k for k in range(20, 28)]})
    fit = fit_trend(df, config=TrendConfig.tiny(method="huber"), rng=rng)
    assert any("MAD" in w for w in fit.warnings)
    assert np.isfinite(fit.slope_dex)


# --------------------------------------------------------------------------- breakpoints


def hinge(n=200, tau=2010.0, seed=0, sigma=0.3):
    r = np.random.default_rng(seed)
    t = r.uniform(1990, 2024, n)
    b1, b2 = math.log10(1.5), math.log10(4.5)
    ly = 20 + b1 * (t - tau) + (b2 - b1) * np.maximum(0, t - tau) + r.normal(0, sigma, n)
    return pd.DataFrame({"year": t, "training_compute_flop": 10 ** ly})


def test_one_break_located_with_interval():
    fit = fit_piecewise(hinge(tau=2009.3), n_breaks=1, rng=np.random.default_rng(0))
    assert abs(fit.breaks[0] - 2009.3) < 1.0
    lo, hi = fit.break_intervals[0]
    assert lo < fit.breaks[0] < hi and hi - lo < 3.0
    assert fit.interval_method == "lr" and fit.boot_breaks.shape == (500, 1)
    assert 1.0 < fit.lr_cutoff < 10.0
    assert fit.growth_by_segment[0] == pytest.approx(1.5, rel=0.1)
    assert fit.growth_by_segment[1] == pytest.approx(4.5, rel=0.1)
    assert fit.profile["grid"].shape == fit.profile["rss"].shape
    assert np.allclose(np.diff(fit.profile["grid"]), 0.1)


def test_hinge_rss_matches_lstsq():
    df = hinge(80, seed=2)
    fit = fit_piecewise(df, n_breaks=1, rng=np.random.default_rng(0))
    t = df["year"].to_numpy()
    y = np.log10(df["training_compute_flop"].to_numpy())
    tau = fit.breaks[0]
    for g, r in zip(fit.profile["grid"][::7], fit.profile["rss"][::7], strict=True):
        X = np.column_stack([np.ones_like(t), t - g, np.maximum(0, t - g)])
        assert r == pytest.approx(float(np.linalg.lstsq(X, y, rcond=None)[1][0]), rel=1e-9)
    X = np.column_stack([np.ones_like(t), t - tau, np.maximum(0, t - tau)])
    beta, rss, *_ = np.linalg.lstsq(X, y, rcond=None)
    assert fit.rss == pytest.approx(float(rss[0]), rel=1e-9)
    assert_same_output(np.array(fit.coef), beta, rtol=1e-8)


def test_bic_prefers_no_break_on_a_straight_line():
    fit = fit_piecewise(synth(150, sigma=0.5, seed=9), n_breaks="bic", rng=np.random.default_rng(0))
    assert fit.n_breaks == 0 and set(fit.bic) == {0, 1, 2}
    bent = fit_piecewise(hinge(seed=1), n_breaks="bic", rng=np.random.default_rng(0))
    assert bent.n_breaks >= 1


def test_two_breaks():
    r = np.random.default_rng(3)
    t = r.uniform(1990, 2024, 240)
    ly = 20 + 0.1 * (t - 1990) + 0.5 * np.maximum(0, t - 2002) - 0.45 * np.maximum(0, t - 2014)
    df = pd.DataFrame({"year": t, "training_compute_flop": 10 ** (ly + r.normal(0, 0.1, 240))})
    fit = fit_piecewise(df, n_breaks=2, rng=np.random.default_rng(0))
    assert fit.breaks[0] == pytest.approx(2002, abs=1.0)
    assert fit.breaks[1] == pytest.approx(2014, abs=1.0)
    for b, (lo, hi) in zip(fit.breaks, fit.break_intervals, strict=True):
        assert lo < b < hi
    X = np.column_stack([np.ones_like(t), t - fit.breaks[0], np.maximum(0, t - fit.breaks[0]),
                         np.maximum(0, t - fit.breaks[1])])
    y = np.log10(df["training_compute_flop"].to_numpy())
    assert fit.rss == pytest.approx(float(np.linalg.lstsq(X, y, rcond=None)[1][0]), rel=1e-9)
    assert fit.profile["rss"].min() == pytest.approx(fit.rss, rel=1e-9)
    assert len(fit.growth_by_segment) == 3


def test_piecewise_save_load(tmp_path):
    fit = fit_piecewise(hinge(60, seed=4), n_breaks=1, rng=np.random.default_rng(0),
                        n_boot=100)
    loaded = check_save_load(fit, lambda f: f.predict([1995.0, 2020.0]), tmp_path / "pw.json")
    assert isinstance(loaded, PiecewiseFit)
    assert loaded.break_intervals == fit.break_intervals
    np.testing.assert_array_equal(loaded.boot_breaks, fit.boot_breaks)


def test_break_interval_is_deterministic_and_percentile_variant():
    df = hinge(120, seed=5, sigma=0.5)
    a = fit_piecewise(df, rng=np.random.default_rng(3), n_boot=200)
    b = fit_piecewise(df, rng=np.random.default_rng(3), n_boot=200)
    assert a.break_intervals == b.break_intervals
    p = fit_piecewise(df, rng=np.random.default_rng(3), n_boot=200, interval="percentile")
    lo, hi = np.quantile(p.boot_breaks[:, 0], [0.025, 0.975])
    assert p.break_intervals[0] == (pytest.approx(lo - 0.05), pytest.approx(hi + 0.05))


def test_piecewise_drops_and_counts(rng):
    df = hinge(80, seed=7)
    df.loc[3, "training_compute_flop"] = 0.0
    with pytest.warns(DroppedRowsWarning, match="value <= 0"):
        fit = fit_piecewise(df, rng=rng, n_boot=100)
    assert fit.n == 79 and fit.n_dropped == 1


def test_piecewise_validation(rng):
    with pytest.raises(ValueError, match="n_breaks"):
        fit_piecewise(hinge(), n_breaks=3, rng=rng)
    with pytest.raises(InsufficientDataError, match=r"need >= 20 rows"):
        fit_piecewise(hinge(15), n_breaks=1, rng=rng)
    with pytest.raises(InsufficientDataError, match=r"need >= 30 rows"):
        fit_piecewise(hinge(25), n_breaks=2, rng=rng)
    with pytest.raises(TypeError, match="rng"):
        fit_piecewise(hinge(), rng=0)
    with pytest.raises(ValueError, match="n_boot"):
        fit_piecewise(hinge(), rng=rng, n_boot=10)
    with pytest.raises(ValueError, match="level"):
        fit_piecewise(hinge(), rng=rng, level=1.5)
    with pytest.raises(ValueError, match="interval"):
        fit_piecewise(hinge(), rng=rng, interval="chi2")
    same = pd.DataFrame({"year": [2000.0] * 12 + [2000.05] * 12,
                         "training_compute_flop": np.arange(1, 25) * 1e20})
    with pytest.raises(InsufficientDataError, match="too short"):
        fit_piecewise(same, n_breaks=1, rng=rng)
    with pytest.raises(ValueError, match="`start`"):
        fit_piecewise(hinge(), start=2020, end=2000, rng=rng)


def test_common_bad_input_checks(rng):
    from mpiis.shared.testing import check_refuses_bad_input

    df = synth(20)
    check_refuses_bad_input(
        lambda d: fit_trend(d, config=TrendConfig.tiny(), rng=rng),
        {"array instead of a frame": df.to_numpy(), "list": [1, 2, 3],
         "string quantity": df.assign(training_compute_flop="big")},
    )


def test_break_agrees_with_ruptures():
    """ruptures' discontinuous linear Dynp finds the break within a year of our hinge."""
    ruptures = pytest.importorskip("ruptures")
    df = hinge(200, tau=2008.0, seed=6, sigma=0.5).sort_values("year")
    ours = fit_piecewise(df, n_breaks=1, rng=np.random.default_rng(0))
    t = df["year"].to_numpy()
    y = np.log10(df["training_compute_flop"].to_numpy())
    sig = np.column_stack([y, np.ones_like(t), t])
    bk = ruptures.Dynp(model="linear", min_size=10, jump=1).fit(sig).predict(n_bkps=1)[0]
    assert abs(t[bk] - ours.breaks[0]) <= 1.0


def test_save_load_keeps_the_dropped_rows(tmp_path, rng):
    df = synth(30)
    df.loc[[2, 5], "training_compute_flop"] = [0.0, np.nan]
    with pytest.warns(DroppedRowsWarning):
        fit = fit_trend(df, config=TrendConfig.tiny(), rng=rng)
    fit.save(tmp_path / "f.json")
    loaded = TrendFit.load(tmp_path / "f.json")
    assert loaded.dropped == {k: v for k, v in fit.dropped.items()}
    assert loaded.drop_counts() == {"value <= 0": 1, "missing value": 1}
