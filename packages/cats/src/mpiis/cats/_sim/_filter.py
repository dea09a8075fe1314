"""Monster: adversarial filtering makes a harmless feature look predictive (CAT-E1)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._state import sigmoid


@dataclass(frozen=True, kw_only=True)
class AdversarialFilter:
    """A pool of items with a feature ``S ~ N(0, 1)`` independent of difficulty; a filter model
    with logit ``0.5 - 1.5 D + 1.5 S``; items it fails are kept with probability 1, items it
    solves with ``keep_solved``. ``selection_prob`` is a column; the target does not use S.

    Attributes:
        pool: items before filtering (6000).
        keep_solved: keep probability of items the filter solves (0.05).
    """

    pool: int = 6000
    keep_solved: float = 0.05

    def select(self, D: np.ndarray, rng: np.random.Generator):
        S = rng.standard_normal(len(D))
        solved = rng.random(len(D)) < sigmoid(0.5 - 1.5 * D + 1.5 * S)
        pi = np.where(solved, self.keep_solved, 1.0)
        keep = rng.random(len(D)) < pi
        return keep, S, pi

    def apply(self, st, rng) -> None:  # the selection happens in simulate()
        st.edges += [("S", "R"), ("D", "R"), ("R", "Sel"), ("D", "Y")]
        st.latent |= {"D", "R"}
        st.selection.add("Sel")
        st.columns["S"], st.types["S"] = "S", "continuous"
        st.selection_weights = "selection_prob"
        st.truth["filter_effect"] = 0.0
