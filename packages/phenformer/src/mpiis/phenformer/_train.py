"""Supervised training of Phenformer with early stopping (brief, "Method 5")."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from mpiis.shared.metrics import auroc
from mpiis.shared.progress import progress
from mpiis.shared.torch import DistInfo, distributed_sampler, wrap_ddp

from ._config import TrainConfig
from ._model import Phenformer
from ._tokens import GeneTokens, token_features

__all__ = ["FitResult", "check_labels", "check_tokens", "fit", "predict_logits"]


@dataclass(frozen=True)
class FitResult:
    """History (one dict per epoch), best epoch, best validation AUROC, and a flag when the best
    validation AUROC stayed at or below ``TrainConfig.flag_auroc``."""

    history: tuple[dict[str, float], ...]
    best_epoch: int
    best_val_auroc: float
    flagged: bool
    seconds: float


def check_tokens(tokens: Any, name: str, kind: str, n_genes: int | None = None) -> np.ndarray:
    """Token features ``(N, G, F)`` float32, refusing wrong shapes and NaN/Inf."""
    x = token_features(tokens, kind)
    if x.dtype.kind not in "fiu":
        raise ValueError(f"`{name}` must be numeric, got dtype {x.dtype}")
    if x.ndim != 3:
        raise ValueError(f"`{name}` must have shape (N, G, F), got {x.shape}")
    if n_genes is not None and x.shape[1] != n_genes:
        raise ValueError(f"`{name}` must have {n_genes} genes, got {x.shape[1]}")
    if not np.isfinite(x).all():
        raise ValueError(f"`{name}` holds NaN or Inf values")
    return x.astype(np.float32, copy=False)


def check_labels(y: Any, name: str, n: int, n_tasks: int = 1) -> np.ndarray:
    """Labels ``(N, tasks)`` in {0, 1} with both classes in every task."""
    y = np.asarray(y)
    if y.ndim == 1:
        y = y[:, None]
    if y.dtype.kind not in "biuf":
        raise ValueError(f"`{name}` must be numeric 0/1 labels, got dtype {y.dtype}")
    if y.shape != (n, n_tasks):
        raise ValueError(f"`{name}` must have shape ({n},) or ({n}, {n_tasks}), got {y.shape}")
    if not np.isfinite(y.astype(np.float64)).all():
        raise ValueError(f"`{name}` holds NaN or Inf values")
    if not np.isin(y, (0, 1)).all():
        raise ValueError(f"`{name}` must hold only 0 and 1, got values {np.unique(y)[:5]}")
    for t in range(n_tasks):
        if y[:, t].min() == y[:, t].max():
            raise ValueError(f"`{name}` must contain both classes in task {t}, got only {y[0, t]}")
    return y.astype(np.float32)


def predict_logits(model: Phenformer, tokens: GeneTokens | np.ndarray, *,
                   batch_size: int = 1024) -> np.ndarray:
    """Logits ``(N, n_tasks)`` on the model's device, in eval mode."""
    x = check_tokens(tokens, "tokens", model.config.haplotype_features, model.config.n_genes)
    dev = model.head.weight.device
    was = model.training
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            out.append(model(torch.from_numpy(x[i:i + batch_size]).to(dev)).double().cpu().numpy())
    model.train(was)
    return np.concatenate(out)


def _mean_auroc(y: np.ndarray, logits: np.ndarray) -> float:
    return float(np.mean([auroc(y[:, t], logits[:, t]) for t in range(y.shape[1])]))


