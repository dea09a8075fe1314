"""The linear-Gaussian SCM with soft shift (or shift-scale) interventions (brief, "Causal model").

    x = Bᵀx + b + t⊙ψ + ε,   ε ~ N(0, diag σ²)

With ``M = I - Bᵀ`` the residual ``r = Mx - b`` has independent coordinates
``r_j ~ N(t_j ψ_j, σ_j²)`` (the residual factorisation of the brief), so every likelihood here
is a sum over mechanisms computed from per-context sufficient statistics.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["LinearSCM", "StatsArrays"]

LOG2PI = float(np.log(2.0 * np.pi))
LOGVAR_CLIP = 10.0  # log-variances are clipped to [-10, 10] (brief, "Numerical guards")


class StatsArrays(NamedTuple):
    """Sufficient statistics as device arrays; row 0 is the control.

    n: (K+1,) counts (0 for padding rows); mean: (K+1, d); cov: (K+1, d, d) scatter / n_k;
    pooled: (d, d) ``Σ_k n_k C_k``; mask: (K+1,) 1 for a perturbed context, 0 for the control
    and for padding.
    """

    n: jax.Array
    mean: jax.Array
    cov: jax.Array
    pooled: jax.Array
    mask: jax.Array


def stats_arrays(stats, dtype=jnp.float32) -> StatsArrays:
    """Device arrays from a :class:`~mpiis.gim.SufficientStats`."""
    mask = np.ones(len(stats.n))
    mask[0] = 0.0
    return StatsArrays(
        jnp.asarray(stats.n, dtype), jnp.asarray(stats.mean, dtype), jnp.asarray(stats.cov, dtype),
        jnp.asarray(stats.pooled, dtype), jnp.asarray(mask, dtype),
    )


def _offdiag(w: jax.Array) -> jax.Array:
    return w * (1.0 - jnp.eye(w.shape[-1], dtype=w.dtype))


def _normal_ll(n, logvar, sq):
    """``-(n/2)[log 2π + logvar + sq / var]`` with the log-variance clipped."""
    logvar = jnp.clip(logvar, -LOGVAR_CLIP, LOGVAR_CLIP)
    return -0.5 * n * (LOG2PI + logvar + sq * jnp.exp(-logvar))


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class LinearSCM:
    """Linear-Gaussian SCM, a JAX pytree (brief, "Causal model"; cycles allowed).

    Attributes:
        weights: ``(d, d)`` edge weights ``B`` (the diagonal is ignored); ``B[i, j]`` is
            ``i -> j``.
        bias: ``(d,)`` intercepts ``b``.
        log_std: ``(d,)`` log noise scales ``log σ``.
    """

    weights: jax.Array
    bias: jax.Array
    log_std: jax.Array

    @classmethod
    def create(cls, weights, bias, noise_std) -> LinearSCM:
        """From numpy/JAX arrays with ``σ`` given as a scale (not a log)."""
        w = jnp.asarray(weights, jnp.float32)
        return cls(_offdiag(w), jnp.asarray(bias, jnp.float32),
                   jnp.log(jnp.asarray(noise_std, jnp.float32)))

    @property
    def d(self) -> int:
        return self.weights.shape[-1]

    @property
    def graph_weights(self) -> jax.Array:
        """``B`` with a zero diagonal, ``(d, d)``."""
        return _offdiag(self.weights)

    @property
    def m(self) -> jax.Array:
        """``M = I - Bᵀ``."""
        return jnp.eye(self.d, dtype=self.weights.dtype) - self.graph_weights.T

    def slogdet(self) -> tuple[jax.Array, jax.Array]:
        """``(sign, log|det M|)``; 0 log-determinant for a DAG."""
        return jnp.linalg.slogdet(self.m)

    def mean_cov(self, shift: jax.Array, log_scale: jax.Array | None = None):
        """Interventional mean and covariance ``N(A(b + shift), A diag(σ² e^{2 log_scale}) Aᵀ)``.

        Args:
            shift: ``(..., d)`` applied shifts ``t⊙ψ``.
            log_scale: ``(..., d)`` applied log-scales ``t⊙τ`` (shift-scale) or ``None``.

        Returns:
            ``mean (..., d)`` and ``cov (..., d, d)``.
        """
        a = jnp.linalg.inv(self.m)
        mean = (self.bias + shift) @ a.T
        logvar = 2.0 * self.log_std
        if log_scale is not None:
            logvar = logvar + 2.0 * log_scale
        var = jnp.exp(jnp.clip(logvar, -LOGVAR_CLIP, LOGVAR_CLIP))
        var = jnp.broadcast_to(var, mean.shape)
        cov = jnp.einsum("ia,...a,ja->...ij", a, var, a)
        return mean, cov

    def log_prob(self, x: jax.Array, shift: jax.Array, log_scale: jax.Array | None = None):
        """Log-density of cells ``x (..., d)`` under the shift ``(..., d)``, summed over d."""
        r = x @ self.m.T - self.bias - shift
        logvar = 2.0 * self.log_std if log_scale is None else 2.0 * (self.log_std + log_scale)
        ll = _normal_ll(1.0, logvar, r * r).sum(-1)
        return ll + self.slogdet()[1]

    def expected_loglik(self, stats: StatsArrays, target_probs: jax.Array, shift: jax.Array,
                        log_scale: jax.Array | None = None) -> jax.Array:
        """``Σ_k Σ_j [(1-π_kj) ℓ_kj(0) + π_kj ℓ_kj(1)] + N log|det M|`` (brief, "Objective").

        Exact under independent Bernoulli targets because the likelihood factorises over
        mechanisms. Shift-only pools the scatter (O(d³ + K d²)); shift-scale contracts the
        per-context scatter in two steps (O(K d³)), never as one three-operand einsum.

        Args:
            stats: sufficient statistics, control in row 0 (:class:`~mpiis.gim.SufficientStats`
                or its device arrays).
            target_probs: ``(K+1, d)`` target probabilities ``π`` (row 0 is ignored: 0).
            shift: ``(K+1, d)`` shift means ``ψ`` (``h(γ)``).
            log_scale: ``(K+1, d)`` log-scales ``τ`` for shift-scale, else ``None``.

        Returns:
            The scalar expected log-likelihood of all cells.
        """
        if not isinstance(stats, StatsArrays):
            stats = stats_arrays(stats, self.weights.dtype)
        m = self.m
        p = target_probs * stats.mask[:, None]
        rbar = stats.mean @ m.T - self.bias  # (K+1, d)
        n = stats.n[:, None]
        logvar0 = 2.0 * self.log_std
        if log_scale is None:
            v_pool = jnp.einsum("ja,ab,jb->j", m, stats.pooled, m)  # (M S Mᵀ)_jj
            sq = n * (rbar * rbar - 2.0 * p * rbar * shift + p * shift * shift)
            total = stats.n.sum()
            sq = (sq.sum(0) + v_pool) / total
            ll = _normal_ll(total, logvar0, sq).sum()
        else:
            mc = jnp.einsum("ja,kab->kjb", m, stats.cov)
            v = jnp.einsum("kjb,jb->kj", mc, m)  # (M C_k Mᵀ)_jj
            l0 = _normal_ll(n, logvar0, v + rbar * rbar)
            d1 = rbar - shift
            l1 = _normal_ll(n, logvar0 + 2.0 * log_scale, v + d1 * d1)
            ll = ((1.0 - p) * l0 + p * l1).sum()
        return ll + stats.n.sum() * self.slogdet()[1]

    def sample(self, n: int, shift: jax.Array, log_scale: jax.Array | None = None, *,
               key: jax.Array) -> jax.Array:
        """Draw ``n`` cells per shift row: ``(..., n, d)`` for ``shift (..., d)``."""
        a = jnp.linalg.inv(self.m)
        std = jnp.exp(self.log_std if log_scale is None else self.log_std + log_scale)
        shape = (*shift.shape[:-1], n, self.d)
        eps = jax.random.normal(key, shape, dtype=self.weights.dtype)
        r = self.bias + shift[..., None, :] + eps * std[..., None, :]
        return r @ a.T

    def check_stable(self) -> str | None:
        """``None`` when ``sign(det M) = +1`` and ``|det M| >= 1e-6``, else the reason."""
        sign, logdet = (float(v) for v in self.slogdet())
        if sign <= 0 or logdet < np.log(1e-6):
            return (f"det(I - Bᵀ) has sign {sign:+.0f} and log|det| {logdet:.2f}: a cycle with "
                    "gain >= 1 (expected sign +1 and |det| >= 1e-6)")
        return None

    def to_numpy(self) -> dict[str, np.ndarray]:
        return {"weights": np.asarray(self.graph_weights), "bias": np.asarray(self.bias),
                "log_std": np.asarray(self.log_std)}
