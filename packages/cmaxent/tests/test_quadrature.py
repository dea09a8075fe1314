import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import integrate, special, stats

from mpiis.cmaxent._quadrature import gauss_expect


def _ref(j, m, s):
    f = {-1: lambda t: np.logaddexp(0, t), 0: special.expit,
         1: lambda t: special.expit(t) * special.expit(-t)}[j]
    pts = sorted({-40.0, 40.0, min(max(-m / s, -40.0), 40.0)})
    return sum(integrate.quad(lambda z: f(m + s * z) * stats.norm.pdf(z), a, b, epsabs=1e-15,
                              epsrel=1e-14, limit=500)[0] for a, b in itertools.pairwise(pts))


@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")
@pytest.mark.parametrize("s", [0.05, 0.7, 1.0, 3.0, 12.0, 50.0])
@pytest.mark.parametrize("m", [-20.0, -1.0, 0.4, 8.0])
def test_matches_adaptive_quadrature(m, s):
    with jax.enable_x64(True):
        for j in (-1, 0, 1):
            got = float(gauss_expect(j, jnp.float64(m), jnp.float64(s * s)))
            assert got == pytest.approx(_ref(j, m, s), abs=1e-12)


def test_derivatives_by_heat_equation():
    with jax.enable_x64(True):
        m, v, h = 0.3, 2.5, 1e-5
        dm = jax.grad(lambda a: gauss_expect(-1, a, v))(m)
        dv = jax.grad(lambda b: gauss_expect(-1, m, b))(v)
        fd_m = (gauss_expect(-1, m + h, v) - gauss_expect(-1, m - h, v)) / (2 * h)
        fd_v = (gauss_expect(-1, m, v + h) - gauss_expect(-1, m, v - h)) / (2 * h)
        assert float(dm) == pytest.approx(float(fd_m), rel=1e-8)
        assert float(dv) == pytest.approx(float(fd_v), rel=1e-7)


def test_hessian_exact_at_beta_zero():
    """At beta = 0 the Hessian of E[softplus(b0 + beta^T x)] is sigma'(b0) E[(1,x)(1,x)^T]."""
    with jax.enable_x64(True):
        sig = jnp.array([[2.0, 0.5], [0.5, 1.0]])
        f = lambda z: gauss_expect(-1, z[0], z[1:] @ sig @ z[1:])  # noqa: E731
        h = np.asarray(jax.jit(jax.hessian(f))(jnp.array([0.3, 0.0, 0.0])))
    d1 = special.expit(0.3) * special.expit(-0.3)
    want = np.zeros((3, 3))
    want[0, 0] = d1
    want[1:, 1:] = d1 * np.asarray(sig)
    np.testing.assert_allclose(h, want, atol=1e-14)
    assert np.isfinite(h).all()


def test_order_out_of_range():
    with pytest.raises(ValueError, match="`j`"):
        gauss_expect(7, 0.0, 1.0)
