"""Continuous hinge (broken-stick) trends and valid intervals for their break years (paper
brief, method step 5; issue #15).

log10 y = a + b1 (t - tau) + sum_j c_j max(0, t - tau_j). For a fixed break grid the hinge
columns span {1, t, h_1, ..., h_k}, so the residual sum of squares of every grid point comes
from one projection: with r(.) the residual on {1, t} and ``a_g = h_g . r(y)``,
RSS(tau_g) = RSS_0 - a_g^2 / |r(h_g)|^2 (one break; a 2x2 solve for two). Profiles and the
bootstrap are therefore matrix products, not refits.

Intervals. The chi2(1) cut-off of the profile (n ln RSS(tau)/RSS_min <= 3.841) has no
guarantee for a change point, so the interval is calibrated by simulation: a fixed-design
residual bootstrap from the fitted hinge (B resamples of the centred residuals), refitting the
break each time. ``interval="lr"`` (default) inverts the profile likelihood-ratio statistic at
the bootstrap's (level)-quantile of LR* = n ln(RSS*(tau_hat)/RSS*_min); ``"percentile"`` takes
the percentiles of the bootstrap break years. Claim S2 measures the coverage of both (and of
the chi2 cut-off) on simulated data.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from mpiis.shared.validation import check_array, check_fraction, check_int

from ._rows import InsufficientDataError, usable_rows, warn_dropped

__all__ = ["MIN_SEGMENT", "PiecewiseFit", "fit_piecewise"]

MIN_SEGMENT = 10  # rows on each side of a break (method step 5)
CHI2_1_95 = 3.841  # the profile cut-off the brief names; kept only as a reference (S2 baseline)
_PAIR_CHUNK = 1 << 22  # pairs x resamples per block of the two-break bootstrap


def _finite(x: Any, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float | np.integer | np.floating):
        raise TypeError(f"`{name}` must be a real number (a year), got {type(x).__name__} {x!r}")
    if not math.isfinite(float(x)):
        raise ValueError(f"`{name}` must be finite, got {x}")
    return float(x)


def _grid(t: np.ndarray, step: float) -> np.ndarray:
    lo = math.ceil(t.min() / step) * step
    return np.round(np.arange(lo, t.max() + step / 2, step), 6)


class _Projector:
    """Residualisation on {1, t} and the hinge columns of a grid."""

    def __init__(self, t: np.ndarray, grid: np.ndarray) -> None:
        self.t = t
        self.tc = t - t.mean()
        self.sxx = float(self.tc @ self.tc)
        self.H = np.maximum(0.0, t[None, :] - grid[:, None])  # (G, n)
        Hr = self.H - self.H.mean(axis=1, keepdims=True)
        self.Hr = Hr - np.outer(Hr @ self.tc / self.sxx, self.tc)  # (G, n)
        self.q = (self.Hr * self.Hr).sum(axis=1)  # (G,)

    def resid(self, Y: np.ndarray) -> np.ndarray:
        """Residuals of the rows of ``Y`` (shape ``(B, n)``) on {1, t}."""
        Yc = Y - Y.mean(axis=1, keepdims=True)
        return Yc - np.outer(Yc @ self.tc / self.sxx, self.tc)


def _profile1(P: _Projector, Yr: np.ndarray) -> np.ndarray:
    """RSS over the grid for each residualised response: shape ``(B, G)``."""
    a = Yr @ P.Hr.T  # (B, G)
    return (Yr * Yr).sum(axis=1)[:, None] - a * a / P.q[None, :]


def _profile2(P: _Projector, Yr: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """RSS over the grid pairs ``(i, j)`` for each residualised response: ``(B, P)``."""
    a = Yr @ P.Hr.T  # (B, G)
    m = (P.Hr[i] * P.Hr[j]).sum(axis=1)  # (P,)
    qi, qj = P.q[i], P.q[j]
    det = qi * qj - m * m
    rss0 = (Yr * Yr).sum(axis=1)
    per = max(1, _PAIR_CHUNK // max(1, len(i)))
    full = np.empty((len(Yr), len(i)))
    for lo in range(0, len(Yr), per):
        ai, aj = a[lo:lo + per][:, i], a[lo:lo + per][:, j]
        full[lo:lo + per] = rss0[lo:lo + per, None] - (
            qj * ai * ai - 2 * m * ai * aj + qi * aj * aj) / det
    return full


def _coef(t: np.ndarray, y: np.ndarray, taus: np.ndarray
          ) -> tuple[np.ndarray, float, np.ndarray]:
    """Coefficients, RSS and fitted values of the hinge with breaks ``taus``."""
    X = np.column_stack([np.ones_like(t), t - taus[0]]
                        + [np.maximum(0.0, t - tau) for tau in taus])
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    fitted = X @ beta
    r = y - fitted
    return beta, float(r @ r), fitted


@dataclass(frozen=True, eq=False)
class PiecewiseFit:
    """A continuous hinge (broken-stick) trend fitted by profiling the break years.

    Attributes:
        n_breaks: breaks in the chosen model (0, 1 or 2).
        breaks: the break years, increasing.
        break_intervals: for each break, its ``level`` interval (see ``interval_method``),
            widened by half a grid step (0.1 years, 0.25 for two breaks) on each side.
        interval_method: ``"lr"`` (bootstrap-calibrated likelihood-ratio inversion) or
            ``"percentile"`` (percentiles of the bootstrap break years).
        level: level of the break intervals.
        boot_breaks: the bootstrap break years, shape ``(n_boot, n_breaks)``.
        lr_cutoff: the bootstrap quantile of LR* used by ``"lr"`` (chi2(1) would be 3.841).
        coef: ``(a, b1, c1[, c2])`` on the log10 scale; the segment slopes are cumulative sums.
        growth_by_segment: 10**slope of each segment, per year.
        rss, n, residual_sd_dex: fit quality.
        bic: BIC of every model fitted, keyed by number of breaks.
        profile: ``{"grid": (G,) or (G, 2) break years, "rss": (G,)}`` of the chosen model.
        dropped: reason -> rows left out of the fit (``"model (line L)"``).
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
    interval_method: str = "lr"
    level: float = 0.95
    lr_cutoff: float = math.nan
    boot_breaks: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), repr=False)
    dropped: Mapping[str, tuple[str, ...]] = field(default_factory=dict, repr=False)

    @property
    def n_dropped(self) -> int:
        return sum(len(v) for v in self.dropped.values())

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
        d["boot_breaks"] = np.asarray(self.boot_breaks).tolist()
        d["dropped"] = {k: list(v) for k, v in self.dropped.items()}
        Path(path).write_text(json.dumps({"format": "mpiis.aisafety.PiecewiseFit/2", **d}))

    @classmethod
    def load(cls, path: str | Path) -> PiecewiseFit:
        """Read a fit written by :meth:`save`."""
        d = json.loads(Path(path).read_text())
        if d.pop("format", None) != "mpiis.aisafety.PiecewiseFit/2":
            raise ValueError(f"{path} is not a saved PiecewiseFit")
        d["profile"] = {k: np.asarray(v, dtype=float) for k, v in d["profile"].items()}
        d["bic"] = {int(k): v for k, v in d["bic"].items()}
        for k in ("breaks", "coef", "growth_by_segment", "window"):
            d[k] = tuple(d[k])
        d["break_intervals"] = tuple(tuple(v) for v in d["break_intervals"])
        d["boot_breaks"] = np.asarray(d["boot_breaks"], dtype=float).reshape(
            -1, d["n_breaks"]) if d["n_breaks"] else np.zeros((0, 0))
        d["dropped"] = {k: tuple(v) for k, v in d["dropped"].items()}
        return cls(**d)


