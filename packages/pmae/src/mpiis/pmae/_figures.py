"""Figures of the benchmark's full run (matplotlib extra, imported lazily)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from ._basis import PCABasis
from ._data import ImageSet
from ._model import MaskedAutoencoder

__all__ = ["write_figures"]


def _plt() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover
        raise ImportError(
            'figures need matplotlib: `pip install "mpiis-pmae[matplotlib]"`') from exc
    return plt


def _spectrum(out: Path, basis: PCABasis, name: str) -> None:
    plt = _plt()
    evr = basis.explained_variance_ratio.cpu().numpy()
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.semilogy(np.arange(1, len(evr) + 1), np.clip(evr, 1e-12, None), label="ratio e_k")
    ax.set_xlabel("component k")
    ax.set_ylabel("explained variance ratio")
    ax2 = ax.twinx()
    ax2.plot(np.arange(1, len(evr) + 1), np.cumsum(evr), color="C1", label="cumulative")
    ax2.set_ylabel("cumulative")
    ax.set_title(f"PCA spectrum ({name})")
    fig.tight_layout()
    fig.savefig(out / f"spectrum_{name}.png", dpi=120)
    plt.close(fig)


def _components(out: Path, basis: PCABasis, name: str) -> None:
    plt = _plt()
    c, h, w = basis.image_shape
    fig, axes = plt.subplots(2, 8, figsize=(10, 2.8))
    for k, ax in enumerate(axes.ravel()):
        ax.imshow(basis.components[:, k].cpu().numpy().reshape(c, h, w)[0], cmap="RdBu_r")
        ax.set_title(f"{k + 1}", fontsize=8)
        ax.axis("off")
    fig.suptitle(f"first 16 principal components ({name})")
    fig.tight_layout()
    fig.savefig(out / f"components_{name}.png", dpi=120)
    plt.close(fig)


@torch.no_grad()
def _masks(out: Path, name: str, data: ImageSet, pm: MaskedAutoencoder,
           mm: MaskedAutoencoder | None) -> None:
    plt = _plt()
    dev = pm.device  # every model, batch, mask and generator on the PMAE model's device
    if mm is not None:
        mm = mm.to(dev)
    x = torch.from_numpy(data.images[:6]).to(dev)
    g = torch.Generator(device=dev).manual_seed(0)
    o = pm(x, generator=g)
    visible, _, mask = pm.masking(x, mask=o.mask)
    z = pm.standardize(x)
    v = pm.masking.components
    masked_part = ((z.reshape(6, -1) @ v) * mask) @ v.T
    pred_masked = ((o.pred.reshape(6, -1) @ v) * mask) @ v.T
    rows = [("original", z), ("visible r=0.2", visible), ("masked part", masked_part),
            ("PMAE pred. (masked)", pred_masked)]
    if mm is not None:
        om = mm(x, generator=torch.Generator(device=dev).manual_seed(0))
        pix = om.mask.float()
        p = mm.patch_size
        pix_img = pix.reshape(6, *[s // p for s in mm.image_shape[1:]])
        pix_img = pix_img.repeat_interleave(p, 1).repeat_interleave(p, 2)[:, None]
        rows += [("patch-masked 75%", mm.standardize(x) * (1 - pix_img)),
                 ("MAE prediction", om.pred)]
    fig, axes = plt.subplots(len(rows), 6, figsize=(7, 1.25 * len(rows)))
    for r, (label, imgs) in enumerate(rows):
        for i in range(6):
            ax = axes[r, i]
            ax.imshow(imgs[i].reshape(pm.image_shape)[0].cpu().numpy(), cmap="gray")
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_ylabel(label, fontsize=7)
    fig.suptitle(f"{name}: component vs patch masking (standardised pixels)")
    fig.tight_layout()
    fig.savefig(out / f"masks_{name}.png", dpi=120)
    plt.close(fig)


def write_figures(out: Path, *, basis: PCABasis, synth: tuple[ImageSet, ImageSet],
                  keep: dict[str, Any], results: list[Any]) -> None:
    """Spectrum, first components, masked/visible/predicted images, ratio sweep, loss curves."""
    plt = _plt()
    out.mkdir(parents=True, exist_ok=True)
    _spectrum(out, basis, "synthetic")
    _components(out, basis, "synthetic")
    if "synth_vit_pmae_model" in keep:
        _masks(out, "synthetic", synth[1], keep["synth_vit_pmae_model"],
               keep.get("synth_vit_mae_model"))
    if "digits" in keep:
        _, dte, db = keep["digits"]
        _spectrum(out, db, "digits")
        _components(out, db, "digits")
        if "digits_pmae_model" in keep:
            _masks(out, "digits", dte, keep["digits_pmae_model"],
                   keep.get("digits_mae_model"))
    if "sweep" in keep:
        s = keep["sweep"]
        fig, ax = plt.subplots(figsize=(5, 3.2))
        ax.plot(list(s["pmae"]), list(s["pmae"].values()), "o-", label="PMAE (variance share r)")
        ax.plot(list(s["mae"]), list(s["mae"].values()), "s-", label="MAE (patch ratio rho)")
        ax.axhline(s["pmae_rd"], color="C0", ls=":", label="PMAE_rd")
        ax.axhline(s["mae_rd"], color="C1", ls=":", label="MAE_rd")
        ax.set_xlabel("masking ratio")
        ax.set_ylabel("linear-probe accuracy")
        ax.set_title(f"ratio sweep, synthetic set ({s['arch']} encoder)")
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out / "ratio_sweep.png", dpi=120)
        plt.close(fig)
    curves = {k[: -len("_history")]: v for k, v in keep.items() if k.endswith("_history")}
    if curves:
        fig, ax = plt.subplots(figsize=(5, 3.2))
        for name, h in curves.items():
            ax.plot(np.arange(1, len(h.relative_loss) + 1), h.relative_loss, label=name)
        ax.axhline(1.0, color="k", lw=0.5)
        ax.set_xlabel("epoch")
        ax.set_ylabel("relative loss (1 = predict zero)")
        ax.legend(fontsize=6)
        fig.tight_layout()
        fig.savefig(out / "loss_curves.png", dpi=120)
        plt.close(fig)
