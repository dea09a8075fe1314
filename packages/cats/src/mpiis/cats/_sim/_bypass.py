"""Monster: a right answer that bypasses the intended reasoning step (CAT-2)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._state import SimState, sigmoid


def mediation_truth(gamma_x: float, rng: np.random.Generator, n: int = 1_000_000) -> dict:
    """True NDE, NIE, TE and PM of the bypass model by Monte Carlo over D ~ N(0, 1)."""
    D = rng.standard_normal(n)
    pm0, pm1 = sigmoid(-1.5 * D), sigmoid(1.5 - 1.5 * D)

    def ey(x, m):
        return sigmoid(-0.5 + 1.5 * m + gamma_x * x - 1.5 * D)

    nde = np.mean((ey(1, 1) - ey(0, 1)) * pm0 + (ey(1, 0) - ey(0, 0)) * (1 - pm0))
    nie = np.mean((ey(1, 1) - ey(1, 0)) * (pm1 - pm0))
    return {"nde": float(nde), "nie": float(nie), "te": float(nde + nie),
            "pm": float(nie / (nde + nie))}


@dataclass(frozen=True, kw_only=True)
class MediatorBypass:
    """Cue ``X_i ~ Bern(1/2)``; ``M ~ Bern(s(1.5 X - 1.5 D))`` (the reasoning step);
    ``Y ~ Bern(s(-0.5 + 1.5 M + direct X - 1.5 D))``. Difficulty confounds M and Y.

    Attributes:
        direct: gamma_X, the bypass (direct effect of the cue on success).
        mc_draws: Monte Carlo draws for the true NDE/NIE (10^6).
    """

    direct: float = 0.5
    mc_draws: int = 1_000_000

    def apply(self, st: SimState, rng: np.random.Generator) -> None:
        n, m = st.logit.shape
        X = (rng.random(n) < 0.5).astype(float)
        M = (rng.random((n, m)) < sigmoid(1.5 * X[:, None] - 1.5 * st.D[:, None])).astype(float)
        p = sigmoid(-0.5 + 1.5 * M + self.direct * X[:, None] - 1.5 * st.D[:, None])
        st.y_override = (rng.random((n, m)) < p).astype(float)
        st.item_cols["X"] = X
        st.row_cols["M"] = M
        st.edges += [("X", "M"), ("M", "Y"), ("X", "Y"), ("D", "M"), ("D", "Y")]
        st.latent.add("D")
        st.columns.update(X="X", M="M")
        st.types.update(X="binary", M="binary")
        st.truth.update({f"bypass_{k}": v for k, v in mediation_truth(
            self.direct, np.random.default_rng(rng.integers(2**31)), self.mc_draws).items()})
        st.truth["bypass_direct"] = float(self.direct)
