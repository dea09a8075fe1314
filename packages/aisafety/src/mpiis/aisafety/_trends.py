"""Log-linear trend fits with honest uncertainty (paper brief, method steps 1-3 and 5).

``fit_trend`` fits log10 y = a + b (t - t_mean) by OLS or Huber IRLS and attaches a vectorised
pairs bootstrap of the slope; ``fit_piecewise`` profiles a continuous hinge model with one or two
breaks. Growth is 10**b per year, the doubling time 12 log10(2) / b months.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from mpiis.shared.validation import check_array, check_choice, check_fraction, check_int

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
_HINGE_CHUNK = 1 << 22  # break profiles: grid points x rows x coefficients per block
_BREAK_CHI2 = 3.841  # chi2_1 0.95 quantile: profile-likelihood interval of a break year


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


# ----------------------------------------------------------------------------- preparation


def prepare_series(df: pd.DataFrame, y: str, start: float, end: float
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Rows of ``df`` in ``[start, end)`` with a quantity: ``(t, log10 y, model names,
    n_dropped)``. Missing quantities are dropped and counted; y <= 0 or +/-inf raise."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"`df` must be a pandas DataFrame, got {type(df).__name__}")
    if not isinstance(y, str):
        raise TypeError(f"`y` must be a column name (str), got {type(y).__name__}")
    if y not in df.columns:
        raise KeyError(f"`y` column {y!r} not found; available: {list(df.columns)}")
    if "year" in df.columns:
        t_all = pd.to_numeric(df["year"], errors="coerce").to_numpy(float)
    elif "publication_date" in df.columns:
        from ._data import fractional_year

        t_all = fractional_year(pd.to_datetime(df["publication_date"]))
    else:
        raise KeyError(f"`df` needs a 'year' or 'publication_date' column; available: "
                       f"{list(df.columns)}")
    if np.isnan(t_all).any():
        raise ValueError("`df` has rows without a publication year")
    names = (df["model"].astype(str).to_numpy() if "model" in df.columns
             else np.asarray([f"row {i}" for i in range(len(df))]))
    vals = pd.to_numeric(df[y], errors="coerce").to_numpy(float)
    nonnum = np.isnan(vals) & df[y].notna().to_numpy()
    if nonnum.any():
        i = int(np.flatnonzero(nonnum)[0])
        raise ValueError(f"`{y}` must be numeric, got {df[y].iloc[i]!r} for model {names[i]!r}")
    inwin = (t_all >= start) & (t_all < end)
    missing = inwin & np.isnan(vals)
    keep = inwin & ~np.isnan(vals)
    bad = keep & (~np.isfinite(vals) | (vals <= 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"`{y}` must be positive and finite, got {vals[i]} for model "
                         f"{names[i]!r} ({int(bad.sum())} such row(s))")
    t, v = t_all[keep], vals[keep]
    if len(t) < 5:
        raise ValueError(f"need >= 5 rows with `{y}` in [{start:g}, {end:g}), got {len(t)}")
    if np.ptp(t) == 0:
        raise ValueError(f"all {len(t)} rows share the year {t[0]}: zero variance in t")
    return t, np.log10(v), names[keep], int(missing.sum())


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
        n: rows fitted; ``n_dropped`` rows in the window lacked the quantity.
        residual_sd_dex: s = sqrt(RSS / (n - 2)).
        selection: how the rows were chosen (``df.attrs["selection"]``).
        window: ``(start, end)``, half-open.
        boot_slopes: the bootstrap slopes, shape ``(n_boot,)``.
        n_redrawn: bootstrap resamples redrawn for zero variance in t.
        warnings: notes such as a MAD fallback in the Huber fit.
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
            f"[{self.window[0]:g}, {self.window[1]:g}) ({self.n_dropped} without a value)",
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
        ValueError: fewer than 5 rows in the window, y <= 0 or non-finite, zero variance in t.
        RuntimeError: Huber IRLS without convergence.
    """
    cfg = config if config is not None else TrendConfig()
    if not isinstance(cfg, TrendConfig):
        raise TypeError(f"`config` must be a TrendConfig, got {type(cfg).__name__}")
    _check_rng(rng)
    t, ly, _, dropped = prepare_series(df, y, cfg.start, cfg.end)
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
        sxx=float((x ** 2).sum()), n=n, n_dropped=dropped, residual_sd_dex=s,
        selection=str(df.attrs.get("selection", "all rows")), window=(cfg.start, cfg.end),
        ci_level=cfg.ci_level, pi_level=cfg.pi_level, boot_slopes=boot, n_redrawn=redrawn,
        warnings=tuple(warns),
    )


# ------------------------------------------------------------------------------ breakpoints

MIN_SEGMENT = 10  # rows on each side of a break (method step 5)


