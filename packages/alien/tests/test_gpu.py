"""On a CUDA machine: the training entry points and the smoke preset run on the GPU, and
sampling and scoring stay on the models' device. Skipped without CUDA."""

import pytest
import torch

from mpiis.alien import (
    AlienSampler,
    TinyConceptTransformer,
    TransformerConfig,
    train_art_model,
    train_availability_model,
)

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]


def test_training_entry_points_and_sampler_on_cuda(tiny_world):
    dev = torch.device("cuda")
    cfg = TransformerConfig.tiny()
    g = torch.Generator().manual_seed(0)
    art = train_art_model(tiny_world.corpus,
                          TinyConceptTransformer(tiny_world.vocab_size, cfg).to(dev),
                          n_permutations=2, generator=g)
    cog = train_availability_model(tiny_world.corpus,
                                   TinyConceptTransformer(tiny_world.vocab_size, cfg).to(dev),
                                   n_per_artist=10, generator=g)
    assert art.device.type == "cuda" and cog.device.type == "cuda"
    gd = torch.Generator(device=dev).manual_seed(0)
    combos = AlienSampler(art, cog, beta=0.5, temperature=2.0, n_candidates=32,
                          top_k=3).sample([1], 4, generator=gd)
    assert len(combos) == 3
    cands = art.sample([1], 8, 4, temperature=1.0, generator=gd)
    assert cands.device.type == "cuda" and art.sequence_nll(cands, 1).device.type == "cuda"


def test_smoke_preset_on_cuda(tmp_path):
    from mpiis.alien.benchmark import suite

    run = suite.execute("smoke", out_dir=tmp_path, options={"device": "cuda"})
    assert not [r.id for r in run.results if r.error]
