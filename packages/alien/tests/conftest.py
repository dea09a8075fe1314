import numpy as np
import pytest
import torch

from mpiis.alien import (
    SyntheticArtWorld,
    WorldConfig,
    train_art_model,
    train_availability_model,
)


@pytest.fixture(scope="session")
def tiny_world() -> SyntheticArtWorld:
    return SyntheticArtWorld(WorldConfig.tiny())


@pytest.fixture(scope="session")
def world() -> SyntheticArtWorld:
    return SyntheticArtWorld(WorldConfig())


@pytest.fixture(scope="session")
def tiny_models(tiny_world):
    art = train_art_model(tiny_world.corpus, "cooccurrence")
    cog = train_availability_model(tiny_world.corpus, "cooccurrence")
    return art, cog


@pytest.fixture
def gen():
    return torch.Generator().manual_seed(0)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
