"""The SPARTAN world model and its dense Transformer baseline (brief, Method 1-6 and 10)."""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ._config import SpartanConfig
from ._data import Standardizer
from ._graph import attention_graph, path_matrix
from ._layers import SparseAttentionLayer
from ._version import __version__

__all__ = ["DenseTransformerWM", "Spartan", "WorldModelOutput"]


@dataclass(frozen=True, eq=False)
class WorldModelOutput:
    """One forward pass.

    Attributes:
        delta: ``(B, N, D)`` predicted standardised residuals of the object tokens kept.
        adjacencies: ``(L, B, T, T)`` hard gates per layer (diagonal 1; all ones when dense;
            straight-through when sampled).
        path_matrix: ``(B, T, T)`` Eq. 5 from ``adjacencies``.
        gate_probs: ``(L, B, T, T)`` ``sigmoid(g)`` with diagonal 1 (ones when dense).
        attention: ``(L, B, T, T)`` attention weights.
        gate_logits: ``(L, B, T, T)`` gate logits ``g`` (``None`` for the dense model).
    """

    delta: torch.Tensor
    adjacencies: torch.Tensor
    path_matrix: torch.Tensor
    gate_probs: torch.Tensor
    attention: torch.Tensor
    gate_logits: torch.Tensor | None = None


def _as_long(x: Any, name: str, B: int, device: torch.device) -> torch.Tensor:
    if isinstance(x, int | np.integer) and not isinstance(x, bool):
        return torch.full((B,), int(x), dtype=torch.long, device=device)
    t = torch.as_tensor(x, device=device)
    if t.dtype.is_floating_point or t.dtype == torch.bool:
        raise TypeError(f"`{name}` must hold integer ids, got dtype {t.dtype}")
    if t.ndim == 0:
        t = t.expand(B)
    if t.shape != (B,):
        raise ValueError(f"`{name}` must have shape ({B},), got {tuple(t.shape)}")
    return t.long()


