"""Monster: the answer format changes success (CAT-E3, differential item functioning)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, kw_only=True)
class FormatSensitivity:
    """Each (item, model) row is asked in one of ``n_formats`` formats at random; format
    ``favoured`` adds ``effect`` logit."""

    n_formats: int = 4
    effect: float = 0.5
    favoured: int = 1

    def apply(self, st, rng: np.random.Generator) -> None:
        n, m = st.logit.shape
        fmt = rng.integers(0, self.n_formats, (n, m))
        st.logit += self.effect * (fmt == self.favoured)
        st.row_cols["format"] = fmt
        st.edges += [("format", "Y"), ("D", "Y")]
        st.latent.add("D")
        st.columns["format"], st.types["format"] = "format", "categorical"
        st.truth["format_effect"] = float(self.effect)
        st.truth["favoured_format"] = int(self.favoured)
