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

from ._errors import SolverDivergedError

__all__ = ["SolveOutput", "lbfgs_loop", "minimize", "newton_loop", "raise_if_failed", "x64"]


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


def _safe_value(f: Callable[[jax.Array], jax.Array]) -> Callable[[jax.Array], jax.Array]:
    def g(z):
        v = f(z)
        return jnp.where(jnp.isfinite(v), v, jnp.inf)

    return g


def newton_loop(value: Callable[[jax.Array], jax.Array],
                derivs: Callable[[jax.Array], tuple[jax.Array, jax.Array, jax.Array]],
                z0: jax.Array, mask: jax.Array, tol: jax.Array,
                max_iter: jax.Array) -> tuple[jax.Array, ...]:
    """Damped Newton inside ``lax.while_loop``; traceable, so callers jit it together with
    what comes before and after (quadrature, implied moments).

    Args:
        value: z -> f(z) (the line search's objective; non-finite counts as +inf).
        derivs: z -> (f, grad (p,), Hessian (p, p)).
        z0: (p,) start; coordinates with ``mask == 0`` stay there.
        mask: (p,) 1.0 for free coordinates.

    Returns:
        (z, f, masked grad, n_iter, status).
    """
    fs = _safe_value(value)
    mm = jnp.outer(mask, mask)
    free = 1.0 - mask

    def gnorm(g):
        return jnp.max(jnp.abs(g))

    f0, g0, h0 = derivs(z0)
    g0 = g0 * mask
    st0 = jnp.where(gnorm(g0) <= tol, CONVERGED_GRAD, RUNNING)
    init = (z0, f0, g0, jnp.asarray(0), st0, h0)

    def cond(s):
        return (s[4] == RUNNING) & (s[3] < max_iter)

    def body(s):
        z, fz, g, it, _, h = s
        h = h * mm + jnp.diag(free)
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
            return t, fs(z + t * d), n + 1

        f_full = fs(z + d)
        t, ft, _ = jax.lax.while_loop(ls_cond, ls_body, (1.0, f_full, 0))
        ok = ft <= fz + _ARMIJO * t * slope
        # Near the optimum the decrease dec / 2 drops below the round-off of f and Armijo
        # would accept a vanishing step: inside the quadratic region take the full step.
        floor = dec <= _FLOOR_REL * (1.0 + jnp.abs(fz))
        full = floor & (f_full <= fz + 1e-13 * (1.0 + jnp.abs(fz)))
        z1 = jnp.where(full, z + d, jnp.where(ok, z + t * d, z))
        _, g1, h1 = derivs(z1)
        f1 = jnp.where(full, f_full, jnp.where(ok, ft, fz))
        g1 = g1 * mask
        stalled = gnorm(g1) >= 0.5 * gnorm(g)
        status = jnp.where(
            gnorm(g1) <= tol,
            CONVERGED_GRAD,
            jnp.where((dec <= _DECREMENT_FLOOR) | (floor & stalled), CONVERGED_DECREMENT,
                      jnp.where(ok | full, RUNNING, LINE_SEARCH_FAILED)),
        )
        return z1, f1, g1, it + 1, status, h1

    z, fz, g, it, status, _ = jax.lax.while_loop(cond, body, init)
    return z, fz, g, it, status


def lbfgs_loop(value: Callable[[jax.Array], jax.Array], z0: jax.Array, mask: jax.Array,
               tol: jax.Array, max_iter: jax.Array) -> tuple[jax.Array, ...]:
    """optax L-BFGS (zoom line search) inside ``lax.while_loop``; traceable."""

    def f(z):
        return value(z * mask + z0 * (1.0 - mask))

    opt = optax.lbfgs()
    vg = optax.value_and_grad_from_state(f)

    def cond(s):
        return (s[3] == RUNNING) & (s[2] < max_iter)

    def body(s):
        z, state, it, _ = s
        val, g = vg(z, state=state)
        upd, state = opt.update(g, state, z, value=val, grad=g, value_fn=f)
        z = optax.apply_updates(z, upd * mask)
        gn = jax.grad(f)(z) * mask
        st = jnp.where(jnp.max(jnp.abs(gn)) <= tol, CONVERGED_GRAD, RUNNING)
        return z, state, it + 1, st

    g0 = jax.grad(f)(z0) * mask
    st0 = jnp.where(jnp.max(jnp.abs(g0)) <= tol, CONVERGED_GRAD, RUNNING)
    z, _, it, st = jax.lax.while_loop(cond, body, (z0, opt.init(z0), jnp.asarray(0), st0))
    return z, f(z), jax.grad(f)(z) * mask, it, st


def _autodiff(f: Callable[[jax.Array], jax.Array]):
    def derivs(z):
        v, g = jax.value_and_grad(f)(z)
        return v, g, jax.hessian(f)(z)

    return derivs


@lru_cache(maxsize=64)
def _newton(fun: Callable[..., jax.Array]) -> Callable[..., Any]:
    @jax.jit
    def solve(z0, mask, data, tol, max_iter):
        def f(z):
            return fun(z * mask + z0 * (1.0 - mask), data)

        return newton_loop(f, _autodiff(f), z0, mask, tol, max_iter)

    return solve


@lru_cache(maxsize=64)
def _lbfgs(fun: Callable[..., jax.Array]) -> Callable[..., Any]:
    @jax.jit
    def solve(z0, mask, data, tol, max_iter):
        return lbfgs_loop(lambda z: fun(z, data), z0, mask, tol, max_iter)

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


def converged(status: int, z: np.ndarray, grad: np.ndarray) -> bool:
    """Whether a solve met a stopping rule with finite multipliers and gradient."""
    return (status in (CONVERGED_GRAD, CONVERGED_DECREMENT) and bool(np.isfinite(z).all())
            and bool(np.isfinite(grad).all()))


def raise_if_failed(out: SolveOutput, what: str, max_iter: int) -> None:
    """Raise :class:`SolverDivergedError` unless ``out`` converged with finite values."""
    if not converged(out.status, out.z, out.grad):
        why = "line search failed" if out.status == LINE_SEARCH_FAILED else (
            f"max_iter={max_iter} reached")
        resid = float(np.max(np.abs(out.grad))) if out.grad.size else 0.0
        raise SolverDivergedError(
            f"{what} did not converge ({why}) after {out.n_iter} iterations; last moment "
            f"residual {resid:.3g}", residual=resid, n_iter=out.n_iter)
