"""Named frontier rules (paper brief, method step 4).

Each rule returns a row subset of a canonical model table and writes its description into
``df.attrs["selection"]``, which every fit records: the subset rule moves the growth estimate
by 1x/yr or more, so it must travel with the number.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mpiis.shared.validation import check_fraction, check_int

from ._rows import _years as _row_years
from ._trends import _ols_batch, prepare_series

__all__ = ["by_domain", "frontier_flag", "residual_above_trend", "top_k_at_release",
           "top_n_per_year"]


def _check_df(df: object, *cols: str) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"`df` must be a pandas DataFrame, got {type(df).__name__}")
    for c in cols:
        if c not in df.columns:
            raise KeyError(f"column {c!r} not found; available: {list(df.columns)}")
    return df


def _tag(df: pd.DataFrame, text: str) -> pd.DataFrame:
    out = df.copy()
    prev = df.attrs.get("selection")
    out.attrs["selection"] = text if not prev or prev.startswith("all rows") else (
        f"{text} (of: {prev})")
    return out


def _years(df: pd.DataFrame) -> np.ndarray:
    return _row_years(df)


def _usable(df: pd.DataFrame, y: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Years, values and the mask of rows with a date and a positive, finite value (rows
    without one are neither selected nor history; the fits count them)."""
    t = _years(df)
    v = pd.to_numeric(df[y], errors="coerce").to_numpy(float)
    with np.errstate(invalid="ignore"):
        ok = ~np.isnan(t) & np.isfinite(v) & (v > 0)
    return t, v, ok


def frontier_flag(df: pd.DataFrame) -> pd.DataFrame:
    """Rows that Epoch AI flags as frontier models (``frontier`` is True)."""
    _check_df(df, "frontier")
    mask = df["frontier"].fillna(False).astype(bool).to_numpy()
    return _tag(df.loc[mask], "frontier_flag: rows Epoch flags as 'Frontier model'")


def top_k_at_release(df: pd.DataFrame, k: int = 10, *,
                     y: str = "training_compute_flop") -> pd.DataFrame:
    """Rows whose value is >= the k-th largest among all rows released strictly earlier.

    Rows with fewer than ``k`` predecessors are kept. History is the whole table, never cut to
    a fit window (this reproduces the pilot's n = 110 on Epoch's 2010-2024 data). Rows without
    a date or a positive value are neither kept nor counted as history.
    """
    k = check_int(k, "k", minimum=1)
    _check_df(df, y)
    t, v, has = _usable(df, y)
    order = np.flatnonzero(has)[np.argsort(t[has], kind="stable")]
    keep = np.zeros(len(df), dtype=bool)
    history: list[float] = []  # values released strictly earlier, sorted descending (top k)
    i = 0
    while i < len(order):
        j = i
        while j < len(order) and t[order[j]] == t[order[i]]:
            j += 1
        same_day = order[i:j]
        for r in same_day:
            keep[r] = len(history) < k or v[r] >= history[k - 1]
        history = sorted([*history, *v[same_day]], reverse=True)[:k]
        i = j
    return _tag(df.loc[keep], f"top_k_at_release(k={k}): >= the {k}-th largest `{y}` released "
                              "earlier")


def top_n_per_year(df: pd.DataFrame, n: int = 3, *,
                   y: str = "training_compute_flop") -> pd.DataFrame:
    """The ``n`` largest rows of each calendar year (the bundled table's rule)."""
    n = check_int(n, "n", minimum=1)
    _check_df(df, y)
    t, v, ok = _usable(df, y)
    year = np.floor(np.where(ok, t, 0.0)).astype(int)
    tmp = pd.DataFrame({"v": v, "year": year}, index=df.index).loc[ok]
    idx = tmp.sort_values("v", ascending=False, kind="stable").groupby("year").head(n).index
    return _tag(df.loc[df.index.isin(idx)], f"top_n_per_year(n={n}): the {n} largest `{y}` per "
                                            "calendar year")


def residual_above_trend(df: pd.DataFrame, q: float = 0.75, *, y: str = "training_compute_flop",
                         start: float = 2010.0, end: float = 2025.0) -> pd.DataFrame:
    """Rows in ``[start, end)`` whose residual from an OLS trend of all rows is >= its
    q-quantile."""
    q = check_fraction(q, "q", high_open=True)
    _check_df(df, y)
    t_all, v, ok = _usable(df, y)
    t, ly, _, _ = prepare_series(df, y, start, end)
    b, a = _ols_batch(t[None], ly[None])
    with np.errstate(invalid="ignore"):
        mask = ok & (t_all >= start) & (t_all < end)
    resid = np.full(len(df), -np.inf)
    resid[mask] = np.log10(v[mask]) - a[0] - b[0] * t_all[mask]
    cut = np.quantile(resid[mask], q)
    return _tag(df.loc[resid >= cut], f"residual_above_trend(q={q:g}): residual from the OLS "
                                      f"trend of all rows in [{start:g}, {end:g}) >= its "
                                      f"{q:g}-quantile")


def by_domain(df: pd.DataFrame, name: str = "Language") -> pd.DataFrame:
    """Rows whose comma-separated Epoch domain list contains ``name`` (case-insensitive)."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"`name` must be a non-empty domain name, got {name!r}")
    _check_df(df, "domain")
    want = name.strip().lower()
    mask = np.array([isinstance(s, str) and want in [p.strip().lower() for p in s.split(",")]
                     for s in df["domain"]], dtype=bool)
    return _tag(df.loc[mask], f"by_domain({name!r}): domain list contains {name}")
