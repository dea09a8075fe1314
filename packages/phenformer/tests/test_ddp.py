"""Two gloo processes under torchrun match one process on the same global batches."""

import textwrap

import numpy as np
import pytest
import torch

from mpiis.phenformer import Phenformer, PhenformerConfig, TrainConfig, fit, predict_logits
from mpiis.shared.torch import run_torchrun

SETUP = textwrap.dedent("""
    import numpy as np, torch
    from mpiis.phenformer import Phenformer, PhenformerConfig, TrainConfig, fit, predict_logits

    def data():
        rng = np.random.default_rng(0)
        x = rng.normal(size=(128, 6, 8)).astype(np.float32)
        y = (x[:, 0, 0] + x[:, 1, 2] + rng.normal(size=128) > 0).astype(np.float32)
        return x, y

    def train(dist_info=None):
        x, y = data()
        g = torch.Generator().manual_seed(0)
        m = Phenformer(PhenformerConfig(n_genes=6, n_contexts=4, d_model=8, n_heads=2,
                                        dropout=0.0), generator=g)
        fit(m, x[:96], y[:96], val=(x[96:], y[96:]),
            config=TrainConfig(epochs=2, batch_size=16, patience=5), generator=g,
            dist_info=dist_info)
        return predict_logits(m, x)
""")


@pytest.mark.slow
def test_two_gloo_processes_match_single_process(tmp_path):
    (tmp_path / "setup_ddp.py").write_text(SETUP)
    script = tmp_path / "ddp.py"
    script.write_text(textwrap.dedent(f"""
        import sys; sys.path.insert(0, {str(tmp_path)!r})
        import numpy as np
        from mpiis.shared.torch import init_distributed, cleanup_distributed
        from setup_ddp import train
        info = init_distributed("gloo", device="cpu")
        out = train(info)
        if info.is_main:
            np.save({str(tmp_path / "ddp.npy")!r}, out)
        cleanup_distributed()
    """))
    run_torchrun(script, nproc=2, timeout=240)
    ns: dict = {}
    exec(SETUP, ns)
    single = ns["train"]()
    np.testing.assert_allclose(np.load(tmp_path / "ddp.npy"), single, rtol=1e-4, atol=1e-5)


def test_batch_must_divide_world():
    from mpiis.shared.torch import DistInfo

    x = np.random.default_rng(0).normal(size=(20, 6, 8)).astype(np.float32)
    y = np.r_[np.zeros(10), np.ones(10)]
    m = Phenformer(PhenformerConfig(n_genes=6, n_contexts=4, d_model=8, n_heads=2))
    with pytest.raises(ValueError, match="batch_size"):
        fit(m, x, y, val=(x, y), config=TrainConfig(batch_size=15, epochs=1),
            generator=torch.Generator(), dist_info=DistInfo(rank=0, world_size=2, enabled=True))
    assert predict_logits(m, x).shape == (20, 1)
