"""Figures (optional extra ``plot``): trends with interval bands, the frontier-rule forest
plot, backtests, break profiles, the bootstrap distribution and the coverage heat map."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._evalmap import CoverageReport
from ._forecast import BacktestResult
from ._trends import PiecewiseFit, TrendFit, prepare_series

__all__ = [
    "plot_backtest",
    "plot_bootstrap",
    "plot_break_profile",
    "plot_coverage",
    "plot_sensitivity",
    "plot_trend",
]


def _plt():
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError('figures need matplotlib: pip install "mpiis-aisafety[plot]"') from exc
    return plt


def _finish(fig: Any, path: str | Path | None) -> Any:
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120)
        _plt().close(fig)
    return fig


def plot_trend(fit: TrendFit, df: pd.DataFrame, *, highlight: pd.DataFrame | None = None,
               path: str | Path | None = None, title: str | None = None) -> Any:
    """Data, fitted trend, 95% band of the mean and the prediction band (``fit.pi_level``).

    Args:
        fit: a fitted trend.
        df: the rows to show (those fitted, or the whole table).
        highlight: rows drawn in a second colour (e.g. the frontier rows).
        path: write a PNG here when given.
    """
    plt = _plt()
    t, ly, _, _ = prepare_series(df, fit.y, -np.inf, np.inf)
    fig, ax = plt.subplots(figsize=(7, 4.2))
    ax.scatter(t, ly, s=12, color="0.6", label=f"rows (n={len(t)})")
    if highlight is not None and len(highlight):
        th, lh, _, _ = prepare_series(highlight, fit.y, -np.inf, np.inf)
        ax.scatter(th, lh, s=16, color="C3", label=f"selected (n={len(th)})")
    grid = np.linspace(fit.window[0], min(fit.window[1], t.max() + 0.5), 200)
    pm = fit.predict(grid, level=0.95, interval="mean")
    pp = fit.predict(grid)
    ax.fill_between(grid, pp.low_dex, pp.high_dex, color="C0", alpha=0.15,
                    label=f"{pp.level:.0%} prediction band")
    ax.fill_between(grid, pm.low_dex, pm.high_dex, color="C0", alpha=0.35,
                    label="95% band of the mean")
    lo, hi = fit.ci()
    ax.plot(grid, pm.mean_dex, color="C0",
            label=f"{fit.growth:.2f}x/yr [{lo:.2f}, {hi:.2f}]")
    ax.set_xlabel("publication year")
    ax.set_ylabel(f"log10 {fit.y}")
    ax.set_title(title or f"{fit.y}: {fit.method.upper()} trend, n={fit.n}")
    ax.legend(fontsize=7, loc="upper left")
    return _finish(fig, path)


def plot_sensitivity(rows: Sequence[tuple[str, float, float, float]], *,
                     reference: float | None = 4.0, path: str | Path | None = None) -> Any:
    """Forest plot: one line per frontier rule / window, ``(label, growth, low, high)``."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(rows) + 1.2))
    for i, (_, g, lo, hi) in enumerate(rows):
        ax.plot([lo, hi], [i, i], color="C0")
        ax.plot([g], [i], "o", color="C0")
        ax.text(hi, i, f"  {g:.2f}", va="center", fontsize=8)
    if reference is not None:
        ax.axvline(reference, color="C3", ls="--", lw=1, label=f"report: ~{reference:g}x/yr")
        ax.legend(fontsize=8)
    ax.set_yticks(range(len(rows)), [r[0] for r in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("growth per year (95% CI)")
    return _finish(fig, path)


def plot_backtest(result: BacktestResult, *, path: str | Path | None = None) -> Any:
    """Actual vs predicted test rows with their prediction intervals."""
    plt = _plt()
    tab = result.table
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.errorbar(tab["year"], tab["predicted_dex"],
                yerr=[tab["predicted_dex"] - tab["low_dex"],
                      tab["high_dex"] - tab["predicted_dex"]],
                fmt="_", color="C0", label=f"{result.level:.0%} prediction interval")
    ax.scatter(tab["year"], tab["actual_dex"], color=np.where(tab["inside"], "C2", "C3"),
               zorder=3, label="actual (green inside, red outside)")
    ax.set_xlabel("publication year")
    ax.set_ylabel("log10 value")
    ax.set_title(f"backtest: coverage {result.coverage:.2f}, median |error| "
                 f"{result.median_abs_error_dex:.2f} dex (n_test={result.n_test})")
    ax.legend(fontsize=8)
    return _finish(fig, path)


def plot_break_profile(fit: PiecewiseFit, *, path: str | Path | None = None,
                       title: str | None = None) -> Any:
    """n ln(RSS(tau) / RSS_min) over the break grid of a one-break fit, with the
    bootstrap-calibrated cut-off, the break interval and the chi2(1) reference."""
    plt = _plt()
    if fit.n_breaks != 1:
        raise ValueError(f"`fit` must have one break to plot its profile, got {fit.n_breaks}")
    grid, rss = fit.profile["grid"], fit.profile["rss"]
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.plot(grid, fit.n * np.log(rss / rss.min()), color="C0")
    ax.axhline(3.841, color="0.5", ls=":", lw=1, label="chi2(1) 95% (reference only)")
    if np.isfinite(fit.lr_cutoff):
        ax.axhline(fit.lr_cutoff, color="C3", ls="--", lw=1,
                   label=f"bootstrap {fit.level:.0%} cut-off {fit.lr_cutoff:.2f}")
    lo, hi = fit.break_intervals[0]
    ax.axvspan(lo, hi, color="C0", alpha=0.15,
               label=f"{fit.level:.0%} interval [{lo:.1f}, {hi:.1f}] ({fit.interval_method})")
    g = fit.growth_by_segment
    head = f"{title}: " if title else ""
    ax.set_title(f"{head}break at {fit.breaks[0]:.1f}: {g[0]:.2f}x/yr -> {g[1]:.2f}x/yr",
                 fontsize=9)
    ax.set_xlabel("break year tau")
    ax.set_ylabel("n ln(RSS / RSS_min)")
    ax.set_ylim(0, max(20.0, 2 * (fit.lr_cutoff if np.isfinite(fit.lr_cutoff) else 3.841)))
    ax.legend(fontsize=8)
    return _finish(fig, path)


def plot_bootstrap(fit: TrendFit, *, reference: float | None = 4.0,
                   path: str | Path | None = None) -> Any:
    """Histogram of the bootstrap growth factors, the point estimate and a reference."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist(10.0 ** fit.boot_slopes, bins=50, color="C0", alpha=0.7)
    ax.axvline(fit.growth, color="k", lw=1, label=f"estimate {fit.growth:.2f}x/yr")
    lo, hi = fit.ci()
    ax.axvspan(lo, hi, color="C0", alpha=0.1, label=f"{fit.ci_level:.0%} CI")
    if reference is not None:
        ax.axvline(reference, color="C3", ls="--", label=f"report ~{reference:g}x/yr")
    ax.set_xlabel("growth per year")
    ax.legend(fontsize=8)
    return _finish(fig, path)


def plot_coverage(report: CoverageReport, *, path: str | Path | None = None) -> Any:
    """Heat map: leaf risks x tasks (1 where a task maps to the risk)."""
    plt = _plt()
    rows = report.table[report.table["kind"] != "risk_class"]
    tasks = sorted({t for ts in report.table["tasks"] for t in ts}
                   | set(report.capability_tasks) | set(report.unmapped_tasks))
    mat = np.array([[1.0 if t in ts else 0.0 for t in tasks] for ts in rows["tasks"]])
    fig, ax = plt.subplots(figsize=(4.5 + 0.5 * len(tasks), 0.35 * len(rows) + 1.5))
    ax.imshow(mat if mat.size else np.zeros((len(rows), 1)), cmap="Greens", vmin=0, vmax=1,
              aspect="auto")
    ax.set_yticks(range(len(rows)), list(rows["label"]), fontsize=7)
    ax.set_xticks(range(len(tasks)), tasks, rotation=45, ha="right", fontsize=7)
    ax.set_title("risk coverage of the evaluations", fontsize=9)
    return _finish(fig, path)
