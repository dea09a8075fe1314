"""Networks: the teacher interface, the σ embedding, two backbones and the EDM preconditioning
(paper brief, "Method": Teacher (EDM); Karras et al. 2022, Table 1)."""

from __future__ import annotations

import math
from typing import Any, Protocol, runtime_checkable

import torch
import torch.nn.functional as F
from torch import nn

from mpiis.shared.validation import check_int, check_positive

from ._checks import check_labels, check_sigma, check_x
from ._random import rand, randn

__all__ = [
    "Denoiser",
    "EDMPrecond",
    "FeatureDenoiser",
    "MLPBackbone",
    "SigmaEmbedding",
    "TinyUNet",
    "reinit_",
]


@runtime_checkable
class Denoiser(Protocol):
    """Anything with ``denoiser(x, sigma, labels=None) -> x0_hat``.

    ``x`` is ``(B, ...)``, ``sigma`` is ``(B,)``; the result has ``x``'s shape. Any ``nn.Module``
    with this signature can serve as a teacher.
    """

    def __call__(self, x: torch.Tensor, sigma: torch.Tensor,
                 labels: torch.Tensor | None = None) -> torch.Tensor: ...


@runtime_checkable
class FeatureDenoiser(Denoiser, Protocol):
    """A :class:`Denoiser` that also exposes its trunk: ``features(x, sigma, labels) -> (B, F)``."""

    def features(self, x: torch.Tensor, sigma: torch.Tensor,
                 labels: torch.Tensor | None = None) -> torch.Tensor: ...


def reinit_(module: nn.Module, *, generator: torch.Generator | None = None) -> nn.Module:
    """Re-draw the parameters of every Linear/Conv/Embedding layer inside ``module`` with
    PyTorch's default laws, from ``generator`` (deterministic; no global RNG).

    The numbers are drawn on the generator's device and copied to each parameter's device, so a
    CPU generator initialises a CUDA (or ``meta``) module and a CUDA generator a CPU one, with
    the same values for the same seed.
    """

    def uniform(t: torch.Tensor, bound: float) -> None:
        u = rand(tuple(t.shape), generator=generator, device=None if generator else t.device)
        t.copy_((2.0 * u - 1.0) * bound)

    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.Linear | nn.Conv2d | nn.ConvTranspose2d):
                # kaiming_uniform_(a=√5) and the bias law of nn.Linear/Conv: U(±1/√fan_in)
                fan_in, _ = nn.init._calculate_fan_in_and_fan_out(m.weight)
                bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
                uniform(m.weight, bound)
                if m.bias is not None:
                    uniform(m.bias, bound)
            elif isinstance(m, nn.Embedding):
                z = randn(tuple(m.weight.shape), generator=generator,
                          device=None if generator else m.weight.device)
                m.weight.copy_(z)
            elif isinstance(m, nn.GroupNorm | nn.LayerNorm) and m.weight is not None:
                m.weight.fill_(1.0)
                m.bias.zero_()
    return module


class SigmaEmbedding(nn.Module):
    """Fourier features of c_noise = ¼ ln σ followed by a 2-layer SiLU MLP: ``(B,) -> (B, E)``."""

    def __init__(self, emb_dim: int = 64, *, max_freq: float = 64.0) -> None:
        super().__init__()
        emb_dim = check_int(emb_dim, "emb_dim", minimum=2)
        half = emb_dim // 2
        self.register_buffer(
            "freqs", torch.exp(torch.linspace(0.0, math.log(max_freq), half)), persistent=False
        )
        self.fc1 = nn.Linear(2 * half, emb_dim)
        self.fc2 = nn.Linear(emb_dim, emb_dim)

    def forward(self, c_noise: torch.Tensor) -> torch.Tensor:
        ang = c_noise[:, None] * self.freqs[None, :]  # (B, half)
        emb = torch.cat([torch.sin(ang), torch.cos(ang)], dim=1)
        return self.fc2(F.silu(self.fc1(emb)))


