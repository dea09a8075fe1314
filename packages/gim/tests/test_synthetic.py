import jax
import numpy as np
import pytest

from mpiis.gim import make_hill_benchmark
from mpiis.gim._synthetic import hill_shift


def test_split_sizes_and_truth(bench):
    d = 4
    assert bench.train.n_contexts == 6 * 4 and bench.train.feature_dim == 2 * d + 7
    assert bench.partial_ood.data.n_contexts == 6 * 5
    assert bench.full_ood.data.n_contexts == 3 * 4
    assert sorted(set(bench.partial_ood.doses)) == [0.25, 0.75, 1.25, 1.75, 2.25]
    assert set(bench.full_ood.drugs).isdisjoint(bench.train_drugs)
    assert all(len(e) == 20 for e in bench.full_ood.evidence)
    assert all(len(x) == 60 for x in bench.full_ood.data.xs)
    t = bench.truth
    np.testing.assert_allclose(t.a, np.linalg.inv(np.eye(d) - t.weights.T))
    assert set(t.graph.edges) == {tuple(e) for e in np.argwhere(t.weights != 0)}
    assert ((t.drug_targets.sum(1) >= 1) & (t.drug_targets.sum(1) <= 2)).all()
    # the dose is the last feature, and shifts follow the Hill curve
    np.testing.assert_allclose(bench.train.features[:, -1], bench.train_doses)
    g, c = bench.train_drugs[5], bench.train_doses[5]
    expect = hill_shift(t.drug_targets[g], t.drug_signs[g], t.emax[g], t.ec50[g], t.hill[g], c)
    np.testing.assert_allclose(bench.train.truth.shifts[5], expect)


def test_sample_means_follow_the_scm():
    bm = make_hill_benchmark(key=jax.random.key(3), d=3, n_train_drugs=2, n_test_drugs=1,
                             n_per_context=4000, n_control=4000, n_eval=2, n_evidence=2)
    t = bm.truth
    for k in (0, 3):
        mean = (t.bias + bm.train.truth.shifts[k]) @ t.a.T
        np.testing.assert_allclose(bm.train.xs[k].mean(0), mean, atol=0.1)


def test_deterministic_and_noise_features():
    kw = dict(d=3, n_train_drugs=3, n_test_drugs=2, n_per_context=5, n_control=10, n_eval=3,
              n_evidence=2)
    a = make_hill_benchmark(key=jax.random.key(1), **kw)
    b = make_hill_benchmark(key=jax.random.key(1), **kw)
    np.testing.assert_array_equal(a.train.xs[2], b.train.xs[2])
    n = make_hill_benchmark(key=jax.random.key(1), noise_features=True, **kw)
    np.testing.assert_array_equal(n.train.xs[2], a.train.xs[2])
    assert not np.allclose(n.train.features, a.train.features)
    s = make_hill_benchmark(key=jax.random.key(1), intervention="shift-scale", **kw)
    assert s.train.n_contexts == 12
    with pytest.raises(TypeError, match="key"):
        make_hill_benchmark(key=1)
    with pytest.raises(ValueError, match="intervention"):
        make_hill_benchmark(key=jax.random.key(0), intervention="perfect")
