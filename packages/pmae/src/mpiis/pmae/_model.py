"""The masked auto-encoder that takes either masking: PMAE (components) or MAE (patches)."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch import nn

from mpiis.shared.validation import check_choice, check_int

from ._basis import PCABasis
from ._checks import as_images, check_image_shape, describe, has_values
from ._loss import masked_mean_sq, patch_mse
from ._masking import ComponentMasking, PatchMask, PatchMasking
from ._mlp import MLPConfig, MLPDecoder, MLPEncoder, mlp_encoder
from ._vit import ViTConfig, ViTDecoder, ViTEncoder, _build_vit, patchify, unpatchify

__all__ = ["MAEOutput", "MaskedAutoencoder", "mae", "pmae"]

Pool = Literal["cls", "mean", "cls+mean"]


@dataclass(frozen=True)
class MAEOutput:
    """Result of one forward pass.

    Attributes:
        loss: scalar, mean of ``loss_per_sample``.
        loss_per_sample: ``(B,)``.
        pred: ``(B, C, H, W)`` predicted standardised images.
        mask: ``(B, K)`` component mask or ``(B, L)`` patch mask, True = masked.
        zero_loss: scalar, the loss of predicting zero (the masked targets' mean square); the
            relative loss ``loss / zero_loss`` is 1 for the zero predictor.
        latent: ``(B, F)`` detached encoder representation of the masked input (CLS / code).
    """

    loss: torch.Tensor
    loss_per_sample: torch.Tensor
    pred: torch.Tensor
    mask: torch.Tensor
    zero_loss: torch.Tensor
    latent: torch.Tensor


class MaskedAutoencoder(nn.Module):
    """A masked auto-encoder with component masking (PMAE, paper Sec. 3) or patch masking (MAE).

    With :class:`ComponentMasking` the encoder sees all tokens of the visible image
    ``(c * (1 - m)) V^T`` and the loss is the MSE of the masked coefficients; with
    :class:`PatchMasking` a ViT encoder sees only the kept patches (an MLP encoder sees the
    image with masked patches zeroed) and the loss is the MSE of the masked patches.

    Args:
        encoder: :class:`ViTEncoder` or :class:`MLPEncoder`.
        decoder: the matching :class:`ViTDecoder` or :class:`MLPDecoder`.
        masking: :class:`ComponentMasking` or :class:`PatchMasking`.
        image_shape: ``(C, H, W)``; taken from the basis or the ViT when omitted.
        patch_size: patch size for patch masking with an MLP encoder (ViT: its own).
        mean, std: ``(D,)`` input standardisation (PMAE: the basis's; default 0 and 1).
    """

    def __init__(
        self,
        encoder: ViTEncoder | MLPEncoder,
        decoder: ViTDecoder | MLPDecoder,
        masking: ComponentMasking | PatchMasking,
        *,
        image_shape: tuple[int, int, int] | None = None,
        patch_size: int | None = None,
        mean: Any = None,
        std: Any = None,
    ) -> None:
        super().__init__()
        if not isinstance(masking, ComponentMasking | PatchMasking):
            raise TypeError(
                f"`masking` must be a ComponentMasking or PatchMasking, got {describe(masking)}"
            )
        if not isinstance(encoder, ViTEncoder | MLPEncoder):
            raise TypeError(
                f"`encoder` must be a ViTEncoder or MLPEncoder, got {describe(encoder)}")
        if isinstance(encoder, ViTEncoder) != isinstance(decoder, ViTDecoder):
            raise TypeError("`encoder` and `decoder` must both be ViT or both be MLP modules")
        if image_shape is None:
            if isinstance(masking, ComponentMasking):
                image_shape = masking.image_shape
            elif isinstance(encoder, ViTEncoder):
                image_shape = (encoder.in_chans, *encoder.img_size)
            else:
                raise ValueError("`image_shape` is required for an MLP encoder with patch masking")
        self.image_shape = tuple(int(s) for s in image_shape)
        d = math.prod(self.image_shape)
        if isinstance(encoder, ViTEncoder):
            if (encoder.in_chans, *encoder.img_size) != self.image_shape:
                built = (encoder.in_chans, *encoder.img_size)
                raise ValueError(f"the ViT is built for images {built}, but `image_shape` is "
                                 f"{self.image_shape}")
            patch_size = encoder.patch_size
        elif encoder.dim != d:
            raise ValueError(f"the MLP encoder takes D = {encoder.dim}, but `image_shape` "
                             f"{self.image_shape} has D = {d}")
        if isinstance(masking, ComponentMasking):
            if tuple(masking.image_shape) != self.image_shape:
                raise ValueError(f"the basis is for images {tuple(masking.image_shape)}, but "
                                 f"`image_shape` is {self.image_shape}")
            mean, std = masking.mean, masking.std
        elif patch_size is None:
            raise ValueError("`patch_size` is required for an MLP encoder with patch masking")
        if patch_size is not None:
            patch_size = check_int(patch_size, "patch_size", minimum=1)
            _, h, w = self.image_shape
            if h % patch_size or w % patch_size:
                raise ValueError(f"`patch_size` (={patch_size}) must divide the image size "
                                 f"({h}, {w})")
        self.patch_size = patch_size
        self.encoder, self.decoder, self.masking = encoder, decoder, masking
        mean_t = torch.zeros(d) if mean is None else torch.as_tensor(mean).float().reshape(-1)
        std_t = torch.ones(d) if std is None else torch.as_tensor(std).float().reshape(-1)
        if mean_t.shape != (d,) or std_t.shape != (d,):
            raise ValueError(f"`mean` and `std` must have {d} entries, got {tuple(mean_t.shape)} "
                             f"and {tuple(std_t.shape)}")
        if has_values(std_t) and (not bool((std_t > 0).all())
                                  or not bool(torch.isfinite(mean_t).all())):
            raise ValueError("`std` must be > 0 and `mean` finite")
        self.register_buffer("pixel_mean", mean_t.clone())
        self.register_buffer("pixel_std", std_t.clone())

    # ------------------------------------------------------------------ helpers
    @property
    def is_pmae(self) -> bool:
        return isinstance(self.masking, ComponentMasking)

    @property
    def is_vit(self) -> bool:
        return isinstance(self.encoder, ViTEncoder)

    @property
    def device(self) -> torch.device:
        return self.pixel_mean.device

    def reset_parameters(self, generator: torch.Generator | None = None) -> MaskedAutoencoder:
        """Re-initialise encoder and decoder weights from ``generator``; returns ``self``."""
        self.encoder.reset_parameters(generator)
        self.decoder.reset_parameters(generator)
        return self

    def _check_input(self, x: Any) -> torch.Tensor:
        t = as_images(x, "x")
        check_image_shape(t, self.image_shape, "x")  # type: ignore[arg-type]
        return t.to(self.device, torch.float32)

    def standardize(self, x: torch.Tensor) -> torch.Tensor:
        """``(x - mu) / s`` of images ``(B, C, H, W)``."""
        b = x.shape[0]
        return ((x.reshape(b, -1) - self.pixel_mean) / self.pixel_std).reshape(x.shape)

    # ------------------------------------------------------------------ forward
    def forward(
        self,
        x: Any,
        *,
        generator: torch.Generator | None = None,
        mask: torch.Tensor | None = None,
        validate: bool = True,
    ) -> MAEOutput:
        """Mask, encode, decode and score a batch (paper Sec. 3 / MAE).

        Args:
            x: raw images ``(B, C, H, W)`` in [0, 1].
            generator: randomness for the mask.
            mask: a fixed mask, ``(B, K)`` (components) or ``(B, L)`` (patches), boolean, or a
                :class:`PatchMask` from :meth:`sample_mask`.
            validate: check ``x`` (shape, NaN/Inf: a host sync on a GPU); :func:`pretrain`
                checks its batches on the host and passes ``False``.

        Returns:
            :class:`MAEOutput`.
        """
        t = self._check_input(x) if validate else x.to(self.device, torch.float32)
        b = t.shape[0]
        if isinstance(self.masking, ComponentMasking):
            visible, c, m = self.masking(t, generator=generator, mask=mask, validate=False)
            if self.is_vit:
                tokens = self.encoder(visible)  # all tokens, (B, 1 + L, dim)
                latent = tokens[:, 0]
                pred = unpatchify(self.decoder(tokens), self.patch_size, self.image_shape)
            else:
                latent = self.encoder(visible)  # (B, code)
                pred = self.decoder(latent).reshape(t.shape)
            c_hat = pred.reshape(b, -1) @ self.masking.components  # (B, K)
            per = masked_mean_sq(c_hat - c, m)
            zero = masked_mean_sq(c, m).mean()
        else:
            z = self.standardize(t)
            target = patchify(z, self.patch_size)  # (B, L, p*p*C)
            if isinstance(mask, PatchMask):
                if tuple(mask.mask.shape) != (b, target.shape[1]):
                    raise ValueError(f"`mask` must hold ({b}, {target.shape[1]}) patch masks, "
                                     f"got {tuple(mask.mask.shape)}")
                pm = PatchMask(*(t.to(z.device) for t in mask))
            else:
                pm = self.masking(b, target.shape[1], generator=generator, device=z.device,
                                  mask=mask)
            m = pm.mask
            if self.is_vit:
                tokens = self.encoder(z, pm.ids_keep)  # (B, 1 + L_keep, dim)
                latent = tokens[:, 0]
                pred_p = self.decoder(tokens, pm.ids_restore)  # (B, L, p*p*C)
            else:
                keep = (~m).to(z.dtype)[..., None].expand_as(target)
                z_in = unpatchify(target * keep, self.patch_size, self.image_shape)
                latent = self.encoder(z_in)
                pred_p = patchify(self.decoder(latent).reshape(t.shape), self.patch_size)
            per = patch_mse(pred_p, target, m)
            zero = patch_mse(torch.zeros_like(target), target, m).mean()
            pred = unpatchify(pred_p, self.patch_size, self.image_shape)
        return MAEOutput(per.mean(), per, pred, m, zero.detach(), latent.detach())

    def sample_mask(self, batch_size: int, *,
                    generator: torch.Generator | None = None) -> torch.Tensor | PatchMask:
        """The masks :meth:`forward` would draw for a batch of ``batch_size`` images, drawn the
        same way from ``generator``: a ``(B, K)`` boolean tensor (components) or a
        :class:`PatchMask`. Rows can be sliced (``mask[i::n]``, ``PatchMask(*(t[i::n] for t in
        m))``) and passed back as ``forward(..., mask=...)``; data-parallel training draws the
        global batch's masks on every rank this way and keeps its own rows."""
        b = check_int(batch_size, "batch_size", minimum=1)
        if isinstance(self.masking, ComponentMasking):
            return self.masking.sample(b, generator=generator)
        _, h, w = self.image_shape
        p = self.patch_size
        return self.masking(b, (h // p) * (w // p), generator=generator, device=self.device)

    @torch.no_grad()
    def encode(self, x: Any, *, pool: Pool = "cls+mean") -> torch.Tensor:
        """Representation of unmasked images (paper Sec. 4, frozen-encoder evaluation).

        Args:
            x: raw images ``(B, C, H, W)``.
            pool: ``"cls"`` (the paper's), ``"mean"`` of patch tokens, or ``"cls+mean"``
                (the package's probe features); the MLP encoder returns its code for
                ``"mean"``/``"cls+mean"`` and refuses ``"cls"``.

        Returns:
            ``(B, F)`` features.
        """
        check_choice(pool, "pool", ("cls", "mean", "cls+mean"))
        if not self.is_vit:
            if pool == "cls":
                raise ValueError("`pool` must be 'mean' or 'cls+mean' for the MLP encoder (it has "
                                 "no CLS token), got 'cls'")
            return self.encoder(self.standardize(self._check_input(x)))
        tokens = self.encoder(self.standardize(self._check_input(x)))
        if pool == "cls":
            return tokens[:, 0]
        if pool == "mean":
            return tokens[:, 1:].mean(1)
        return torch.cat([tokens[:, 0], tokens[:, 1:].mean(1)], dim=1)

    # ------------------------------------------------------------------ persistence
    def config(self) -> dict[str, Any]:
        return {
            "format": "mpiis.pmae.MaskedAutoencoder",
            "version": 1,
            "encoder": self.encoder.config(),
            "decoder": self.decoder.config(),
            "masking": self.masking.config(),
            "image_shape": list(self.image_shape),
            "patch_size": self.patch_size,
        }

    def save(self, path: str | os.PathLike) -> None:
        """Write config (JSON) and weights (a tensor state dict) to ``path`` (``torch.save``)."""
        state = {k: v.detach().cpu() for k, v in self.state_dict().items()}
        torch.save({"config": json.dumps(self.config()), "state_dict": state}, Path(path))

    @classmethod
    def load(cls, path: str | os.PathLike, *, map_location: Any = "cpu") -> MaskedAutoencoder:
        """Read a model written by :meth:`save` (``weights_only`` loading, no pickle code)."""
        blob = torch.load(Path(path), map_location=map_location, weights_only=True)
        cfg = json.loads(blob["config"])
        sd = blob["state_dict"]
        ec, dc, mc = dict(cfg["encoder"]), dict(cfg["decoder"]), dict(cfg["masking"])
        ekind, dkind, mkind = ec.pop("kind"), dc.pop("kind"), mc.pop("kind")
        if ekind == "vit":
            enc: ViTEncoder | MLPEncoder = ViTEncoder(
                tuple(ec["img_size"]), ec["patch_size"], ec["in_chans"], dim=ec["dim"],
                depth=ec["depth"], heads=ec["heads"], mlp_ratio=ec["mlp_ratio"])
            dec: ViTDecoder | MLPDecoder = ViTDecoder(
                tuple(dc["num_patches"]), dc["patch_size"], dc["in_chans"], enc_dim=dc["enc_dim"],
                dim=dc["dim"], depth=dc["depth"], heads=dc["heads"], mlp_ratio=dc["mlp_ratio"])
        else:
            enc = MLPEncoder(ec["dim"], hidden=ec["hidden"], depth=ec["depth"], code=ec["code"])
            dec = MLPDecoder(dc["dim"], hidden=dc["hidden"], code=dc["code"])
        if dkind != ekind:
            raise ValueError(f"corrupt model file {path}: encoder {ekind} with decoder {dkind}")
        if mkind == "component":
            basis = PCABasis(
                image_shape=tuple(mc["image_shape"]),
                mean=sd["masking.mean"], std=sd["masking.std"],
                components=sd["masking.components"], eigenvalues=sd["masking.eigenvalues"],
                explained_variance_ratio=sd["masking.explained_variance_ratio"])
            masking: ComponentMasking | PatchMasking = ComponentMasking(
                basis, ratio=mc["ratio"], mode=mc["mode"], random_range=tuple(mc["random_range"]))
        else:
            masking = PatchMasking(ratio=mc["ratio"], mode=mc["mode"],
                                   random_range=tuple(mc["random_range"]))
        model = cls(enc, dec, masking, image_shape=tuple(cfg["image_shape"]),
                    patch_size=cfg["patch_size"])
        model.load_state_dict(sd)
        return model.to(map_location).eval()


def _init_device(generator: torch.Generator | None, device: Any) -> torch.device:
    """Where weights are built and initialised: the generator's device (so that one seed gives
    the same weights whatever the model's device), else the model's device."""
    return generator.device if generator is not None else torch.device(device)


def _check_arch(arch: str, config: Any) -> None:
    check_choice(arch, "arch", ("vit", "mlp"))
    want = ViTConfig if arch == "vit" else MLPConfig
    if config is not None and not isinstance(config, want):
        raise TypeError(f"`config` must be a {want.__name__} for arch={arch!r}, "
                        f"got {describe(config)}")


def _default_patch(h: int) -> int:
    for p in (8, 4, 2):
        if h % p == 0 and h // p >= 4:
            return p
    return 1


def _networks(image_shape: tuple[int, int, int], arch: str, patch_size: int | None,
              config: Any) -> tuple[Any, Any, int | None]:
    c, h, w = image_shape
    if arch == "vit":
        p = _default_patch(min(h, w)) if patch_size is None else check_int(patch_size,
                                                                           "patch_size", minimum=1)
        if h % p or w % p:
            raise ValueError(f"`patch_size` (={p}) must divide the image size ({h}, {w})")
        enc, dec = _build_vit((h, w), p, c, config or ViTConfig.cpu())
        return enc, dec, p
    enc, dec = mlp_encoder(image_shape, config or MLPConfig.cpu())
    return enc, dec, patch_size


def pmae(
    basis: PCABasis,
    *,
    arch: Literal["vit", "mlp"] = "vit",
    ratio: float = 0.2,
    mode: Literal["fixed", "random", "top", "bottom"] = "fixed",
    patch_size: int | None = None,
    config: ViTConfig | MLPConfig | None = None,
    generator: torch.Generator | None = None,
) -> MaskedAutoencoder:
    """A PMAE model (paper Sec. 3) on ``basis``, with a ViT (``vit_tiny_cpu`` size by default)
    or the MLP encoder.

    Args:
        basis: the fitted :class:`PCABasis` (its device is the model's device).
        arch: ``"vit"`` or ``"mlp"``.
        ratio: variance share r (paper default 0.2).
        mode: ``"fixed"``, ``"random"`` (PMAE_rd), ``"top"`` or ``"bottom"``.
        patch_size: ViT patch size (default: the largest of 8/4/2 leaving a grid >= 4 x 4).
        config: :class:`ViTConfig` / :class:`MLPConfig` sizes.
        generator: initialises the weights.
    """
    if not isinstance(basis, PCABasis):
        raise TypeError(f"`basis` must be a PCABasis, got {describe(basis)}")
    _check_arch(arch, config)
    with torch.device(_init_device(generator, basis.device)):
        masking = ComponentMasking(basis, ratio=ratio, mode=mode)
        enc, dec, p = _networks(basis.image_shape, arch, patch_size, config)  # type: ignore[arg-type]
        model = MaskedAutoencoder(enc, dec, masking, patch_size=p)
        model.reset_parameters(generator)
    return model.to(basis.device)


def mae(
    image_shape: tuple[int, int, int],
    *,
    arch: Literal["vit", "mlp"] = "vit",
    ratio: float = 0.75,
    mode: Literal["fixed", "random"] = "fixed",
    patch_size: int | None = None,
    config: ViTConfig | MLPConfig | None = None,
    mean: Any = None,
    std: Any = None,
    generator: torch.Generator | None = None,
    device: Any = None,
) -> MaskedAutoencoder:
    """The patch-MAE baseline (He et al. 2022) on the same networks as :func:`pmae`.

    Args:
        image_shape: ``(C, H, W)``.
        arch: ``"vit"`` or ``"mlp"`` (the MLP zeroes masked patches in its input).
        ratio: patch masking ratio rho (MAE_std: 0.75).
        mode: ``"fixed"`` or ``"random"`` (MAE_rd).
        patch_size: patch size (default as in :func:`pmae`; the MLP uses it for masking).
        config: network sizes.
        mean, std: ``(D,)`` input standardisation; pass ``basis.mean, basis.std`` to give MAE
            the same inputs as PMAE.
        generator: initialises the weights (on its device; the same seed gives the same
            weights on every device).
        device: where the model lives; default the device of ``mean`` when it is a tensor (so
            ``mae(basis.image_shape, mean=basis.mean, std=basis.std)`` follows the basis like
            :func:`pmae`), else the CPU.
    """
    if not isinstance(image_shape, tuple | list) or len(image_shape) != 3:
        raise ValueError(f"`image_shape` must be (C, H, W), got {image_shape!r}")
    image_shape = tuple(check_int(s, "image_shape", minimum=1) for s in image_shape)  # type: ignore[assignment]
    _check_arch(arch, config)
    masking = PatchMasking(ratio=ratio, mode=mode)
    p = patch_size if arch == "vit" or patch_size is not None else None
    if arch == "vit" and p is None:
        p = _default_patch(min(image_shape[1], image_shape[2]))
    if p is not None:
        p = check_int(p, "patch_size", minimum=1)
    if p is None:
        p = _default_patch(min(image_shape[1], image_shape[2]))
    h, w = image_shape[1], image_shape[2]
    if h % p or w % p:
        raise ValueError(f"`patch_size` (={p}) must divide the image size ({h}, {w})")
    if device is None:
        device = mean.device if isinstance(mean, torch.Tensor) else torch.device("cpu")
    device = torch.device(device)
    with torch.device(_init_device(generator, device)):
        enc, dec, _ = _networks(image_shape, arch, p, config)  # type: ignore[arg-type]
        mean_t = None if mean is None else _as_stat(mean)
        std_t = None if std is None else _as_stat(std)
        model = MaskedAutoencoder(enc, dec, masking, image_shape=image_shape, patch_size=p,
                                  mean=mean_t, std=std_t)
        model.reset_parameters(generator)
    return model.to(device)


def _as_stat(v: Any) -> torch.Tensor:
    if isinstance(v, torch.Tensor):
        return v.detach().float().to(torch.get_default_device())
    return torch.as_tensor(np.asarray(v, dtype=np.float32))