class _WorldModel(nn.Module):
    """Shared token encoder, layers, head and I/O of :class:`Spartan` and the dense baseline."""

    _dense: bool = False

    def __init__(self, config: SpartanConfig, *, generator: torch.Generator | None = None) -> None:
        super().__init__()
        if not isinstance(config, SpartanConfig):
            raise TypeError(f"`config` must be a SpartanConfig, got {type(config).__name__}")
        if config.dense != self._dense:
            config = dataclasses.replace(config, dense=self._dense)
        self.config = config
        c = config
        d = c.d_model
        self.encoder = nn.Sequential(  # per-object MLP on [s_i, one-hot(i)]
            nn.Linear(c.obj_dim + c.n_objects, c.mlp_hidden), nn.GELU(),
            nn.Linear(c.mlp_hidden, d),
        )
        self.action_encoder = nn.Linear(c.action_dim, d) if c.action_dim else None
        self.regime_tokens = nn.Parameter(torch.randn(c.n_regimes, d)) if c.n_regimes else None
        self.layers = nn.ModuleList(
            SparseAttentionLayer(d, c.mlp_hidden, temperature=c.temperature,
                                 gate_bias_init=c.gate_bias_init,
                                 normalization=c.normalization, dense=c.dense)
            for _ in range(c.n_layers)
        )
        self.head = nn.Linear(d, c.obj_dim)
        self.register_buffer("delta_mu", torch.zeros(c.obj_dim))
        self.register_buffer("delta_sigma", torch.ones(c.obj_dim))
        # 1/lambda at the end of fit: the penalty weight of few-shot token adaptation
        self.register_buffer("sparsity_weight", torch.zeros(()))
        if generator is not None:
            self.reset_parameters(generator=generator)

    # ------------------------------------------------------------------ set-up
    @torch.no_grad()
    def reset_parameters(self, *, generator: torch.Generator) -> None:
        """Re-draw every weight from ``generator`` (PyTorch's default Linear scheme:
        ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``; tokens ``N(0, 1)``; gate biases reset)."""
        gdev = generator.device
        for mod in self.modules():
            if isinstance(mod, nn.Linear):
                bound = 1.0 / math.sqrt(mod.in_features)
                for p in (mod.weight, mod.bias):
                    u = torch.rand(p.shape, generator=generator, device=gdev, dtype=p.dtype)
                    p.copy_((2 * u - 1) * bound)
            elif isinstance(mod, nn.LayerNorm):
                mod.weight.fill_(1.0)
                mod.bias.fill_(0.0)
            elif isinstance(mod, SparseAttentionLayer):
                mod.gate_bias.fill_(self.config.gate_bias_init)
        if self.regime_tokens is not None:
            p = self.regime_tokens
            p.copy_(torch.randn(p.shape, generator=generator, device=gdev, dtype=p.dtype))

    def set_standardizer(self, std: Standardizer) -> None:
        """Store the residual scaling ``mu, sigma`` (used by :func:`rollout`)."""
        if len(std.mu) != self.config.obj_dim:
            raise ValueError(f"`std` must have {self.config.obj_dim} features, got {len(std.mu)}")
        with torch.no_grad():
            self.delta_mu.copy_(torch.as_tensor(std.mu, dtype=self.delta_mu.dtype))
            self.delta_sigma.copy_(torch.as_tensor(std.sigma, dtype=self.delta_sigma.dtype))

    @property
    def device(self) -> torch.device:
        return self.head.weight.device

    # ------------------------------------------------------------------ forward
    def _check_objects(self, objects: Any) -> torch.Tensor:
        if not isinstance(objects, torch.Tensor):
            raise TypeError(f"`objects` must be a torch.Tensor, got {type(objects).__name__}")
        c = self.config
        if objects.ndim != 3:
            raise ValueError(f"`objects` must be 3-D (B, N, D), got shape {tuple(objects.shape)}")
        if objects.shape[-1] != c.obj_dim:
            raise ValueError(
                f"`objects` must have obj_dim={c.obj_dim} features, got {objects.shape[-1]}")
        if objects.shape[1] != c.n_objects:
            raise ValueError(
                f"`objects` must have n_objects={c.n_objects} objects, got {objects.shape[1]}")
        if not objects.dtype.is_floating_point:
            raise TypeError(f"`objects` must be a floating tensor, got {objects.dtype}")
        if objects.device.type != "meta" and not bool(torch.isfinite(objects).all()):
            raise ValueError("`objects` must be finite, got NaN or Inf values")
        return objects

    def forward(
        self,
        objects: torch.Tensor,
        *,
        actions: torch.Tensor | None = None,
        regime: torch.Tensor | int | None = None,
        token: torch.Tensor | None = None,
        sample: bool | None = None,
        generator: torch.Generator | None = None,
        drop: Sequence[int] | None = None,
    ) -> WorldModelOutput:
        """Predict standardised residuals and the gate graphs of one transition.

        Args:
            objects: ``(B, N, obj_dim)`` object states.
            actions: ``(B, action_dim)`` when the config has actions (one action token).
            regime: ``(B,)`` ids (or one int) of the intervention token ``u_r`` to append.
            token: a ``(d,)`` intervention token to append instead (few-shot adaptation).
            sample: draw stochastic gates; ``None`` means "sample iff training".
            generator: random source of the gate noise.
            drop: object indices to delete (distractor deletion): their key columns are closed
                in every layer (renorm: exactly equivalent to removing the tokens; softmax
                models: left out of the softmax) and ``delta`` covers the other objects, in
                order. Shapes stay fixed, so kept outputs without a path from a deleted token
                are bit-identical.

        Returns:
            :class:`WorldModelOutput`; tokens are ordered objects, action, intervention.

        Raises:
            ValueError: bad shapes, NaN/Inf, ``regime`` out of range or given without regime
                tokens, ``regime`` and ``token`` both given.
        """
        c = self.config
        x_obj = self._check_objects(objects)
        B, N, _ = x_obj.shape
        dev, dt = x_obj.device, x_obj.dtype
        if sample is None:
            sample = self.training
        onehot = torch.eye(N, device=dev, dtype=dt).expand(B, N, N)
        tokens = [self.encoder(torch.cat([x_obj, onehot], dim=-1))]  # (B, N, d)
        keep = None
        if drop is not None:
            dropped = {int(i) for i in drop}
            if any(i < 0 or i >= N for i in dropped) or len(dropped) >= N:
                raise ValueError(f"`drop` must name some (not all) of 0..{N - 1}, got {drop!r}")
            keep = [i for i in range(N) if i not in dropped]
        if c.action_dim:
            if actions is None:
                raise ValueError(f"`actions` of shape (B, {c.action_dim}) are required")
            if actions.shape != (B, c.action_dim):
                raise ValueError(f"`actions` must have shape ({B}, {c.action_dim}), got "
                                 f"{tuple(actions.shape)}")
            if actions.device.type != "meta" and not bool(torch.isfinite(actions).all()):
                raise ValueError("`actions` must be finite, got NaN or Inf values")
            tokens.append(self.action_encoder(actions.to(dt))[:, None])
        elif actions is not None:
            raise ValueError("`actions` given but the config has action_dim=0")
        if regime is not None and token is not None:
            raise ValueError("`regime` and `token` are mutually exclusive; got both")
        if regime is not None:
            if self.regime_tokens is None:
                raise ValueError("`regime` given but the config has n_regimes=0")
            r = _as_long(regime, "regime", B, dev)
            if r.device.type != "meta":
                lo, hi = int(r.min()), int(r.max())
                if lo < 0 or hi >= c.n_regimes:
                    raise ValueError(
                        f"`regime` must lie in [0, {c.n_regimes - 1}], got values in [{lo}, {hi}]")
            tokens.append(self.regime_tokens[r][:, None])
        elif token is not None:
            if not isinstance(token, torch.Tensor) or token.shape != (c.d_model,):
                got = tuple(token.shape) if isinstance(token, torch.Tensor) else type(token)
                raise ValueError(f"`token` must be a ({c.d_model},) tensor, got {got}")
            tokens.append(token.to(dt).expand(B, 1, c.d_model))
        x = torch.cat(tokens, dim=1)  # (B, T, d)
        key_mask = None
        if keep is not None:  # deleted objects: closed as keys in every layer, rows dropped
            key_mask = torch.ones(x.shape[1], dtype=torch.bool, device=dev)
            key_mask[[i for i in range(N) if i not in keep]] = False
        adj, probs, att, glog = [], [], [], []
        for layer in self.layers:
            x, A, p, a, g = layer(x, sample=bool(sample) and not c.dense, generator=generator,
                                  key_mask=key_mask)
            adj.append(A)
            probs.append(p)
            att.append(a)
            glog.append(g)
        adjacencies = torch.stack(adj)  # (L, B, T, T)
        delta = self.head(x[:, :N])  # (B, N, D)
        if keep is not None:
            delta = delta[:, keep]  # (B, N_kept, D)
        return WorldModelOutput(delta, adjacencies, path_matrix(adjacencies),
                                torch.stack(probs), torch.stack(att),
                                None if c.dense else torch.stack(glog))

    # ------------------------------------------------------------------ graphs
    def _graph_from_output(self, out: WorldModelOutput) -> torch.Tensor:
        T = out.path_matrix.shape[-1]
        eye = torch.eye(T, dtype=torch.bool, device=out.path_matrix.device)
        return (out.path_matrix >= 1) & ~eye

    @torch.no_grad()
    def local_graph(self, objects: torch.Tensor, *, actions: torch.Tensor | None = None,
                    regime: torch.Tensor | int | None = None,
                    token: torch.Tensor | None = None) -> torch.Tensor:
        """Per-sample local graph (brief, Method 3): Bool ``(B, N, T)``, ``[b, i, j]`` means
        input token j influences object i (i != j); columns are objects, then the action
        token, then the intervention token. Evaluation-mode gates."""
        was = self.training
        self.eval()
        try:
            out = self(objects, actions=actions, regime=regime, token=token, sample=False)
        finally:
            self.train(was)
        return self._graph_from_output(out)[:, : objects.shape[1]]

    @torch.no_grad()
    def target_rates(self, objects: torch.Tensor, *, regime: torch.Tensor | int | None = None,
                     token: torch.Tensor | None = None,
                     actions: torch.Tensor | None = None) -> torch.Tensor:
        """Float ``(N,)``: share of the samples in ``objects`` whose graph has an edge from the
        intervention token into each object."""
        if regime is None and token is None:
            raise ValueError("`target_rates` needs `regime` or `token`")
        g = self.local_graph(objects, actions=actions, regime=regime, token=token)
        return g[:, :, -1].to(torch.float32).mean(0)

    def intervention_targets(self, regime: int | None, objects: torch.Tensor, *,
                             token: torch.Tensor | None = None,
                             actions: torch.Tensor | None = None) -> torch.Tensor:
        """Inferred targets of a regime (brief, Method 3): Bool ``(N,)``, an object is a target
        when the intervention token's column has an edge into it in a majority of the samples
        of ``objects``. Pass ``regime=None`` and ``token=`` for an adapted token."""
        return self.target_rates(objects, regime=regime, token=token, actions=actions) > 0.5

    # ------------------------------------------------------------------ I/O
    def save(self, path: str | os.PathLike) -> None:
        """Write version, class, config and weights to ``path`` (``torch.save``)."""
        state = {k: v.detach().cpu() for k, v in self.state_dict().items()}
        torch.save({"version": __version__, "class": type(self).__name__,
                    "config": self.config.to_dict(), "state_dict": state}, Path(path))

    @classmethod
    def load(cls, path: str | os.PathLike, *, map_location: Any = "cpu") -> _WorldModel:
        """Read a model written by :meth:`save` (``weights_only`` loading).

        Raises:
            ValueError: a file from another package version, or of another model class.
        """
        blob = torch.load(Path(path), map_location=map_location, weights_only=True)
        if blob.get("version") != __version__:
            raise ValueError(f"`path` holds a model saved by mpiis-spartan "
                             f"{blob.get('version')!r}; this is version {__version__!r}")
        if blob.get("class") != cls.__name__:
            raise ValueError(f"`path` holds a {blob.get('class')!r}, not a {cls.__name__!r}")
        model = cls(SpartanConfig(**blob["config"]))
        model.load_state_dict(blob["state_dict"])
        return model.to(map_location) if map_location is not None else model


class Spartan(_WorldModel):
    """SPARTAN: Transformer world model over object tokens with hard stochastic attention gates;
    the path matrix of the gates is each sample's local causal graph (brief, Method 1-5).

    Args:
        config: :class:`SpartanConfig` (``dense`` is forced to ``False``).
        generator: when given, every weight is drawn from it (else torch's default init).
    """

    _dense = False


class DenseTransformerWM(_WorldModel):
    """Dense Transformer world model (SlotFormer-style, one head per layer, A = 1): the
    paper's comparator. Its ``local_graph`` is the attention read-out
    (:func:`attention_graph`, threshold 1/T, composed along paths)."""

    _dense = True

    def _graph_from_output(self, out: WorldModelOutput) -> torch.Tensor:
        return attention_graph(out.attention)