def _one_grid(t: np.ndarray) -> np.ndarray:
    grid = _grid(t, 0.1)
    left = (t[None, :] < grid[:, None]).sum(axis=1)
    grid = grid[(left >= MIN_SEGMENT) & (len(t) - left >= MIN_SEGMENT)]
    if len(grid) == 0:
        raise InsufficientDataError(
            f"the window is too short for the break grid: no 0.1-year step leaves >= "
            f"{MIN_SEGMENT} rows on each side ({len(t)} rows)")
    return grid


def _two_grid(t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    grid = _grid(t, 0.25)
    cnt = (t[None, :] < grid[:, None]).sum(axis=1)
    i, j = np.triu_indices(len(grid), k=1)
    n = len(t)
    ok = (cnt[i] >= MIN_SEGMENT) & (cnt[j] - cnt[i] >= MIN_SEGMENT) & (n - cnt[j] >= MIN_SEGMENT)
    if not ok.any():
        raise InsufficientDataError(
            f"the window is too short for two breaks: no 0.25-year grid pair leaves >= "
            f"{MIN_SEGMENT} rows in each of 3 segments ({n} rows)")
    return grid, i[ok], j[ok]


def _interval(values: np.ndarray, inside: np.ndarray, step: float) -> tuple[float, float]:
    """Hull of the grid years inside, widened by half a grid step (the grid's resolution)."""
    v = values[inside]
    return _widen(float(v.min()), float(v.max()), step)


def _widen(lo: float, hi: float, step: float) -> tuple[float, float]:
    return round(lo - step / 2, 6), round(hi + step / 2, 6)


def fit_piecewise(df: pd.DataFrame, y: str = "training_compute_flop", *,
                  n_breaks: int | Literal["bic"] = 1, start: float | None = None,
                  end: float | None = None, rng: np.random.Generator, n_boot: int = 500,
                  level: float = 0.95,
                  interval: Literal["lr", "percentile"] = "lr") -> PiecewiseFit:
    """Continuous hinge model with one or two breaks (method step 5) and bootstrap intervals
    for the break years.

    log10 y = a + b1 (t - tau) + b2 max(0, t - tau): the break year is profiled over a grid of
    0.1 years (0.25 years on a 2-D grid for two breaks), keeping >= 10 rows in each segment.
    ``n_breaks="bic"`` picks 0, 1 or 2 breaks by BIC = n ln(RSS/n) + k ln n (k counts the
    break years as parameters); the 0-break log-linear trend is the baseline. Break intervals
    come from a fixed-design residual bootstrap (module docstring).

    Args:
        df: a canonical model table.
        y: the quantity column.
        n_breaks: 1, 2 or ``"bic"``.
        start, end: half-open window on the fractional year (all rows when None).
        rng: the generator of the bootstrap resamples.
        n_boot: bootstrap resamples for the break intervals (>= 100).
        level: level of the break intervals.
        interval: ``"lr"`` (bootstrap-calibrated LR inversion) or ``"percentile"``.

    Raises:
        InsufficientDataError: too few rows per segment or a window too short for the grid.
        ValueError: bad ``n_breaks``, window, ``level`` or ``interval``.
    """
    if n_breaks not in (1, 2, "bic") or isinstance(n_breaks, bool):
        raise ValueError(f"`n_breaks` must be 1, 2 or 'bic', got {n_breaks!r}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"`rng` must be a numpy.random.Generator, got {type(rng).__name__}")
    n_boot = check_int(n_boot, "n_boot", minimum=100)
    level = check_fraction(level, "level", low_open=True, high_open=True)
    if interval not in ("lr", "percentile"):
        raise ValueError(f"`interval` must be 'lr' or 'percentile', got {interval!r}")
    lo = -np.inf if start is None else _finite(start, "start")
    hi = np.inf if end is None else _finite(end, "end")
    if lo >= hi:
        raise ValueError(f"`start` (={start}) must be < `end` (={end})")
    s = usable_rows(df, y, lo, hi)
    t, ly = s.t, s.ly
    n = len(t)
    need = MIN_SEGMENT * (2 if n_breaks in (1, "bic") else 3)
    if n < need:
        raise InsufficientDataError(f"need >= {need} rows ({MIN_SEGMENT} per segment) for "
                                    f"n_breaks={n_breaks!r}, got {n}")
    warn_dropped(f"fit_piecewise({y!r})", s.dropped)
    tm = float(t.mean())
    X0 = np.column_stack([np.ones_like(t), t - tm])
    c0, *_ = np.linalg.lstsq(X0, ly, rcond=None)
    # an RSS floor keeps logs finite on noise-free data (the projection's RSS can be ~-1e-15)
    floor = 1e-12 * float(((ly - ly.mean()) ** 2).sum()) + 1e-300
    rss0 = max(float(((ly - X0 @ c0) ** 2).sum()), floor)
    rss_min = {0: rss0}
    g1 = _one_grid(t) if n_breaks in (1, "bic") else None
    P1 = _Projector(t, g1) if g1 is not None else None
    prof1 = (np.maximum(_profile1(P1, P1.resid(ly[None]))[0], floor) if P1 is not None
             else None)
    if prof1 is not None:
        rss_min[1] = float(prof1.min())
    two = None
    if n_breaks == 2 or (n_breaks == "bic" and n >= 3 * MIN_SEGMENT):
        try:
            g2, i2, j2 = _two_grid(t)
        except InsufficientDataError:
            if n_breaks == 2:
                raise
        else:
            P2 = _Projector(t, g2)
            prof2 = np.maximum(_profile2(P2, P2.resid(ly[None]), i2, j2)[0], floor)
            rss_min[2] = float(prof2.min())
            two = (g2, i2, j2, P2, prof2)
    k_par = {0: 2, 1: 4, 2: 6}
    bic = {k: float(n * math.log(r / n) + k_par[k] * math.log(n)) for k, r in rss_min.items()}
    chosen = min(bic, key=bic.get) if n_breaks == "bic" else int(n_breaks)

    alpha = 1.0 - level
    if chosen == 0:
        c = tuple(float(v) for v in c0)
        return PiecewiseFit(
            y=y, n_breaks=0, breaks=(), break_intervals=(), coef=c,
            growth_by_segment=(float(10 ** c[1]),), rss=rss0, n=n,
            residual_sd_dex=float(math.sqrt(rss0 / (n - 2))), bic=bic,
            profile={"grid": np.zeros(0), "rss": np.array([rss0]), "t_ref": np.array([tm])},
            selection=str(df.attrs.get("selection", "all rows")),
            window=(None if start is None else float(start), None if end is None else float(end)),
            interval_method=interval, level=level, dropped=dict(s.dropped))
    if chosen == 1:
        best = int(np.argmin(prof1))
        taus = np.array([g1[best]])
        profile = {"grid": g1, "rss": prof1}
    else:
        g2, i2, j2, P2, prof2 = two
        best = int(np.argmin(prof2))
        taus = np.array([g2[i2[best]], g2[j2[best]]])
        profile = {"grid": np.stack([g2[i2], g2[j2]], axis=1), "rss": prof2}
    beta, rss_best, fitted = _coef(t, ly, taus)
    resid = ly - fitted
    resid = resid - resid.mean()
    # fixed-design residual bootstrap from the fitted hinge
    Ystar = fitted[None, :] + resid[rng.integers(0, n, size=(n_boot, n))]
    if chosen == 1:
        Yr = P1.resid(Ystar)
        pb = np.maximum(_profile1(P1, Yr), floor)  # (B, G)
        arg = pb.argmin(axis=1)
        boot = g1[arg][:, None]
        lr_star = n * np.log(pb[:, best] / pb[np.arange(n_boot), arg])
        cut = float(np.quantile(lr_star, level))
        if interval == "lr":
            intervals = [_interval(g1, n * np.log(prof1 / prof1[best]) <= cut, 0.1)]
        else:
            q = np.quantile(boot[:, 0], [alpha / 2, 1 - alpha / 2])
            intervals = [_widen(float(q[0]), float(q[1]), 0.1)]
    else:
        Yr = P2.resid(Ystar)
        pb = np.maximum(_profile2(P2, Yr, i2, j2), floor)  # (B, P)
        arg = pb.argmin(axis=1)
        boot = np.stack([g2[i2[arg]], g2[j2[arg]]], axis=1)
        lr_star = n * np.log(pb[:, best] / pb[np.arange(n_boot), arg])
        cut = float(np.quantile(lr_star, level))
        intervals = []
        for k in range(2):  # marginal profile of each break, the other one re-optimised
            col = profile["grid"][:, k]
            vals = np.unique(col)
            if interval == "lr":
                prof = np.array([prof2[col == v].min() for v in vals])
                intervals.append(_interval(vals, n * np.log(prof / prof2[best]) <= cut, 0.25))
            else:
                q = np.quantile(boot[:, k], [alpha / 2, 1 - alpha / 2])
                intervals.append(_widen(float(q[0]), float(q[1]), 0.25))
    c = tuple(float(v) for v in beta)
    slopes = np.cumsum(c[1:])
    return PiecewiseFit(
        y=y, n_breaks=chosen, breaks=tuple(float(v) for v in taus),
        break_intervals=tuple(intervals), coef=c,
        growth_by_segment=tuple(float(10 ** v) for v in slopes), rss=rss_best, n=n,
        residual_sd_dex=float(math.sqrt(rss_best / (n - len(c)))), bic=bic, profile=profile,
        selection=str(df.attrs.get("selection", "all rows")),
        window=(None if start is None else float(start), None if end is None else float(end)),
        interval_method=interval, level=level, lr_cutoff=cut, boot_breaks=boot,
        dropped=dict(s.dropped))
