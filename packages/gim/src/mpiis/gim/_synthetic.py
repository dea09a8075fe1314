"""The Hill dose-response benchmark (brief, "Data": synthetic generator, paper's split sizes).

A random linear-Gaussian SCM (``mpiis.shared.data``), drugs with 1-2 signed targets and Hill
dose-response curves, drug features that linearly encode targets and Hill parameters (or pure
noise for the feature-ablation control), and three splits: training (40 drugs x 4 doses), the
same drugs at 5 unseen doses (partially OOD) and 20 new drugs at the training doses (fully OOD).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import jax
import networkx as nx
import numpy as np

from mpiis.shared.data import LinearSCM as SharedSCM
from mpiis.shared.data import random_linear_scm
from mpiis.shared.validation import check_int, check_positive

from ._data import PerturbationData, Truth

__all__ = ["HillBenchmark", "HillSplit", "HillTruth", "make_hill_benchmark"]


@dataclass(frozen=True, kw_only=True)
class HillTruth:
    """The benchmark's generating parameters.

    Attributes:
        weights, bias, noise_std: the SCM ``B (d, d)``, ``b (d,)``, ``σ (d,)``.
        a: ``(I - Bᵀ)⁻¹``.
        graph: the true DAG.
        drug_targets: ``(D, d)`` 0/1 targets of all drugs (training drugs first).
        drug_signs: ``(D, d)`` ±1 signs (0 off target).
        emax, ec50, hill: ``(D,)`` Hill parameters.
    """

    weights: np.ndarray
    bias: np.ndarray
    noise_std: np.ndarray
    a: np.ndarray
    graph: nx.DiGraph
    drug_targets: np.ndarray
    drug_signs: np.ndarray
    emax: np.ndarray
    ec50: np.ndarray
    hill: np.ndarray


@dataclass(frozen=True, kw_only=True)
class HillSplit:
    """A test split: evaluation cells in ``data.xs`` (and the training control), evidence cells
    for evidence-based baselines, and the dose and drug of every context."""

    data: PerturbationData
    evidence: tuple[np.ndarray, ...]
    doses: np.ndarray
    drugs: np.ndarray


@dataclass(frozen=True, kw_only=True)
class HillBenchmark:
    """``train`` (a :class:`PerturbationData`), ``partial_ood`` and ``full_ood``
    (:class:`HillSplit`), ``truth``, and the training contexts' doses and drugs."""

    train: PerturbationData
    partial_ood: HillSplit
    full_ood: HillSplit
    truth: HillTruth
    train_doses: np.ndarray
    train_drugs: np.ndarray


def hill_shift(targets, signs, emax, ec50, hill, dose) -> np.ndarray:
    """``δ_j(c) = t_j s_j E_max c^h / (EC50^h + c^h)`` for one drug, ``(d,)``."""
    resp = dose ** hill / (ec50 ** hill + dose ** hill)
    return targets * signs * emax * resp


