import numpy as np
import pytest
import torch

from mpiis.phenformer import OracleEncoder, SimConfig, precompute_tokens, simulate_cohort


@pytest.fixture(scope="session")
def cohort():
    return simulate_cohort(SimConfig.tiny(), rng=np.random.default_rng(0))


@pytest.fixture(scope="session")
def tokens(cohort):
    return precompute_tokens(cohort, OracleEncoder(cohort))


@pytest.fixture
def gen():
    return torch.Generator().manual_seed(0)
