"""Log-linear trend fits with honest uncertainty (paper brief, method steps 1-3 and 5).

``fit_trend`` fits log10 y = a + b (t - t_mean) by OLS or Huber IRLS and attaches a vectorised
pairs bootstrap of the slope; ``fit_piecewise`` profiles a continuous hinge model with one or two
breaks. Growth is 10**b per year, the doubling time 12 log10(2) / b months.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from mpiis.shared.validation import check_array, check_choice, check_fraction, check_int

from ._breaks import PiecewiseFit, fit_piecewise
from ._rows import check_enough, prepare_series, usable_rows, warn_dropped

__all__ = [
    "PiecewiseFit",
    "Prediction",
    "TrendConfig",
    "TrendFit",
    "fit_piecewise",
    "fit_trend",
    "prepare_series",
]

HUBER_DELTA = 1.345  # Huber's tuning constant (95% efficiency under normal errors)
HUBER_MAX_ITER = 100  # method step 1
HUBER_TOL = 1e-12  # stop when max |delta beta| < tol
MAD_CONSISTENCY = 0.6745  # MAD / 0.6745 estimates sigma under normal errors
_CHUNK_ELEMENTS = 1 << 16  # bootstrap block: resamples x rows (cache-sized; bounds memory)


def _finite_year(x: Any, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float | np.integer | np.floating):
        raise TypeError(f"`{name}` must be a real number (a year), got {type(x).__name__} {x!r}")
    if not math.isfinite(float(x)):
        raise ValueError(f"`{name}` must be finite, got {x}")
    return float(x)


@dataclass(frozen=True, kw_only=True)
class TrendConfig:
    """Settings of :func:`fit_trend` (method steps 1-3).

    Windows are half-open on the fractional year: ``start=2010, end=2025`` keeps
    2010-01-01 <= date < 2025-01-01.
    """

    start: float = 2010.0  # first year in the window (inclusive)
    end: float = 2025.0  # end of the window (exclusive)
    method: Literal["ols", "huber"] = "ols"  # the pilot's estimator is OLS
    n_boot: int = 2000  # pairs-bootstrap resamples (method step 2)
    ci_level: float = 0.95  # level of the growth interval
    pi_level: float = 0.8  # level of prediction intervals (method step 3)

    def __post_init__(self) -> None:
        start = _finite_year(self.start, "start")
        end = _finite_year(self.end, "end")
        if start >= end:
            raise ValueError(f"`start` (={start}) must be < `end` (={end})")
        check_choice(self.method, "method", ("ols", "huber"))
        check_int(self.n_boot, "n_boot", minimum=100)
        check_fraction(self.ci_level, "ci_level", low_open=True, high_open=True)
        check_fraction(self.pi_level, "pi_level", low_open=True, high_open=True)

    @classmethod
    def tiny(cls, **kw: Any) -> TrendConfig:
        """A cheap preset for tests: 200 bootstrap resamples."""
        return cls(**{"n_boot": 200, **kw})


# ------------------------------------------------------------------------------ estimators


def _ols_batch(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least squares per row of ``x, y`` (shape ``(B, n)``): slopes and intercepts at x = 0."""
    mx = x.mean(axis=1, keepdims=True)
    my = y.mean(axis=1, keepdims=True)
    dx = x - mx
    b = (dx * (y - my)).sum(axis=1) / (dx * dx).sum(axis=1)
    return b, my[:, 0] - b * mx[:, 0]


def _huber_batch(x: np.ndarray, y: np.ndarray, *, strict: bool = True
                 ) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Huber IRLS per row (method step 1): w = min(1, delta s / |r|), s = MAD(r) / 0.6745
    re-estimated each iteration (MAD about 0); a zero MAD falls back to the mean absolute
    residual. Returns slopes, intercepts, and the numbers of MAD fallbacks and of fits that
    had not converged after 100 iterations (only with ``strict=False``; bootstrap resamples
    keep their last iterate and are counted).

    Raises:
        RuntimeError: with ``strict=True``, when a fit has not converged in 100 iterations.
    """
    b, a = _ols_batch(x, y)
    n_fallback = 0
    active = np.ones(len(b), dtype=bool)
    step = np.full(len(b), np.inf)
    for _ in range(HUBER_MAX_ITER):
        idx = np.flatnonzero(active)
        xa, ya = x[idx], y[idx]
        r = ya - a[idx, None] - b[idx, None] * xa
        absr = np.abs(r)
        s = np.median(absr, axis=1) / MAD_CONSISTENCY
        zero = s <= 0
        if zero.any():
            n_fallback += int(zero.sum())
            s = np.where(zero, absr.mean(axis=1), s)
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.where(absr > 0, np.minimum(1.0, HUBER_DELTA * s[:, None] / absr), 1.0)
        w = np.where(np.isfinite(w), w, 1.0)
        sw = w.sum(axis=1)
        mx = (w * xa).sum(axis=1) / sw
        my = (w * ya).sum(axis=1) / sw
        dx = xa - mx[:, None]
        b_new = (w * dx * (ya - my[:, None])).sum(axis=1) / (w * dx * dx).sum(axis=1)
        a_new = my - b_new * mx
        step[idx] = np.maximum(np.abs(b_new - b[idx]), np.abs(a_new - a[idx]))
        a[idx], b[idx] = a_new, b_new
        active[idx] = step[idx] >= HUBER_TOL
        if not active.any():
            return b, a, n_fallback, 0
    if not strict:
        return b, a, n_fallback, int(active.sum())
    raise RuntimeError(
        f"Huber IRLS did not converge in {HUBER_MAX_ITER} iterations for {int(active.sum())} "
        f"fit(s); last step size max |delta beta| = {float(step[active].max()):.3g}"
    )


def _fit(x: np.ndarray, y: np.ndarray, method: str, *, strict: bool = True
         ) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Slopes, intercepts, MAD fallbacks and unconverged fits, per row of ``(B, n)`` arrays."""
    if method == "ols":
        b, a = _ols_batch(x, y)
        return b, a, 0, 0
    return _huber_batch(x, y, strict=strict)


