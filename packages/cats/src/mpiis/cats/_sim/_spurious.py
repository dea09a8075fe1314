"""Monster: spurious surface features that predict the label and are used (CAT-3)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._state import SimState, sigmoid

ROLES = ("artifact", "label_only", "used_only", "difficulty", "null")


@dataclass(frozen=True, kw_only=True)
class SpuriousFeatures:
    """A gold label ``L ~ Bern(1/2)`` and binary features with base rates ``U[0.1, 0.5]``:
    ``n_artifact`` artifacts (label shift +-``label_shift`` logit, used by the model),
    ``n_label_only``, ``n_used_only``, ``n_difficulty`` (+``difficulty_link`` D logit) and
    ``n_null`` null features. The prediction is
    ``1[u < s((2L-1)(2-D) + use * sum_used(2 S_j - 1))]``; one edited copy per item and feature
    flips ``S_j`` with the same ``u``, and both predictions get ``requery`` independent noise.
    """

    n_artifact: int = 5
    n_label_only: int = 5
    n_used_only: int = 5
    n_difficulty: int = 10
    n_null: int = 25
    label_shift: float = 0.5
    difficulty_link: float = 1.0
    use: float = 1.0
    requery: float = 0.02

    @property
    def roles(self) -> list[str]:
        return (["artifact"] * self.n_artifact + ["label_only"] * self.n_label_only
                + ["used_only"] * self.n_used_only + ["difficulty"] * self.n_difficulty
                + ["null"] * self.n_null)

    def apply(self, st: SimState, rng: np.random.Generator) -> None:
        n, m = st.logit.shape
        roles = self.roles
        J = len(roles)
        L = (rng.random(n) < 0.5).astype(float)
        base = rng.uniform(0.1, 0.5, J)
        sign = rng.choice([-1.0, 1.0], J)
        lo = np.log(base / (1 - base))[None, :] + np.zeros((n, J))
        for j, r in enumerate(roles):
            if r in ("artifact", "label_only"):
                lo[:, j] += sign[j] * self.label_shift * (2 * L - 1)
            elif r == "difficulty":
                lo[:, j] += self.difficulty_link * st.D
        S = (rng.random((n, J)) < sigmoid(lo)).astype(float)
        used = np.array([r in ("artifact", "used_only") for r in roles])
        core = (2 * L - 1) * (2 - st.D)
        u = rng.random((n, m))

        def predict(Smat):
            eta = core[:, None] + self.use * ((2 * Smat[:, used] - 1).sum(1))[:, None]
            pred = (u < sigmoid(eta)).astype(float)
            noise = rng.random(pred.shape) < self.requery
            return np.where(noise, 1 - pred, pred)

        pred = predict(S)
        names = [f"S{j:02d}" for j in range(J)]
        st.item_cols["L"] = L
        for j, nm in enumerate(names):
            st.item_cols[nm] = S[:, j]
        st.row_cols["pred"] = pred
        st.y_override = (pred == L[:, None]).astype(float)
        ids = np.char.add("item_", np.char.zfill(np.arange(n).astype(str), 5))
        edits = []
        for j, nm in enumerate(names):
            S2 = S.copy()
            S2[:, j] = 1 - S2[:, j]
            p2 = predict(S2)
            for k in range(m):
                edits.append(pd.DataFrame({"item_id": ids, "model": f"model_{k}",
                                           "feature": nm, "edit_to": S2[:, j],
                                           "pred_original": pred[:, k], "pred": p2[:, k]}))
        st.edits = pd.concat(edits, ignore_index=True)
        for nm, r in zip(names, roles, strict=True):
            if r in ("artifact", "label_only"):
                st.edges.append((f"U_{nm}", "L"))
                st.edges.append((f"U_{nm}", nm))
                st.latent.add(f"U_{nm}")
            if r in ("artifact", "used_only"):
                st.edges.append((nm, "pred"))
            if r == "difficulty":
                st.edges.append(("D", nm))
            st.columns[nm], st.types[nm] = nm, "binary"
        st.edges += [("D", "pred"), ("L", "pred"), ("pred", "Y"), ("L", "Y")]
        st.latent.add("D")
        st.columns.update(L="L", pred="pred")
        st.types.update(L="binary", pred="binary")
        st.truth["feature_roles"] = dict(zip(names, roles, strict=True))
        st.truth["spurious_monsters"] = [nm for nm, r in zip(names, roles, strict=True)
                                         if r == "artifact"]
