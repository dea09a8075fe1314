"""Shared fixtures: tiny datasets and moment tables (k = 2, n = 300 everywhere, so that the
jitted solvers compile once per shape for the whole test session)."""

from __future__ import annotations

import numpy as np
import pytest

from mpiis.cmaxent import MomentTable, anticausal_moments, make_anticausal_gaussian

N = 300


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture
def data2(rng):
    """(X (300, 2), y (300,)) from an anticausal Gaussian with correlated features."""
    return make_anticausal_gaussian(pi1=0.4, mu0=np.zeros(2), mu1=np.array([0.8, -0.5]),
                                    cov_within=np.array([[1.0, 0.3], [0.3, 1.5]]), n=N, rng=rng)


@pytest.fixture
def full_table(data2):
    X, y = data2
    return MomentTable.from_datasets({("X1", "X2", "Y"): np.column_stack([X, y])})


@pytest.fixture
def p1_table():
    """Exact P1 moments: only (X1, Y) and (X2, Y) observed."""
    return anticausal_moments(pi1=0.35, mu0=np.zeros(2), mu1=np.array([0.9, -0.6]),
                              cov_within=np.diag([1.0, 1.4]),
                              observed=[("X1", "Y"), ("X2", "Y")])


@pytest.fixture
def p2_table():
    """Exact P2 moments: (X1, Y) and (X1, X2) observed."""
    return anticausal_moments(pi1=0.45, mu0=np.zeros(2), mu1=np.array([0.7, 0.4]),
                              cov_within=np.array([[1.0, 0.5], [0.5, 1.2]]),
                              observed=[("X1", "Y"), ("X1", "X2")])


@pytest.fixture
def separable(rng):
    x = rng.standard_normal((N, 2))
    return x, (x[:, 0] > 0).astype(int)
