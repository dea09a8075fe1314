"""Minimisers of the convex duals: damped Newton (default) and an optax L-BFGS wrapper.

Newton (brief, "Solver"): exact Hessian by ``jax.hessian``, Cholesky solve with 1e-14 relative
diagonal damping, Armijo backtracking (c = 1e-4, halving, at most 60 halvings), all inside
``lax.while_loop``. A non-finite objective (or a failed Cholesky inside it) counts as +inf in the
line search. Converged when ||grad||_inf <= tol or when the Newton decrement -g^T d <= 1e-20
(the round-off floor of a float64 mean). Once the decrement is below 1e-12 (1 + |f|), the
decrease is below the round-off of f and Armijo would accept a vanishing step, so the full
Newton step is taken; if it no longer halves the gradient, the solver has converged.
Frozen coordinates (``mask == 0``) never move.

Every solver is jitted once per objective and per shape; the data, the tolerance and
max_iter are arguments, so a new config does not recompile.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

__all__ = ["SolveOutput", "minimize", "x64"]


def x64() -> Any:
    """The scoped float64 context: ``jax.enable_x64(True)`` (jax >= 0.8), else the older
    ``jax.experimental.enable_x64()``. The global flag is never changed."""
    if hasattr(jax, "enable_x64"):
        return jax.enable_x64(True)
    from jax.experimental import enable_x64  # pragma: no cover - jax < 0.8

    return enable_x64()  # pragma: no cover

# status codes
RUNNING, CONVERGED_GRAD, CONVERGED_DECREMENT, LINE_SEARCH_FAILED = 0, 1, 2, 3
_ARMIJO = 1e-4
_MAX_HALVINGS = 60
_DAMPING = 1e-14
_DECREMENT_FLOOR = 1e-20
_FLOOR_REL = 1e-12  # Newton's quadratic region: full steps, f's round-off hides Armijo


class SolveOutput(NamedTuple):
    """Result of one minimisation: ``z`` (p,), ``value``, ``grad`` (p,) masked, ``n_iter``,
    ``status`` (1/2 converged, 3 line search failed, 0 hit max_iter)."""

    z: np.ndarray
    value: float
    grad: np.ndarray
    n_iter: int
    status: int


def _safe(f: Callable[..., jax.Array]) -> Callable[..., jax.Array]:
    def g(z, data):
        v = f(z, data)
        return jnp.where(jnp.isfinite(v), v, jnp.inf)

    return g


@lru_cache(maxsize=64)
def _newton(fun: Callable[..., jax.Array]) -> Callable[..., Any]:
    @jax.jit
    def solve(z0, mask, data, tol, max_iter):
        def f(z):
            return fun(z * mask + z0 * (1.0 - mask), data)

        fs = _safe(lambda z, _: f(z))
        grad = jax.grad(f)
        hess = jax.hessian(f)
        mm = jnp.outer(mask, mask)
        free = 1.0 - mask

        def gnorm(g):
            return jnp.max(jnp.abs(g))

        g0 = grad(z0) * mask
        f0 = f(z0)
        st0 = jnp.where(gnorm(g0) <= tol, CONVERGED_GRAD, RUNNING)
        init = (z0, f0, g0, jnp.asarray(0), st0)

        def cond(s):
            return (s[4] == RUNNING) & (s[3] < max_iter)

        def body(s):
            z, fz, g, it, _ = s
            h = hess(z) * mm + jnp.diag(free)
            dmax = jnp.max(jnp.abs(jnp.diag(h)))
            h = h + _DAMPING * dmax * jnp.eye(h.shape[0])
            chol = jnp.linalg.cholesky(h)
            d = -jax.scipy.linalg.cho_solve((chol, True), g)
            d = jnp.where(jnp.all(jnp.isfinite(d)), d, -g) * mask
            slope = jnp.dot(g, d)
            dec = -slope

            def ls_cond(c):
                t, ft, n = c
                return (~(ft <= fz + _ARMIJO * t * slope)) & (n < _MAX_HALVINGS)

            def ls_body(c):
                t, _, n = c
                t = 0.5 * t
                return t, fs(z + t * d, None), n + 1

            f_full = fs(z + d, None)
            t, ft, _ = jax.lax.while_loop(ls_cond, ls_body, (1.0, f_full, 0))
            ok = ft <= fz + _ARMIJO * t * slope
            # Near the optimum the decrease dec / 2 drops below the round-off of f and Armijo
            # would accept a vanishing step: inside the quadratic region take the full step.
            floor = dec <= _FLOOR_REL * (1.0 + jnp.abs(fz))
            full = floor & (f_full <= fz + 1e-13 * (1.0 + jnp.abs(fz)))
            z1 = jnp.where(full, z + d, jnp.where(ok, z + t * d, z))
            f1 = jnp.where(full, f_full, jnp.where(ok, ft, fz))
            g1 = grad(z1) * mask
            stalled = gnorm(g1) >= 0.5 * gnorm(g)
            status = jnp.where(
                gnorm(g1) <= tol,
                CONVERGED_GRAD,
                jnp.where((dec <= _DECREMENT_FLOOR) | (floor & stalled), CONVERGED_DECREMENT,
                          jnp.where(ok | full, RUNNING, LINE_SEARCH_FAILED)),
            )
            return z1, f1, g1, it + 1, status

        z, fz, g, it, status = jax.lax.while_loop(cond, body, init)
        return z, fz, g, it, status

    return solve


@lru_cache(maxsize=64)
def _lbfgs(fun: Callable[..., jax.Array]) -> Callable[..., Any]:
    @jax.jit
    def solve(z0, mask, data, tol, max_iter):
        def f(z):
            return fun(z * mask + z0 * (1.0 - mask), data)

        opt = optax.lbfgs()
        vg = optax.value_and_grad_from_state(f)

        def cond(s):
            return (s[3] == RUNNING) & (s[2] < max_iter)

        def body(s):
            z, state, it, _ = s
            value, g = vg(z, state=state)
            upd, state = opt.update(g, state, z, value=value, grad=g, value_fn=f)
            z = optax.apply_updates(z, upd * mask)
            gn = jax.grad(f)(z) * mask
            st = jnp.where(jnp.max(jnp.abs(gn)) <= tol, CONVERGED_GRAD, RUNNING)
            return z, state, it + 1, st

        g0 = jax.grad(f)(z0) * mask
        st0 = jnp.where(jnp.max(jnp.abs(g0)) <= tol, CONVERGED_GRAD, RUNNING)
        z, _, it, st = jax.lax.while_loop(cond, body, (z0, opt.init(z0), jnp.asarray(0), st0))
        return z, f(z), jax.grad(f)(z) * mask, it, st

    return solve


def minimize(fun: Callable[..., jax.Array], z0: Any, data: Any, *, mask: Any = None,
             tol: float, max_iter: int, solver: str = "newton") -> SolveOutput:
    """Minimise the convex ``fun(z, data)`` from ``z0`` (p,) over the coordinates with mask 1.

    Must be called inside the float64 scope (:func:`x64`). ``fun`` must be a module-level
    function so that its jitted solver is reused across calls.
    """
    z0 = jnp.asarray(z0, dtype=jnp.float64)
    mask = jnp.ones_like(z0) if mask is None else jnp.asarray(mask, dtype=jnp.float64)
    factory = _newton if solver == "newton" else _lbfgs
    z, value, g, it, status = factory(fun)(z0, mask, data, jnp.float64(tol),
                                           jnp.asarray(int(max_iter)))
    return SolveOutput(np.asarray(z), float(value), np.asarray(g), int(it), int(status))
