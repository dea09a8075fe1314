import numpy as np

from mpiis.gim import PerturbationData, median_regression_init
from mpiis.gim._init import make_stable


def test_median_regression_recovers_the_graph(rng):
    """Noise-free context means from a chain 0 -> 1 -> 2 with one target per context:
    the LAD fit ignores the contexts that target a variable and recovers B."""
    d = 3
    w = np.zeros((d, d))
    w[0, 1], w[1, 2] = 1.0, -0.8
    a = np.linalg.inv(np.eye(d) - w.T)
    xs, feats = [], []
    for k in range(30):
        shift = np.zeros(d)
        shift[k % d] = rng.uniform(1, 3) * rng.choice([-1, 1])
        mean = shift @ a.T
        xs.append(mean + 0.01 * rng.standard_normal((50, d)))
        feats.append([k])
    control = 0.01 * rng.standard_normal((200, d))
    data = PerturbationData.from_arrays(xs, np.array(feats, float), control=control)
    b_hat, bias, sd = median_regression_init(data.stats())
    np.testing.assert_allclose(b_hat, w, atol=0.05)
    assert bias.shape == (d,) and (sd > 0).all()


def test_make_stable_breaks_strong_two_cycles():
    w = np.array([[0.0, 1.2], [0.9, 0.0]])  # det(I - Bᵀ) = 1 - 1.08 < 0
    fixed = make_stable(w)
    assert fixed[1, 0] == 0.0 and fixed[0, 1] == 1.2
    ok = np.array([[0.0, 0.5], [0.3, 0.0]])
    np.testing.assert_array_equal(make_stable(ok), ok)
