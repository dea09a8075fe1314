import jax
import numpy as np
import pytest

from mpiis.gim import GIM, GIMConfig, make_hill_benchmark

jax.config.update("jax_numpy_rank_promotion", "allow")


@pytest.fixture(scope="session")
def bench():
    """A small Hill benchmark: d = 4, 6 training drugs x 4 doses, 3 new drugs."""
    return make_hill_benchmark(key=jax.random.key(0), d=4, n_train_drugs=6, n_test_drugs=3,
                               n_per_context=30, n_control=200, n_eval=60, n_evidence=20)


@pytest.fixture(scope="session")
def fitted(bench):
    """A tiny GIM fitted on ``bench.train`` (shared by the read-only tests)."""
    return GIM(GIMConfig.tiny()).fit(bench.train, key=jax.random.key(1))


@pytest.fixture
def rng():
    return np.random.default_rng(0)
