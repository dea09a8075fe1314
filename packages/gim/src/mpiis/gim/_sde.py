"""The stationary linear SDE, a stadion-compatible causal model (brief, "Causal model", option).

    dx = (Wx + b + t⊙ψ) dt + diag(σ) dW,   diag(W) = -1

Stationary mean ``-W⁻¹(b + t⊙ψ)``; stationary covariance from the Lyapunov equation
``WΣ + ΣWᵀ + diag σ² = 0``, solved in Kronecker form ``(I⊗W + W⊗I) vec Σ = -vec(diag σ²)``
(d ≤ 50). Here ``W = Bᵀ - I`` with ``B[i, j]`` the edge ``i -> j``, so the stationary mean
equals the linear SCM's. Shift interventions only; not gated.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from ._scm import LOG2PI, LOGVAR_CLIP, StatsArrays, _offdiag, stats_arrays

__all__ = ["LinearSDE"]

MAX_D = 50


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class LinearSDE:
    """Stationary linear SDE as a JAX pytree.

    Attributes:
        weights: ``(d, d)`` off-diagonal couplings ``B`` (``W = Bᵀ - I``).
        bias: ``(d,)`` drift offsets ``b``.
        log_std: ``(d,)`` log diffusion scales ``log σ``.
    """

    weights: jax.Array
    bias: jax.Array
    log_std: jax.Array

    @classmethod
    def create(cls, weights, bias, noise_std) -> LinearSDE:
        w = jnp.asarray(weights, jnp.float32)
        if w.shape[-1] > MAX_D:
            raise ValueError(f"`weights` must be at most {MAX_D}x{MAX_D} for the Kronecker "
                             f"Lyapunov solve, got d = {w.shape[-1]}")
        return cls(_offdiag(w), jnp.asarray(bias, jnp.float32),
                   jnp.log(jnp.asarray(noise_std, jnp.float32)))

    @property
    def d(self) -> int:
        return self.weights.shape[-1]

    @property
    def graph_weights(self) -> jax.Array:
        return _offdiag(self.weights)

    @property
    def drift(self) -> jax.Array:
        """``W = Bᵀ - I`` (unit negative diagonal)."""
        return self.graph_weights.T - jnp.eye(self.d, dtype=self.weights.dtype)

    def stationary_cov(self) -> jax.Array:
        """Solve ``WΣ + ΣWᵀ + diag σ² = 0`` in Kronecker form, ``(d, d)``."""
        w, d = self.drift, self.d
        eye = jnp.eye(d, dtype=w.dtype)
        op = jnp.kron(eye, w) + jnp.kron(w, eye)
        var = jnp.exp(jnp.clip(2.0 * self.log_std, -LOGVAR_CLIP, LOGVAR_CLIP))
        rhs = -jnp.diag(var).reshape(-1)
        sigma = jnp.linalg.solve(op, rhs).reshape(d, d)
        return 0.5 * (sigma + sigma.T)

    def mean_cov(self, shift: jax.Array, log_scale: jax.Array | None = None):
        """Stationary mean ``(..., d)`` and covariance ``(..., d, d)`` under ``shift``."""
        if log_scale is not None:
            raise ValueError("`log_scale` must be None: LinearSDE supports shift interventions "
                             "only, got an array")
        a = -jnp.linalg.inv(self.drift)
        mean = (self.bias + shift) @ a.T
        cov = jnp.broadcast_to(self.stationary_cov(), (*mean.shape, self.d))
        return mean, cov

    def log_prob(self, x: jax.Array, shift: jax.Array, log_scale: jax.Array | None = None):
        """Gaussian log-density of ``x (..., d)`` at the stationary distribution."""
        mean, _ = self.mean_cov(shift)
        cov = self.stationary_cov()
        chol = jnp.linalg.cholesky(cov)
        z = jax.scipy.linalg.solve_triangular(chol, (x - mean)[..., None], lower=True)[..., 0]
        logdet = 2.0 * jnp.log(jnp.diag(chol)).sum()
        return -0.5 * (self.d * LOG2PI + logdet + (z * z).sum(-1))

    def expected_loglik(self, stats: StatsArrays, target_probs: jax.Array, shift: jax.Array,
                        log_scale: jax.Array | None = None) -> jax.Array:
        """Expected Gaussian log-likelihood of all cells under Bernoulli(π) targets.

        ``μ(t) = A(b + t⊙ψ)`` is linear in t, so with ``E t = π`` and ``Cov t = diag π(1-π)``
        the expectation is closed form:
        ``E quad = (x̄ - Eμ)ᵀP(x̄ - Eμ) + Σ_j (AᵀPA)_jj π_j(1-π_j)ψ_j²``.
        """
        if log_scale is not None:
            raise ValueError("`log_scale` must be None: LinearSDE supports shift interventions "
                             "only")
        if not isinstance(stats, StatsArrays):
            stats = stats_arrays(stats, self.weights.dtype)
        p = target_probs * stats.mask[:, None]
        a = -jnp.linalg.inv(self.drift)
        cov = self.stationary_cov()
        prec = jnp.linalg.inv(cov)
        _, logdet = jnp.linalg.slogdet(cov)
        emu = (self.bias + p * shift) @ a.T
        e = stats.mean - emu
        quad = jnp.einsum("ka,ab,kb->k", e, prec, e)
        apa = jnp.einsum("aj,ab,bj->j", a, prec, a)
        var_t = (p * (1.0 - p) * shift * shift) @ apa
        tr = jnp.sum(prec * stats.pooled)
        total = stats.n.sum()
        return -0.5 * (total * (self.d * LOG2PI + logdet) + tr + (stats.n * (quad + var_t)).sum())

    def sample(self, n: int, shift: jax.Array, log_scale: jax.Array | None = None, *,
               key: jax.Array) -> jax.Array:
        """Draw ``n`` stationary samples per shift row: ``(..., n, d)``."""
        mean, _ = self.mean_cov(shift)
        chol = jnp.linalg.cholesky(self.stationary_cov())
        eps = jax.random.normal(key, (*shift.shape[:-1], n, self.d), dtype=self.weights.dtype)
        return mean[..., None, :] + eps @ chol.T

    def check_stable(self) -> str | None:
        """``None`` when every eigenvalue of W has a negative real part."""
        ev = np.linalg.eigvals(np.asarray(self.drift, np.float64))
        if not np.all(np.isfinite(ev)) or ev.real.max() >= 0:
            return (f"the drift W has an eigenvalue with real part {ev.real.max():.3g} >= 0 "
                    "(expected < 0: no stationary distribution)")
        return None

    def to_numpy(self) -> dict[str, np.ndarray]:
        return {"weights": np.asarray(self.graph_weights), "bias": np.asarray(self.bias),
                "log_std": np.asarray(self.log_std)}
