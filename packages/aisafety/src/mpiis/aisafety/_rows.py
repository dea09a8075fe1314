"""Which rows of a model table a fit can use, and why the others are dropped (paper brief,
"Data preparation"; DESIGN, "Real data").

Real tables (Epoch AI's notable-models CSV) hold models announced but not released (no
publication date), estimates not made yet (an empty cell), zeros where a logarithm is taken and
cells a loader could not parse. A fit never fails over one such row: :func:`usable_rows` drops
it, counts it by reason and names it (``"GPT-4 (line 1234)"``), the fit keeps the names in its
metadata (``TrendFit.dropped``) and says so in one :class:`DroppedRowsWarning`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "DROP_REASONS",
    "DroppedRowsWarning",
    "InsufficientDataError",
    "Series",
    "prepare_series",
    "usable_rows",
    "warn_dropped",
]

#: Reasons a row is left out of a fit, in the order they are checked.
DROP_REASONS: tuple[str, ...] = (
    "no publication date",  # empty date cell: announced, not released
    "unparseable publication date",  # a date cell the loader could not read
    "missing value",  # empty quantity cell
    "unparseable value",  # a quantity cell the loader could not read as a number
    "value <= 0",  # zero or negative: no logarithm
    "non-finite value",  # +/-inf
)


class DroppedRowsWarning(UserWarning):
    """A fit left out rows it could not use; the fit's ``dropped`` names them by reason."""


class InsufficientDataError(ValueError):
    """Too few usable rows for a fit (or no spread in their years)."""


@dataclass(frozen=True)
class Series:
    """The usable rows of one quantity in a window.

    Attributes:
        t: fractional years, shape ``(n,)``.
        ly: log10 of the quantity, shape ``(n,)``.
        names: model names, shape ``(n,)``.
        dropped: reason -> labels (``"model (line L)"``) of the rows left out.
    """

    t: np.ndarray
    ly: np.ndarray
    names: np.ndarray
    dropped: Mapping[str, tuple[str, ...]]

    @property
    def n_dropped(self) -> int:
        return sum(len(v) for v in self.dropped.values())

    def drop_counts(self) -> dict[str, int]:
        """reason -> number of rows dropped for it (reasons with none are left out)."""
        return {k: len(v) for k, v in self.dropped.items() if v}


def _years(df: pd.DataFrame) -> np.ndarray:
    if "year" in df.columns:
        return pd.to_numeric(df["year"], errors="coerce").to_numpy(float)
    if "publication_date" in df.columns:
        from ._data import fractional_year

        d = pd.to_datetime(df["publication_date"], errors="coerce")
        out = np.full(len(df), np.nan)
        ok = d.notna().to_numpy()
        if ok.any():
            out[ok] = fractional_year(d[ok])
        return out
    raise KeyError(f"`df` needs a 'year' or 'publication_date' column; available: "
                   f"{list(df.columns)}")


def _labels(df: pd.DataFrame) -> np.ndarray:
    names = (df["model"].astype(str).to_numpy() if "model" in df.columns
             else np.asarray([f"row {i}" for i in range(len(df))]))
    if "source_line" in df.columns:
        lines = pd.to_numeric(df["source_line"], errors="coerce").to_numpy(float)
        return np.asarray([n if np.isnan(ln) else f"{n} (line {int(ln)})"
                           for n, ln in zip(names, lines, strict=True)], dtype=object)
    return names.astype(object)


def _issue_mask(df: pd.DataFrame, column: str) -> np.ndarray:
    """Rows whose ``column`` cell the loader could not parse (``df.attrs["load_issues"]``)."""
    issues = df.attrs.get("load_issues") or ()
    lines = {int(i["line"]) for i in issues if i.get("column") == column and "line" in i}
    if not lines or "source_line" not in df.columns:
        return np.zeros(len(df), dtype=bool)
    return df["source_line"].isin(lines).to_numpy()