def _bootstrap(x: np.ndarray, y: np.ndarray, method: str, n_boot: int,
               rng: np.random.Generator) -> tuple[np.ndarray, int, int]:
    """Pairs bootstrap of the slope (method step 2), vectorised over resamples, chunked so a
    block holds at most ``_CHUNK_ELEMENTS`` numbers. A resample with zero variance in t is
    redrawn and counted; a Huber resample still moving after 100 IRLS iterations keeps its last
    iterate and is counted (returns slopes, redrawn, unconverged)."""
    n = len(x)
    per = max(1, _CHUNK_ELEMENTS // n)
    out = np.empty(n_boot)
    redrawn = slow = 0
    # OLS needs only each resample's sums of x, y, xy and x^2 (gathered from precomputed
    # columns); Huber re-weights rows, so it refits the gathered rows.
    xy, xx = x * y, x * x
    for lo in range(0, n_boot, per):
        m = min(per, n_boot - lo)
        idx = rng.integers(0, n, size=(m, n))
        gx = np.take(x, idx)
        flat = np.ptp(gx, axis=1) == 0
        while flat.any():
            k = int(flat.sum())
            redrawn += k
            idx[flat] = rng.integers(0, n, size=(k, n))
            gx[flat] = np.take(x, idx[flat])
            flat = np.ptp(gx, axis=1) == 0
        if method == "ols":
            sx, sy = gx.sum(axis=1), np.take(y, idx).sum(axis=1)
            sxy, sxx = np.take(xy, idx).sum(axis=1), np.take(xx, idx).sum(axis=1)
            b = (sxy - sx * sy / n) / (sxx - sx * sx / n)
        else:
            b, _, _, k_slow = _fit(gx, np.take(y, idx), method, strict=False)
            slow += k_slow
        out[lo:lo + m] = b
    return out, redrawn, slow


# ---------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Prediction:
    """Point and interval on the log10 scale at years ``t`` (shape ``(m,)``).

    ``interval`` is ``"prediction"`` (a new model's value) or ``"mean"`` (the trend line).
    """

    t: np.ndarray
    mean_dex: np.ndarray
    low_dex: np.ndarray
    high_dex: np.ndarray
    level: float
    interval: str

    @property
    def value(self) -> np.ndarray:
        return 10.0 ** self.mean_dex

    @property
    def low(self) -> np.ndarray:
        return 10.0 ** self.low_dex

    @property
    def high(self) -> np.ndarray:
        return 10.0 ** self.high_dex

    @property
    def half_width_ratio(self) -> np.ndarray:
        """The interval's half width as a multiplicative factor (10**half width in dex)."""
        return 10.0 ** ((self.high_dex - self.low_dex) / 2)


def _check_level(level: Any, name: str = "level") -> float:
    return check_fraction(level, name, low_open=True, high_open=True)


@dataclass(frozen=True, eq=False)
class TrendFit:
    """A fitted log-linear trend log10 y = a + b (t - t_mean) (method steps 1-3).

    Attributes:
        y: the fitted column.
        method: ``"ols"`` or ``"huber"``.
        slope_dex: b, in dex (orders of magnitude) per year.
        intercept_dex: a, the fitted log10 y at ``t_mean``.
        t_mean: mean fractional year of the fitted rows.
        sxx: sum of squared deviations of t.
        n: rows fitted; ``n_dropped`` rows were left out (``dropped`` names them by reason:
            no publication date, missing or unparseable value, value <= 0, non-finite).
        residual_sd_dex: s = sqrt(RSS / (n - 2)).
        selection: how the rows were chosen (``df.attrs["selection"]``).
        window: ``(start, end)``, half-open.
        boot_slopes: the bootstrap slopes, shape ``(n_boot,)``.
        n_redrawn: bootstrap resamples redrawn for zero variance in t.
        warnings: notes such as a MAD fallback in the Huber fit.
        dropped: reason -> labels (``"model (line L)"``) of the rows left out.
    """

    y: str
    method: str
    slope_dex: float
    intercept_dex: float
    t_mean: float
    sxx: float
    n: int
    n_dropped: int
    residual_sd_dex: float
    selection: str
    window: tuple[float, float]
    ci_level: float
    pi_level: float
    boot_slopes: np.ndarray = field(repr=False)
    n_redrawn: int = 0
    warnings: tuple[str, ...] = ()
    dropped: Mapping[str, tuple[str, ...]] = field(default_factory=dict, repr=False)

    def drop_counts(self) -> dict[str, int]:
        """reason -> rows dropped for it (reasons with none are left out)."""
        return {k: len(v) for k, v in self.dropped.items() if v}

    @property
    def growth(self) -> float:
        """Growth factor per year, 10**b."""
        return float(10.0 ** self.slope_dex)

    @property
    def doubling_months(self) -> float:
        """Doubling time in months, 12 log10(2) / b (negative for a decline)."""
        return float(12.0 * math.log10(2.0) / self.slope_dex)

    def slope_ci(self, level: float | None = None,
                 kind: Literal["bootstrap", "analytic"] = "bootstrap") -> tuple[float, float]:
        """Interval for b in dex/year: percentile bootstrap or b +/- t_{n-2} SE(b) (OLS only)."""
        lv = self.ci_level if level is None else _check_level(level)
        check_choice(kind, "kind", ("bootstrap", "analytic"))
        if kind == "analytic":
            if self.method != "ols":
                raise ValueError(f"analytic intervals are for method='ols'; this fit used "
                                 f"{self.method!r} (use kind='bootstrap')")
            half = stats.t.ppf((1 + lv) / 2, self.n - 2) * self.residual_sd_dex / math.sqrt(
                self.sxx)
            return float(self.slope_dex - half), float(self.slope_dex + half)
        lo, hi = np.quantile(self.boot_slopes, [(1 - lv) / 2, (1 + lv) / 2])
        return float(lo), float(hi)

    def ci(self, level: float | None = None,
           kind: Literal["bootstrap", "analytic"] = "bootstrap") -> tuple[float, float]:
        """Interval for the growth factor per year (method step 2).

        Args:
            level: confidence level in (0, 1); the config's ``ci_level`` when None.
            kind: ``"bootstrap"`` (pairs, percentile) or ``"analytic"`` (t-interval, OLS only).
        """
        lo, hi = self.slope_ci(level, kind)
        return float(10.0 ** lo), float(10.0 ** hi)

    def predict(self, t: Any, *, level: float | None = None,
                interval: Literal["prediction", "mean"] = "prediction") -> Prediction:
        """Trend value and interval at years ``t`` (method step 3).

        The prediction interval is yhat +/- t_{n-2} s sqrt(1 + 1/n + (t - t_mean)^2 / Sxx);
        ``interval="mean"`` drops the 1 (the band of the trend line). For a Huber fit s is the
        residual SD around the robust line.

        Args:
            t: fractional years, scalar or shape ``(m,)``.
            level: interval level; the config's ``pi_level`` when None.
        """
        lv = self.pi_level if level is None else _check_level(level)
        check_choice(interval, "interval", ("prediction", "mean"))
        tt = np.atleast_1d(check_array(t, "t", ndim=(0, 1)))
        mean = self.intercept_dex + self.slope_dex * (tt - self.t_mean)
        lev = 1.0 / self.n + (tt - self.t_mean) ** 2 / self.sxx
        se = self.residual_sd_dex * np.sqrt(lev + (1.0 if interval == "prediction" else 0.0))
        half = stats.t.ppf((1 + lv) / 2, self.n - 2) * se
        return Prediction(tt, mean, mean - half, mean + half, lv, interval)

    def summary(self) -> str:
        """A short human-readable report of the fit."""
        lo, hi = self.ci()
        lines = [
            f"{self.y}: {self.method.upper()} log-linear trend on {self.n} rows in "
            f"[{self.window[0]:g}, {self.window[1]:g}) ({self.n_dropped} dropped"
            + (f": {self.drop_counts()})" if self.n_dropped else ")"),
            f"  selection: {self.selection}",
            f"  growth {self.growth:.3f}x per year ({self.ci_level:.0%} bootstrap CI "
            f"{lo:.3f}-{hi:.3f}), doubling every {self.doubling_months:.1f} months",
            f"  residual SD {self.residual_sd_dex:.3f} dex; trend extrapolation, not a "
            "prediction of capability",
        ]
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["boot_slopes"] = [float(v) for v in self.boot_slopes]
        d["window"] = list(self.window)
        d["warnings"] = list(self.warnings)
        d["dropped"] = {k: list(v) for k, v in self.dropped.items()}
        return d

    def save(self, path: str | Path) -> None:
        """Write the fit (with its bootstrap draws) as JSON; floats round-trip exactly."""
        Path(path).write_text(json.dumps({"format": "mpiis.aisafety.TrendFit/1",
                                          **self.to_dict()}))

    @classmethod
    def load(cls, path: str | Path) -> TrendFit:
        """Read a fit written by :meth:`save`."""
        d = json.loads(Path(path).read_text())
        if d.pop("format", None) != "mpiis.aisafety.TrendFit/1":
            raise ValueError(f"{path} is not a saved TrendFit")
        d["boot_slopes"] = np.asarray(d["boot_slopes"], dtype=float)
        d["window"] = tuple(d["window"])
        d["warnings"] = tuple(d["warnings"])
        d["dropped"] = {k: tuple(v) for k, v in d.get("dropped", {}).items()}
        return cls(**d)


def _check_rng(rng: Any) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"`rng` must be a numpy.random.Generator, got {type(rng).__name__}")
    return rng


