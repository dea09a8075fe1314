import numpy as np
import pytest
import torch

from mpiis.pmae import PCABasis, make_failure_mode_images


@pytest.fixture(scope="session")
def synth():
    """64 synthetic 16x16 images (4 classes)."""
    return make_failure_mode_images(64, seed=0)


@pytest.fixture(scope="session")
def small_images():
    """32 random 8x8 single-channel images in [0, 1] (float32)."""
    return np.random.default_rng(0).random((32, 1, 8, 8)).astype(np.float32)


@pytest.fixture(scope="session")
def basis(synth):
    return PCABasis.fit(synth.images)


@pytest.fixture
def gen():
    def make(seed: int = 0) -> torch.Generator:
        return torch.Generator().manual_seed(seed)

    return make
