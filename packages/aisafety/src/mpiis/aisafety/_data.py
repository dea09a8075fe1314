"""Loaders for model tables: any CSV in Epoch AI's "Notable AI Models" schema and the bundled
frontier table (paper brief, "Data"). Nothing is fetched; the user brings the CSV."""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ._schema import DATA_DIR

__all__ = [
    "CANONICAL_COLUMNS",
    "EPOCH_ALIASES",
    "EPOCH_COLUMNS",
    "QUANTITIES",
    "fractional_year",
    "load_frontier_table",
    "load_notable_models",
]

#: Epoch's published header -> our canonical column (the 2025 layout the brief names).
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
#: Other headers Epoch has used for the same columns (older and newer layouts), tried in
#: order after :data:`EPOCH_COLUMNS`; the first header present wins and is recorded in
#: ``df.attrs["columns_used"]``.
EPOCH_ALIASES: dict[str, tuple[str, ...]] = {
    "model": ("System",),
    "country": ("Country (of organization)", "Country (from organization)", "Country"),
    "dataset_size": ("Training dataset size (total)",
                     "(DEPRECATED) Training dataset size (datapoints)"),
    "training_power_w": ("Training power draw (W) ",),
    "accessibility": ("Open model weights?",),
}
QUANTITIES = ("parameters", "training_compute_flop", "dataset_size", "training_cost_usd2023",
              "training_power_w")
CANONICAL_COLUMNS = ("model", "organization", "country", "domain", "publication_date", "year",
                     "parameters", "training_compute_flop", "dataset_size",
                     "training_cost_usd2023", "training_power_w", "frontier", "confidence",
                     "accessibility", "source_line")
BUNDLED_SELECTION = ("bundled table: the 3 largest training-compute estimates per year "
                     "2012-2024 among Epoch-flagged frontier models (snapshot 2025-03-16)")
_TRUE = {"true", "yes", "y", "1", "checked", "x"}
_FALSE = {"false", "no", "n", "0", ""}


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


def _norm(header: str) -> str:
    return " ".join(header.replace("\ufeff", "").split()).casefold()


def _read_records(path: Path) -> tuple[list[str], list[list[str]], list[int], list[dict]]:
    """Header, records, the file line each record starts on, and records dropped for a wrong
    number of fields. Quoted cells may span lines, so a record's line is tracked by the csv
    reader, not computed from its index."""
    ragged: list[dict] = []
    records: list[list[str]] = []
    lines: list[int] = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, strict=True)
        try:
            header = next(reader)
        except StopIteration:
            raise ValueError(f"{path} is empty: expected an Epoch notable-models CSV") from None
        except csv.Error as exc:
            raise ValueError(f"{path}, line 1 (the header): {exc}") from None
        prev = reader.line_num
        while True:
            start = prev + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raise ValueError(f"{path}: malformed CSV in the record starting on line {start} "
                                 f"(after {len(records)} good records): {exc}") from None
            prev = reader.line_num
            if not row or all(not c.strip() for c in row):
                continue  # blank line
            if len(row) != len(header):
                ragged.append({"line": start, "model": row[0] if row else "",
                               "column": None, "value": None,
                               "reason": f"{len(row)} fields, header has {len(header)}"})
                continue
            records.append(row)
            lines.append(start)
    return header, records, lines, ragged


def _map_columns(header: list[str]) -> dict[str, int]:
    """canonical column -> index of the header cell that supplies it."""
    pos = {}
    for i, h in enumerate(header):
        pos.setdefault(_norm(h), i)
    out: dict[str, int] = {}
    for epoch, canon in EPOCH_COLUMNS.items():
        for name in (epoch, *EPOCH_ALIASES.get(canon, ())):
            if canon not in out and _norm(name) in pos:
                out[canon] = pos[_norm(name)]
    for canon, names in EPOCH_ALIASES.items():
        for name in names:
            if canon not in out and _norm(name) in pos:
                out[canon] = pos[_norm(name)]
    return out


def _parse_dates(text: pd.Series, lines: np.ndarray, names: pd.Series,
                 issues: list[dict]) -> pd.Series:
    text = text.str.strip()
    parsed = pd.to_datetime(text.where(text != ""), format="ISO8601", errors="coerce")
    for i in np.flatnonzero((parsed.isna() & (text != "")).to_numpy()):
        issues.append({"line": int(lines[i]), "model": names.iloc[i],
                       "column": "publication_date", "value": text.iloc[i],
                       "reason": "unparseable publication date"})
    return parsed


def _parse_flag(text: pd.Series, lines: np.ndarray, names: pd.Series,
                issues: list[dict]) -> pd.Series:
    low = text.str.strip().str.lower()
    for i in np.flatnonzero((~low.isin(_TRUE | _FALSE)).to_numpy()):
        issues.append({"line": int(lines[i]), "model": names.iloc[i], "column": "frontier",
                       "value": text.iloc[i],
                       "reason": "`Frontier model` is not True/False/empty: read as False"})
    return low.isin(_TRUE)


def _parse_number(text: pd.Series, column: str, lines: np.ndarray, names: pd.Series,
                  issues: list[dict]) -> pd.Series:
    clean = text.str.strip().str.replace(",", "", regex=False).str.replace("_", "", regex=False)
    clean = clean.where(clean != "")
    num = pd.to_numeric(clean, errors="coerce")
    for i in np.flatnonzero((num.isna() & clean.notna()).to_numpy()):
        issues.append({"line": int(lines[i]), "model": names.iloc[i], "column": column,
                       "value": text.iloc[i], "reason": "unparseable value"})
    return num.astype(float)


