"""JAX helpers for scripts and benchmarks (extra ``mpiis-shared[jax]``)."""

from __future__ import annotations

from typing import Any

from .progress import progress

try:
    import jax as _jax
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError('mpiis.shared.jax needs JAX: `pip install "mpiis-shared[jax]"`') from exc

__all__ = ["count_parameters", "default_device", "make_key", "progress"]


def default_device() -> Any:
    """The first GPU/TPU device when JAX sees one, else the first CPU device."""
    for backend in ("gpu", "tpu"):
        try:
            devs = _jax.devices(backend)
        except RuntimeError:
            continue
        if devs:
            return devs[0]
    return _jax.devices("cpu")[0]


def make_key(seed: int) -> _jax.Array:
    """A typed PRNG key, ``jax.random.key(seed)``."""
    return _jax.random.key(int(seed))


def count_parameters(tree: Any) -> int:
    """Number of scalars in the array leaves of a pytree (e.g. flax/equinox parameters)."""
    return int(sum(getattr(x, "size", 0) for x in _jax.tree_util.tree_leaves(tree)))