def make_hill_benchmark(
    *,
    key: jax.Array,
    d: int = 10,
    n_train_drugs: int = 40,
    n_test_drugs: int = 20,
    train_doses: Sequence[float] = (0.5, 1.0, 1.5, 2.0),
    ood_doses: Sequence[float] = (0.25, 0.75, 1.25, 1.75, 2.25),
    n_per_context: int = 50,
    n_control: int = 800,
    n_eval: int = 500,
    n_evidence: int = 50,
    feature_noise: float = 0.1,
    noise_features: bool = False,
    intervention: Literal["shift", "shift-scale"] = "shift",
) -> HillBenchmark:
    """Build the Hill dose-response benchmark (brief, "Synthetic generator").

    Args:
        key: a ``jax.random.key``; it seeds a numpy generator for everything here.
        d: number of variables (expected degree 2).
        n_train_drugs, n_test_drugs: drugs in training and in the fully-OOD split.
        train_doses, ood_doses: doses of the training and partially-OOD contexts.
        n_per_context, n_control: training cells per context and control cells.
        n_eval, n_evidence: evaluation and evidence cells per test context.
        feature_noise: std of the noise added to the encoded descriptor.
        noise_features: replace drug features by N(0, I) noise (the ablation control).
        intervention: ``"shift-scale"`` also scales the target's noise by
            ``exp(0.5 * response)`` [decision: the brief does not fix τ].

    Returns:
        :class:`HillBenchmark`.
    """
    if not isinstance(key, jax.Array):
        raise TypeError(f"`key` must be a jax.random.key(seed), got {type(key).__name__}")
    d = check_int(d, "d", minimum=2)
    for name, v in (("n_train_drugs", n_train_drugs), ("n_test_drugs", n_test_drugs),
                    ("n_per_context", n_per_context), ("n_control", n_control),
                    ("n_eval", n_eval), ("n_evidence", n_evidence)):
        check_int(v, name, minimum=2 if name.startswith("n_") and "drugs" not in name else 1)
    check_positive(feature_noise, "feature_noise", strict=False)
    if intervention not in ("shift", "shift-scale"):
        raise ValueError(f"`intervention` must be 'shift' or 'shift-scale', got {intervention!r}")
    seed = int(jax.random.randint(key, (), 0, 2**31 - 1))
    rng = np.random.default_rng(seed)

    shared = random_linear_scm(d, rng=rng, edge_prob=min(1.0, 2.0 / (d - 1)),
                               weight_range=(0.5, 1.5), noise_range=(0.5, 1.0))
    bias = rng.normal(0.0, 0.5, size=d)
    scm = SharedSCM(weights=shared.weights, noise_std=shared.noise_std, bias=bias)
    w = scm.weights
    a = np.linalg.inv(np.eye(d) - w.T)

    n_drugs = n_train_drugs + n_test_drugs
    targets = np.zeros((n_drugs, d))
    signs = np.zeros((n_drugs, d))
    for i in range(n_drugs):
        tt = rng.choice(d, size=rng.integers(1, 3), replace=False)
        targets[i, tt] = 1.0
        signs[i, tt] = rng.choice([-1.0, 1.0], size=len(tt))
    emax = rng.uniform(1.5, 3.0, n_drugs)
    ec50 = rng.uniform(0.5, 1.5, n_drugs)
    hill = rng.uniform(1.0, 3.0, n_drugs)

    theta = np.hstack([targets, signs * targets, ((emax - 2.25) / 0.75)[:, None],
                       (np.log(ec50) / 0.5)[:, None], (hill - 2.0)[:, None]])  # (D, 2d+3)
    q, _ = np.linalg.qr(rng.standard_normal((2 * d + 6, 2 * d + 3)))
    z = theta @ q.T + feature_noise * rng.standard_normal((n_drugs, 2 * d + 6))
    if noise_features:  # own stream: the cells are the same as with informative features
        z = np.random.default_rng([seed, 1]).standard_normal((n_drugs, 2 * d + 6))

    def draw(drug: int, dose: float, n: int) -> tuple[np.ndarray, np.ndarray]:
        delta = hill_shift(targets[drug], signs[drug], emax[drug], ec50[drug], hill[drug], dose)
        if intervention == "shift":
            iv = {int(j): float(delta[j]) for j in np.flatnonzero(targets[drug])}
            return scm.sample(n, rng=rng, interventions=iv, kind="shift"), delta
        resp = delta / np.where(targets[drug] > 0, signs[drug] * emax[drug], 1.0)
        std = scm.noise_std * np.exp(0.5 * resp * targets[drug])
        r = bias + delta + std * rng.standard_normal((n, d))
        return r @ a.T, delta

    control = scm.sample(n_control, rng=rng)
    graph = nx.DiGraph()
    graph.add_nodes_from(range(d))
    for i, j in zip(*np.nonzero(w), strict=True):
        graph.add_edge(int(i), int(j), weight=float(w[i, j]))

    def build(drugs, doses, n, n_ev):
        pairs = [(g, c) for g in drugs for c in doses]
        xs, ev, shifts = [], [], []
        for g, c in pairs:
            x, delta = draw(g, c, n + n_ev)
            xs.append(x[:n])
            ev.append(x[n:])
            shifts.append(delta)
        feats = np.array([np.r_[z[g], c] for g, c in pairs])
        truth = Truth(graph=graph, weights=w, targets=np.array([targets[g] for g, _ in pairs]),
                      shifts=np.array(shifts), bias=bias, noise_std=scm.noise_std)
        names = [f"drug{g}@{c:g}" for g, c in pairs]
        data = PerturbationData.from_arrays(xs, feats, control=control, names=names, truth=truth)
        return data, tuple(ev), np.array([c for _, c in pairs]), np.array([g for g, _ in pairs])

    train_ids = np.arange(n_train_drugs)
    test_ids = np.arange(n_train_drugs, n_drugs)
    train, _, tr_doses, tr_drugs = build(train_ids, train_doses, n_per_context, 0)
    p_data, p_ev, p_doses, p_drugs = build(train_ids, ood_doses, n_eval, n_evidence)
    f_data, f_ev, f_doses, f_drugs = build(test_ids, train_doses, n_eval, n_evidence)
    truth = HillTruth(weights=w, bias=bias, noise_std=scm.noise_std, a=a, graph=graph,
                      drug_targets=targets, drug_signs=signs, emax=emax, ec50=ec50, hill=hill)
    return HillBenchmark(
        train=train,
        partial_ood=HillSplit(data=p_data, evidence=p_ev, doses=p_doses, drugs=p_drugs),
        full_ood=HillSplit(data=f_data, evidence=f_ev, doses=f_doses, drugs=f_drugs),
        truth=truth, train_doses=tr_doses, train_drugs=tr_drugs,
    )
