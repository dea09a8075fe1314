"""Simulators of the brief's data: the official bivariate replica, sparse mechanism shifts and
the covariate-shift family. Every function takes ``rng`` (a ``numpy.random.Generator``)
keyword-only, like :mod:`mpiis.shared.data`; nothing global is touched. Random DAGs and the
linear-Gaussian sampling of the sparse-shift generator come from :mod:`mpiis.shared.data`."""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

from mpiis.shared.data import LinearSCM, random_dag
from mpiis.shared.validation import check_fraction, check_int

from ._data import GroundTruth, MultiEnvData

__all__ = [
    "OFFICIAL_COVSHIFT_THETAS",
    "OFFICIAL_THETA",
    "CovShiftData",
    "simulate_covariate_shift",
    "simulate_official_bivariate",
    "simulate_sparse_shift",
]

# (sigma2_X1, sigma2_{X2|X1}, b) per environment: the official causal-discovery config
OFFICIAL_THETA: tuple[tuple[float, float, float], ...] = (
    (1.0, 16.0, 1.0), (1.0, 16.0, 1.0), (9.0, 16.0, 2.0), (9.0, 25.0, 2.5), (25.0, 25.0, 2.5),
)
# the three ground truths of the covariate-shift experiment (7, 4 and 2 distinct values)
OFFICIAL_COVSHIFT_THETAS: tuple[tuple[float, ...], ...] = (
    (0.1, 0.1, 0.1, 0.3, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9),
    (0.1, 0.1, 0.4, 0.4, 0.6, 0.6, 0.6, 0.9, 0.9, 0.9),
    (0.1,) * 8 + (0.9, 0.9),
)


def _rng(rng: np.random.Generator) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"`rng` must be a numpy.random.Generator (np.random.default_rng(seed)), "
            f"got {type(rng).__name__}"
        )
    return rng


def _blocks(values: np.ndarray) -> tuple[tuple[int, ...], ...]:
    out: dict[tuple, list[int]] = {}
    for e, v in enumerate(np.atleast_2d(values.T).T if values.ndim == 1 else values):
        out.setdefault(tuple(np.atleast_1d(v).tolist()), []).append(e)
    return tuple(tuple(b) for b in out.values())


def simulate_official_bivariate(
    *, rng: np.random.Generator, n_per_env: int = 20, theta=OFFICIAL_THETA
) -> MultiEnvData:
    """The official bivariate replica (claim 2): ``X1 ~ N(0, s_e)``, ``X2 = b_e X1 + N(0, v_e)``
    with ``theta[e] = (s_e, v_e, b_e)``; truth X1 -> X2 with per-type partitions."""
    n = check_int(n_per_env, "n_per_env", minimum=4)
    th = np.asarray(theta, dtype=np.float64)
    if th.ndim != 2 or th.shape[1] != 3:
        raise ValueError(f"`theta` must have shape (N, 3), got {th.shape}")
    rng = _rng(rng)
    envs = []
    for s, v, b in th:
        x1 = rng.normal(0.0, np.sqrt(s), n)
        envs.append(np.stack([x1, b * x1 + rng.normal(0.0, np.sqrt(v), n)], axis=1))
    g = nx.DiGraph([("X1", "X2")])
    params = {"v:X1": th[:, 0], "b:X1->X2": th[:, 2], "v:X2": th[:, 1]}
    parts = {t: _blocks(v) for t, v in params.items()}
    parts["X1"] = _blocks(th[:, :1])
    parts["X2"] = _blocks(th[:, 1:])
    return MultiEnvData(tuple(envs), ("X1", "X2"), GroundTruth(graph=g, partitions=parts,
                                                               parameters=params))


