"""Phenformer: gene tokens → Transformer → PMA → disease head (brief, "Method 3-4")."""

from __future__ import annotations

import math
from dataclasses import asdict
from pathlib import Path

import torch
from torch import Tensor, nn

from ._config import PhenformerConfig

__all__ = ["MAB", "PMA", "GeneTokenEmbedding", "Phenformer"]


def _init_params(module: nn.Module, generator: torch.Generator | None) -> None:
    """Xavier-uniform matrices, zero biases, N(0, 1) gene embeddings and seeds (as
    nn.Embedding), drawn from
    ``generator`` (LayerNorms keep ones and zeros). Meta tensors are left alone."""
    for name, p in module.named_parameters():
        if p.is_meta or "norm" in name.split(".")[-2:][0]:
            continue
        with torch.no_grad():
            if name.endswith(("gene_embedding", "seeds")):
                p.copy_(torch.randn(p.shape, generator=generator).to(p))
            elif p.ndim >= 2:
                fan_out, fan_in = p.shape[0], math.prod(p.shape[1:])
                bound = math.sqrt(6.0 / (fan_in + fan_out))
                p.copy_((torch.rand(p.shape, generator=generator) * 2 - 1).to(p) * bound)
            else:
                p.zero_()


class GeneTokenEmbedding(nn.Module):
    """``e_g = W · standardise(x_g) + p_g``: a shared linear map of the token features plus a
    learned gene embedding in the role of position (brief, "Method 3").

    The per-(gene, feature) standardisation statistics are buffers set from training individuals
    by :func:`~mpiis.phenformer.fit`, so a saved model carries them.
    """

    def __init__(self, n_genes: int, n_features: int, d_model: int, *, device=None) -> None:
        super().__init__()
        self.proj = nn.Linear(n_features, d_model, device=device)
        self.gene_embedding = nn.Parameter(torch.zeros(n_genes, d_model, device=device))
        self.register_buffer("feat_mean", torch.zeros(n_genes, n_features, device=device))
        self.register_buffer("feat_sd", torch.ones(n_genes, n_features, device=device))

    def standardise(self, x: Tensor) -> Tensor:
        return (x - self.feat_mean) / self.feat_sd

    def forward(self, x: Tensor) -> Tensor:
        """``x (B, G, F)`` raw token features → ``(B, G, d)``."""
        return self.proj(self.standardise(x)) + self.gene_embedding


class MAB(nn.Module):
    """Multihead attention block of the Set Transformer:
    ``H = LN(Q + MHA(Q, K, K))``, ``Z = LN(H + rFF(H))``."""

    def __init__(self, d_model: int, n_heads: int, *, device=None) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(d_model, n_heads, batch_first=True, device=device)
        self.norm1 = nn.LayerNorm(d_model, device=device)
        self.norm2 = nn.LayerNorm(d_model, device=device)
        self.rff = nn.Sequential(
            nn.Linear(d_model, 2 * d_model, device=device), nn.GELU(),
            nn.Linear(2 * d_model, d_model, device=device),
        )

    def forward(self, q: Tensor, k: Tensor) -> tuple[Tensor, Tensor]:
        """``q (B, k, d)``, ``k (B, G, d)`` → ``Z (B, k, d)`` and head-averaged attention
        weights ``(B, k, G)``."""
        a, w = self.attn(q, k, k, need_weights=True, average_attn_weights=True)
        h = self.norm1(q + a)
        return self.norm2(h + self.rff(h)), w


class PMA(nn.Module):
    """Pooling by multihead attention with ``k`` learned seeds ``S (k, d)``: ``MAB(S, E)``."""

    def __init__(self, d_model: int, n_heads: int, n_seeds: int = 1, *, device=None) -> None:
        super().__init__()
        self.seeds = nn.Parameter(torch.zeros(n_seeds, d_model, device=device))
        self.mab = MAB(d_model, n_heads, device=device)

    def forward(self, e: Tensor) -> tuple[Tensor, Tensor]:
        """``E (B, G, d)`` → pooled ``(B, k, d)`` and attention ``(B, k, G)``."""
        s = self.seeds.unsqueeze(0).expand(e.shape[0], -1, -1)  # (B, k, d)
        return self.mab(s, e)


class Phenformer(nn.Module):
    """The genome aggregator: token embedding → pre-LN Transformer encoder (2 layers, 4 heads,
    feed-forward 2d, dropout 0.1) → PMA (k seeds, concatenated) → linear head, one logit per
    disease (brief, "Method 4").

    Args:
        config: :class:`~mpiis.phenformer.PhenformerConfig`.
        generator: draws the initial parameters.
        device: where parameters live (``"meta"`` for shape checks).
    """

    def __init__(self, config: PhenformerConfig, *, generator: torch.Generator | None = None,
                 device: torch.device | str | None = None) -> None:
        super().__init__()
        self.config = config
        c = config
        self.embed = GeneTokenEmbedding(c.n_genes, c.n_features, c.d_model, device=device)
        layer = nn.TransformerEncoderLayer(
            c.d_model, c.n_heads, dim_feedforward=2 * c.d_model, dropout=c.dropout,
            activation="gelu", batch_first=True, norm_first=True, device=device,
        )
        self.encoder = nn.TransformerEncoder(layer, c.n_layers, enable_nested_tensor=False)
        self.final_norm = nn.LayerNorm(c.d_model, device=device)
        self.pma = PMA(c.d_model, c.n_heads, c.n_seeds, device=device)
        self.head = nn.Linear(c.n_seeds * c.d_model, c.n_tasks, device=device)
        _init_params(self, generator)

    def _check(self, tokens: Tensor) -> None:
        c = self.config
        if not isinstance(tokens, Tensor):
            raise TypeError(f"`tokens` must be a torch.Tensor, got {type(tokens).__name__}")
        if tokens.ndim != 3 or tokens.shape[1:] != (c.n_genes, c.n_features):
            raise ValueError(
                f"`tokens` must have shape (B, {c.n_genes}, {c.n_features}), got "
                f"{tuple(tokens.shape)}"
            )

    def encode(self, tokens: Tensor) -> tuple[Tensor, Tensor]:
        """Pooled representation ``(B, k·d)`` and PMA attention ``(B, k, G)``."""
        self._check(tokens)
        e = self.final_norm(self.encoder(self.embed(tokens)))  # (B, G, d)
        z, w = self.pma(e)  # (B, k, d), (B, k, G)
        return z.flatten(1), w

    def forward(self, tokens: Tensor) -> Tensor:
        """Raw token features ``(B, G, F)`` → logits ``(B, n_tasks)``."""
        return self.head(self.encode(tokens)[0])

    @torch.no_grad()
    def pma_attention(self, tokens: Tensor) -> Tensor:
        """PMA attention weights over genes ``(B, k, G)``: the second gene view (Method 6)."""
        return self.encode(tokens)[1]

    def save(self, path: str | Path) -> None:
        """Write config and state (standardisation buffers included)."""
        torch.save({"config": asdict(self.config), "state": self.state_dict()}, path)

    @classmethod
    def load(cls, path: str | Path, *, map_location=None) -> Phenformer:
        blob = torch.load(path, map_location=map_location, weights_only=True)
        model = cls(PhenformerConfig(**blob["config"]))
        model.load_state_dict(blob["state"])
        return model.to(map_location) if map_location is not None else model
