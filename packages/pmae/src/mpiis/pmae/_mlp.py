"""An MLP encoder/decoder for PMAE on small images (a CPU-scale variant; PMAE needs no patches)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from mpiis.shared.validation import check_int

__all__ = ["MLPConfig", "MLPDecoder", "MLPEncoder", "mlp_encoder"]


@dataclass(frozen=True, kw_only=True)
class MLPConfig:
    """Sizes of the MLP encoder/decoder (D -> 256 -> 256 -> 128, decoder 128 -> 256 -> D)."""

    hidden: int = 256  # hidden width of encoder and decoder
    depth: int = 3  # linear layers in the encoder
    code: int = 128  # width of the representation

    def __post_init__(self) -> None:
        check_int(self.hidden, "hidden", minimum=1)
        check_int(self.depth, "depth", minimum=1)
        check_int(self.code, "code", minimum=1)

    @classmethod
    def cpu(cls) -> MLPConfig:
        """The package's CPU scale (the defaults)."""
        return cls()

    @classmethod
    def tiny(cls) -> MLPConfig:
        """For tests: 32 -> 16."""
        return cls(hidden=32, depth=2, code=16)


def _seeded_init(module: nn.Module, generator: torch.Generator | None) -> None:
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight, generator=generator)
            nn.init.zeros_(m.bias)


class MLPEncoder(nn.Module):
    """Flatten ``(B, C, H, W)`` and map it to a code ``(B, code)`` with GELU layers.

    Args:
        dim: D = C*H*W.
        hidden: hidden width.
        depth: number of linear layers (>= 1).
        code: output width.
    """

    def __init__(self, dim: int, *, hidden: int = 256, depth: int = 3, code: int = 128) -> None:
        super().__init__()
        dim = check_int(dim, "dim", minimum=1)
        depth = check_int(depth, "depth", minimum=1)
        widths = [dim] + [hidden] * (depth - 1) + [code]
        layers: list[nn.Module] = []
        for i in range(depth):
            layers.append(nn.Linear(widths[i], widths[i + 1]))
            if i < depth - 1:
                layers.append(nn.GELU())
        self.net = nn.Sequential(*layers)
        self.dim, self.code = dim, code
        self._cfg = {"dim": dim, "hidden": hidden, "depth": depth, "code": code}

    def config(self) -> dict[str, Any]:
        return {"kind": "mlp", **self._cfg}

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        _seeded_init(self, generator)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` -> ``(B, code)``."""
        return self.net(x.reshape(x.shape[0], -1))


class MLPDecoder(nn.Module):
    """Map a code ``(B, code)`` to a full image prediction ``(B, D)`` (code -> hidden -> D)."""

    def __init__(self, dim: int, *, hidden: int = 256, code: int = 128) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(code, hidden), nn.GELU(), nn.Linear(hidden, dim))
        self._cfg = {"dim": dim, "hidden": hidden, "code": code}

    def config(self) -> dict[str, Any]:
        return {"kind": "mlp", **self._cfg}

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        _seeded_init(self, generator)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """``(B, code)`` -> ``(B, D)``."""
        return self.net(z)


def mlp_encoder(image_shape: tuple[int, int, int],
                config: MLPConfig | None = None) -> tuple[MLPEncoder, MLPDecoder]:
    """The package's MLP pair for images of ``image_shape`` ``(C, H, W)``."""
    cfg = config or MLPConfig()
    if len(image_shape) != 3:
        raise ValueError(f"`image_shape` must be (C, H, W), got {image_shape!r}")
    d = int(image_shape[0] * image_shape[1] * image_shape[2])
    enc = MLPEncoder(d, hidden=cfg.hidden, depth=cfg.depth, code=cfg.code)
    dec = MLPDecoder(d, hidden=cfg.hidden, code=cfg.code)
    return enc, dec
