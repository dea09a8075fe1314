import numpy as np
import pytest

from mpiis.gim import PerturbationData
from mpiis.shared.testing import check_refuses_nonfinite


def _arrays(rng, k=3, d=4, n=10):
    return [rng.normal(size=(n, d)) for _ in range(k)], rng.normal(size=(k, 2)), rng.normal(
        size=(20, d))


def test_stats_match_numpy(rng):
    xs, f, c = _arrays(rng)
    data = PerturbationData.from_arrays(xs, f, control=c)
    st = data.stats()
    assert st.n.tolist() == [20, 10, 10, 10]
    np.testing.assert_allclose(st.mean[2], xs[1].mean(0))
    np.testing.assert_allclose(st.cov[0], np.cov(c.T, bias=True))
    np.testing.assert_allclose(st.pooled, sum(len(x) * np.cov(x.T, bias=True)
                                              for x in [c, *xs]))
    assert data.d == 4 and data.feature_dim == 2 and len(data) == 3


def test_subset_keeps_control(rng):
    xs, f, c = _arrays(rng)
    data = PerturbationData.from_arrays(xs, f, control=c, names=["a", "b", "c"])
    sub = data.subset([2, 0])
    assert sub.names == ("c", "a")
    np.testing.assert_array_equal(sub.features, f[[2, 0]])
    assert sub.control is data.control
    assert data.subset(np.array([True, False, True])).names == ("a", "c")
    with pytest.raises(ValueError, match="idx"):
        data.subset([])


def test_refuses_nonfinite(rng):
    xs, f, c = _arrays(rng)
    check_refuses_nonfinite(lambda x: PerturbationData.from_arrays(xs, x, control=c), f,
                            match="features")
    check_refuses_nonfinite(lambda x: PerturbationData.from_arrays([x, *xs[1:]], f, control=c),
                            xs[0], match=r"xs\[0\]")
    check_refuses_nonfinite(lambda x: PerturbationData.from_arrays(xs, f, control=x), c,
                            match="control")


def test_bad_inputs(rng):
    xs, f, c = _arrays(rng)
    with pytest.raises(ValueError, match="one row per context"):
        PerturbationData.from_arrays(xs, f[:2], control=c)
    with pytest.raises(ValueError, match=r"xs\[1\].*d = 4"):
        PerturbationData.from_arrays([xs[0], xs[1][:, :3], xs[2]], f, control=c)
    with pytest.raises(ValueError, match="at least 2 cells"):
        PerturbationData.from_arrays([xs[0], xs[1][:1], xs[2]], f, control=c)
    with pytest.raises(TypeError, match="control"):
        PerturbationData.from_arrays(xs, f, control=None)
    with pytest.raises(ValueError, match="names"):
        PerturbationData.from_arrays(xs, f, control=c, names=["a"])
