"""The real-scale encoder option: the Enformer architecture in plain PyTorch, loaded from local
weights only (brief, "Public API": ``EnformerEncoder(weights_dir, *, tracks="cage")``).

Enformer (Avsec et al. 2021): a convolutional stem and a six-block convolutional tower with
attention pooling (196,608 bp → 1,536 positions of 128 bp), 11 Transformer layers with relative
positional features (exponential, central-mask and gamma bases), a crop to the central 896 bins
and softplus track heads (5,313 human tracks, 638 of them CAGE). Parameter names follow the
layout of the community PyTorch port's checkpoints (``stem.*``, ``conv_tower.*``,
``transformer.*``, ``final_pointwise.*``, ``_heads.human.*``; ``_trunk.*`` aliases are folded), so
a ``pytorch_model.bin`` / ``model.safetensors`` plus its ``config.json`` saved in ``weights_dir``
loads with ``strict`` key checking. Nothing is ever downloaded: a missing file is an error.

``EnformerEncoder`` reads the TSS bins of the chosen tracks and names contexts and tissues from the
track metadata (``targets_human.txt``), so it plugs into :func:`precompute_tokens` like the toy
encoder. Its fidelity is unknown to the package (``fidelity = None``), so token building warns.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

__all__ = ["EnformerConfig", "EnformerEncoder", "EnformerModel"]


@dataclass(frozen=True, kw_only=True)
class EnformerConfig:
    """Enformer hyper-parameters; the defaults are the published model (~250M parameters).

    ``num_downsamples`` halvings give bins of ``2 ** num_downsamples`` bp (128 at 7).
    """

    dim: int = 1536
    depth: int = 11
    heads: int = 8
    output_heads: dict[str, int] = field(default_factory=lambda: {"human": 5313, "mouse": 1643})
    target_length: int = 896
    attn_dim_key: int = 64
    dropout_rate: float = 0.4
    attn_dropout: float = 0.05
    pos_dropout: float = 0.01
    num_downsamples: int = 7
    dim_divisible_by: int = 128

    def __post_init__(self) -> None:
        for name in ("dim", "depth", "heads", "target_length", "attn_dim_key", "dim_divisible_by"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"`{name}` must be a positive integer, got {v!r}")
        if self.num_downsamples < 2:
            raise ValueError(f"`num_downsamples` must be >= 2, got {self.num_downsamples}")
        if self.dim % 2 or self.dim % self.heads:
            raise ValueError(
                f"`dim` (={self.dim}) must be even and divisible by `heads` (={self.heads})")
        if (self.dim // self.heads) % 6:
            raise ValueError(
                f"`dim // heads` (={self.dim // self.heads}) must be divisible by 6 (three "
                "relative-position bases, symmetric and signed)")
        if not self.output_heads:
            raise ValueError("`output_heads` must name at least one head")

    @classmethod
    def tiny(cls) -> EnformerConfig:
        """A test-size network of the same layout: 8-bp bins, 1 layer, 2 heads."""
        return cls(dim=48, depth=1, heads=2, output_heads={"human": 10}, target_length=8,
                   attn_dim_key=8, num_downsamples=3, dim_divisible_by=8)

    @classmethod
    def from_json(cls, path: str | Path) -> EnformerConfig:
        """Read a ``config.json`` (unknown keys such as ``use_checkpointing`` are ignored)."""
        raw = json.loads(Path(path).read_text())
        names = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in raw.items() if k in names})

    @property
    def bin_size(self) -> int:
        return 2 ** self.num_downsamples


def _gelu(x: Tensor) -> Tensor:
    return torch.sigmoid(1.702 * x) * x  # Enformer's sigmoid approximation of GELU


class _GELU(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return _gelu(x)


class _Transpose(nn.Module):
    """Swap the last two axes (channels-first ↔ positions-first); no parameters."""

    def forward(self, x: Tensor) -> Tensor:
        return x.transpose(1, 2)


class _Residual(nn.Module):
    def __init__(self, fn: nn.Module) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, x: Tensor) -> Tensor:
        return x + self.fn(x)


class _AttentionPool(nn.Module):
    """Softmax-weighted pooling of adjacent position pairs; the logits are a learned pointwise
    (d → d) map of the inputs (stored as a 1×1 Conv2d weight, initialised to 2·identity)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.to_attn_logits = nn.Conv2d(dim, dim, 1, bias=False)
        with torch.no_grad():
            self.to_attn_logits.weight.copy_(2.0 * torch.eye(dim)[:, :, None, None])

    def forward(self, x: Tensor) -> Tensor:  # (b, d, n) -> (b, d, n/2)
        b, d, n = x.shape
        if n % 2:
            raise ValueError(f"attention pooling needs an even length, got {n}")
        pairs = x.reshape(b, d, n // 2, 2)
        w = self.to_attn_logits(pairs).softmax(-1)
        return (pairs * w).sum(-1)


def _conv_block(d_in: int, d_out: int, kernel: int) -> nn.Sequential:
    return nn.Sequential(nn.BatchNorm1d(d_in), _GELU(),
                         nn.Conv1d(d_in, d_out, kernel, padding=kernel // 2))


def _relative_features(n: int, size: int, device: torch.device) -> Tensor:
    """Enformer's relative-position basis for distances −(n−1)..(n−1): ``(2n−1, size)``."""
    per = size // 6
    f64 = torch.float64  # computed in double precision (the gamma basis is ill-conditioned)
    dist = torch.arange(-n + 1, n, device=device)
    a = dist.abs().to(f64)[:, None]
    half_life = 2.0 ** torch.linspace(3.0, math.log2(n), per, device=device, dtype=f64)
    expo = torch.exp(-math.log(2.0) / half_life[None] * a)
    widths = 2.0 ** torch.arange(1, per + 1, device=device, dtype=f64) - 1
    central = (widths[None] > a).to(f64)
    mean = torch.linspace(n / per, n, per, device=device, dtype=f64)[None]
    std = n / (2 * per)
    conc, rate = (mean / std) ** 2, mean / std ** 2
    logp = torch.xlogy(conc - 1, a) - rate * a - (torch.lgamma(conc) - conc * torch.log(rate))
    gamma = torch.exp(logp) + 1e-8
    gamma = gamma / gamma.amax(-1, keepdim=True)  # each distance's bases scaled to max 1
    feats = torch.cat([expo, central, gamma], -1)
    return torch.cat([feats, torch.sign(dist).to(f64)[:, None] * feats], -1)


class _Attention(nn.Module):
    """Multi-head attention with Transformer-XL style relative position logits."""

    def __init__(self, dim: int, *, heads: int, dim_key: int, dropout: float,
                 pos_dropout: float) -> None:
        super().__init__()
        dv = dim // heads
        self.heads, self.dim_key, self.n_rel = heads, dim_key, dim // heads
        self.to_q = nn.Linear(dim, dim_key * heads, bias=False)
        self.to_k = nn.Linear(dim, dim_key * heads, bias=False)
        self.to_v = nn.Linear(dim, dv * heads, bias=False)
        self.to_out = nn.Linear(dv * heads, dim)
        self.to_rel_k = nn.Linear(self.n_rel, dim_key * heads, bias=False)
        self.rel_content_bias = nn.Parameter(torch.zeros(1, heads, 1, dim_key))
        self.rel_pos_bias = nn.Parameter(torch.zeros(1, heads, 1, dim_key))
        self.pos_dropout = nn.Dropout(pos_dropout)
        self.attn_dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:  # (b, n, d)
        b, n, _ = x.shape
        h = self.heads

        def split(t: Tensor) -> Tensor:
            return t.reshape(b, n, h, -1).transpose(1, 2)

        q = split(self.to_q(x)) * self.dim_key ** -0.5
        k, v = split(self.to_k(x)), split(self.to_v(x))
        content = (q + self.rel_content_bias) @ k.transpose(-1, -2)
        pos = self.pos_dropout(_relative_features(n, self.n_rel, x.device).to(x.dtype))
        rel_k = self.to_rel_k(pos).reshape(2 * n - 1, h, -1).transpose(0, 1)  # (h, 2n-1, dk)
        rel = (q + self.rel_pos_bias) @ rel_k.transpose(-1, -2)  # (b, h, n, 2n-1)
        # row i, column j reads distance j - i, stored at index (n - 1) + j - i
        i = torch.arange(n, device=x.device)
        idx = (n - 1) - i[:, None] + i[None, :]
        rel = rel.gather(-1, idx.expand(b, h, n, n))
        attn = self.attn_dropout((content + rel).softmax(-1))
        out = (attn @ v).transpose(1, 2).reshape(b, n, -1)
        return self.to_out(out)


class EnformerModel(nn.Module):
    """The Enformer network. ``forward(onehot (b, L, 4)) -> {head: (b, target_length, tracks)}``;
    ``trunk(onehot) -> (b, target_length, 2 dim)`` embeddings."""

    def __init__(self, config: EnformerConfig | None = None) -> None:
        super().__init__()
        cfg = config or EnformerConfig()
        self.config = cfg
        half = cfg.dim // 2
        self.stem = nn.Sequential(nn.Conv1d(4, half, 15, padding=7),
                                  _Residual(_conv_block(half, half, 1)), _AttentionPool(half))
        num = cfg.num_downsamples - 1
        if num > 1:
            base = (cfg.dim / half) ** (1 / (num - 1))
            dv = cfg.dim_divisible_by
            filters = [half] + [int(round(half * base ** i / dv) * dv) for i in range(num)]
        else:
            filters = [half, cfg.dim]
        self.conv_tower = nn.Sequential(*[
            nn.Sequential(_conv_block(a, b, 5), _Residual(_conv_block(b, b, 1)), _AttentionPool(b))
            for a, b in itertools.pairwise(filters)])
        layers: list[nn.Module] = []
        for _ in range(cfg.depth):
            layers.append(nn.Sequential(
                _Residual(nn.Sequential(
                    nn.LayerNorm(cfg.dim),
                    _Attention(cfg.dim, heads=cfg.heads, dim_key=cfg.attn_dim_key,
                               dropout=cfg.attn_dropout, pos_dropout=cfg.pos_dropout),
                    nn.Dropout(cfg.dropout_rate))),
                _Residual(nn.Sequential(
                    nn.LayerNorm(cfg.dim), nn.Linear(cfg.dim, 2 * cfg.dim),
                    nn.Dropout(cfg.dropout_rate), nn.ReLU(), nn.Linear(2 * cfg.dim, cfg.dim),
                    nn.Dropout(cfg.dropout_rate)))))
        self.transformer = nn.Sequential(*layers)
        self.final_pointwise = nn.Sequential(
            _Transpose(), _conv_block(filters[-1], 2 * cfg.dim, 1), _Transpose(),
            nn.Dropout(cfg.dropout_rate / 8), _GELU())
        self._heads = nn.ModuleDict({
            name: nn.Sequential(nn.Linear(2 * cfg.dim, n), nn.Softplus())
            for name, n in cfg.output_heads.items()})

    def trunk(self, onehot: Tensor) -> Tensor:
        if onehot.ndim != 3 or onehot.shape[-1] != 4:
            raise ValueError(f"`onehot` must have shape (batch, L, 4), got {tuple(onehot.shape)}")
        L = onehot.shape[1]
        bins = L // self.config.bin_size
        if L % self.config.bin_size or bins < self.config.target_length:
            raise ValueError(
                f"`onehot` length must be a multiple of {self.config.bin_size} with at least "
                f"{self.config.target_length} bins, got L = {L}")
        x = self.conv_tower(self.stem(onehot.transpose(1, 2)))
        x = self.transformer(x.transpose(1, 2))
        drop = (bins - self.config.target_length) // 2
        x = x[:, drop:drop + self.config.target_length]
        return self.final_pointwise(x)

    def forward(self, onehot: Tensor) -> dict[str, Tensor]:
        x = self.trunk(onehot)
        return {name: head(x) for name, head in self._heads.items()}

    def save_pretrained(self, weights_dir: str | Path) -> None:
        """Write ``config.json`` and ``pytorch_model.bin`` (the layout :meth:`from_pretrained` and
        :class:`EnformerEncoder` read)."""
        d = Path(weights_dir)
        d.mkdir(parents=True, exist_ok=True)
        (d / "config.json").write_text(json.dumps(asdict(self.config), indent=1))
        torch.save(self.state_dict(), d / "pytorch_model.bin")

    def save(self, weights_dir: str | Path) -> None:
        """Alias of :meth:`save_pretrained` (the monorepo's save/load convention)."""
        self.save_pretrained(weights_dir)

    @classmethod
    def load(cls, weights_dir: str | Path) -> EnformerModel:
        """Alias of :meth:`from_pretrained`."""
        return cls.from_pretrained(weights_dir)

    @classmethod
    def from_pretrained(cls, weights_dir: str | Path, *, map_location: str | torch.device = "cpu"
                        ) -> EnformerModel:
        """Build from ``weights_dir/config.json`` and load ``model.safetensors`` or
        ``pytorch_model.bin`` from the same folder (local files only)."""
        d = Path(weights_dir)
        if not d.is_dir():
            raise FileNotFoundError(f"`weights_dir` {str(d)!r} is not a folder")
        cfg_path = d / "config.json"
        if not cfg_path.is_file():
            raise FileNotFoundError(f"`weights_dir` {str(d)!r} has no config.json")
        model = cls(EnformerConfig.from_json(cfg_path))
        st, pt = d / "model.safetensors", d / "pytorch_model.bin"
        if st.is_file():
            try:
                from safetensors.torch import load_file
            except ImportError as e:  # pragma: no cover - depends on the environment
                raise ImportError(
                    "reading model.safetensors needs the `safetensors` package (extra "
                    "`enformer`); or save the weights as pytorch_model.bin") from e
            state = load_file(str(st), device=str(map_location))
        elif pt.is_file():
            state = torch.load(pt, map_location=map_location, weights_only=True)
        else:
            raise FileNotFoundError(
                f"`weights_dir` {str(d)!r} has neither model.safetensors nor pytorch_model.bin")
        model.load_state_dict(_fold_aliases(state), strict=True)
        return model.eval()


_TRUNK_ALIASES = {"_trunk.1.": "stem.", "_trunk.2.": "conv_tower.", "_trunk.4.": "transformer.",
                  "_trunk.6.": "final_pointwise."}


def _fold_aliases(state: dict[str, Tensor]) -> dict[str, Tensor]:
    """Map ``_trunk.i.*`` duplicates of a checkpoint onto the named submodules."""
    out: dict[str, Tensor] = {}
    for k, v in state.items():
        for a, b in _TRUNK_ALIASES.items():
            if k.startswith(a):
                k = b + k[len(a):]
                break
        out.setdefault(k, v)
    return out


def read_track_metadata(path: str | Path) -> list[dict[str, str]]:
    """Rows of a Basenji/Enformer targets table (tab-separated, header with ``index`` and
    ``description``). Rows without a description are dropped."""
    lines = Path(path).read_text().splitlines()
    if not lines:
        raise ValueError(f"track metadata {str(path)!r} is empty")
    header = lines[0].split("\t")
    if "description" not in header:
        raise ValueError(
            f"track metadata {str(path)!r} needs a 'description' column, got {header}")
    rows = []
    for line in lines[1:]:
        parts = line.split("\t")
        if len(parts) != len(header):
            continue
        row = dict(zip(header, parts, strict=True))
        if row["description"].strip():
            rows.append(row)
    return rows


class EnformerEncoder:
    """Enformer as the frozen backbone: TSS-bin read-out of chosen tracks, one row per window.

    Args:
        weights_dir: a local folder with ``config.json``, ``pytorch_model.bin`` (or
            ``model.safetensors``) and, unless ``tracks`` lists indices, ``targets_human.txt``.
        tracks: ``"cage"`` (every track whose description starts with ``CAGE:``) or explicit
            track indices of ``head``.
        head: the output head (``"human"``).
        tss_bins: central output bins summed around the TSS (the window is TSS-centred).
        log1p: report ``log(1 + Σ bins)`` (log-expression, as the simulator's oracle) or the sum.
        batch_size / device / dtype: inference settings.

    Contexts are the tracks (``context_names`` from the descriptions); tissues are the part of a
    description before its first comma (``context_to_tissue`` indexes ``tissue_names``).
    Windows: 196,608 bp centred on the TSS for the published model (1,536 bins of 128 bp, of
    which the central 896 are predicted); any length that is a multiple of the bin size with at
    least ``target_length`` bins is accepted.
    """

    def __init__(self, weights_dir: str | Path, *, tracks: str | list[int] = "cage",
                 head: str = "human", tss_bins: int = 2, log1p: bool = True, batch_size: int = 2,
                 device: torch.device | str | None = None,
                 dtype: torch.dtype = torch.float32, model: EnformerModel | None = None) -> None:
        d = Path(weights_dir)
        self.model = (model if model is not None
                      else EnformerModel.from_pretrained(d)).to(device or "cpu", dtype).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)
        cfg = self.model.config
        if head not in cfg.output_heads:
            raise ValueError(f"`head` must be one of {sorted(cfg.output_heads)}, got {head!r}")
        if isinstance(tss_bins, bool) or not isinstance(tss_bins, int) or not (
                1 <= tss_bins <= cfg.target_length):
            raise ValueError(
                f"`tss_bins` must be an integer in [1, {cfg.target_length}], got {tss_bins!r}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"`batch_size` must be a positive integer, got {batch_size!r}")
        n_tracks = cfg.output_heads[head]
        meta_path = d / f"targets_{head}.txt"
        meta = read_track_metadata(meta_path) if meta_path.is_file() else None
        if isinstance(tracks, str):
            if tracks.lower() != "cage":
                raise ValueError(f"`tracks` must be 'cage' or a list of indices, got {tracks!r}")
            if meta is None:
                raise FileNotFoundError(
                    f"`tracks='cage'` needs {str(meta_path)!r} (the track metadata)")
            idx = [int(r.get("index", i)) for i, r in enumerate(meta)
                   if r["description"].upper().startswith("CAGE:")]
            if not idx:
                raise ValueError(f"no CAGE track in {str(meta_path)!r}")
        else:
            idx = [int(t) for t in tracks]
            if not idx or min(idx) < 0 or max(idx) >= n_tracks:
                raise ValueError(
                    f"`tracks` must be indices in [0, {n_tracks}), got {list(tracks)!r}")
        by_index = {int(r.get("index", i)): r["description"] for i, r in enumerate(meta or [])}
        names = [by_index.get(i, f"track {i}") for i in idx]
        names = [n.split(":", 1)[1].strip() if n.upper().startswith("CAGE:") else n
                 for n in names]
        tissue = [n.split(",", 1)[0].strip().lower() for n in names]
        self.tissue_names = sorted(set(tissue))
        self.context_names = names
        self.context_to_tissue = np.array([self.tissue_names.index(t) for t in tissue])
        self.tracks = np.asarray(idx)
        self.head, self.tss_bins, self.log1p, self.batch_size = head, tss_bins, log1p, batch_size
        self.n_contexts = len(idx)
        self.fidelity: float | None = None  # unknown: precompute_tokens warns

    @torch.no_grad()
    def encode(self, seqs: np.ndarray, *, gene: int | None = None) -> np.ndarray:
        """Integer-coded TSS-centred windows ``(n, L)`` (A, C, G, T, N = 0..4) → ``(n, C)``."""
        s = np.asarray(seqs)
        if s.ndim != 2:
            raise ValueError(f"`seqs` must have shape (n, L), got {s.shape}")
        if s.size and (s.min() < 0 or s.max() > 4):
            raise ValueError("`seqs` must hold integer codes 0..4 (A, C, G, T, N)")
        p = next(self.model.parameters())
        out = []
        T = self.model.config.target_length
        lo = T // 2 - self.tss_bins // 2
        cols = torch.as_tensor(self.tracks, device=p.device)
        eye = torch.cat([torch.eye(4, device=p.device, dtype=p.dtype),
                         torch.zeros(1, 4, device=p.device, dtype=p.dtype)])  # N -> zeros
        for i in range(0, len(s), self.batch_size):
            x = eye[torch.as_tensor(s[i:i + self.batch_size].astype(np.int64), device=p.device)]
            y = self.model(x)[self.head][:, lo:lo + self.tss_bins][..., cols].sum(1)
            out.append((torch.log1p(y) if self.log1p else y).float().cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, self.n_contexts), np.float32)
