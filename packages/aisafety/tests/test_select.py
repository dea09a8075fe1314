from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mpiis.aisafety import (
    by_domain,
    frontier_flag,
    load_notable_models,
    residual_above_trend,
    top_k_at_release,
    top_n_per_year,
)


def table(values, years, domains=None):
    return pd.DataFrame({"model": [f"m{i}" for i in range(len(values))], "year": years,
                         "training_compute_flop": values,
                         "domain": domains or ["Language"] * len(values),
                         "frontier": [i % 2 == 0 for i in range(len(values))]})


def test_top_k_at_release_by_hand():
    # years increase; k = 2: the first two rows are kept (fewer than 2 predecessors)
    df = table([5.0, 1.0, 3.0, 0.5, 6.0, 4.0, 4.0], [2010, 2011, 2012, 2013, 2014, 2015, 2015.0])
    out = top_k_at_release(df, k=2)
    # row 2: history {5, 1}, 2nd largest 1 -> 3 >= 1 kept; row 3: {5, 3} -> 0.5 < 3 dropped;
    # row 4: 6 >= 3 kept; rows 5, 6 (same day): history {6, 5} -> 4 < 5 dropped
    assert list(out["model"]) == ["m0", "m1", "m2", "m4"]
    assert "top_k_at_release(k=2)" in out.attrs["selection"]


def test_top_k_keeps_history_outside_window():
    df = table([10.0, 9.0, 1.0], [2005.0, 2006.0, 2011.0])
    assert list(top_k_at_release(df, k=2)["model"]) == ["m0", "m1"]


def test_top_n_per_year():
    df = table([1, 5, 3, 2, 8, 7], [2010.1, 2010.5, 2010.9, 2011.2, 2011.3, 2011.4])
    out = top_n_per_year(df, n=2)
    assert sorted(out["model"]) == ["m1", "m2", "m4", "m5"]


def test_residual_above_trend():
    r = np.random.default_rng(0)
    t = np.linspace(2010, 2024, 40)
    df = table(10 ** (20 + 0.5 * (t - 2010) + r.normal(0, 0.3, 40)), t)
    out = residual_above_trend(df, q=0.75)
    assert len(out) == 10
    assert "residual_above_trend(q=0.75)" in out.attrs["selection"]


def test_by_domain_and_flag(epoch_csv):
    df = load_notable_models(epoch_csv)
    lang = by_domain(df, "language")
    assert len(lang) == 24  # "Language", "Language,Vision", "Multimodal,Language"
    assert lang.attrs["selection"].startswith("by_domain('language')")
    fr = frontier_flag(df)
    assert len(fr) == 14 and fr["frontier"].all()


def test_validation():
    df = table([1.0, 2.0], [2010.0, 2011.0])
    with pytest.raises(ValueError, match="`k`"):
        top_k_at_release(df, k=0)
    with pytest.raises(ValueError, match="`n`"):
        top_n_per_year(df, n=0)
    with pytest.raises(ValueError, match="`q`"):
        residual_above_trend(df, q=1.0)
    with pytest.raises(ValueError, match="`name`"):
        by_domain(df, "")
    with pytest.raises(KeyError, match="frontier"):
        frontier_flag(df.drop(columns="frontier"))
    with pytest.raises(TypeError, match="df"):
        top_n_per_year([1, 2])


def test_rules_skip_rows_without_date_or_positive_value():
    df = table([5.0, 0.0, 3.0, 7.0, 2.0, 9.0], [2010, 2011, np.nan, 2012, 2012.5, 2013])
    out = top_k_at_release(df, k=1)
    # m1 (zero) and m2 (no date) are neither kept nor history: m0, then m3 (7 >= 5), m5
    assert list(out["model"]) == ["m0", "m3", "m5"]
    assert sorted(top_n_per_year(df, n=1)["model"]) == ["m0", "m3", "m5"]


def test_by_domain_on_multi_domain_cells(quirky_epoch):
    with pytest.warns(Warning):
        df = load_notable_models(quirky_epoch["path"])
    lang = by_domain(df, "Language")
    multi = lang["domain"].str.contains(",")
    assert multi.any() and (~multi).any()
    assert lang["domain"].str.contains("Language").all()
    assert not by_domain(df, "Vision")["domain"].str.contains("Language").all()
