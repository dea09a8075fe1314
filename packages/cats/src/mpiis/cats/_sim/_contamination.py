"""Monster: test-set contamination inflates some models' scores (CAT-E2)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, kw_only=True)
class Contamination:
    """``n_leaked`` evaluated models saw ``leak_rate`` of the items in training (+``boost``
    logit on those); the observed overlap proxy is ``O = Leak + N(0, noise^2)`` (AUC 0.85).
    Evaluated abilities have SD ``ability_sd``.
    """

    n_leaked: int = 3
    leak_rate: float = 0.3
    boost: float = 1.5
    noise: float = 0.68
    ability_sd: float = 0.3

    def apply(self, st, rng: np.random.Generator) -> None:
        n, m = st.logit.shape
        theta = rng.normal(0.0, self.ability_sd, m)
        st.logit += (theta - st.theta)[None, :]
        st.theta[:] = theta
        leaked = np.zeros(m, bool)
        leaked[rng.choice(m, size=min(self.n_leaked, m), replace=False)] = True
        leak = (rng.random((n, m)) < self.leak_rate) & leaked[None, :]
        st.logit += self.boost * leak
        st.row_cols["overlap"] = leak + rng.normal(0.0, self.noise, (n, m))
        st.row_cols["leak"] = leak.astype(float)
        st.edges += [("Leak", "Overlap"), ("Leak", "Y"), ("D", "Y")]
        st.latent |= {"Leak", "D"}
        st.columns["Overlap"], st.types["Overlap"] = "overlap", "continuous"
        st.truth["leaked_models"] = [f"model_{j}" for j in np.flatnonzero(leaked)]
        st.truth["abilities"] = {f"model_{j}": float(t) for j, t in enumerate(theta)}
