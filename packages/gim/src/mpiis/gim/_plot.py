"""Figures of the benchmark (extra ``mpiis-gim[matplotlib]``, imported lazily)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["plot_dose_response", "plot_graph", "plot_mmd_by_dose", "plot_targets_heatmap"]


def _plt():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError('plotting needs matplotlib: pip install "mpiis-gim[matplotlib]"'
                          ) from exc
    return plt


def plot_targets_heatmap(gim, bm, *, path: str | Path, n_drugs: int = 10) -> None:
    """Predicted π against the true targets for fully-OOD drugs x doses (the paper's Fig. 2)."""
    plt = _plt()
    split = bm.full_ood
    drugs = np.unique(split.drugs)[:n_drugs]
    idx = np.flatnonzero(np.isin(split.drugs, drugs))
    probs = gim.target_scores(split.data.features[idx])
    truth = split.data.truth.targets[idx]
    fig, axes = plt.subplots(1, 2, figsize=(9, 0.18 * len(idx) + 1.5), sharey=True)
    for ax, m, title in ((axes[0], probs, "predicted π(γ)"), (axes[1], truth, "true targets")):
        ax.imshow(m, aspect="auto", cmap="viridis", vmin=0, vmax=1)
        ax.set_title(title)
        ax.set_xlabel("variable")
    axes[0].set_yticks(range(len(idx)))
    axes[0].set_yticklabels([split.data.names[i] for i in idx], fontsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def plot_graph(gim, bm, *, path: str | Path) -> None:
    """B̂ next to the true B; edges coloured correct (green), missing (red), extra (orange)."""
    plt = _plt()
    w_hat = np.asarray(gim.causal_params_.graph_weights)
    w = bm.truth.weights
    est = np.abs(w_hat) > gim.config.edge_threshold
    true = w != 0
    fig, axes = plt.subplots(1, 3, figsize=(12, 4))
    lim = max(np.abs(w).max(), np.abs(w_hat).max())
    for ax, m, t in ((axes[0], w, "true B"), (axes[1], w_hat, "learned B̂")):
        im = ax.imshow(m, cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax.set_title(t)
    fig.colorbar(im, ax=axes[:2])
    status = np.zeros((*w.shape, 3)) + 1.0
    status[est & true] = (0.2, 0.7, 0.2)
    status[~est & true] = (0.85, 0.2, 0.2)
    status[est & ~true] = (1.0, 0.6, 0.0)
    axes[2].imshow(status)
    axes[2].set_title("correct / missing / extra")
    fig.savefig(path, dpi=120)


def plot_dose_response(gim, bm, *, path: str | Path) -> None:
    """Predicted and true means of a target and a descendant across doses 0.25-2.25."""
    plt = _plt()
    from ._synthetic import hill_shift

    t = bm.truth
    drug = 0
    target = int(np.flatnonzero(t.drug_targets[drug])[0])
    effect = np.abs(t.a[:, target]) * (np.arange(len(t.weights)) != target)  # A[j, target]
    desc = [j for j in range(len(t.weights)) if effect[j] > 1e-12]
    desc_j = int(np.argmax(effect))
    doses = np.linspace(0.25, 2.25, 17)
    base = bm.train.features[bm.train_drugs == drug][0]
    feats = np.stack([np.r_[base[:-1], c] for c in doses])
    pred = gim.predict_distribution(feats).mean
    true = np.stack([(t.bias + hill_shift(t.drug_targets[drug], t.drug_signs[drug], t.emax[drug],
                                          t.ec50[drug], t.hill[drug], c)) @ t.a.T
                     for c in doses])
    fig, ax = plt.subplots(figsize=(6, 4))
    for j, style in ((target, "-"), (desc_j, "--")):
        label = "target" if j == target else ("descendant" if desc else "other")
        ax.plot(doses, true[:, j], "k" + style, label=f"true, {label} x{j}")
        ax.plot(doses, pred[:, j], "C0" + style, label=f"GIM, {label} x{j}")
    for c in (0.5, 1.0, 1.5, 2.0):
        ax.axvline(c, color="0.85", lw=0.8)
    ax.set_xlabel("dose c")
    ax.set_ylabel("mean")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def plot_mmd_by_dose(runs: list[dict[str, Any]], *, path: str | Path) -> None:
    """Mean MMD² by dose for each model, both test splits."""
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, split in zip(axes, ("partial_ood", "full_ood"), strict=True):
        models = runs[0]["mmd_by_dose"][split]
        for name in models:
            doses = sorted(models[name])
            vals = [np.mean([r["mmd_by_dose"][split][name][c] for r in runs]) for c in doses]
            ax.plot(doses, vals, "o-", label=name)
        ax.set_title(split)
        ax.set_xlabel("dose c")
        ax.set_ylabel("MMD²")
        ax.set_yscale("log")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
