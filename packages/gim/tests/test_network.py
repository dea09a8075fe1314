import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from mpiis.gim import GIMNetwork


def test_heads_and_initialisation():
    net = GIMNetwork(7, 4, hidden=(8, 8), rho=0.2, rngs=nnx.Rngs(0))
    out = net(jnp.zeros((3, 7)))
    assert out.logits.shape == (3, 4) and out.shift.shape == (3, 4) and out.log_scale is None
    # zero input: only the output bias speaks -> logit(rho) and zero shifts
    np.testing.assert_allclose(out.logits, np.log(0.2 / 0.8), rtol=1e-6)
    np.testing.assert_allclose(out.shift, 0.0, atol=1e-7)
    np.testing.assert_array_equal(net.mlp.skip.kernel[...], 0.0)
    default = GIMNetwork(7, 4, hidden=(8, 8), rngs=nnx.Rngs(0))
    assert np.abs(default.mlp.out.kernel[...]).max() < 0.1 * 1.5
    ss = GIMNetwork(7, 4, hidden=(8,), shift_scale=True, rngs=nnx.Rngs(1))
    assert ss(jnp.ones((2, 7))).log_scale.shape == (2, 4)


def test_same_key_same_network():
    a = GIMNetwork(5, 3, rngs=nnx.Rngs(jax.random.key(4)))
    b = GIMNetwork(5, 3, rngs=nnx.Rngs(jax.random.key(4)))
    x = jnp.ones((2, 5))
    np.testing.assert_array_equal(a(x).logits, b(x).logits)
