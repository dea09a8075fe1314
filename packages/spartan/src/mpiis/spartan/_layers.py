"""The SPARTAN layer: one-head attention with hard stochastic gates (brief, Method 2; Eqs. 3-4)."""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn

__all__ = ["LayerOutput", "SparseAttentionLayer", "sample_gates"]


def sample_gates(
    logits: torch.Tensor, *, temperature: float = 1.0, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Hard gates from logistic (Gumbel-difference) noise (brief, Method 2).

    ``eps = log u - log(1 - u)``, ``u ~ U(0, 1)`` from ``generator``; soft gate
    ``S = sigmoid((g + eps) / t)``; hard gate ``A = 1[S > 1/2]``.

    Args:
        logits: gate logits ``g``, any shape.
        temperature: ``t > 0``.
        generator: the random source (on the logits' device).

    Returns:
        ``(hard, soft)``, both shaped like ``logits``; ``hard`` carries no gradient.
    """
    if temperature <= 0:
        raise ValueError(f"`temperature` must be > 0, got {temperature}")
    u = torch.rand(logits.shape, generator=generator, device=logits.device, dtype=logits.dtype)
    tiny = torch.finfo(logits.dtype).tiny
    eps = torch.log(u.clamp_min(tiny)) - torch.log1p(-u).clamp_min(math.log(tiny))
    soft = torch.sigmoid((logits + eps) / temperature)
    hard = (soft > 0.5).to(logits.dtype)
    return hard, soft


class LayerOutput(NamedTuple):
    x: torch.Tensor  # (B, T, d) updated tokens
    adjacency: torch.Tensor  # (B, T, T) hard gates A (diag 1); straight-through when sampling
    gate_probs: torch.Tensor  # (B, T, T) sigmoid(g) (diag 1); ones for the dense layer
    attention: torch.Tensor  # (B, T, T) attention weights a (rows: outputs i, columns: inputs j)
    gate_logits: torch.Tensor | None = None  # (B, T, T) g = l + b (None for the dense layer)


class SparseAttentionLayer(nn.Module):
    """Pre-LayerNorm residual block with one gated attention head and a 3-layer GELU MLP.

    ``x <- x + W_o(a v)``, ``x <- x + MLP(LN(x))``; ``l_ij = q_i . k_j / sqrt(d)``, gate logit
    ``g_ij = l_ij + b`` (``b`` learnable, initialised at ``gate_bias_init``).

    ``normalization="renorm"``: ``a_ij = A_ij exp(l_ij - m_i) / sum_k A_ik exp(l_ik - m_i)``
    (the gate multiplies; an output depends on a key only through a kept edge), with the
    straight-through estimator at attention level when sampling. ``"paper"``:
    ``a_ij = A_ij softmax_j(l_i.)`` with gate-level straight-through. ``dense=True`` gives the
    ordinary softmax layer of the dense baseline (A = 1).
    """

    def __init__(self, d_model: int, mlp_hidden: int, *, temperature: float = 1.0,
                 gate_bias_init: float = 2.0, normalization: str = "renorm",
                 dense: bool = False) -> None:
        super().__init__()
        if normalization not in ("renorm", "paper"):
            raise ValueError(f"`normalization` must be 'renorm' or 'paper', got {normalization!r}")
        if temperature <= 0:
            raise ValueError(f"`temperature` must be > 0, got {temperature}")
        self.d_model, self.temperature = d_model, float(temperature)
        self.normalization, self.dense = normalization, bool(dense)
        self.ln1, self.ln2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.q = nn.Linear(d_model, d_model)
        self.k = nn.Linear(d_model, d_model)
        self.v = nn.Linear(d_model, d_model)
        self.o = nn.Linear(d_model, d_model)
        self.gate_bias = nn.Parameter(torch.tensor(float(gate_bias_init)))
        self.mlp = nn.Sequential(
            nn.Linear(d_model, mlp_hidden), nn.GELU(), nn.Linear(mlp_hidden, mlp_hidden),
            nn.GELU(), nn.Linear(mlp_hidden, d_model),
        )

    def gate_logits(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(l, g)``: attention logits and gate logits ``(B, T, T)`` of tokens ``x``."""
        h = self.ln1(x)
        q, k = self.q(h), self.k(h)
        logits = q @ k.transpose(-1, -2) / math.sqrt(self.d_model)  # (B, T, T)
        return logits, logits + self.gate_bias

    def forward(self, x: torch.Tensor, *, sample: bool = False,
                generator: torch.Generator | None = None,
                key_mask: torch.Tensor | None = None) -> LayerOutput:
        """Args: ``x (B, T, d)``; ``sample`` draws gates (training), else ``A = 1[g > 0]``;
        ``key_mask (T,)`` bool, ``False`` deletes a token as a key (its column is closed, or
        left out of the softmax), which is how tokens are deleted at test time."""
        _B, T, _ = x.shape
        h = self.ln1(x)
        q, k, v = self.q(h), self.k(h), self.v(h)
        logits = q @ k.transpose(-1, -2) / math.sqrt(self.d_model)  # (B, T, T)
        eye = torch.eye(T, dtype=torch.bool, device=x.device)
        allowed = None if key_mask is None else (key_mask[None, :] | eye)  # (T, T)
        if allowed is not None:
            logits_sm = logits.masked_fill(~allowed, float("-inf"))
        else:
            logits_sm = logits
        if self.dense:
            a = torch.softmax(logits_sm, dim=-1)
            A = torch.ones_like(logits)
            probs = A
            g = None
        else:
            g = logits + self.gate_bias
            one = torch.ones((), dtype=x.dtype, device=x.device)
            probs = torch.where(eye, one, torch.sigmoid(g))
            if sample:
                hard, soft = sample_gates(g, temperature=self.temperature, generator=generator)
                hard = torch.where(eye, one, hard)
                soft = torch.where(eye, one, soft)
            else:
                hard = torch.where(eye, one, (g > 0).to(x.dtype))
                soft = None
            if allowed is not None:
                hard = hard * allowed
                soft = None if soft is None else soft * allowed
            if self.normalization == "paper":
                sm = torch.softmax(logits_sm, dim=-1)
                A = hard if soft is None else hard + (soft - soft.detach())
                a = A * sm
            else:
                a_hard = _renorm(logits, hard, kept_max=True)
                if soft is None:
                    A, a = hard, a_hard
                else:
                    # straight-through at attention level: the forward value is exactly the
                    # hard-gated attention, the gradient that of the soft-gated one
                    a_soft = _renorm(logits, soft, kept_max=False)
                    a = a_hard.detach() + (a_soft - a_soft.detach())
                    A = hard + (soft - soft.detach())
        x = x + self.o(a @ v)  # (B, T, d)
        x = x + self.mlp(self.ln2(x))
        return LayerOutput(x, A, probs, a, g)


def _renorm(logits: torch.Tensor, gates: torch.Tensor, *, kept_max: bool) -> torch.Tensor:
    """``a_ij = G_ij exp(l_ij - m_i) / sum_k G_ik exp(l_ik - m_i)`` with ``m_i`` stopped; the
    gate multiplies (never a -inf mask), so a closed gate contributes an exact 0 in value and
    gradient. With ``kept_max`` the max runs over kept entries (the diagonal is always kept),
    so the denominator is at least 1."""
    if kept_max:
        kept = gates > 0
        m = logits.masked_fill(~kept, float("-inf")).amax(dim=-1, keepdim=True).detach()
        # closed entries: exp(-inf) = 0 in value and gradient (no overflow of exp(l - m) > 1)
        z = torch.where(kept, logits - m, torch.full_like(logits, float("-inf")))
    else:
        z = logits - logits.amax(dim=-1, keepdim=True).detach()
    w = gates * torch.exp(z)
    return w / w.sum(dim=-1, keepdim=True)
