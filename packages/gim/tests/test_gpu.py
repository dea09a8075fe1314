import jax
import numpy as np
import pytest

from mpiis.gim import GIM, FeatureMLP, GIMConfig, PerContextCausal

pytestmark = pytest.mark.gpu


def _gpu():
    try:
        return jax.devices("gpu")
    except RuntimeError:
        return []


@pytest.mark.skipif(not _gpu(), reason="needs a CUDA device")
def test_training_entry_points_and_smoke_on_gpu(bench):
    dev = _gpu()[0]
    with jax.default_device(dev):
        gim = GIM(GIMConfig.tiny()).fit(bench.train, key=jax.random.key(0))
        assert np.isfinite(gim.predict_distribution(bench.full_ood.data.features).mean).all()
        FeatureMLP(hidden=(16,), steps=100).fit(bench.train, key=jax.random.key(0))
        PerContextCausal(steps=100).fit(bench.train)
        from mpiis.gim.benchmark import suite

        run = suite.execute("smoke")
        assert not [r.id for r in run.results if r.error]