def _hinge_rss(t: np.ndarray, y: np.ndarray, taus: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """RSS and coefficients of a + b1 (t - tau1) + sum_j c_j max(0, t - tau_j) for each row of
    ``taus`` (shape ``(G, k)``), solved by batched normal equations."""
    G, k = taus.shape
    n = len(t)
    rss = np.empty(G)
    coef = np.empty((G, k + 2))
    per = max(1, _HINGE_CHUNK // (n * (k + 2)))
    for lo in range(0, G, per):
        tau = taus[lo:lo + per]
        g = len(tau)
        X = np.empty((g, n, k + 2))
        X[:, :, 0] = 1.0
        X[:, :, 1] = t[None, :] - tau[:, :1]
        for j in range(k):
            X[:, :, 2 + j] = np.maximum(0.0, t[None, :] - tau[:, j:j + 1])
        XtX = np.einsum("gni,gnj->gij", X, X)
        Xty = np.einsum("gni,n->gi", X, y)
        beta = np.linalg.solve(XtX, Xty[..., None])[..., 0]
        r = y[None, :] - np.einsum("gni,gi->gn", X, beta)
        rss[lo:lo + g] = (r * r).sum(axis=1)
        coef[lo:lo + g] = beta
    return rss, coef


def _grid(t: np.ndarray, step: float) -> np.ndarray:
    lo = math.ceil(t.min() / step) * step
    return np.round(np.arange(lo, t.max() + step / 2, step), 6)


@dataclass(frozen=True, eq=False)
class PiecewiseFit:
    """A continuous hinge (broken-stick) trend fitted by profiling the break years.

    Attributes:
        n_breaks: breaks in the chosen model (0, 1 or 2).
        breaks: the break years, increasing.
        break_intervals: for each break, the years whose profile n ln(RSS / RSS_min) <= 3.841.
        coef: ``(a, b1, c1[, c2])`` on the log10 scale; the segment slopes are cumulative sums.
        growth_by_segment: 10**slope of each segment, per year.
        rss, n, residual_sd_dex: fit quality.
        bic: BIC of every model fitted, keyed by number of breaks.
        profile: ``{"grid": (G,) or (G, 2) break years, "rss": (G,)}`` of the chosen model.
    """

    y: str
    n_breaks: int
    breaks: tuple[float, ...]
    break_intervals: tuple[tuple[float, float], ...]
    coef: tuple[float, ...]
    growth_by_segment: tuple[float, ...]
    rss: float
    n: int
    residual_sd_dex: float
    bic: dict[int, float]
    profile: dict[str, np.ndarray] = field(repr=False)
    selection: str = "all rows"
    window: tuple[float | None, float | None] = (None, None)

    def predict(self, t: Any) -> np.ndarray:
        """The fitted log10 y at years ``t`` (shape ``(m,)``)."""
        tt = np.atleast_1d(check_array(t, "t", ndim=(0, 1)))
        if self.n_breaks == 0:
            a, b = self.coef
            return a + b * (tt - self.profile["t_ref"][0])
        out = self.coef[0] + self.coef[1] * (tt - self.breaks[0])
        for j, tau in enumerate(self.breaks):
            out = out + self.coef[2 + j] * np.maximum(0.0, tt - tau)
        return out

    def save(self, path: str | Path) -> None:
        """Write the fit as JSON (floats round-trip exactly)."""
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["profile"] = {k: np.asarray(v).tolist() for k, v in self.profile.items()}
        d["bic"] = {str(k): v for k, v in self.bic.items()}
        Path(path).write_text(json.dumps({"format": "mpiis.aisafety.PiecewiseFit/1", **d}))

    @classmethod
    def load(cls, path: str | Path) -> PiecewiseFit:
        d = json.loads(Path(path).read_text())
        if d.pop("format", None) != "mpiis.aisafety.PiecewiseFit/1":
            raise ValueError(f"{path} is not a saved PiecewiseFit")
        d["profile"] = {k: np.asarray(v, dtype=float) for k, v in d["profile"].items()}
        d["bic"] = {int(k): v for k, v in d["bic"].items()}
        for k in ("breaks", "coef", "growth_by_segment", "window"):
            d[k] = tuple(d[k])
        d["break_intervals"] = tuple(tuple(v) for v in d["break_intervals"])
        return cls(**d)


def _one_break(t, y):
    grid = _grid(t, 0.1)
    left = (t[None, :] < grid[:, None]).sum(axis=1)
    grid = grid[(left >= MIN_SEGMENT) & (len(t) - left >= MIN_SEGMENT)]
    if len(grid) == 0:
        raise ValueError(f"the window is too short for the break grid: no 0.1-year step leaves "
                         f">= {MIN_SEGMENT} rows on each side ({len(t)} rows)")
    rss, coef = _hinge_rss(t, y, grid[:, None])
    return grid[:, None], rss, coef


def _two_breaks(t, y):
    grid = _grid(t, 0.25)
    cnt = (t[None, :] < grid[:, None]).sum(axis=1)
    i, j = np.triu_indices(len(grid), k=1)
    n = len(t)
    ok = (cnt[i] >= MIN_SEGMENT) & (cnt[j] - cnt[i] >= MIN_SEGMENT) & (n - cnt[j] >= MIN_SEGMENT)
    taus = np.stack([grid[i[ok]], grid[j[ok]]], axis=1)
    if len(taus) == 0:
        raise ValueError(f"the window is too short for two breaks: no 0.25-year grid pair leaves "
                         f">= {MIN_SEGMENT} rows in each of 3 segments ({n} rows)")
    rss, coef = _hinge_rss(t, y, taus)
    return taus, rss, coef


def fit_piecewise(df: pd.DataFrame, y: str = "training_compute_flop", *,
                  n_breaks: int | Literal["bic"] = 1, start: float | None = None,
                  end: float | None = None) -> PiecewiseFit:
    """Continuous hinge model with one or two breaks (method step 5).

    log10 y = a + b1 (t - tau) + b2 max(0, t - tau): the break year is profiled over a grid of
    0.1 years (0.25 years on a 2-D grid for two breaks), keeping >= 10 rows in each segment;
    its 95% interval holds every grid year with n ln(RSS(tau) / RSS_min) <= 3.841.
    ``n_breaks="bic"`` picks 0, 1 or 2 breaks by BIC = n ln(RSS/n) + k ln n (k counts the
    break years as parameters); the 0-break log-linear trend is the baseline.

    Args:
        df: a canonical model table.
        y: the quantity column.
        n_breaks: 1, 2 or ``"bic"``.
        start, end: half-open window on the fractional year (all rows when None).

    Raises:
        ValueError: too few rows per segment or a window too short for the grid.
    """
    if n_breaks not in (1, 2, "bic") or isinstance(n_breaks, bool):
        raise ValueError(f"`n_breaks` must be 1, 2 or 'bic', got {n_breaks!r}")
    lo = -np.inf if start is None else _finite_year(start, "start")
    hi = np.inf if end is None else _finite_year(end, "end")
    if lo >= hi:
        raise ValueError(f"`start` (={start}) must be < `end` (={end})")
    t, ly, _, _ = prepare_series(df, y, lo, hi)
    n = len(t)
    need = MIN_SEGMENT * (2 if n_breaks in (1, "bic") else 3)
    if n < need:
        raise ValueError(f"need >= {need} rows ({MIN_SEGMENT} per segment) for "
                         f"n_breaks={n_breaks!r}, got {n}")
    models: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    tm = float(t.mean())
    b0, a0 = _ols_batch((t - tm)[None], ly[None])
    rss0 = float(((ly - a0[0] - b0[0] * (t - tm)) ** 2).sum())
    models[0] = (np.array([[tm]]), np.array([rss0]), np.array([[a0[0], b0[0]]]))
    if n_breaks in (1, "bic"):
        models[1] = _one_break(t, ly)
    if n_breaks == 2 or (n_breaks == "bic" and n >= 3 * MIN_SEGMENT):
        try:
            models[2] = _two_breaks(t, ly)
        except ValueError:
            if n_breaks == 2:
                raise
    k_par = {0: 2, 1: 4, 2: 6}
    bic = {k: float(n * math.log(m[1].min() / n) + k_par[k] * math.log(n))
           for k, m in models.items()}
    chosen = min(bic, key=bic.get) if n_breaks == "bic" else int(n_breaks)
    grid, rss, coef = models[chosen]
    best = int(np.argmin(rss))
    rss_min = float(rss[best])
    inside = n * np.log(rss / rss_min) <= _BREAK_CHI2
    intervals = []
    if chosen == 1:
        g = grid[inside, 0]
        intervals.append((float(g.min()), float(g.max())))
    elif chosen == 2:
        for j in range(2):  # marginal profile of each break, the other one re-optimised
            vals = np.unique(grid[:, j])
            prof = np.array([rss[grid[:, j] == v].min() for v in vals])
            ok = vals[n * np.log(prof / rss_min) <= _BREAK_CHI2]
            intervals.append((float(ok.min()), float(ok.max())))
    c = tuple(float(v) for v in coef[best])
    slopes = np.cumsum(c[1:]) if chosen else np.array([c[1]])
    prof_d = ({"grid": grid[:, 0], "rss": rss} if chosen == 1 else
              {"grid": grid, "rss": rss} if chosen == 2 else
              {"grid": np.zeros(0), "rss": rss, "t_ref": np.array([tm])})
    return PiecewiseFit(
        y=y, n_breaks=chosen, breaks=tuple(float(v) for v in grid[best]) if chosen else (),
        break_intervals=tuple(intervals), coef=c,
        growth_by_segment=tuple(float(10 ** s) for s in slopes), rss=rss_min, n=n,
        residual_sd_dex=float(math.sqrt(rss_min / (n - len(c)))), bic=bic, profile=prof_d,
        selection=str(df.attrs.get("selection", "all rows")),
        window=(None if start is None else float(start), None if end is None else float(end)),
    )


def with_window(config: TrendConfig, start: float, end: float) -> TrendConfig:
    """``config`` with another window (a convenience for recipes)."""
    return replace(config, start=start, end=end)
