"""Run by test_ddp.py under torchrun: DDP training of a tiny dense model (and a SPARTAN run)."""

import sys

import numpy as np
import torch

from mpiis.shared.torch import cleanup_distributed, init_distributed
from mpiis.spartan import (
    ContactBalls2D,
    DenseTransformerWM,
    GECOLagrangian,
    Spartan,
    TrainConfig,
    fit,
    tiny,
)


def data():
    return ContactBalls2D().simulate(12, 15, rng=np.random.default_rng(0)).transitions()


def train(dist=None, cls=DenseTransformerWM):
    torch.set_num_threads(1)
    model = cls(tiny(obj_dim=4, n_objects=6), generator=torch.Generator().manual_seed(0))
    constraint = GECOLagrangian(tau=0.5) if cls is Spartan else None
    res = fit(model, data(), config=TrainConfig.tiny(steps=6, batch_size=32),
              constraint=constraint, generator=torch.Generator().manual_seed(1), dist=dist)
    return model, res


if __name__ == "__main__":
    info = init_distributed(device="cpu")
    model, _ = train(info)
    _, res = train(info, Spartan)
    if info.is_main:
        torch.save({k: v.detach() for k, v in model.state_dict().items()}, sys.argv[1])
        assert np.isfinite(res.history["mse"]).all()
    cleanup_distributed()