class MLPBackbone(nn.Module):
    """SiLU MLP backbone F(c_in·x, c_noise): the σ embedding is added to every hidden layer.

    Plain (default): ``h ← SiLU(W_i h + P_i e)``. Residual (``residual=True``): an input
    projection, then pre-norm blocks ``h ← h + W_i SiLU(LayerNorm(h) + P_i e)`` and
    ``features = SiLU(h)``; on MNIST-5k (14×14) a residual width-512 depth-4 teacher reached
    Heun-35 FD 9.9 where the plain width-512 depth-3 one reached 18.3 (12,000 steps each),
    for about 1.7× its training time.

    Args:
        dim: flattened data size; inputs ``(B, *shape)`` with ``prod(shape) == dim``.
        hidden: width of the hidden layers.
        depth: number of hidden layers (the trunk), or of residual blocks.
        emb_dim: width of the σ (and label) embedding.
        num_classes: 0 for an unconditional model, else the number of labels.
        residual: pre-norm residual blocks instead of a plain stack.
        generator: draws the initial weights (deterministic construction).
    """

    def __init__(self, dim: int, *, hidden: int = 256, depth: int = 3, emb_dim: int = 64,
                 num_classes: int = 0, residual: bool = False,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.dim = check_int(dim, "dim", minimum=1)
        self.hidden = check_int(hidden, "hidden", minimum=1)
        self.depth = check_int(depth, "depth", minimum=1)
        self.emb_dim = check_int(emb_dim, "emb_dim", minimum=2)
        self.num_classes = check_int(num_classes, "num_classes", minimum=0)
        if not isinstance(residual, bool):
            raise TypeError(f"`residual` must be a bool, got {type(residual).__name__}")
        self.residual = residual
        self.data_shape: tuple[int, ...] | None = (dim,)
        self.feature_dim = hidden
        self.sigma_embed = SigmaEmbedding(emb_dim)
        self.label_embed = nn.Embedding(num_classes, emb_dim) if num_classes else None
        self.inp = nn.Linear(dim, hidden) if residual else None
        self.layers = nn.ModuleList(
            [nn.Linear(dim if i == 0 and not residual else hidden, hidden) for i in range(depth)]
        )
        self.norms = (nn.ModuleList([nn.LayerNorm(hidden) for _ in range(depth)])
                      if residual else None)
        self.emb_proj = nn.ModuleList([nn.Linear(emb_dim, hidden) for _ in range(depth)])
        self.out: nn.Linear | None = nn.Linear(hidden, dim)
        if generator is not None:
            reinit_(self, generator=generator)

    def spec(self) -> dict[str, Any]:
        """Constructor arguments (for saving)."""
        return {"kind": "mlp", "dim": self.dim, "hidden": self.hidden, "depth": self.depth,
                "emb_dim": self.emb_dim, "num_classes": self.num_classes,
                "residual": self.residual}

    def output_modules(self) -> list[nn.Module]:
        """The output projection (the "head" of the initialisation arms)."""
        return [self.out] if self.out is not None else []

    def trunk_modules(self) -> list[nn.Module]:
        """Every layer except the output projection (σ embedding included)."""
        mods: list[nn.Module] = [self.sigma_embed, self.layers, self.emb_proj]
        mods += [m for m in (self.inp, self.norms) if m is not None]
        return mods + ([self.label_embed] if self.label_embed is not None else [])

    def drop_output(self) -> None:
        """Delete the output projection (a trunk-only copy)."""
        self.out = None

    def truncate(self, layers: int) -> None:
        """Keep only the first ``layers`` hidden layers."""
        layers = check_int(layers, "trunk_layers", minimum=1, maximum=len(self.layers))
        self.layers = self.layers[:layers]
        self.emb_proj = self.emb_proj[:layers]
        if self.norms is not None:
            self.norms = self.norms[:layers]

    def _embed(self, c_noise: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        e = self.sigma_embed(c_noise)
        if self.label_embed is not None and labels is not None:
            e = e + self.label_embed(labels)
        return F.silu(e)

    def features(self, x: torch.Tensor, c_noise: torch.Tensor,
                 labels: torch.Tensor | None = None) -> torch.Tensor:
        """``(B, *shape) -> (B, hidden)``: the last hidden layer."""
        h = x.reshape(x.shape[0], -1)
        e = self._embed(c_noise, labels)
        if self.inp is not None and self.norms is not None:
            h = self.inp(h)
            for layer, proj, norm in zip(self.layers, self.emb_proj, self.norms, strict=True):
                h = h + layer(F.silu(norm(h) + proj(e)))
            return F.silu(h)
        for layer, proj in zip(self.layers, self.emb_proj, strict=True):
            h = F.silu(layer(h) + proj(e))
        return h

    def forward(self, x: torch.Tensor, c_noise: torch.Tensor,
                labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.out is None:
            raise RuntimeError("this backbone is a trunk-only copy; it has no output layer")
        return self.out(self.features(x, c_noise, labels)).reshape(x.shape)


def _groups(ch: int) -> int:
    for g in (8, 4, 2, 1):
        if ch % g == 0:
            return g
    return 1


class _ResBlock(nn.Module):
    def __init__(self, cin: int, cout: int, emb_dim: int) -> None:
        super().__init__()
        self.norm1 = nn.GroupNorm(_groups(cin), cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.emb = nn.Linear(emb_dim, cout)
        self.norm2 = nn.GroupNorm(_groups(cout), cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.emb(e)[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return h + self.skip(x)


class TinyUNet(nn.Module):
    """A small conv UNet for ``(B, C, H, W)`` images of 8×8 … 28×28.

    One residual block per level, a stride-2 convolution between levels, skip connections and
    nearest upsampling back to each skip's size. ``features`` is the bottleneck, globally
    average-pooled: ``(B, base·mults[-1])``.

    Args:
        in_channels: image channels.
        base: channels at the first level.
        mults: channel multipliers per level (len = number of levels).
        emb_dim: σ/label embedding width.
        num_classes: 0 for an unconditional model.
        generator: draws the initial weights.
    """

    def __init__(self, in_channels: int = 1, *, base: int = 32, mults: tuple[int, ...] = (1, 2),
                 emb_dim: int = 64, num_classes: int = 0,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.in_channels = check_int(in_channels, "in_channels", minimum=1)
        self.base = check_int(base, "base", minimum=1)
        self.mults = tuple(int(m) for m in mults)
        if not self.mults or min(self.mults) < 1:
            raise ValueError(f"`mults` must be a non-empty tuple of ints >= 1, got {mults!r}")
        self.emb_dim = check_int(emb_dim, "emb_dim", minimum=2)
        self.num_classes = check_int(num_classes, "num_classes", minimum=0)
        self.data_shape: tuple[int, ...] | None = None
        chans = [base * m for m in self.mults]
        self.feature_dim = chans[-1]
        self.sigma_embed = SigmaEmbedding(emb_dim)
        self.label_embed = nn.Embedding(num_classes, emb_dim) if num_classes else None
        self.inp = nn.Conv2d(in_channels, base, 3, padding=1)
        self.down = nn.ModuleList()
        self.downsample = nn.ModuleList()
        prev = base
        for i, ch in enumerate(chans):
            self.down.append(_ResBlock(prev, ch, emb_dim))
            prev = ch
            if i < len(chans) - 1:
                self.downsample.append(nn.Conv2d(ch, ch, 3, stride=2, padding=1))
        self.mid = _ResBlock(prev, prev, emb_dim)
        self.up = nn.ModuleList()
        for ch in reversed(chans):
            self.up.append(_ResBlock(prev + ch, ch, emb_dim))
            prev = ch
        self.out_norm = nn.GroupNorm(_groups(prev), prev)
        self.out: nn.Conv2d | None = nn.Conv2d(prev, in_channels, 3, padding=1)
        if generator is not None:
            reinit_(self, generator=generator)

    def spec(self) -> dict[str, Any]:
        return {"kind": "unet", "in_channels": self.in_channels, "base": self.base,
                "mults": list(self.mults), "emb_dim": self.emb_dim,
                "num_classes": self.num_classes}

    def output_modules(self) -> list[nn.Module]:
        return [self.out_norm] + ([self.out] if self.out is not None else [])

    def trunk_modules(self) -> list[nn.Module]:
        mods: list[nn.Module] = [self.sigma_embed, self.inp, self.down, self.downsample, self.mid,
                                 self.up]
        return mods + ([self.label_embed] if self.label_embed is not None else [])

    def drop_output(self) -> None:
        """Keep the encoder and bottleneck only (all that ``features`` needs)."""
        self.up = nn.ModuleList()
        self.out = None

    def truncate(self, layers: int) -> None:
        raise ValueError("`trunk_layers` is supported for MLPBackbone only, not TinyUNet")

    def _embed(self, c_noise, labels):
        e = self.sigma_embed(c_noise)
        if self.label_embed is not None and labels is not None:
            e = e + self.label_embed(labels)
        return F.silu(e)

    def _encode(self, x, e):
        h = self.inp(x)
        skips = []
        for i, block in enumerate(self.down):
            h = block(h, e)
            skips.append(h)
            if i < len(self.downsample):
                h = self.downsample[i](h)
        return self.mid(h, e), skips

    def features(self, x: torch.Tensor, c_noise: torch.Tensor,
                 labels: torch.Tensor | None = None) -> torch.Tensor:
        """``(B, C, H, W) -> (B, base·mults[-1])``: the pooled bottleneck."""
        h, _ = self._encode(x, self._embed(c_noise, labels))
        return h.mean(dim=(2, 3))

    def forward(self, x: torch.Tensor, c_noise: torch.Tensor,
                labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.out is None:
            raise RuntimeError("this backbone is a trunk-only copy; it has no decoder")
        e = self._embed(c_noise, labels)
        h, skips = self._encode(x, e)
        for block, skip in zip(self.up, reversed(skips), strict=True):
            if h.shape[-2:] != skip.shape[-2:]:
                h = F.interpolate(h, size=skip.shape[-2:], mode="nearest")
            h = block(torch.cat([h, skip], dim=1), e)
        return self.out(F.silu(self.out_norm(h)))


def build_backbone(spec: dict[str, Any]) -> nn.Module:
    """Rebuild a backbone from :meth:`MLPBackbone.spec` / :meth:`TinyUNet.spec`."""
    spec = dict(spec)
    kind = spec.pop("kind", None)
    if kind == "mlp":
        return MLPBackbone(spec.pop("dim"), **spec)
    if kind == "unet":
        spec["mults"] = tuple(spec["mults"])
        return TinyUNet(**spec)
    raise ValueError(f"cannot rebuild a backbone of kind {kind!r}; pass `backbone=` to load()")


class EDMPrecond(nn.Module):
    """EDM preconditioning: D(x, σ) = c_skip x + c_out F(c_in x, c_noise) (Karras et al. 2022,
    Table 1; brief "Teacher (EDM)").

    c_skip = σ_d²/(σ²+σ_d²), c_out = σ σ_d/√(σ²+σ_d²), c_in = 1/√(σ²+σ_d²), c_noise = ¼ ln σ.

    Args:
        backbone: F, called as ``backbone(x_in, c_noise, labels)``; with a
            ``features(x_in, c_noise, labels)`` method the result is a :class:`FeatureDenoiser`.
        sigma_data: σ_d (0.5 for images in [−1, 1]; the per-coordinate data std for 2-D toys).
        shape: the per-example data shape; defaults to ``backbone.data_shape`` when it has one.
    """

    def __init__(self, backbone: nn.Module, *, sigma_data: float = 0.5,
                 shape: tuple[int, ...] | None = None) -> None:
        super().__init__()
        if not callable(backbone):
            raise TypeError(f"`backbone` must be callable, got {type(backbone).__name__}")
        self.backbone = backbone
        self.sigma_data = check_positive(sigma_data, "sigma_data")
        shp = shape if shape is not None else getattr(backbone, "data_shape", None)
        self.data_shape: tuple[int, ...] | None = None if shp is None else tuple(int(s)
                                                                                 for s in shp)
        self.num_classes = int(getattr(backbone, "num_classes", 0))

    @property
    def feature_dim(self) -> int:
        return int(self.backbone.feature_dim)

    def _prepare(self, x, sigma, labels):
        x = check_x(x, "x", self.data_shape, finite=False)
        sigma = check_sigma(sigma, x.shape[0], like=x)
        labels = check_labels(labels, x.shape[0], self.num_classes, device=x.device)
        s = sigma.reshape(-1, *([1] * (x.ndim - 1)))
        sd2 = self.sigma_data**2
        c_in = torch.rsqrt(s**2 + sd2)
        return x, sigma, s, c_in, labels

    def forward(self, x: torch.Tensor, sigma: torch.Tensor | float,
                labels: torch.Tensor | None = None) -> torch.Tensor:
        """x̂₀ = D(x, σ): ``(B, ...)``, ``(B,)`` -> ``(B, ...)``."""
        x, sigma, s, c_in, labels = self._prepare(x, sigma, labels)
        sd = self.sigma_data
        c_skip = sd**2 / (s**2 + sd**2)
        c_out = s * sd * c_in
        f = self.backbone(c_in * x, 0.25 * torch.log(sigma), labels)
        return c_skip * x + c_out * f

    def features(self, x: torch.Tensor, sigma: torch.Tensor | float,
                 labels: torch.Tensor | None = None) -> torch.Tensor:
        """The backbone's trunk features at (c_in x, c_noise): ``(B, F)``."""
        if not hasattr(self.backbone, "features"):
            raise TypeError(f"backbone {type(self.backbone).__name__} has no `features` method")
        x, sigma, _, c_in, labels = self._prepare(x, sigma, labels)
        return self.backbone.features(c_in * x, 0.25 * torch.log(sigma), labels)

    def score(self, x: torch.Tensor, sigma: torch.Tensor | float,
              labels: torch.Tensor | None = None) -> torch.Tensor:
        """s(x, σ) = (D(x, σ) − x)/σ², shape of ``x``."""
        d = self.forward(x, sigma, labels)
        s = check_sigma(sigma, x.shape[0], like=d).reshape(-1, *([1] * (d.ndim - 1)))
        return (d - x) / s**2

    def spec(self) -> dict[str, Any]:
        inner = self.backbone.spec() if hasattr(self.backbone, "spec") else None
        return {"sigma_data": self.sigma_data, "shape": self.data_shape, "backbone": inner}