def _frame(df: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=pd.RangeIndex(len(df)))
    for col in CANONICAL_COLUMNS:
        out[col] = df[col].to_numpy() if col in df else np.nan
    return out


def load_notable_models(path: str | Path) -> pd.DataFrame:
    """Read a CSV in Epoch AI's "Notable AI Models" schema into canonical columns.

    Made for the table as it really is. Headers are matched after trimming spaces, a byte-order
    mark and case; Epoch's older and newer names for a column (:data:`EPOCH_ALIASES`, e.g.
    ``Training dataset size (total)``, ``Country (of organization)``, ``System``) are
    accepted, and every other column is ignored. Quoted cells may span several lines (notes,
    abstracts): each row's ``source_line`` is the file line its record starts on. ``Domain``
    may list several domains separated by commas. A row is never fatal:

    - an empty ``Publication date`` (announced, not released) leaves ``year`` NaN;
    - a date, number or ``Frontier model`` cell that cannot be read becomes NaN (False for the
      flag) and is listed in ``df.attrs["load_issues"]``;
    - a record with the wrong number of fields is left out and listed there too;
    - empty, zero or negative quantities are kept as they are.

    The fits then drop unusable rows per quantity, count them and name them
    (``TrendFit.dropped``). One :class:`DroppedRowsWarning` lists the load issues, if any.

    Args:
        path: the CSV file.

    Returns:
        A DataFrame with :data:`CANONICAL_COLUMNS`, one row per usable record;
        ``attrs``: ``selection`` (the file), ``columns_used`` (canonical -> header read),
        ``ignored_columns``, ``load_issues`` (dicts with ``line, model, column, value,
        reason``).

    Raises:
        FileNotFoundError: when ``path`` does not exist.
        ValueError: when the file is not in the Epoch schema, lacks required columns, or its
            CSV quoting is broken (the message names the line the bad record starts on).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"`path` {str(path)!r} does not exist or is not a file")
    try:
        header, records, lines, issues = _read_records(path)
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path} is not UTF-8 text (byte {exc.start}: {exc.reason}); Epoch's "
                         "CSV is UTF-8: re-save the file as UTF-8") from None
    cols = _map_columns(header)
    if not cols:
        raise ValueError(f"{path} is not an Epoch notable-models CSV: none of its columns "
                         f"{header[:8]} is an Epoch header such as 'Model' or "
                         f"'Publication date'")
    missing = [e for e, c in EPOCH_COLUMNS.items()
               if c in ("model", "publication_date") and c not in cols]
    if missing or not any(q in cols for q in QUANTITIES):
        need = missing + ([] if any(q in cols for q in QUANTITIES)
                          else ["one quantity column, e.g. 'Training compute (FLOP)'"])
        raise ValueError(f"{path}: missing required column(s) {need}")
    raw = pd.DataFrame({c: [r[i] for r in records] for c, i in cols.items()}, dtype=object)
    raw = raw.astype(str) if len(raw) else raw
    ln = np.asarray(lines, dtype=int)
    names = raw["model"].str.strip() if len(raw) else pd.Series([], dtype=object)
    df = pd.DataFrame({"model": names})
    for c in ("organization", "country", "domain", "confidence", "accessibility"):
        if c in raw:
            v = raw[c].str.strip()
            df[c] = v.where(v != "")
    df["publication_date"] = _parse_dates(raw["publication_date"], ln, names, issues)
    df["year"] = (fractional_year(df["publication_date"].fillna(pd.Timestamp(2000, 1, 1)))
                  if len(df) else np.zeros(0))
    df.loc[df["publication_date"].isna(), "year"] = np.nan
    for col in QUANTITIES:
        if col in raw:
            df[col] = _parse_number(raw[col], col, ln, names, issues)
    df["frontier"] = (_parse_flag(raw["frontier"], ln, names, issues) if "frontier" in raw
                      else False)
    df["source_line"] = ln
    out = _frame(df)
    out["frontier"] = out["frontier"].astype(bool)
    out["source_line"] = out["source_line"].astype(int)
    used = {c: header[i] for c, i in cols.items()}
    out.attrs["selection"] = f"all rows of {path.name}"
    out.attrs["columns_used"] = used
    out.attrs["ignored_columns"] = [h for h in header if h not in used.values()]
    out.attrs["load_issues"] = sorted(issues, key=lambda d: d["line"])
    if issues:
        from ._rows import DroppedRowsWarning

        shown = "; ".join(f"line {d['line']} {d['model']!r}: {d['reason']}"
                          + (f" ({d['column']}={d['value']!r})" if d["column"] else "")
                          for d in out.attrs["load_issues"][:5])
        more = f" and {len(issues) - 5} more" if len(issues) > 5 else ""
        warnings.warn(f"{path.name}: {len(issues)} cell(s) or record(s) could not be read: "
                      f"{shown}{more} (all in df.attrs['load_issues'])", DroppedRowsWarning,
                      stacklevel=2)
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
    df["source_line"] = np.arange(len(df)) + 2  # one line per record after the header
    out = _frame(df)
    out["frontier"] = out["frontier"].astype(bool)
    out.attrs["selection"] = BUNDLED_SELECTION
    out.attrs["source"] = str(raw["source"].iloc[0])
    return out
