import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

SCRIPT = textwrap.dedent("""
    import json, sys
    import jax, numpy as np
    from mpiis.gim import GIM, GIMConfig, make_hill_benchmark
    assert len(jax.devices()) == 2, jax.devices()
    # the `bench` and `fitted` fixtures of conftest.py, rebuilt here
    bm = make_hill_benchmark(key=jax.random.key(0), d=4, n_train_drugs=6, n_test_drugs=3,
                             n_per_context=30, n_control=200, n_eval=60, n_evidence=20)
    two = GIM(GIMConfig.tiny()).fit(bm.train, key=jax.random.key(1), devices=jax.devices())
    f = bm.full_ood.data.features
    json.dump({"probs": two.predict_interventions(f).target_probs.tolist(),
               "weights": np.asarray(two.causal_params_.graph_weights).tolist()}, sys.stdout)
""")


@pytest.mark.slow
def test_two_host_devices_match_one(fitted, bench):
    """The fit sharded over 2 CPU devices (contexts split and padded) matches one device."""
    env = dict(os.environ)
    env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") +
                        " --xla_force_host_platform_device_count=2").strip()
    env["JAX_PLATFORMS"] = "cpu"
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    two = json.loads(out.stdout)
    f = bench.full_ood.data.features
    np.testing.assert_allclose(two["probs"], fitted.predict_interventions(f).target_probs,
                               atol=5e-3)
    np.testing.assert_allclose(two["weights"], np.asarray(fitted.causal_params_.graph_weights),
                               atol=5e-3)
