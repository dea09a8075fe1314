"""Backtests and extrapolation of fitted trends (paper brief, method steps 6-7).

Every forecast carries an interval: the scatter around frontier trends is about 0.7 dex, so a
point extrapolation alone says little.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from mpiis.shared.validation import check_fraction

from ._rows import usable_rows
from ._trends import TrendConfig, TrendFit, _check_rng, _finite_year, fit_trend

__all__ = ["BacktestResult", "Ratio", "backtest", "extrapolate_ratio"]


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """Out-of-sample check of a log-linear trend (method step 6).

    Attributes:
        n_train, n_test: rows fitted and rows predicted (summed over origins when rolling).
        coverage: fraction of test rows inside the level prediction interval.
        median_residual_dex: median of actual - predicted, in dex.
        median_abs_error_dex: median |actual - predicted|, in dex.
        train_growth: growth per year of the (last) training fit.
        train_growth_ci: its 95% pairs-bootstrap interval (drawn with the ``rng`` given).
        dropped: reason -> rows left out of the (last) split, training and test windows
            together (``"model (line L)"``).
        table: one row per test row (``train_end, model, year, actual_dex, predicted_dex,
            low_dex, high_dex, residual_dex, inside``).
    """

    n_train: int
    n_test: int
    coverage: float
    median_residual_dex: float
    median_abs_error_dex: float
    train_growth: float
    level: float
    rolling: bool
    table: pd.DataFrame = field(repr=False)
    train_growth_ci: tuple[float, float] = (math.nan, math.nan)
    dropped: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)


def _one(df, y, start, train_end, horizon, level, rng):
    cfg = TrendConfig(start=start, end=train_end, pi_level=level, n_boot=200)
    fit = fit_trend(df, y, config=cfg, rng=rng)
    test = usable_rows(df, y, train_end, train_end + horizon)
    t, ly, names = test.t, test.ly, test.names
    pred = fit.predict(t) if len(t) else None
    rows = pd.DataFrame({
        "train_end": train_end, "model": names, "year": t, "actual_dex": ly,
        "predicted_dex": pred.mean_dex if pred else [], "low_dex": pred.low_dex if pred else [],
        "high_dex": pred.high_dex if pred else [],
    })
    rows["residual_dex"] = rows["actual_dex"] - rows["predicted_dex"]
    rows["inside"] = (rows["actual_dex"] >= rows["low_dex"]) & (
        rows["actual_dex"] <= rows["high_dex"])
    # rows without a date are unusable in both windows: name each row once
    dropped = {k: tuple(dict.fromkeys((*fit.dropped.get(k, ()), *v)))
               for k, v in test.dropped.items()}
    return fit, rows, dropped


def backtest(df: pd.DataFrame, y: str = "training_compute_flop", *, train_end: float = 2022.0,
             horizon: float = 3.0, start: float = 2010.0, level: float = 0.8,
             rolling: bool = False, rng: np.random.Generator) -> BacktestResult:
    """Fit OLS on ``[start, train_end)`` and predict ``[train_end, train_end + horizon)``.

    With ``rolling=True`` the split is repeated for every ``train_end`` from 2016 to the given
    one (whole years) and the per-origin figures are averaged (``n_test`` is summed).

    Args:
        df: a canonical model table.
        y: the quantity column.
        train_end: first year of the test window (default 2022, the pilot's split).
        horizon: length of the test window in years.
        start: first year of the training window.
        level: level of the prediction interval (0.8).
        rolling: repeat over origins 2016..train_end.
        rng: the generator of the training fits' bootstrap (``train_growth_ci``).

    Raises:
        InsufficientDataError: (a ValueError) fewer than 5 usable training rows.
        ValueError: a bad window or level, or no usable test rows.
    """
    start = _finite_year(start, "start")
    train_end = _finite_year(train_end, "train_end")
    horizon = _finite_year(horizon, "horizon")
    if horizon <= 0:
        raise ValueError(f"`horizon` must be > 0, got {horizon}")
    if start >= train_end:
        raise ValueError(f"`start` (={start}) must be < `train_end` (={train_end})")
    level = check_fraction(level, "level", low_open=True, high_open=True)
    if not isinstance(rolling, bool):
        raise TypeError(f"`rolling` must be a bool, got {type(rolling).__name__}")
    _check_rng(rng)
    origins = [float(e) for e in range(2016, int(train_end) + 1)] if rolling else [train_end]
    origins = [o for o in origins if o > start] or [train_end]
    per, tables, n_train = [], [], 0
    fit = None
    dropped: dict[str, tuple[str, ...]] = {}
    for o in origins:
        fit, rows, dropped = _one(df, y, start, o, horizon, level, rng)
        if len(rows):
            per.append((rows["inside"].mean(), rows["residual_dex"].median(),
                        rows["residual_dex"].abs().median()))
            tables.append(rows)
            n_train += fit.n
    if not tables:
        raise ValueError(f"no rows with `{y}` in the test window(s) after {origins}")
    table = pd.concat(tables, ignore_index=True)
    cov, med, mae = (float(np.mean(c)) for c in zip(*per, strict=True))
    return BacktestResult(
        n_train=n_train, n_test=len(table), coverage=cov, median_residual_dex=med,
        median_abs_error_dex=mae, train_growth=fit.growth if fit else math.nan, level=level,
        rolling=rolling, table=table,
        train_growth_ci=fit.ci() if fit else (math.nan, math.nan), dropped=dropped,
    )


@dataclass(frozen=True)
class Ratio:
    """A multiplier between two years with its interval (method step 7)."""

    value: float
    low: float
    high: float
    from_year: float
    to_year: float
    level: float

    def contains(self, x: float) -> bool:
        return bool(self.low <= x <= self.high)

    def __str__(self) -> str:
        return (f"x{self.value:,.0f} from {self.from_year:g} to {self.to_year:g} "
                f"({self.level:.0%} CI {self.low:,.0f}-{self.high:,.0f}); trend extrapolation, "
                "not a prediction of capability")


def extrapolate_ratio(fit: TrendFit, from_year: float, to_year: float, *, level: float = 0.95,
                      kind: Literal["bootstrap", "analytic"] = "bootstrap") -> Ratio:
    """ratio = g**(to - from), interval [g_lo**d, g_hi**d] from the growth CI (method step 7).

    For claim C2 the recipe uses ``from_year=2024.0`` (the frontier at the end of 2023) and
    ``to_year=2027.0`` (end-2026) or ``2030.0``.
    """
    if not isinstance(fit, TrendFit):
        raise TypeError(f"`fit` must be a TrendFit, got {type(fit).__name__}")
    a = _finite_year(from_year, "from_year")
    b = _finite_year(to_year, "to_year")
    if b <= a:
        raise ValueError(f"`to_year` (={b}) must be > `from_year` (={a})")
    lo, hi = fit.ci(level, kind=kind)
    d = b - a
    return Ratio(fit.growth ** d, lo ** d, hi ** d, a, b, float(level))