def simulate_sparse_shift(
    *,
    rng: np.random.Generator,
    n_envs: int = 6,
    n_per_env: int = 100,
    n_vars: int = 2,
    edge_prob: float = 0.5,
    shuffle_columns: bool = True,
) -> MultiEnvData:
    """Sparse mechanism shifts [decision] (brief, "Sparse-shift generator").

    Environment 0 is the base. Bivariate: cause variance 1, ``b = +-U[0.5, 2]``, noise 1; one
    alternative per mechanism (cause variance ``U[2, 4]``; ``b +- U[0.5, 1.5]`` with noise
    ``U[2, 4]``); each environment shifts the cause w.p. 1/3, the effect w.p. 1/3; the edge
    points either way w.p. 1/2 (``shuffle_columns``). ``d > 2``: a random DAG
    (:func:`mpiis.shared.data.random_dag`, ``edge_prob``), one node (or none) shifted per
    environment. Each environment is sampled from a :class:`mpiis.shared.data.LinearSCM`.
    """
    rng = _rng(rng)
    n_envs = check_int(n_envs, "n_envs", minimum=1)
    n = check_int(n_per_env, "n_per_env", minimum=4)
    d = check_int(n_vars, "n_vars", minimum=2)
    edge_prob = check_fraction(edge_prob, "edge_prob")
    if d == 2:
        adj = (random_dag(2, rng=rng, edge_prob=1.0) if shuffle_columns
               else np.array([[False, True], [False, False]]))
    else:
        adj = random_dag(d, rng=rng, edge_prob=edge_prob)
    coef = np.where(adj, rng.choice([-1.0, 1.0], (d, d)) * rng.uniform(0.5, 2.0, (d, d)), 0.0)
    alt_coef = np.where(adj, coef + rng.choice([-1.0, 1.0], (d, d)) * rng.uniform(0.5, 1.5,
                                                                                 (d, d)), 0.0)
    alt_noise = rng.uniform(2.0, 4.0, d)
    shifted = np.zeros((n_envs, d), bool)
    cause = int(np.nonzero(adj.any(axis=1))[0][0]) if d == 2 else -1
    for e in range(1, n_envs):
        if d == 2:
            u = rng.random()
            if u < 1 / 3:
                shifted[e, cause] = True
            elif u < 2 / 3:
                shifted[e, 1 - cause] = True
        else:
            j = rng.integers(0, d + 1)
            if j > 0:
                shifted[e, j - 1] = True
    cols = tuple(f"X{i + 1}" for i in range(d))
    envs, params = [], {}
    for e in range(n_envs):
        b = np.where(shifted[e][None, :], alt_coef, coef)  # column j = mechanism of node j
        v = np.where(shifted[e], alt_noise, 1.0)
        envs.append(LinearSCM(weights=b, noise_std=np.sqrt(v)).sample(n, rng=rng))
        for j in range(d):
            for p in np.nonzero(adj[:, j])[0]:
                params.setdefault(f"b:{cols[p]}->{cols[j]}", np.zeros(n_envs))[e] = b[p, j]
            params.setdefault(f"v:{cols[j]}", np.zeros(n_envs))[e] = v[j]
    g = nx.DiGraph()
    g.add_nodes_from(cols)
    g.add_edges_from((cols[a], cols[b]) for a, b in zip(*np.nonzero(adj), strict=True))
    parts = {cols[j]: _blocks(shifted[:, j].astype(float)) for j in range(d)}
    return MultiEnvData(tuple(envs), cols, GroundTruth(graph=g, partitions=parts,
                                                       parameters=params))


@dataclass(frozen=True, eq=False)
class CovShiftData:
    """Covariate-shift samples: ``x1, x2`` in ``{0..M-1}`` and ``env`` labels ``(n,)``, with
    the per-environment truth ``theta (N,)`` after shuffling."""

    x1: np.ndarray
    x2: np.ndarray
    env: np.ndarray
    truth: np.ndarray

    @property
    def k_true(self) -> int:
        return int(np.unique(self.truth).size)


def simulate_covariate_shift(
    *, rng: np.random.Generator, theta, n_per_env: int = 10, n_values: int = 20
) -> CovShiftData:
    """E -> X1 -> X2 over ``{0..M-1}`` (claim 4): ``X1 | E`` censored Poisson with rate
    ``theta_E (M + 2)``, ``X2 | X1`` = ``N(X1, 1)`` rounded to the nearest bin and clipped;
    environment labels are shuffled."""
    th = np.asarray(theta, dtype=np.float64)
    if th.ndim != 1 or th.size == 0 or not ((th > 0) & (th < 1)).all():
        raise ValueError(f"`theta` must be a 1-D array of values in (0, 1), got {theta!r}")
    n = check_int(n_per_env, "n_per_env", minimum=1)
    m = check_int(n_values, "n_values", minimum=2)
    rng = _rng(rng)
    th = th[rng.permutation(th.size)]
    env = np.repeat(np.arange(th.size), n)
    x1 = np.minimum(rng.poisson(np.repeat(th, n) * (m + 2)), m - 1)
    x2 = np.clip(np.rint(x1 + rng.normal(size=x1.size)), 0, m - 1).astype(np.int64)
    return CovShiftData(x1=x1.astype(np.int64), x2=x2, env=env, truth=th)
