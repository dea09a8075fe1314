import numpy as np
import pytest

from mpiis.algocausal import MultiEnvData
from mpiis.shared.testing import check_refuses_nonfinite


def _envs(rng, n_envs=3, n=12, d=2):
    return [rng.normal(size=(n, d)) for _ in range(n_envs)]


def test_constructors_agree(tmp_path):
    rng = np.random.default_rng(0)
    envs = _envs(rng)
    a = MultiEnvData.from_arrays(envs, columns=["a", "b"])
    X = np.concatenate(envs)
    env = np.repeat([0, 1, 2], 12)
    b = MultiEnvData.from_labels(X, env, columns=["a", "b"])
    np.savez(tmp_path / "d.npz", X=X, env=env, columns=np.array(["a", "b"]))
    c = MultiEnvData.from_npz(tmp_path / "d.npz")
    for other in (b, c):
        assert other.columns == ("a", "b")
        for x, y in zip(a.envs, other.envs, strict=True):
            np.testing.assert_array_equal(x, y)
    assert a.n_envs == 3 and a.n_vars == 2 and a.n_samples == (12, 12, 12)


def test_from_frame_and_csv(tmp_path):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(1)
    X = np.concatenate(_envs(rng))
    df = pd.DataFrame({"u": X[:, 0], "w": X[:, 1], "site": np.repeat(["x", "y", "z"], 12)})
    df.to_csv(tmp_path / "d.csv", index=False)
    data = MultiEnvData.from_frame(pd.read_csv(tmp_path / "d.csv"), "site")
    assert data.columns == ("u", "w") and data.n_envs == 3
    np.testing.assert_allclose(data.envs[1], X[12:24])
    with pytest.raises(ValueError, match="env_column"):
        MultiEnvData.from_frame(df, "nope")


def test_default_columns():
    rng = np.random.default_rng(2)
    assert MultiEnvData.from_arrays(_envs(rng)).columns == ("X1", "X2")


def test_validation_branches():
    rng = np.random.default_rng(3)
    good = _envs(rng)
    with pytest.raises(ValueError, match=r"`envs\[1\]` must have 2 dimensions"):
        MultiEnvData.from_arrays([good[0], good[1][:, 0]])
    with pytest.raises(ValueError, match=r"`envs\[1\]` must have d = 2 columns.*\(12, 3\)"):
        MultiEnvData.from_arrays([good[0], rng.normal(size=(12, 3))])
    with pytest.raises(ValueError, match=r"at least d \+ 2 = 4 rows, got 3"):
        MultiEnvData.from_arrays([good[0], good[1][:3]])
    bad = good[1].copy()
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match=r"`envs\[1\]` must be finite.*column 'X2'"):
        MultiEnvData.from_arrays([good[0], bad])
    const = good[1].copy()
    const[:, 0] = 1.0
    with pytest.raises(ValueError, match="singular covariance"):
        MultiEnvData.from_arrays([good[0], const])
    coll = good[1].copy()
    coll[:, 1] = 2 * coll[:, 0]
    with pytest.raises(ValueError, match="singular covariance"):
        MultiEnvData.from_arrays([coll])
    with pytest.raises(ValueError, match="`columns`"):
        MultiEnvData.from_arrays(good, columns=["a"])
    with pytest.raises(TypeError, match="`envs\\[0\\]` must be a real numeric"):
        MultiEnvData.from_arrays([np.full((5, 2), "a")])
    with pytest.raises(ValueError, match="at least one environment"):
        MultiEnvData.from_arrays([])
    with pytest.raises(ValueError, match="`env` must have shape"):
        MultiEnvData.from_labels(np.concatenate(good), np.zeros(3))


def test_refuses_nonfinite():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(12, 2))
    check_refuses_nonfinite(lambda x: MultiEnvData.from_arrays([x, X]), X, match="envs")
