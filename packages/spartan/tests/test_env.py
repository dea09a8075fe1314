import numpy as np
import pytest

from mpiis.spartan import (
    TRAINING_REGIMES,
    UNSEEN_REGIMES,
    ContactBalls2D,
    ContactSampler,
    Regime,
    Standardizer,
    load_trajectories,
)


def test_simulator_statistics(env):
    tr = env.simulate(200, 40, rng=np.random.default_rng(0)).transitions()
    assert tr.states.shape == (8000, 6, 4)
    assert 0.12 < tr.contact.mean() < 0.19  # brief: 15.5 %
    # graphs are symmetric, diagonal-free, ghosts never interact
    assert (tr.graphs == tr.graphs.transpose(0, 2, 1)).all()
    assert not tr.graphs[:, np.arange(6), np.arange(6)].any()
    assert not tr.graphs[:, 4:].any() and not tr.graphs[:, :, 4:].any()
    assert np.array_equal(tr.contact, tr.graphs.any(axis=(1, 2)))


def test_simulator_is_seeded_and_physical(env):
    a = env.simulate(5, 10, rng=np.random.default_rng(1))
    b = env.simulate(5, 10, rng=np.random.default_rng(1))
    assert np.array_equal(a.states, b.states)
    pos = a.states[..., :2] * 0.3 + 0.5
    assert (pos > -0.01).all() and (pos < 1.01).all()
    # elastic contacts and walls keep each episode's kinetic energy (no regime)
    ke = (a.states[..., 2:] ** 2).sum(axis=(-1, -2))
    assert np.allclose(ke, ke[:, :1])


def test_collision_exchanges_normal_velocity():
    env = ContactBalls2D(n_balls=2, n_ghosts=0, collision_course=1.0, speed=(1.0, 1.0))
    tr = env.simulate(50, 40, rng=np.random.default_rng(0))
    assert tr.graphs.any()  # aimed balls do collide


def test_interventions_change_one_ball(env):
    rng = np.random.default_rng(0)
    for rid, reg in enumerate(TRAINING_REGIMES + UNSEEN_REGIMES):
        t = env.simulate(4, 5, rng=rng, regime=reg, regime_id=rid)
        assert t.targets.sum(1).tolist() == [0 if reg.kind == "none" else 1] * 4
        assert (t.regime == rid).all()
    damp = env.simulate(3, 30, rng=np.random.default_rng(2), regime=Regime(kind="damp", target=1))
    speed = np.linalg.norm(damp.states[:, :, 1, 2:], axis=-1)
    assert speed[:, -1].max() < speed[:, 0].min()
    with pytest.raises(ValueError, match="target"):
        env.simulate(2, 3, rng=rng, regime=Regime(kind="damp", target=5))
    with pytest.raises(ValueError, match="direction"):
        Regime(kind="drift", target=0, direction="sideways")
    with pytest.raises(TypeError, match="rng"):
        env.simulate(2, 3, rng=0)


def test_standardizer_and_sampler(small_data):
    tr, _ = small_data
    std = Standardizer.fit(tr)
    z = std.targets(tr).reshape(-1, 4)
    assert np.allclose(z.mean(0), 0, atol=1e-9) and np.allclose(z.std(0), 1)
    s = ContactSampler(tr.contact, 64, contact_fraction=0.5, rng=np.random.default_rng(0))
    idx = s.sample()
    assert idx.shape == (64,) and tr.contact[idx].sum() == 32
    off = ContactSampler(tr.contact, 4000, contact_fraction=None, rng=np.random.default_rng(0))
    assert abs(tr.contact[off.sample()].mean() - tr.contact.mean()) < 0.05
    with pytest.raises(ValueError, match="contact_fraction"):
        ContactSampler(tr.contact, 8, contact_fraction=1.5, rng=np.random.default_rng(0))


def test_load_trajectories_npz_drops_bad_episodes(tmp_path, env, caplog):
    t = env.simulate(4, 6, rng=np.random.default_rng(0))
    states = t.states.copy()
    states[2, 3, 1, 0] = np.nan
    np.savez(tmp_path / "d.npz", states=states, graphs=t.graphs, regime=t.regime)
    with caplog.at_level("WARNING"):
        loaded = load_trajectories(tmp_path / "d.npz")
    assert loaded.states.shape == (3, 7, 6, 4) and loaded.meta["dropped"] == [2]
    assert "dropped 1 of 4" in caplog.text
    assert np.array_equal(loaded.graphs, t.graphs[[0, 1, 3]])
    assert len(loaded.transitions()) == 18
    np.savez(tmp_path / "bad.npz", positions=states)
    with pytest.raises(ValueError, match="states"):
        load_trajectories(tmp_path / "bad.npz")
    np.savez(tmp_path / "bad2.npz", states=states[0])
    with pytest.raises(ValueError, match="states"):
        load_trajectories(tmp_path / "bad2.npz")


def test_load_trajectories_hdf5(tmp_path, env):
    h5py = pytest.importorskip("h5py")
    t = env.simulate(2, 4, rng=np.random.default_rng(0))
    with h5py.File(tmp_path / "d.h5", "w") as fh:
        fh["states"] = t.states
    assert load_trajectories(tmp_path / "d.h5").states.shape == t.states.shape
