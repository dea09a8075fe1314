"""Shared fixtures: tiny ring data, tiny teachers, single-threaded torch for the package tests."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mpiis.diffratio import EDMPrecond, MLPBackbone, TeacherConfig, train_teacher
from mpiis.shared.data import toy2d


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny networks run fastest on one intra-op thread (and do not thrash shared cores)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def gen():
    def make(seed: int = 0) -> torch.Generator:
        return torch.Generator().manual_seed(seed)

    return make


@pytest.fixture(scope="session")
def ring() -> torch.Tensor:
    return torch.tensor(toy2d("ring8", 512, rng=np.random.default_rng(0)), dtype=torch.float32)


@pytest.fixture(scope="session")
def ring_teacher(ring) -> EDMPrecond:
    g = torch.Generator().manual_seed(0)
    den = EDMPrecond(MLPBackbone(2, hidden=32, depth=3, emb_dim=16, generator=g),
                     sigma_data=1.4)
    return train_teacher(den, ring, TeacherConfig.tiny(), generator=g)


@pytest.fixture(scope="session")
def digits32():
    from mpiis.diffratio import load_digits_split

    d = load_digits_split()
    return d.train[:32], d.y_train[:32]
