"""Multi-environment data: ``MultiEnvData`` and the coercion of user inputs (brief, "Data")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from mpiis.shared.validation import check_array

__all__ = ["GroundTruth", "MultiEnvData", "as_multienv"]


@dataclass(frozen=True, kw_only=True, eq=False)
class GroundTruth:
    """What a simulator knows: the causal graph, the partition of environments of every
    mechanism (``mechanism -> tuple of env-index blocks``) and the per-environment parameters
    (``type name -> (N,) array``)."""

    graph: nx.DiGraph
    partitions: Mapping[str, tuple[tuple[int, ...], ...]] = field(default_factory=dict)
    parameters: Mapping[str, np.ndarray] = field(default_factory=dict)


def _check_env(x: Any, e: int, d: int | None) -> np.ndarray:
    name = f"envs[{e}]"
    # finiteness is checked by the caller, which names the column
    arr = check_array(x, name, ndim=2, dtype="float", finite=False)
    if d is not None and arr.shape[1] != d:
        raise ValueError(f"`{name}` must have d = {d} columns like envs[0], got shape {arr.shape}")
    return arr.astype(np.float64)


@dataclass(frozen=True, eq=False)
class MultiEnvData:
    """Samples from ``N`` environments with known labels, over the same ``d`` columns.

    Attributes:
        envs: ``N`` arrays, ``envs[e]`` of shape ``(n_e, d)``.
        columns: the ``d`` column names (node names of every graph).
        truth: the simulator's ground truth, or ``None`` for user data.

    Raises:
        ValueError: on non-2-D environments, differing column counts, fewer than ``d + 2`` rows,
            NaN/Inf (naming the environment and column) or a singular covariance.
    """

    envs: tuple[np.ndarray, ...]
    columns: tuple[str, ...] = ()
    truth: GroundTruth | None = None

    def __post_init__(self) -> None:
        if isinstance(self.envs, np.ndarray) or not isinstance(self.envs, Sequence):
            raise TypeError(
                f"`envs` must be a list/tuple of 2-D arrays, got {type(self.envs).__name__}"
            )
        if len(self.envs) == 0:
            raise ValueError("`envs` must hold at least one environment, got 0")
        first = _check_env(self.envs[0], 0, None)
        d = first.shape[1]
        envs = [first] + [_check_env(x, e, d) for e, x in enumerate(self.envs) if e > 0]
        columns = tuple(self.columns) if self.columns else tuple(f"X{i + 1}" for i in range(d))
        if len(columns) != d or len(set(columns)) != d:
            raise ValueError(f"`columns` must be {d} distinct names, got {columns!r}")
        columns = tuple(str(c) for c in columns)
        for e, x in enumerate(envs):
            if x.shape[0] < d + 2:
                raise ValueError(
                    f"`envs[{e}]` must have at least d + 2 = {d + 2} rows, got {x.shape[0]}"
                )
            bad = ~np.isfinite(x)
            if bad.any():
                col = columns[int(np.nonzero(bad.any(axis=0))[0][0])]
                raise ValueError(
                    f"`envs[{e}]` must be finite, got {int(bad.sum())} NaN/Inf value(s) "
                    f"(first in column {col!r})"
                )
            cov = np.atleast_2d(np.cov(x, rowvar=False))
            eig = np.linalg.eigvalsh(cov)
            if not eig.min() > 1e-12 * max(eig.max(), 1e-300):
                raise ValueError(
                    f"`envs[{e}]` has a singular covariance (a constant or collinear column); "
                    f"smallest eigenvalue {eig.min():.3g}"
                )
            x.setflags(write=False)
        object.__setattr__(self, "envs", tuple(envs))
        object.__setattr__(self, "columns", columns)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_arrays(
        cls, arrays: Sequence[np.ndarray], columns: Sequence[str] | None = None
    ) -> MultiEnvData:
        """From a list of per-environment arrays ``(n_e, d)``."""
        return cls(tuple(arrays), tuple(columns or ()))

    @classmethod
    def from_labels(
        cls, X: np.ndarray, env: np.ndarray, columns: Sequence[str] | None = None
    ) -> MultiEnvData:
        """From stacked samples ``X (n, d)`` and environment labels ``env (n,)``; environments
        are ordered by sorted label."""
        X = np.asarray(X)
        env = np.asarray(env)
        if X.ndim != 2:
            raise ValueError(f"`X` must be a 2-D array (n, d), got shape {X.shape}")
        if env.shape != (X.shape[0],):
            raise ValueError(f"`env` must have shape ({X.shape[0]},), got {env.shape}")
        labels = np.unique(env)
        return cls(tuple(X[env == lab] for lab in labels), tuple(columns or ()))

    @classmethod
    def from_frame(cls, df: Any, env_column: str) -> MultiEnvData:
        """From a pandas-like DataFrame with one environment column (duck-typed; CSV/Parquet
        go through pandas, extra ``mpiis-algocausal[pandas]``)."""
        if not hasattr(df, "columns") or not hasattr(df, "to_numpy"):
            raise TypeError(f"`df` must be a DataFrame, got {type(df).__name__}")
        if env_column not in list(df.columns):
            raise ValueError(f"`env_column` {env_column!r} is not a column of `df`")
        cols = [c for c in df.columns if c != env_column]
        return cls.from_labels(df[cols].to_numpy(), df[env_column].to_numpy(), cols)

    @classmethod
    def from_npz(cls, path: str | Path) -> MultiEnvData:
        """From an ``.npz`` file with arrays ``X (n, d)``, ``env (n,)`` and optional
        ``columns``."""
        with np.load(Path(path), allow_pickle=False) as f:
            if "X" not in f or "env" not in f:
                raise ValueError(f"`path` {str(path)!r} must hold arrays 'X' and 'env'")
            cols = [str(c) for c in f["columns"]] if "columns" in f else None
            return cls.from_labels(f["X"], f["env"], cols)

    # ------------------------------------------------------------------ properties
    @property
    def n_envs(self) -> int:
        return len(self.envs)

    @property
    def n_vars(self) -> int:
        return len(self.columns)

    @property
    def n_samples(self) -> tuple[int, ...]:
        return tuple(int(x.shape[0]) for x in self.envs)


def as_multienv(data: Any, name: str = "data") -> MultiEnvData:
    """Coerce ``data`` (``MultiEnvData`` or a list of arrays) into ``MultiEnvData``."""
    if isinstance(data, MultiEnvData):
        return data
    if isinstance(data, list | tuple):
        return MultiEnvData.from_arrays(data)
    raise TypeError(
        f"`{name}` must be MultiEnvData or a list of (n_e, d) arrays, got {type(data).__name__}"
    )
