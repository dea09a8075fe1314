import os
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import jax, numpy as np
    from mpiis.gim import GIM, GIMConfig, make_hill_benchmark
    assert len(jax.devices()) == 2, jax.devices()
    bm = make_hill_benchmark(key=jax.random.key(0), d=4, n_train_drugs=5, n_test_drugs=2,
                             n_per_context=20, n_control=100, n_eval=5, n_evidence=2)
    cfg = GIMConfig.tiny(steps=100)
    f = bm.full_ood.data.features
    one = GIM(cfg).fit(bm.train, key=jax.random.key(1), devices=jax.devices()[:1])
    two = GIM(cfg).fit(bm.train, key=jax.random.key(1), devices=jax.devices())
    a = one.predict_interventions(f).target_probs
    b = two.predict_interventions(f).target_probs
    np.testing.assert_allclose(a, b, atol=2e-3)
    np.testing.assert_allclose(np.asarray(one.causal_params_.graph_weights),
                               np.asarray(two.causal_params_.graph_weights), atol=2e-3)
    print("ok", float(np.abs(a - b).max()))
""")


@pytest.mark.slow
def test_two_host_devices_match_one():
    """The fit sharded over 2 CPU devices (contexts split, padded) matches 1 device."""
    env = dict(os.environ)
    env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") +
                        " --xla_force_host_platform_device_count=2").strip()
    env["JAX_PLATFORMS"] = "cpu"
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.startswith("ok")
