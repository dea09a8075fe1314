import numpy as np
import pytest
import torch

from mpiis.spartan import ContactBalls2D, tiny


@pytest.fixture
def gen():
    def make(seed: int = 0) -> torch.Generator:
        return torch.Generator().manual_seed(seed)

    return make


@pytest.fixture(scope="session")
def env():
    return ContactBalls2D()


@pytest.fixture(scope="session")
def small_data(env):
    rng = np.random.default_rng(0)
    tr = env.simulate(20, 20, rng=rng).transitions()
    va = env.simulate(6, 20, rng=rng).transitions()
    return tr, va


@pytest.fixture
def cfg():
    return tiny(obj_dim=4, n_objects=6)
