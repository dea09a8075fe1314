"""The GIM network ``p_φ(I | γ)`` and the MLP body it shares with FeatureMLP (brief, "GIM network").

An MLP on standardised features with SiLU hidden layers, a linear skip from the input to the
output, and an output layer started at 0.1x its default scale; the skip starts at zero.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

__all__ = ["MLP", "GIMNetwork", "NetworkOutput"]


class MLP(nnx.Module):
    """``γ -> out``: SiLU hidden layers, a zero-initialised linear skip, a 0.1x output layer.

    Args:
        in_dim: feature dimension ``p``.
        out_dim: output dimension.
        hidden: hidden widths, e.g. ``(64, 64)``.
        out_bias: ``(out_dim,)`` initial output bias (default 0).
        rngs: ``nnx.Rngs`` used at construction only.
    """

    def __init__(self, in_dim: int, out_dim: int, *, hidden: Sequence[int],
                 out_bias: np.ndarray | None = None, rngs: nnx.Rngs):
        widths = [in_dim, *hidden]
        self.layers = nnx.List(
            [nnx.Linear(a, b, rngs=rngs) for a, b in itertools.pairwise(widths)]
        )
        self.out = nnx.Linear(widths[-1], out_dim, rngs=rngs)
        self.out.kernel[...] = self.out.kernel[...] * 0.1
        if out_bias is not None:
            self.out.bias[...] = jnp.asarray(out_bias, jnp.float32)
        self.skip = nnx.Linear(in_dim, out_dim, use_bias=False,
                               kernel_init=nnx.initializers.zeros_init(), rngs=rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        h = x
        for layer in self.layers:
            h = jax.nn.silu(layer(h))
        return self.out(h) + self.skip(x)


class NetworkOutput(NamedTuple):
    """Heads of the GIM network, each ``(m, d)``: target logits, shift means ``h(γ)`` and
    log-scales (shift-scale only, else ``None``)."""

    logits: jax.Array
    shift: jax.Array
    log_scale: jax.Array | None


class GIMNetwork(nnx.Module):
    """``p_φ(I | γ) = Π_j Bernoulli(t_j; π_j(γ)) N(ψ_j; h_j(γ), s_ψ²)`` (brief, "GIM network").

    Three heads on one :class:`MLP`: target logits (bias started at ``logit(ρ)``), shift
    means, and for shift-scale the log-scales.

    Args:
        feature_dim: ``p``.
        d: number of variables.
        hidden: hidden widths.
        rho: prior target probability ``ρ``; sets the initial logit bias.
        shift_scale: add the log-scale head.
        rngs: ``nnx.Rngs`` used at construction only.
    """

    def __init__(self, feature_dim: int, d: int, *, hidden: Sequence[int] = (64, 64),
                 rho: float = 0.1, shift_scale: bool = False, rngs: nnx.Rngs):
        self.d = d
        self.shift_scale = shift_scale
        heads = 3 if shift_scale else 2
        bias = np.zeros(heads * d, np.float32)
        bias[:d] = np.log(rho / (1.0 - rho))
        self.mlp = MLP(feature_dim, heads * d, hidden=hidden, out_bias=bias, rngs=rngs)

    def __call__(self, gamma: jax.Array) -> NetworkOutput:
        """``gamma (m, p)`` standardised features -> :class:`NetworkOutput`."""
        out = self.mlp(gamma)
        d = self.d
        log_scale = out[..., 2 * d:3 * d] if self.shift_scale else None
        return NetworkOutput(out[..., :d], out[..., d:2 * d], log_scale)
