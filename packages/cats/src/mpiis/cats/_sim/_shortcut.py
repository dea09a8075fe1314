"""Monster: a shortcut feature confounded with difficulty (CAT-1)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._state import SimState


@dataclass(frozen=True, kw_only=True)
class Shortcut:
    """``F_i = c D_i + eps_i`` (eps ~ N(0, 1)); the evaluated models' logit gains ``beta F_i``.

    Attributes:
        strength: beta, the true causal effect of F on success (logit scale; truth).
        confounding: c, how strongly F tracks difficulty.
    """

    strength: float = 0.3
    confounding: float = 1.0

    def apply(self, st: SimState, rng: np.random.Generator) -> None:
        F = self.confounding * st.D + rng.standard_normal(st.n)
        st.item_cols["F"] = F
        st.logit += self.strength * F[:, None]
        st.edges += [("D", "F"), ("D", "Y"), ("F", "Y")]
        st.latent.add("D")
        st.columns["F"], st.types["F"] = "F", "continuous"
        st.truth["shortcut_effect"] = float(self.strength)
