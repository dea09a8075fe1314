"""Path matrix, sparsity penalty and graph read-outs (brief, Method 3-4 and 10)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:  # pragma: no cover
    from ._model import _WorldModel

__all__ = ["attention_graph", "jacobian_graph", "path_matrix", "sparsity_penalty"]


def path_matrix(adjacencies: torch.Tensor | Sequence[torch.Tensor]) -> torch.Tensor:
    """``A_bar = (A_L° + I)(A_{L-1}° + I)...(A_1° + I)`` (Eq. 5), ``A°`` = A with zero diagonal.

    ``A_bar[b, i, j]`` counts the paths from input token j to output token i.

    Args:
        adjacencies: ``(L, B, T, T)`` (or a sequence of ``(B, T, T)``), layer 1 first; entries
            may be hard gates, straight-through gates or gate probabilities.

    Returns:
        ``(B, T, T)``.
    """
    layers = list(adjacencies.unbind(0)) if isinstance(adjacencies, torch.Tensor) else list(
        adjacencies)
    if not layers:
        raise ValueError("`adjacencies` must hold at least one layer")
    if layers[0].ndim != 3 or layers[0].shape[-1] != layers[0].shape[-2]:
        raise ValueError(f"`adjacencies` must be (L, B, T, T), got a layer of shape "
                         f"{tuple(layers[0].shape)}")
    T = layers[0].shape[-1]
    eye = torch.eye(T, dtype=layers[0].dtype, device=layers[0].device)
    off = 1.0 - eye
    out = layers[0] * off + eye
    for A in layers[1:]:
        out = (A * off + eye) @ out
    return out


def sparsity_penalty(path: torch.Tensor) -> torch.Tensor:
    """``L_sparse = ||A_bar||_1 / T^2`` per sample, diagonal included (Eq. 6, 1/T^2 scale).

    Args:
        path: ``(B, T, T)`` path matrix.

    Returns:
        ``(B,)``; take the mean over the batch.
    """
    if path.ndim != 3:
        raise ValueError(f"`path` must be (B, T, T), got shape {tuple(path.shape)}")
    T = path.shape[-1]
    return path.abs().sum(dim=(-1, -2)) / (T * T)


def attention_graph(attention: torch.Tensor, *, threshold: float | None = None) -> torch.Tensor:
    """Dense read-out: ``W_ij = 1[a_ij > threshold]`` per layer (default ``1/T``), composed with
    the path rule; returns the Bool ``(B, T, T)`` graph (``j -> i`` iff a path exists, i != j).

    Args:
        attention: ``(L, B, T, T)`` attention weights.
        threshold: per-layer edge threshold; ``None`` uses ``1/T``.
    """
    if attention.ndim != 4:
        raise ValueError(f"`attention` must be (L, B, T, T), got {tuple(attention.shape)}")
    T = attention.shape[-1]
    thr = 1.0 / T if threshold is None else float(threshold)
    W = (attention > thr).to(attention.dtype)
    P = path_matrix(W)
    eye = torch.eye(T, dtype=torch.bool, device=attention.device)
    return (P >= 1) & ~eye


def jacobian_scores(model: _WorldModel, objects: torch.Tensor, *,
                    regime: torch.Tensor | None = None) -> torch.Tensor:
    """``S[b, i, j] = sum_{d, e} |d delta_hat[b, i, d] / d s[b, j, e]|`` in evaluation mode,
    ``(B, N, N)`` with the diagonal zeroed (ELDEN-like read-out, brief Method 10b)."""
    was = model.training
    model.eval()
    try:
        x = objects.detach().clone().requires_grad_(True)
        out = model(x, regime=regime, sample=False).delta  # (B, N, D)
        B, N, D = out.shape
        rows = []
        for i in range(N):
            acc = torch.zeros(B, N, device=x.device, dtype=x.dtype)
            for d in range(D):
                (g,) = torch.autograd.grad(out[:, i, d].sum(), x, retain_graph=True)
                acc = acc + g.abs().sum(-1)  # (B, N)
            rows.append(acc)
        S = torch.stack(rows, 1)  # (B, N_out, N_in)
        S = S * (1 - torch.eye(N, device=x.device, dtype=x.dtype))
        return S.detach()
    finally:
        model.train(was)


def jacobian_graph(model: _WorldModel, objects: torch.Tensor, *, threshold: float,
                   regime: torch.Tensor | None = None) -> torch.Tensor:
    """Jacobian read-out (ELDEN-like, brief Method 10b): ``j -> i`` iff
    ``sum |d delta_hat_i / d s_j| > threshold``. Bool ``(B, N, N)``.

    Samples do not interact in the model, so one backward pass per output coordinate gives
    the whole batch's Jacobian.
    """
    return jacobian_scores(model, objects, regime=regime) > float(threshold)