def fit_trend(df: pd.DataFrame, y: str = "training_compute_flop", *,
              config: TrendConfig | None = None, rng: np.random.Generator) -> TrendFit:
    """Fit log10 y = a + b (t - t_mean) on the rows of ``df`` in the config's window.

    Method steps 1-2 of the brief: OLS or Huber IRLS (delta = 1.345, MAD scale) and a pairs
    bootstrap of the same estimator (``config.n_boot`` resamples, vectorised).

    Args:
        df: a canonical model table (``year`` or ``publication_date`` and the ``y`` column),
            e.g. from :func:`load_notable_models` after a frontier rule.
        y: the quantity column (> 0).
        config: window, estimator and interval settings.
        rng: the generator that draws the bootstrap resamples.

    Returns:
        A :class:`TrendFit`.

    Raises:
        KeyError: unknown column.
        InsufficientDataError: (a ValueError) fewer than 5 usable rows in the window, or
            zero variance in t. Rows without a date or with a missing, unparseable, <= 0 or
            infinite value are dropped, counted in ``fit.dropped`` and named in one
            :class:`DroppedRowsWarning`.
        RuntimeError: Huber IRLS without convergence.
    """
    cfg = config if config is not None else TrendConfig()
    if not isinstance(cfg, TrendConfig):
        raise TypeError(f"`config` must be a TrendConfig, got {type(cfg).__name__}")
    _check_rng(rng)
    rows = check_enough(usable_rows(df, y, cfg.start, cfg.end), y, cfg.start, cfg.end)
    warn_dropped(f"fit_trend({y!r}, [{cfg.start:g}, {cfg.end:g}))", rows.dropped)
    t, ly = rows.t, rows.ly
    tm = float(t.mean())
    x = t - tm
    b, a, fallback, _ = _fit(x[None], ly[None], cfg.method)
    slope, icpt = float(b[0]), float(a[0])
    resid = ly - icpt - slope * x
    n = len(t)
    s = float(np.sqrt((resid ** 2).sum() / (n - 2)))
    boot, redrawn, slow = _bootstrap(x, ly, cfg.method, cfg.n_boot, rng)
    warns = []
    if fallback:
        warns.append("MAD of the residuals was 0: the Huber scale fell back to the mean "
                     "absolute residual")
    if slow:
        warns.append(f"{slow} Huber bootstrap resample(s) stopped at {HUBER_MAX_ITER} IRLS "
                     "iterations before reaching the 1e-12 tolerance (last iterate kept)")
    if redrawn:
        warns.append(f"{redrawn} bootstrap resample(s) had zero variance in t and were redrawn")
    return TrendFit(
        y=y, method=cfg.method, slope_dex=slope, intercept_dex=icpt, t_mean=tm,
        sxx=float((x ** 2).sum()), n=n, n_dropped=rows.n_dropped, residual_sd_dex=s,
        selection=str(df.attrs.get("selection", "all rows")), window=(cfg.start, cfg.end),
        ci_level=cfg.ci_level, pi_level=cfg.pi_level, boot_slopes=boot, n_redrawn=redrawn,
        warnings=tuple(warns), dropped=dict(rows.dropped),
    )


def with_window(config: TrendConfig, start: float, end: float) -> TrendConfig:
    """``config`` with another window (a convenience for recipes)."""
    return replace(config, start=start, end=end)
