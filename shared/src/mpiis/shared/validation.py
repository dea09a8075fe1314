"""Argument checks shared by every package: each error names the argument, what was expected
and what arrived, so a user can fix the call without reading the source."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = [
    "check_array",
    "check_choice",
    "check_fraction",
    "check_int",
    "check_positive",
]


def _describe(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return f"array of shape {x.shape} and dtype {x.dtype}"
    return f"{type(x).__name__} {x!r}" if not hasattr(x, "shape") else f"{type(x).__name__}"


def check_array(
    x: Any,
    name: str,
    *,
    ndim: int | tuple[int, ...] | None = None,
    shape: tuple[int | None, ...] | None = None,
    dtype: str = "float",
    finite: bool = True,
    min_rows: int = 0,
    copy: bool = False,
) -> np.ndarray:
    """Convert ``x`` to a numpy array and check it.

    Args:
        x: array-like input.
        name: the argument's name, used in every error message.
        ndim: required number of dimensions (an int or a tuple of allowed values).
        shape: required shape; ``None`` entries match any size.
        dtype: ``"float"`` (integers and booleans are cast to float64, other objects refused),
            ``"numeric"`` (any real number type, kept as is) or ``"any"``.
        finite: refuse NaN and +/-Inf.
        min_rows: smallest allowed ``len(x)``.
        copy: return a copy even when no conversion was needed.

    Returns:
        The checked array (float64 for ``dtype="float"`` unless the input was already float32).

    Raises:
        TypeError: when ``x`` is not numeric.
        ValueError: on a wrong rank or shape, too few rows, or non-finite values.
    """
    if x is None:
        raise TypeError(f"`{name}` must be an array, got None")
    try:
        arr = np.array(x, copy=copy) if copy else np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"`{name}` must be convertible to a numpy array: {exc}") from exc
    if dtype in ("float", "numeric"):
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"`{name}` must be a real numeric array, got dtype {arr.dtype}")
        if dtype == "float" and arr.dtype.kind != "f":
            arr = arr.astype(np.float64)
    elif dtype != "any":
        raise ValueError(f"`dtype` must be 'float', 'numeric' or 'any', got {dtype!r}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = allowed[0] if len(allowed) == 1 else " or ".join(map(str, allowed))
            raise ValueError(f"`{name}` must have {want} dimensions, got shape {arr.shape}")
    if shape is not None:
        if arr.ndim != len(shape) or any(
            s is not None and s != a for s, a in zip(shape, arr.shape, strict=True)
        ):
            want = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
            raise ValueError(f"`{name}` must have shape {want}, got {arr.shape}")
    if min_rows and (arr.ndim == 0 or arr.shape[0] < min_rows):
        got = 0 if arr.ndim == 0 else arr.shape[0]
        raise ValueError(f"`{name}` must have at least {min_rows} rows, got {got}")
    if finite and arr.dtype.kind == "f" and not np.isfinite(arr).all():
        bad = int(np.size(arr) - np.isfinite(arr).sum())
        raise ValueError(f"`{name}` must be finite, got {bad} NaN or Inf value(s)")
    return arr


def check_int(x: Any, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Check that ``x`` is an integer (not a bool) within ``[minimum, maximum]``."""
    if isinstance(x, bool) or not isinstance(x, int | np.integer):
        raise TypeError(f"`{name}` must be an int, got {_describe(x)}")
    if minimum is not None and x < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}, got {x}")
    if maximum is not None and x > maximum:
        raise ValueError(f"`{name}` must be <= {maximum}, got {x}")
    return int(x)


def check_positive(x: Any, name: str, *, strict: bool = True) -> float:
    """Check that ``x`` is a finite real number, > 0 (``strict``) or >= 0."""
    if isinstance(x, bool) or not isinstance(x, int | float | np.integer | np.floating):
        raise TypeError(f"`{name}` must be a real number, got {_describe(x)}")
    v = float(x)
    if not np.isfinite(v) or (v <= 0 if strict else v < 0):
        raise ValueError(f"`{name}` must be {'> 0' if strict else '>= 0'} and finite, got {x}")
    return v


def check_fraction(
    x: Any, name: str, *, low_open: bool = False, high_open: bool = False
) -> float:
    """Check that ``x`` is a real number in [0, 1] (ends open as requested)."""
    if isinstance(x, bool) or not isinstance(x, int | float | np.integer | np.floating):
        raise TypeError(f"`{name}` must be a real number, got {_describe(x)}")
    v = float(x)
    lo_ok = v > 0 if low_open else v >= 0
    hi_ok = v < 1 if high_open else v <= 1
    if not (np.isfinite(v) and lo_ok and hi_ok):
        interval = ("(" if low_open else "[") + "0, 1" + (")" if high_open else "]")
        raise ValueError(f"`{name}` must lie in {interval}, got {x}")
    return v


def check_choice(x: Any, name: str, choices: Iterable[Any]) -> Any:
    """Check that ``x`` is one of ``choices``."""
    options = tuple(choices)
    if x not in options:
        raise ValueError(f"`{name}` must be one of {options}, got {x!r}")
    return x
