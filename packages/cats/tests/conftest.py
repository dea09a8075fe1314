"""Shared fixtures: tiny simulated benchmarks (shapes fixed so jitted fits compile once)."""

from __future__ import annotations

import jax
import pytest

from mpiis.cats import AdversarialFilter, MediatorBypass, Shortcut, SimConfig, simulate


@pytest.fixture(scope="session")
def shortcut_bench():
    return simulate(SimConfig(n_items=400, n_models=1, n_reference=10,
                              monsters=(Shortcut(strength=0.0, confounding=1.0),)),
                    key=jax.random.key(0))


@pytest.fixture(scope="session")
def bypass_bench():
    return simulate(SimConfig(n_items=400, n_models=1, n_reference=10,
                              monsters=(MediatorBypass(direct=0.5, mc_draws=20000),)),
                    key=jax.random.key(1))


@pytest.fixture(scope="session")
def filter_bench():
    return simulate(SimConfig(n_models=1, n_reference=5,
                              monsters=(AdversarialFilter(pool=6000),)), key=jax.random.key(0))


@pytest.fixture
def key():
    return jax.random.key(42)
