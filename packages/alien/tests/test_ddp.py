"""Scale-out: two gloo processes under torchrun match one process on the same global batch."""

import pytest
import torch

from mpiis.alien import TinyConceptTransformer
from mpiis.alien import train_ddp as train_ddp_module
from mpiis.shared.torch import run_torchrun

ARGS = ["--tiny", "--epochs", "2", "--batch-size", "32", "--dropout", "0", "--n-permutations",
        "4", "--device", "cpu"]


@pytest.mark.slow
def test_two_gloo_processes_match_one_process(tmp_path):
    out = tmp_path / "ddp.pt"
    run_torchrun(train_ddp_module.__file__, nproc=2, args=[*ARGS, "--out", str(out)],
                 timeout=600)
    ddp = TinyConceptTransformer.load(out)
    single = train_ddp_module.train([*ARGS, "--out", str(tmp_path / "single.pt")])
    x = torch.tensor([[0, 3], [5, 25], [7, 1]])
    torch.testing.assert_close(ddp.next_log_probs(x), single.next_log_probs(x),
                               rtol=1e-4, atol=1e-4)
    assert ddp.history == pytest.approx(single.history, rel=1e-4)


def test_batch_must_divide_by_world_size(tiny_world):
    from mpiis.shared.torch import DistInfo

    m = TinyConceptTransformer(tiny_world.vocab_size)
    info = DistInfo(rank=0, world_size=3, enabled=True)
    with pytest.raises(ValueError, match=r"`batch_size` \(256\) must be divisible by the world "
                                         r"size \(3\)"):
        m.fit(tiny_world.corpus.art_sequences(1), dist=info)
