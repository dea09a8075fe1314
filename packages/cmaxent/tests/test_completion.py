import numpy as np
import pytest

from mpiis.cmaxent import InfeasibleMomentsError
from mpiis.cmaxent._completion import is_chordal, max_entropy_completion


def _cycle(k):
    p = np.eye(k, dtype=bool)
    for i in range(k):
        p[i, (i + 1) % k] = p[(i + 1) % k, i] = True
    return p


def test_chordality():
    assert is_chordal(np.ones((3, 3), bool))
    assert is_chordal(_cycle(3))
    assert not is_chordal(_cycle(4))


@pytest.mark.parametrize("pattern_kind", ["chain", "cycle4"])
def test_completion_properties(rng, pattern_kind):
    k = 4
    a = rng.standard_normal((k, k))
    cov = a @ a.T + k * np.eye(k)
    if pattern_kind == "chain":
        p = np.eye(k, dtype=bool)
        for i in range(k - 1):
            p[i, i + 1] = p[i + 1, i] = True
    else:
        p = _cycle(k)
    sigma, prec = max_entropy_completion(cov, p)
    np.testing.assert_allclose(sigma[p], cov[p], atol=1e-10)
    assert np.max(np.abs(prec[~p])) < 1e-9
    np.testing.assert_allclose(sigma @ prec, np.eye(k), atol=1e-9)


def test_no_pd_completion():
    cov = np.array([[1.0, 0.99, 0.0], [0.99, 1.0, 0.99], [0.0, 0.99, 1.0]])
    p = np.ones((3, 3), bool)
    with pytest.raises(InfeasibleMomentsError, match="positive definite"):
        max_entropy_completion(cov, p)
    cov4 = np.array([[1.0, 0.9, 0, -0.9], [0.9, 1.0, 0.9, 0], [0, 0.9, 1.0, 0.9],
                     [-0.9, 0, 0.9, 1.0]])
    with pytest.raises(InfeasibleMomentsError, match="no PD completion"):
        max_entropy_completion(cov4, _cycle(4))
