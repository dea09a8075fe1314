"""The mutable build state that monsters write into while a benchmark is simulated."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


@dataclass
class SimState:
    """Arrays of one simulated benchmark under construction (private)."""

    D: np.ndarray  # (n,) item difficulty
    theta: np.ndarray  # (M,) evaluated abilities
    theta_ref: np.ndarray  # (K,) reference abilities
    logit: np.ndarray  # (n, M) evaluated models' logits
    item_cols: dict[str, np.ndarray] = field(default_factory=dict)
    row_cols: dict[str, np.ndarray] = field(default_factory=dict)  # (n, M) arrays
    y_override: np.ndarray | None = None  # (n, M) outcomes set by a monster
    edits: Any = None
    edges: list[tuple[str, str]] = field(default_factory=list)
    latent: set[str] = field(default_factory=set)
    selection: set[str] = field(default_factory=set)
    columns: dict[str, str] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    truth: dict[str, Any] = field(default_factory=dict)
    selection_weights: str | None = None
    hypotheses: list[Any] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.D)
