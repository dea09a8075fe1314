from __future__ import annotations

import numpy as np
import pytest

from mpiis.aisafety import (
    DroppedRowsWarning,
    InsufficientDataError,
    TrendConfig,
    backtest,
    extrapolate_ratio,
    fit_trend,
    load_frontier_table,
)


def test_backtest_reference_values():
    # brief: train < 2022 n = 29, 5.02x/yr; test n = 9, covers 9/9, median residual -0.76 dex
    bt = backtest(load_frontier_table(), rng=np.random.default_rng(0))
    assert (bt.n_train, bt.n_test) == (29, 9)
    assert bt.train_growth == pytest.approx(5.02, abs=0.01)
    assert bt.coverage == 1.0
    assert bt.median_residual_dex == pytest.approx(-0.76, abs=0.01)
    assert bt.median_abs_error_dex == pytest.approx(0.76, abs=0.01)
    assert set(bt.table.columns) >= {"model", "predicted_dex", "inside", "residual_dex"}
    lo, hi = bt.train_growth_ci
    assert lo < bt.train_growth < hi


def test_backtest_randomness_is_explicit_and_drops_are_counted():
    df = load_frontier_table()
    a = backtest(df, rng=np.random.default_rng(1))
    b = backtest(df, rng=np.random.default_rng(1))
    assert a.train_growth_ci == b.train_growth_ci
    with pytest.raises(TypeError, match="rng"):
        backtest(df, rng=None)
    df.loc[df.index[-1], "training_compute_flop"] = 0.0  # a test-window row
    df.loc[df.index[0], "year"] = np.nan
    with pytest.warns(DroppedRowsWarning):
        c = backtest(df, rng=np.random.default_rng(1))
    assert c.n_test == 8
    assert {k: len(v) for k, v in c.dropped.items() if v} == {"value <= 0": 1,
                                                             "no publication date": 1}


def test_backtest_too_few_training_rows_is_a_typed_error():
    with pytest.raises(InsufficientDataError, match="need >= 5 rows"):
        backtest(load_frontier_table(), start=2021.0, train_end=2022.0,
                 rng=np.random.default_rng(0))


def test_rolling_backtest_sums_test_rows():
    bt = backtest(load_frontier_table(), rolling=True, rng=np.random.default_rng(0))
    assert bt.rolling and bt.n_test > 9
    assert sorted(bt.table["train_end"].unique()) == [2016.0 + k for k in range(7)]


def test_extrapolate_ratio_c2(rng):
    fit = fit_trend(load_frontier_table(), config=TrendConfig(start=2012), rng=rng)
    r = extrapolate_ratio(fit, 2024.0, 2027.0)
    assert r.value == pytest.approx(fit.growth ** 3)
    lo, hi = fit.ci()
    assert (r.low, r.high) == (pytest.approx(lo ** 3), pytest.approx(hi ** 3))
    assert r.contains(100.0)  # ref. 86 [60, 116]
    r30 = extrapolate_ratio(fit, 2024.0, 2030.0)
    assert r30.contains(1e4) and "not a prediction" in str(r30)


def test_validation(rng):
    df = load_frontier_table()
    with pytest.raises(ValueError, match="horizon"):
        backtest(df, horizon=0.0, rng=rng)
    with pytest.raises(ValueError, match="train_end"):
        backtest(df, start=2022.0, train_end=2020.0, rng=rng)
    with pytest.raises(ValueError, match="level"):
        backtest(df, level=1.2, rng=rng)
    with pytest.raises(ValueError, match="no rows"):
        backtest(df, train_end=2030.0, rng=rng)
    fit = fit_trend(df, config=TrendConfig.tiny(), rng=rng)
    with pytest.raises(ValueError, match="to_year"):
        extrapolate_ratio(fit, 2030.0, 2020.0)
    with pytest.raises(TypeError, match="fit"):
        extrapolate_ratio("fit", 2024.0, 2027.0)