def usable_rows(df: pd.DataFrame, y: str, start: float, end: float) -> Series:
    """Rows of ``df`` in ``[start, end)`` with a positive, finite ``y``; the rest of the window
    (and every row without a publication date) is dropped and named by reason.

    Args:
        df: a canonical model table (``year`` or ``publication_date``, and ``y``).
        y: the quantity column.
        start, end: half-open window on the fractional year.

    Raises:
        TypeError: ``df`` is not a DataFrame or ``y`` not a string.
        KeyError: unknown column (the message lists the available ones).
        ValueError: ``y`` holds text that is not a number (a frame not made by the loader).
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"`df` must be a pandas DataFrame, got {type(df).__name__}")
    if not isinstance(y, str):
        raise TypeError(f"`y` must be a column name (str), got {type(y).__name__}")
    if y not in df.columns:
        raise KeyError(f"`y` column {y!r} not found; available: {list(df.columns)}")
    t_all = _years(df)
    labels = _labels(df)
    vals = pd.to_numeric(df[y], errors="coerce").to_numpy(float)
    nonnum = np.isnan(vals) & df[y].notna().to_numpy()
    if nonnum.any():
        i = int(np.flatnonzero(nonnum)[0])
        raise ValueError(f"`{y}` must be numeric, got {df[y].iloc[i]!r} for model {labels[i]!r}")
    no_date = np.isnan(t_all)
    bad_date = no_date & _issue_mask(df, "publication_date")
    inwin = ~no_date & (t_all >= start) & (t_all < end)
    missing = inwin & np.isnan(vals)
    bad_val = missing & _issue_mask(df, y)
    with np.errstate(invalid="ignore"):
        nonpos = inwin & ~np.isnan(vals) & (vals <= 0)
    nonfin = inwin & np.isinf(vals) & (vals > 0)
    masks = {
        "no publication date": no_date & ~bad_date,
        "unparseable publication date": bad_date,
        "missing value": missing & ~bad_val,
        "unparseable value": bad_val,
        "value <= 0": nonpos,
        "non-finite value": nonfin,
    }
    keep = inwin & np.isfinite(vals) & (vals > 0)
    dropped = {r: tuple(str(v) for v in labels[m]) for r, m in masks.items()}
    names = (df["model"].astype(str).to_numpy() if "model" in df.columns
             else np.asarray([f"row {i}" for i in range(len(df))]))
    return Series(t_all[keep], np.log10(vals[keep]), names[keep], dropped)


def check_enough(s: Series, y: str, start: float, end: float, minimum: int = 5) -> Series:
    """Raise :class:`InsufficientDataError` unless ``s`` has ``minimum`` rows spread in time."""
    if len(s.t) < minimum:
        raise InsufficientDataError(
            f"need >= {minimum} rows with `{y}` in [{start:g}, {end:g}), got {len(s.t)}"
            + (f" ({s.n_dropped} dropped: {s.drop_counts()})" if s.n_dropped else ""))
    if np.ptp(s.t) == 0:
        raise InsufficientDataError(f"all {len(s.t)} rows share the year {s.t[0]}: zero "
                                    "variance in t")
    return s


def prepare_series(df: pd.DataFrame, y: str, start: float, end: float
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """``(t, log10 y, model names, n_dropped)`` of the usable rows in ``[start, end)``.

    Raises:
        InsufficientDataError: fewer than 5 usable rows, or all in the same year.
    """
    s = check_enough(usable_rows(df, y, start, end), y, start, end)
    return s.t, s.ly, s.names, s.n_dropped


def warn_dropped(what: str, dropped: Mapping[str, tuple[str, ...]], *, stacklevel: int = 3,
                 show: int = 3) -> None:
    """One :class:`DroppedRowsWarning` naming the rows a fit left out, by reason."""
    parts = []
    for reason, rows in dropped.items():
        if rows:
            more = f" and {len(rows) - show} more" if len(rows) > show else ""
            parts.append(f"{len(rows)} {reason} ({', '.join(rows[:show])}{more})")
    if parts:
        warnings.warn(f"{what}: dropped " + "; ".join(parts), DroppedRowsWarning,
                      stacklevel=stacklevel)


def dropped_to_json(dropped: Mapping[str, tuple[str, ...]]) -> dict[str, Any]:
    """``{"counts": {reason: n}, "rows": {reason: [labels]}}`` for reasons with rows."""
    return {"counts": {k: len(v) for k, v in dropped.items() if v},
            "rows": {k: list(v) for k, v in dropped.items() if v}}