def fit(
    model: Phenformer,
    tokens: GeneTokens | np.ndarray,
    labels: np.ndarray,
    *,
    val: tuple[GeneTokens | np.ndarray, np.ndarray],
    config: TrainConfig,
    generator: torch.Generator | None = None,
    callback: Callable[[dict[str, float]], None] | None = None,
    dist_info: DistInfo | None = None,
) -> FitResult:
    """Train with BCE (positive weight (1 − prevalence)/prevalence), AdamW, early stopping on
    validation AUROC (patience), best state restored.

    Args:
        model: a :class:`Phenformer`; training follows its device.
        tokens: training tokens (``GeneTokens`` or features ``(N, G, F)``).
        labels: ``(N,)`` or ``(N, tasks)`` 0/1.
        val: validation tokens and labels for early stopping.
        config: :class:`TrainConfig`.
        generator: CPU generator for batch order and dropout-free shuffling.
        callback: called with each epoch's record.
        dist_info: from :func:`mpiis.shared.torch.init_distributed` under ``torchrun``: the
            model is wrapped in DistributedDataParallel and a DistributedSampler gives each rank
            ``batch_size / world_size`` rows of every global batch, so that the run matches a
            single process on the same global batches (dropout aside).

    Raises:
        FloatingPointError: when the loss becomes NaN/Inf (training diverged).
    """
    c = model.config
    kind = c.haplotype_features
    x = check_tokens(tokens, "tokens", kind, c.n_genes)
    y = check_labels(labels, "labels", len(x), c.n_tasks)
    xv = check_tokens(val[0], "val tokens", kind, c.n_genes)
    yv = check_labels(val[1], "val labels", len(xv), c.n_tasks)
    if x.shape[2] != c.n_features:
        raise ValueError(f"`tokens` must have {c.n_features} features, got {x.shape[2]}")
    t0 = time.perf_counter()
    dev = model.head.weight.device
    mu = x.mean(0)
    sd = x.std(0)
    sd = np.where(sd > 1e-8, sd, 1.0)
    with torch.no_grad():
        model.embed.feat_mean.copy_(torch.from_numpy(mu))
        model.embed.feat_sd.copy_(torch.from_numpy(sd.astype(np.float32)))
    prev = y.mean(0)
    pos_weight = torch.tensor((1 - prev) / prev, dtype=torch.float32, device=dev)
    lossf = nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    decay, no_decay = [], []
    for n_, p in model.named_parameters():
        matrix = p.ndim >= 2 and "embedding" not in n_ and "seeds" not in n_
        (decay if matrix else no_decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": config.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=config.lr)
    xt = torch.from_numpy(x)
    yt = torch.from_numpy(y)
    bar = progress(range(config.epochs), desc="fit phenformer",
                   disable=None if config.progress is None else not config.progress)
    # dropout draws from torch's global generator: run it in a forked state seeded from
    # ``generator`` so that a given generator gives the same fit (the caller's state is restored)
    seed = int(torch.randint(0, 2**62, (1,), generator=generator))
    cuda = [dev.index or 0] if dev.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda):
        torch.random.default_generator.manual_seed(seed)
        if cuda:
            torch.cuda.manual_seed(seed)
        return _loop(model, opt, lossf, xt, yt, xv, yv, config, seed, callback, dist_info,
                     dev, bar, t0)


def _loop(model, opt, lossf, xt, yt, xv, yv, config, seed, callback, info, dev, bar,
          t0) -> FitResult:
    best, best_state, best_epoch, bad = -np.inf, None, -1, 0
    history = []
    n = len(xt)
    world = 1 if info is None or not info.enabled else info.world_size
    if config.batch_size % world:
        raise ValueError(f"`batch_size` (={config.batch_size}) must be divisible by the world "
                         f"size (={world})")
    net = model if world == 1 else wrap_ddp(model, info)
    sampler = None if world == 1 else distributed_sampler(
        torch.utils.data.TensorDataset(xt, yt), info, shuffle=True, seed=seed % 2**31)
    local_bs = config.batch_size // world
    for epoch in bar:
        model.train()
        if sampler is None:  # the permutation DistributedSampler would draw, for parity
            perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed % 2**31 + epoch))
        else:
            sampler.set_epoch(epoch)
            perm = torch.tensor(list(sampler))
        total = 0.0
        for i in range(0, len(perm), local_bs):
            idx = perm[i:i + local_bs]
            xb, yb = xt[idx].to(dev), yt[idx].to(dev)
            loss = lossf(net(xb), yb)
            if not torch.isfinite(loss):
                raise FloatingPointError(
                    f"Phenformer training diverged: loss {loss.item()} at epoch {epoch}"
                )
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        val_auc = _mean_auroc(yv, predict_logits(model, xv))
        rec = {"epoch": epoch, "loss": total / len(perm), "val_auroc": val_auc}
        history.append(rec)
        if callback is not None:
            callback(rec)
        if val_auc > best:
            best, best_epoch, bad = val_auc, epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            bad += 1
            if bad >= config.patience:
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return FitResult(tuple(history), best_epoch, float(best), bool(best <= config.flag_auroc),
                     time.perf_counter() - t0)
