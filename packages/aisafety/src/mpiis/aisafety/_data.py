"""Loaders for model tables: any CSV in Epoch AI's "Notable AI Models" schema and the bundled
frontier table (paper brief, "Data"). Nothing is fetched; the user brings the CSV."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ._schema import DATA_DIR

__all__ = [
    "CANONICAL_COLUMNS",
    "EPOCH_COLUMNS",
    "QUANTITIES",
    "fractional_year",
    "load_frontier_table",
    "load_notable_models",
]

#: Epoch's published header -> our canonical column.
EPOCH_COLUMNS: dict[str, str] = {
    "Model": "model",
    "Organization": "organization",
    "Country (from Organization)": "country",
    "Domain": "domain",
    "Publication date": "publication_date",
    "Parameters": "parameters",
    "Training compute (FLOP)": "training_compute_flop",
    "Training dataset size (datapoints)": "dataset_size",
    "Training compute cost (2023 USD)": "training_cost_usd2023",
    "Training power draw (W)": "training_power_w",
    "Frontier model": "frontier",
    "Confidence": "confidence",
    "Model accessibility": "accessibility",
}
QUANTITIES = ("parameters", "training_compute_flop", "dataset_size", "training_cost_usd2023",
              "training_power_w")
CANONICAL_COLUMNS = ("model", "organization", "country", "domain", "publication_date", "year",
                     "parameters", "training_compute_flop", "dataset_size",
                     "training_cost_usd2023", "training_power_w", "frontier", "confidence",
                     "accessibility")
BUNDLED_SELECTION = ("bundled table: the 3 largest training-compute estimates per year "
                     "2012-2024 among Epoch-flagged frontier models (snapshot 2025-03-16)")


def fractional_year(dates: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """t = year + (day_of_year - 1) / days_in_year (method, "Data preparation").

    Args:
        dates: datetimes, shape ``(n,)``.

    Returns:
        Float array ``(n,)``; 2024-01-01 gives 2024.0.
    """
    d = pd.DatetimeIndex(dates)
    days = np.where(d.is_leap_year, 366.0, 365.0)
    return d.year.to_numpy(float) + (d.day_of_year.to_numpy(float) - 1.0) / days


def _parse_dates(raw: pd.Series, path: Path | str) -> pd.Series:
    text = raw.fillna("").astype(str).str.strip()
    parsed = pd.to_datetime(text.where(text != ""), format="ISO8601", errors="coerce")
    bad = parsed.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(f"{path}: unparseable `Publication date` {text.iloc[i]!r} in data row "
                         f"{i + 1} (file line {i + 2})")
    return parsed


def _parse_flag(raw: pd.Series, path: Path | str) -> pd.Series:
    text = raw.fillna("").astype(str).str.strip().str.lower()
    ok = text.isin(["true", "false", ""])
    if not ok.all():
        i = int(np.flatnonzero(~ok.to_numpy())[0])
        raise ValueError(f"{path}: `Frontier model` must be True, False or empty, got "
                         f"{raw.iloc[i]!r} in data row {i + 1}")
    return text == "true"


def _parse_number(raw: pd.Series, column: str, path: Path | str) -> pd.Series:
    text = raw.astype("string").str.strip().str.replace(",", "", regex=False)
    text = text.where(text != "")
    num = pd.to_numeric(text, errors="coerce")
    bad = num.isna() & text.notna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(f"{path}: `{column}` must be numeric, got {raw.iloc[i]!r} in data "
                         f"row {i + 1}")
    return num.astype(float)


def _frame(df: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=pd.RangeIndex(len(df)))
    for col in CANONICAL_COLUMNS:
        out[col] = df[col].to_numpy() if col in df else np.nan
    return out


def load_notable_models(path: str | Path) -> pd.DataFrame:
    """Read a CSV in Epoch AI's "Notable AI Models" schema into canonical columns.

    Epoch's headers (:data:`EPOCH_COLUMNS`) are renamed; other columns are ignored. The
    ``Frontier model`` cell is "True" or empty; ``Domain`` may list several domains separated by
    commas. ``year`` is the fractional publication year. Missing quantities stay NaN (they are
    dropped, and counted, by the fits).

    Args:
        path: the CSV file.

    Returns:
        A DataFrame with :data:`CANONICAL_COLUMNS`, one row per model, ``attrs["selection"]``
        naming the file.

    Raises:
        FileNotFoundError: when ``path`` does not exist.
        ValueError: when the file is not in the Epoch schema, lacks required columns, has an
            unparseable date, a non-numeric quantity or a bad ``Frontier model`` cell.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"`path` {str(path)!r} does not exist or is not a file")
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    raw.columns = [c.strip() for c in raw.columns]
    known = [c for c in raw.columns if c in EPOCH_COLUMNS]
    if not known:
        raise ValueError(f"{path} is not an Epoch notable-models CSV: none of its columns "
                         f"{list(raw.columns)[:8]} is an Epoch header such as 'Model' or "
                         f"'Publication date'")
    missing = [c for c in ("Model", "Publication date") if c not in raw.columns]
    qcols = [c for c, v in EPOCH_COLUMNS.items() if v in QUANTITIES and c in raw.columns]
    if missing or not qcols:
        need = missing + ([] if qcols else ["one quantity column, e.g. 'Training compute (FLOP)'"])
        raise ValueError(f"{path}: missing required column(s) {need}")
    df = raw[known].rename(columns=EPOCH_COLUMNS)
    df["publication_date"] = _parse_dates(df["publication_date"], path)
    df["year"] = fractional_year(df["publication_date"])
    for col in QUANTITIES:
        if col in df:
            df[col] = _parse_number(df[col], col, path)
    df["frontier"] = _parse_flag(df["frontier"], path) if "frontier" in df else False
    out = _frame(df)
    out["frontier"] = out["frontier"].astype(bool)
    out.attrs["selection"] = f"all rows of {path.name}"
    return out


def load_frontier_table() -> pd.DataFrame:
    """The bundled frontier table (38 rows, 2012-2024) in the canonical frame.

    The rows are the three largest training-compute estimates per year among models that Epoch
    AI flags as frontier models (Notable AI Models, snapshot 2025-03-16, CC BY 4.0; 2018 has
    two), so ``frontier`` is True on every row; columns the table lacks are empty.
    """
    raw = pd.read_csv(DATA_DIR / "models" / "frontier_top3.csv", dtype=str)
    df = pd.DataFrame({
        "model": raw["model"], "organization": raw["organization"],
        "publication_date": pd.to_datetime(raw["publication_date"], format="%Y-%m-%d"),
        "training_compute_flop": raw["training_compute_flop"].astype(float),
    })
    df["year"] = fractional_year(df["publication_date"])
    df["frontier"] = True
    out = _frame(df)
    out["frontier"] = out["frontier"].astype(bool)
    out.attrs["selection"] = BUNDLED_SELECTION
    out.attrs["source"] = str(raw["source"].iloc[0])
    return out
