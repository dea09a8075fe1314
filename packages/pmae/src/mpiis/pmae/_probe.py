"""Frozen-encoder evaluation: feature extraction and linear, k-NN and MLP probes (paper Sec. 4)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch
from torch import nn

from mpiis.shared.metrics import linear_probe_accuracy
from mpiis.shared.validation import check_array, check_int

from ._checks import as_images, describe
from ._model import MaskedAutoencoder

__all__ = ["ProbeResult", "extract_features", "knn_probe", "linear_probe", "mlp_probe"]


@dataclass(frozen=True)
class ProbeResult:
    """Accuracy of a probe on held-out features.

    Attributes:
        accuracy: top-1 accuracy on the test split, in [0, 1].
        method: ``"linear"``, ``"knn"`` or ``"mlp"``.
        n_train, n_test, n_features: sizes.
    """

    accuracy: float
    method: str
    n_train: int
    n_test: int
    n_features: int


def extract_features(
    model: MaskedAutoencoder,
    images: Any,
    *,
    pool: Literal["cls", "mean", "cls+mean"] = "cls+mean",
    batch_size: int = 512,
) -> np.ndarray:
    """Frozen features of unmasked images: ``(N, C, H, W)`` -> ``(N, F)`` float32 numpy."""
    if not isinstance(model, MaskedAutoencoder):
        raise TypeError(f"`model` must be a MaskedAutoencoder, got {describe(model)}")
    x = as_images(images, "images")
    bs = check_int(batch_size, "batch_size", minimum=1)
    was = model.training
    model.eval()
    out = [model.encode(x[i : i + bs], pool=pool).cpu() for i in range(0, x.shape[0], bs)]
    model.train(was)
    return torch.cat(out).numpy().astype(np.float32)


def _check_split(f_train: Any, y_train: Any, f_test: Any, y_test: Any):
    ftr = check_array(f_train, "f_train", ndim=2, min_rows=2)
    fte = check_array(f_test, "f_test", ndim=2, min_rows=1)
    if ftr.shape[1] != fte.shape[1]:
        raise ValueError(f"`f_train` and `f_test` must have the same width, got {ftr.shape[1]} "
                         f"and {fte.shape[1]}")
    ytr = check_array(y_train, "y_train", ndim=1, dtype="numeric")
    yte = check_array(y_test, "y_test", ndim=1, dtype="numeric")
    if len(ytr) != len(ftr):
        raise ValueError(
            f"`y_train` must have {len(ftr)} entries (rows of f_train), got {len(ytr)}")
    if len(yte) != len(fte):
        raise ValueError(f"`y_test` must have {len(fte)} entries (rows of f_test), got {len(yte)}")
    return ftr, ytr.astype(np.int64), fte, yte.astype(np.int64)


def linear_probe(f_train: Any, y_train: Any, f_test: Any, y_test: Any, *,
                 l2: float = 1e-4) -> ProbeResult:
    """Logistic regression on standardised frozen features (``mpiis.shared.metrics``).

    The package's deterministic stand-in for the paper's SGD linear probe (Sec. 4).
    """
    ftr, ytr, fte, yte = _check_split(f_train, y_train, f_test, y_test)
    classes = np.unique(ytr)
    if classes.size < 2:
        raise ValueError(f"`y_train` must hold at least 2 classes for a linear probe, got "
                         f"{classes.size} ({classes.tolist()})")
    acc = linear_probe_accuracy(ftr, ytr, fte, yte, l2=l2)
    return ProbeResult(acc, "linear", len(ftr), len(fte), ftr.shape[1])


def knn_probe(f_train: Any, y_train: Any, f_test: Any, y_test: Any, *, k: int = 20) -> ProbeResult:
    """k-nearest-neighbour majority vote with cosine similarity on standardised features."""
    ftr, ytr, fte, yte = _check_split(f_train, y_train, f_test, y_test)
    k = check_int(k, "k", minimum=1, maximum=len(ftr))
    mu, sd = ftr.mean(0), ftr.std(0)
    sd = np.where(sd > 1e-12, sd, 1.0)
    a, b = (ftr - mu) / sd, (fte - mu) / sd
    a /= np.linalg.norm(a, axis=1, keepdims=True).clip(1e-12)
    b /= np.linalg.norm(b, axis=1, keepdims=True).clip(1e-12)
    sim = b @ a.T  # (n_test, n_train)
    nn_idx = np.argsort(-sim, axis=1, kind="stable")[:, :k]
    votes = ytr[nn_idx]
    n_cls = int(max(ytr.max(), yte.max())) + 1
    counts = np.zeros((len(fte), n_cls))
    np.add.at(counts, (np.arange(len(fte))[:, None], votes), 1.0)
    acc = float((counts.argmax(1) == yte).mean())
    return ProbeResult(acc, "knn", len(ftr), len(fte), ftr.shape[1])


def mlp_probe(
    f_train: Any,
    y_train: Any,
    f_test: Any,
    y_test: Any,
    *,
    generator: torch.Generator | None,
    hidden: int = 256,
    epochs: int = 100,
    lr: float = 1e-3,
    batch_size: int = 256,
) -> ProbeResult:
    """A one-hidden-layer MLP probe (paper Table 2's MLP probing), trained with AdamW.

    The probe trains on the generator's device (the CPU without one), so a CUDA generator
    trains it on the GPU.
    """
    ftr, ytr, fte, yte = _check_split(f_train, y_train, f_test, y_test)
    hidden = check_int(hidden, "hidden", minimum=1)
    epochs = check_int(epochs, "epochs", minimum=1)
    bs = check_int(batch_size, "batch_size", minimum=1)
    mu, sd = ftr.mean(0), ftr.std(0)
    sd = np.where(sd > 1e-12, sd, 1.0)
    dev = generator.device if generator is not None else torch.device("cpu")
    xtr = torch.from_numpy(((ftr - mu) / sd).astype(np.float32)).to(dev)
    xte = torch.from_numpy(((fte - mu) / sd).astype(np.float32)).to(dev)
    ytr_t = torch.from_numpy(ytr).to(dev)
    n_cls = int(max(ytr.max(), yte.max())) + 1
    with torch.device(dev):
        net = nn.Sequential(nn.Linear(xtr.shape[1], hidden), nn.GELU(), nn.Linear(hidden, n_cls))
    for m in net:
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight, generator=generator)
            nn.init.zeros_(m.bias)
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    n = len(xtr)
    for _ in range(epochs):
        perm = torch.randperm(n, generator=generator, device=dev)
        for i in range(0, n, bs):
            idx = perm[i : i + bs]
            loss = nn.functional.cross_entropy(net(xtr[idx]), ytr_t[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    with torch.no_grad():
        acc = float((net(xte).argmax(1).cpu().numpy() == yte).mean())
    return ProbeResult(acc, "mlp", len(ftr), len(fte), ftr.shape[1])
