"""On a machine with a CUDA device: the fits run there (no host round-trip inside a jitted fit)
and the smoke preset completes. Skipped without one."""

import jax
import pytest


def _gpu():
    try:
        return jax.devices("gpu")
    except RuntimeError:
        return []


pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not _gpu(), reason="needs a CUDA device")]


def test_effect_and_mediation_on_gpu(shortcut_bench, bypass_bench, key):
    from mpiis.cats import estimate_effect, estimate_mediation

    with jax.default_device(_gpu()[0]):
        e = estimate_effect(shortcut_bench.responses, shortcut_bench.spec, "F", "Y", n_boot=50,
                            key=key)
        m = estimate_mediation(bypass_bench.responses, bypass_bench.spec, "X", "M", "Y",
                               n_boot=50, key=key)
    assert e.proxy is not None and m.nde_ci[0] <= m.nde <= m.nde_ci[1]


def test_smoke_preset_on_gpu():
    from mpiis.cats.benchmark import suite

    run = suite.execute("smoke", seed=0)
    assert not [r for r in run.results if r.details.get("error")]
