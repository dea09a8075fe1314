"""A small Vision Transformer encoder/decoder pair in the layout of MAE / HF ``ViTMAE``.

Paper Sec. 4 ("Architecture"): ViT-Tiny with an MAE decoder; here also a CPU-scale size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mpiis.shared.validation import check_int

__all__ = [
    "ViTConfig",
    "ViTDecoder",
    "ViTEncoder",
    "patchify",
    "sincos_pos_embed",
    "unpatchify",
    "vit_tiny_cpu",
    "vit_tiny_paper",
]


def _pair(x: int | tuple[int, int], name: str) -> tuple[int, int]:
    if isinstance(x, tuple | list):
        if len(x) != 2:
            raise ValueError(f"`{name}` must be an int or an (H, W) pair, got {x!r}")
        return check_int(x[0], name, minimum=1), check_int(x[1], name, minimum=1)
    v = check_int(x, name, minimum=1)
    return v, v


def sincos_pos_embed(dim: int, grid: tuple[int, int], *, cls_token: bool = True) -> torch.Tensor:
    """Fixed 2-D sine-cosine position embeddings (MAE, ViTMAE).

    Args:
        dim: embedding width (divisible by 4).
        grid: ``(gh, gw)`` patches.
        cls_token: prepend a zero row for the CLS token.

    Returns:
        ``(1 + gh*gw, dim)`` (or ``(gh*gw, dim)``) float32.
    """
    if dim % 4:
        raise ValueError(f"`dim` (={dim}) must be divisible by 4 for 2-D sin-cos embeddings")
    gh, gw = grid
    omega = 1.0 / 10000 ** (np.arange(dim // 4, dtype=np.float64) / (dim / 4.0))
    yy, xx = np.meshgrid(np.arange(gh, dtype=np.float64), np.arange(gw, dtype=np.float64),
                         indexing="ij")
    parts = []
    for pos in (xx.reshape(-1), yy.reshape(-1)):
        out = np.outer(pos, omega)  # (L, dim/4)
        parts += [np.sin(out), np.cos(out)]
    emb = np.concatenate(parts, axis=1)  # (L, dim)
    if cls_token:
        emb = np.concatenate([np.zeros((1, dim)), emb], axis=0)
    return torch.from_numpy(emb).float()


def patchify(x: torch.Tensor, patch_size: int) -> torch.Tensor:
    """``(B, C, H, W)`` -> ``(B, L, p*p*C)`` with L = (H/p)(W/p), row-major patches."""
    b, c, h, w = x.shape
    p = patch_size
    x = x.reshape(b, c, h // p, p, w // p, p)  # (B, C, gh, p, gw, p)
    return x.permute(0, 2, 4, 3, 5, 1).reshape(b, (h // p) * (w // p), p * p * c)


def unpatchify(t: torch.Tensor, patch_size: int, image_shape: tuple[int, int, int]) -> torch.Tensor:
    """Inverse of :func:`patchify`: ``(B, L, p*p*C)`` -> ``(B, C, H, W)``."""
    c, h, w = image_shape
    p = patch_size
    b = t.shape[0]
    t = t.reshape(b, h // p, w // p, p, p, c)  # (B, gh, gw, p, p, C)
    return t.permute(0, 5, 1, 3, 2, 4).reshape(b, c, h, w)


class _Block(nn.Module):
    """Pre-norm transformer block (LayerNorm, MHSA, LayerNorm, GELU MLP)."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"`dim` (={dim}) must be divisible by `heads` (={heads})")
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        qkv = self.qkv(self.norm1(x)).reshape(b, n, 3, self.heads, d // self.heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)  # each (B, h, N, d/h)
        a = F.scaled_dot_product_attention(q, k, v)  # (B, h, N, d/h)
        x = x + self.proj(a.transpose(1, 2).reshape(b, n, d))
        return x + self.mlp(self.norm2(x))


@dataclass(frozen=True, kw_only=True)
class ViTConfig:
    """Sizes of the ViT encoder and MAE decoder.

    Defaults are the CPU scale of this package (``vit_tiny_cpu``, about 0.15 M parameters).
    """

    dim: int = 64  # encoder width (paper ViT-Tiny: 192)
    depth: int = 3  # encoder blocks (paper runs: 12, HF default after a config typo)
    heads: int = 4  # encoder heads (paper runs: 12)
    mlp_ratio: float = 4.0  # MLP hidden = mlp_ratio * dim (ViT-Tiny: 768 = 4 * 192)
    dec_dim: int = 32  # decoder width (paper: 512)
    dec_depth: int = 1  # decoder blocks (paper: 8)
    dec_heads: int = 4  # decoder heads (paper: 16)

    def __post_init__(self) -> None:
        for name in ("dim", "depth", "heads", "dec_dim", "dec_depth", "dec_heads"):
            check_int(getattr(self, name), name, minimum=1)
        if self.dim % self.heads or self.dim % 4:
            raise ValueError(f"`dim` (={self.dim}) must be divisible by 4 and by `heads` "
                             f"(={self.heads})")
        if self.dec_dim % self.dec_heads or self.dec_dim % 4:
            raise ValueError(f"`dec_dim` (={self.dec_dim}) must be divisible by 4 and by "
                             f"`dec_heads` (={self.dec_heads})")
        if not self.mlp_ratio > 0:
            raise ValueError(f"`mlp_ratio` must be > 0, got {self.mlp_ratio}")

    @classmethod
    def cpu(cls) -> ViTConfig:
        """The CPU scale: dim 64, depth 3, 4 heads; decoder 32 x 1 block, 4 heads."""
        return cls()

    @classmethod
    def tiny(cls) -> ViTConfig:
        """For tests: dim 16, depth 1, 2 heads; decoder 8 x 1 block, 2 heads."""
        return cls(dim=16, depth=1, heads=2, dec_dim=8, dec_depth=1, dec_heads=2)

    @classmethod
    def paper(cls) -> ViTConfig:
        """The official runs: hidden 192, 12 layers, 12 heads; decoder 512 x 8, 16 heads."""
        return cls(dim=192, depth=12, heads=12, dec_dim=512, dec_depth=8, dec_heads=16)


class ViTEncoder(nn.Module):
    """ViT encoder with a CLS token and fixed sin-cos positions (MAE encoder).

    Args:
        img_size: H (= W) or ``(H, W)``.
        patch_size: p; must divide H and W.
        in_chans: C.
        dim, depth, heads, mlp_ratio: transformer sizes.
    """

    def __init__(self, img_size: int | tuple[int, int], patch_size: int, in_chans: int, *,
                 dim: int, depth: int, heads: int, mlp_ratio: float = 4.0) -> None:
        super().__init__()
        h, w = _pair(img_size, "img_size")
        p = check_int(patch_size, "patch_size", minimum=1)
        if h % p or w % p:
            raise ValueError(f"`patch_size` (={p}) must divide the image size ({h}, {w})")
        self.img_size, self.patch_size, self.in_chans = (h, w), p, check_int(in_chans, "in_chans",
                                                                               minimum=1)
        self.grid = (h // p, w // p)
        self.num_patches = self.grid[0] * self.grid[1]
        self.dim = dim
        self.patch_embed = nn.Linear(p * p * in_chans, dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.register_buffer("pos_embed", sincos_pos_embed(dim, self.grid)[None], persistent=False)
        self.blocks = nn.ModuleList(_Block(dim, heads, mlp_ratio) for _ in range(depth))
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self._cfg = {"img_size": [h, w], "patch_size": p, "in_chans": in_chans, "dim": dim,
                     "depth": depth, "heads": heads, "mlp_ratio": mlp_ratio}

    def config(self) -> dict[str, Any]:
        return {"kind": "vit", **self._cfg}

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        _seeded_init(self, generator)
        nn.init.normal_(self.cls_token, std=0.02, generator=generator)

    def forward(self, x: torch.Tensor, ids_keep: torch.Tensor | None = None) -> torch.Tensor:
        """Encode images ``(B, C, H, W)``; with ``ids_keep`` ``(B, L_keep)`` only those patches.

        Returns:
            Tokens ``(B, 1 + L_kept, dim)`` after the final LayerNorm (index 0 = CLS).
        """
        t = self.patch_embed(patchify(x, self.patch_size)) + self.pos_embed[:, 1:]  # (B, L, dim)
        if ids_keep is not None:
            t = torch.gather(t, 1, ids_keep[..., None].expand(-1, -1, t.shape[-1]))
        cls = (self.cls_token + self.pos_embed[:, :1]).expand(t.shape[0], -1, -1)
        t = torch.cat([cls, t], dim=1)
        for blk in self.blocks:
            t = blk(t)
        return self.norm(t)


class ViTDecoder(nn.Module):
    """MAE decoder: embed, insert mask tokens, unshuffle, blocks, predict patch pixels.

    Args:
        num_patches: L (a grid ``(gh, gw)`` may be given instead; an int must be a square).
        patch_size: p.
        in_chans: C.
        enc_dim: the encoder's width.
        dim, depth, heads: decoder sizes.
    """

    def __init__(self, num_patches: int | tuple[int, int], patch_size: int, in_chans: int, *,
                 enc_dim: int, dim: int, depth: int, heads: int, mlp_ratio: float = 4.0) -> None:
        super().__init__()
        if isinstance(num_patches, tuple | list):
            grid = _pair(num_patches, "num_patches")
        else:
            n = check_int(num_patches, "num_patches", minimum=1)
            s = math.isqrt(n)
            if s * s != n:
                raise ValueError(f"`num_patches` (={n}) must be a square or a (gh, gw) pair")
            grid = (s, s)
        self.grid, self.num_patches = grid, grid[0] * grid[1]
        self.patch_size, self.in_chans = patch_size, in_chans
        self.embed = nn.Linear(enc_dim, dim)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.register_buffer("pos_embed", sincos_pos_embed(dim, grid)[None], persistent=False)
        self.blocks = nn.ModuleList(_Block(dim, heads, mlp_ratio) for _ in range(depth))
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pred = nn.Linear(dim, patch_size * patch_size * in_chans)
        self._cfg = {"num_patches": list(grid), "patch_size": patch_size, "in_chans": in_chans,
                     "enc_dim": enc_dim, "dim": dim, "depth": depth, "heads": heads,
                     "mlp_ratio": mlp_ratio}

    def config(self) -> dict[str, Any]:
        return {"kind": "vit", **self._cfg}

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        _seeded_init(self, generator)
        nn.init.normal_(self.mask_token, std=0.02, generator=generator)

    def forward(
        self, tokens: torch.Tensor, ids_restore: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Decode encoder tokens ``(B, 1 + L_kept, enc_dim)``.

        Args:
            tokens: encoder output, CLS first.
            ids_restore: ``(B, L)`` from the patch mask when tokens were dropped.

        Returns:
            Patch predictions ``(B, L, p*p*C)``.
        """
        t = self.embed(tokens)  # (B, 1 + L_kept, dim)
        if ids_restore is not None:
            b, n_kept = t.shape[0], t.shape[1] - 1
            masks = self.mask_token.expand(b, self.num_patches - n_kept, -1)
            body = torch.cat([t[:, 1:], masks], dim=1)  # (B, L, dim), shuffled order
            body = torch.gather(body, 1, ids_restore[..., None].expand(-1, -1, t.shape[-1]))
            t = torch.cat([t[:, :1], body], dim=1)
        t = t + self.pos_embed
        for blk in self.blocks:
            t = blk(t)
        return self.pred(self.norm(t))[:, 1:]


def _seeded_init(module: nn.Module, generator: torch.Generator | None) -> None:
    """HF ``ViTMAE`` initialisation (the official code's backbone): Linear weights
    N(0, 0.02), zero biases, LayerNorm (1, 0); the patch embedding xavier-uniform."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.02, generator=generator)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
    embed = getattr(module, "patch_embed", None)
    if isinstance(embed, nn.Linear):
        nn.init.xavier_uniform_(embed.weight, generator=generator)


def _build_vit(img_size: int | tuple[int, int], patch_size: int, in_chans: int,
               cfg: ViTConfig) -> tuple[ViTEncoder, ViTDecoder]:
    enc = ViTEncoder(img_size, patch_size, in_chans, dim=cfg.dim, depth=cfg.depth,
                     heads=cfg.heads, mlp_ratio=cfg.mlp_ratio)
    dec = ViTDecoder(enc.grid, patch_size, in_chans, enc_dim=cfg.dim, dim=cfg.dec_dim,
                     depth=cfg.dec_depth, heads=cfg.dec_heads, mlp_ratio=cfg.mlp_ratio)
    return enc, dec


def vit_tiny_cpu(img_size: int | tuple[int, int], patch_size: int,
                 in_chans: int = 1) -> tuple[ViTEncoder, ViTDecoder]:
    """The CPU-scale ViT (dim 64, depth 3, 4 heads; decoder 32 x 1) as ``(encoder, decoder)``."""
    return _build_vit(img_size, patch_size, in_chans, ViTConfig.cpu())


def vit_tiny_paper(img_size: int | tuple[int, int], patch_size: int = 8,
                   in_chans: int = 3) -> tuple[ViTEncoder, ViTDecoder]:
    """The paper-scale ViT-Tiny (192, 12 layers, 12 heads; decoder 512 x 8, 16 heads)."""
    return _build_vit(img_size, patch_size, in_chans, ViTConfig.paper())
