"""The planted-monster simulator of LLM-style benchmark results with ground truth
(brief: "Data", simulator)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mpiis.cats._design import key_to_rng
from mpiis.cats._graph import CausalGraph
from mpiis.cats._spec import EvalSpec, Proxy

from ._bypass import MediatorBypass
from ._contamination import Contamination
from ._filter import AdversarialFilter
from ._format import FormatSensitivity
from ._shortcut import Shortcut
from ._spurious import SpuriousFeatures
from ._state import SimState, sigmoid

__all__ = ["SimBenchmark", "SimConfig", "simulate"]

MONSTERS = (Shortcut, MediatorBypass, SpuriousFeatures, AdversarialFilter, Contamination,
            FormatSensitivity)


@dataclass(frozen=True, kw_only=True)
class SimConfig:
    """A simulated benchmark.

    Attributes:
        n_items: items (2000); an ``AdversarialFilter`` replaces it by its filtered pool.
        n_models: evaluated models (10).
        n_reference: reference models whose responses feed the IRT proxy (20).
        ability_sd: SD of abilities (1.0).
        difficulty_sd: SD of item difficulty (1.0).
        difficulty_slope: evaluated models' logit is ``theta - slope * D`` (1.5).
        monsters: planted monsters (frozen dataclasses).
    """

    n_items: int = 2000
    n_models: int = 10
    n_reference: int = 20
    ability_sd: float = 1.0
    difficulty_sd: float = 1.0
    difficulty_slope: float = 1.5
    monsters: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        for name in ("n_items", "n_models", "n_reference"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 1:
                raise ValueError(f"`{name}` must be a positive int, got {v!r}")
        for name in ("ability_sd", "difficulty_sd"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and np.isfinite(v) and v > 0):
                raise ValueError(f"`{name}` must be a positive finite number, got {v!r}")
        object.__setattr__(self, "monsters", tuple(self.monsters))
        for m in self.monsters:
            if not isinstance(m, MONSTERS):
                raise TypeError(f"`monsters` must hold monster dataclasses "
                                f"{[c.__name__ for c in MONSTERS]}, got {type(m).__name__}")
        if sum(isinstance(m, MediatorBypass | SpuriousFeatures) for m in self.monsters) > 1:
            raise ValueError("`monsters` may hold at most one of MediatorBypass and "
                             "SpuriousFeatures (each sets the outcome itself)")

    @classmethod
    def tiny(cls, **kw) -> SimConfig:
        """200 items, 2 evaluated and 5 reference models (tests)."""
        return cls(**{"n_items": 200, "n_models": 2, "n_reference": 5, **kw})


@dataclass(frozen=True, eq=False)
class SimBenchmark:
    """A simulated benchmark.

    Attributes:
        items: one row per item (``item_id``, the true difficulty ``D`` and monster features).
        responses: long item x model rows (``item_id``, ``model``, ``is_reference``,
            ``correct`` and the item/row columns); reference models are ``ref_k``.
        edits: paired edits (``SpuriousFeatures``) or ``None``.
        spec: the true :class:`EvalSpec` (difficulty ``D`` latent with an IRT proxy).
        truth: planted effects and labels.
        config: the configuration.
    """

    items: pd.DataFrame
    responses: pd.DataFrame
    edits: pd.DataFrame | None
    spec: EvalSpec
    truth: dict[str, Any]
    config: SimConfig


def simulate(config: SimConfig, *, key) -> SimBenchmark:
    """Simulate item x model results with the planted monsters of ``config``.

    Items have difficulty ``D ~ N(0, difficulty_sd^2)``; reference models follow Rasch,
    ``logit P = theta_m - D_i``; evaluated models use ``theta_m - 1.5 D_i`` plus the monsters'
    terms. Deterministic for a given ``key``.
    """
    if not isinstance(config, SimConfig):
        raise TypeError(f"`config` must be a SimConfig, got {type(config).__name__}")
    rng = key_to_rng(key)
    filt = [m for m in config.monsters if isinstance(m, AdversarialFilter)]
    extra_item: dict[str, np.ndarray] = {}
    if filt:
        D = rng.normal(0.0, config.difficulty_sd, filt[0].pool)
        keep, S, pi = filt[0].select(D, rng)
        D = D[keep]
        extra_item = {"S": S[keep], "selection_prob": pi[keep]}
    else:
        D = rng.normal(0.0, config.difficulty_sd, config.n_items)
    n, M, K = len(D), config.n_models, config.n_reference
    theta = rng.normal(0.0, config.ability_sd, M)
    theta_ref = rng.normal(0.0, config.ability_sd, K)
    st = SimState(D=D, theta=theta, theta_ref=theta_ref,
                  logit=theta[None, :] - config.difficulty_slope * D[:, None])
    st.item_cols.update(extra_item)
    for m in config.monsters:
        m.apply(st, rng)
    y = st.y_override if st.y_override is not None else (
        rng.random((n, M)) < sigmoid(st.logit)).astype(float)
    y_ref = (rng.random((n, K)) < sigmoid(theta_ref[None, :] - D[:, None])).astype(float)
    ids = np.char.add("item_", np.char.zfill(np.arange(n).astype(str), 5))
    items = pd.DataFrame({"item_id": ids, "D": D, **st.item_cols})
    names = [f"model_{j}" for j in range(M)] + [f"ref_{k:02d}" for k in range(K)]
    Yall = np.concatenate([y, y_ref], axis=1)
    long = {"item_id": np.repeat(ids, M + K), "model": np.tile(names, n),
            "is_reference": np.tile([False] * M + [True] * K, n),
            "correct": Yall.ravel()}
    for c, v in st.item_cols.items():
        long[c] = np.repeat(v, M + K)
    for c, v in st.row_cols.items():
        pad = np.zeros((n, K), dtype=np.asarray(v).dtype)
        long[c] = np.concatenate([v, pad], axis=1).ravel()
    responses = pd.DataFrame(long)
    refs = tuple(names[M:])
    if not st.edges:
        st.edges = [("D", "Y")]
        st.latent.add("D")
    st.columns["Y"], st.types["Y"] = "correct", "binary"
    graph = CausalGraph(list(dict.fromkeys(st.edges)), latent=st.latent, selection=st.selection,
                        nodes=list(st.columns))
    spec = EvalSpec(graph, columns=st.columns, types=st.types, unit="item_model",
                    proxies={"D": Proxy("D", kind="irt", reference_models=refs)},
                    selection_weights=st.selection_weights)
    truth = {"difficulty": D, "ability": dict(zip(names[:M], theta.tolist(), strict=True)),
             **st.truth}
    return SimBenchmark(items, responses, st.edits, spec, truth, config)
