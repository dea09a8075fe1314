import numpy as np
import pytest

from mpiis.algocausal import MultiEnvData, simulate_sparse_shift


@pytest.fixture
def bivariate() -> MultiEnvData:
    return simulate_sparse_shift(rng=np.random.default_rng(3), n_envs=4, n_per_env=60)


@pytest.fixture
def small_problem():
    rng = np.random.default_rng(7)
    envs = []
    for _ in range(3):
        x1 = rng.normal(0, rng.uniform(0.7, 1.5), 20)
        envs.append(np.stack([x1, rng.uniform(-1, 1) * x1 + rng.normal(0, 1, 20)], axis=1))
    books = {
        "v:X1": np.array([0.4, 1.0, 2.0, 3.0]),
        "b:X1->X2": np.array([-1.0, -0.2, 0.5, 1.2]),
        "v:X2": np.array([0.5, 0.9, 1.5, 2.5]),
    }
    return MultiEnvData.from_arrays(envs), books
