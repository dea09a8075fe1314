"""Generic result tables (CSV / Parquet / JSONL) through pandas, and the shared score map."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

SCORE_MAP = {"C": 1.0, "I": 0.0, "P": 0.5, "N": 0.0}  # inspect_ai's value_to_float


def score_value(v: Any) -> float:
    """C -> 1, I -> 0, P -> 0.5, N -> 0, booleans and numbers as they are; else NaN."""
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, str):
        if v in SCORE_MAP:
            return SCORE_MAP[v]
        try:
            return float(v)
        except ValueError:
            return float("nan")
    return float("nan")


def flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        elif isinstance(v, str | int | float | bool) or v is None:
            out[key] = v
    return out


def warn_dropped(dropped: list[str], what: str) -> None:
    if dropped:
        warnings.warn(f"{what}: dropped {len(dropped)} unusable record(s): "
                      f"{'; '.join(dropped[:5])}{' ...' if len(dropped) > 5 else ''}",
                      stacklevel=3)


def read_table(path: str | Path, *, required: tuple[str, ...] = ()) -> pd.DataFrame:
    """Read a CSV, TSV, Parquet or JSONL results table; rows with NaN in ``required`` columns
    are dropped, counted and named in one warning (``df.attrs["dropped"]``)."""
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"`path` {str(p)!r} does not exist")
    suf = p.suffix.lower()
    if suf == ".parquet":
        df = pd.read_parquet(p)
    elif suf in (".jsonl", ".ndjson"):
        df = pd.read_json(p, lines=True)
    elif suf == ".tsv":
        df = pd.read_csv(p, sep="\t")
    else:
        df = pd.read_csv(p)
    miss = [c for c in required if c not in df.columns]
    if miss:
        raise ValueError(f"{str(p)!r} misses the columns {miss}; it has {list(df.columns)}")
    if required:
        bad = df[list(required)].isna().any(axis=1).to_numpy()
        dropped = [f"row {i + 2}" for i in np.flatnonzero(bad)]
        warn_dropped(dropped, str(p))
        df = df[~bad].reset_index(drop=True)
        df.attrs["dropped"] = dropped
    return df
