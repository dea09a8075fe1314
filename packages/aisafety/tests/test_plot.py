from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mpiis.aisafety import (
    TrendConfig,
    backtest,
    coverage,
    fit_piecewise,
    fit_trend,
    load_frontier_table,
    plot_backtest,
    plot_bootstrap,
    plot_break_profile,
    plot_coverage,
    plot_sensitivity,
    plot_trend,
)

pytest.importorskip("matplotlib")


def test_figures_are_written(tmp_path, rng):
    df = load_frontier_table()
    fit = fit_trend(df, config=TrendConfig.tiny(), rng=rng)
    plot_trend(fit, df, highlight=df.iloc[:5], path=tmp_path / "trend.png")
    plot_bootstrap(fit, path=tmp_path / "boot.png")
    plot_backtest(backtest(df, rng=np.random.default_rng(0)), path=tmp_path / "bt.png")
    plot_sensitivity([("a", 4.0, 3.5, 4.5), ("b", 5.0, 4.0, 6.0)], path=tmp_path / "s.png")
    t = np.linspace(1990, 2024, 60)
    ly = 20 + 0.1 * (t - 1990) + 0.5 * np.maximum(0, t - 2010)
    pw = fit_piecewise(pd.DataFrame({"year": t, "training_compute_flop": 10 ** ly}),
                       rng=np.random.default_rng(0))
    plot_break_profile(pw, path=tmp_path / "bp.png")
    plot_coverage(coverage(pd.DataFrame({"task": ["bbq", "mmlu"], "model": ["m", "m"]})),
                  path=tmp_path / "cov.png")
    for name in ("trend", "boot", "bt", "s", "bp", "cov"):
        assert (tmp_path / f"{name}.png").stat().st_size > 1000


def test_break_profile_needs_one_break():
    t = np.linspace(1990, 2024, 60)
    pw = fit_piecewise(pd.DataFrame({"year": t, "training_compute_flop": 10 ** (20 + 0.3 * t
                                                                                 - 600)}),
                       n_breaks="bic", rng=np.random.default_rng(0))
    assert pw.n_breaks == 0
    with pytest.raises(ValueError, match="one break"):
        plot_break_profile(pw)
