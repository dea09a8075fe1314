"""The common checks of mpiis.shared.testing on every public model, plus user-data loaders."""

import copy

import numpy as np
import torch

from mpiis.diffratio import (
    DensityRatioNet,
    DistillConfig,
    EDMPrecond,
    MLPBackbone,
    OneStepGenerator,
    ScoreBasedTrainer,
    TeacherConfig,
    best_of_n,
    distill,
    train_teacher,
)
from mpiis.shared.data import load_npz
from mpiis.shared.testing import (
    check_deterministic,
    check_refuses_bad_input,
    check_refuses_nonfinite,
    check_save_load,
)

BAD_RING = {
    "rank 1": torch.zeros(4),
    "wrong width": torch.zeros(4, 3),
    "strings": np.full((4, 2), "a"),
}


def test_models_refuse_bad_input(ring_teacher):
    gen = OneStepGenerator(ring_teacher)
    ratio = DensityRatioNet.from_teacher(ring_teacher)
    check_refuses_bad_input(lambda x: ring_teacher(x, 1.0), BAD_RING, match="x")
    check_refuses_bad_input(lambda x: ratio(x, 1.0), BAD_RING, match="x")
    check_refuses_bad_input(lambda z: gen(z), BAD_RING, match="z")
    check_refuses_bad_input(lambda n: gen.sample(n), {"zero": 0, "float": 2.5}, match="n")
    check_refuses_bad_input(lambda n: best_of_n(gen, ratio, n), {"zero": 0}, match="n")


def test_entry_points_refuse_nonfinite_data(ring_teacher, ring, gen):
    den = EDMPrecond(MLPBackbone(2, hidden=8, generator=gen(0)))
    check_refuses_nonfinite(
        lambda x: train_teacher(den, x, TeacherConfig.tiny(steps=1), generator=gen(0)), ring,
        match="data")
    check_refuses_nonfinite(
        lambda x: distill(ring_teacher, x, method="score_based",
                          config=DistillConfig.tiny(steps=1), generator=gen(0)), ring,
        match="data")


def test_score_based_trainer_save_load(ring_teacher, ring, gen, tmp_path):
    def make():
        return ScoreBasedTrainer(OneStepGenerator(copy.deepcopy(ring_teacher)), ring_teacher,
                                 copy.deepcopy(ring_teacher).requires_grad_(True),
                                 DistillConfig.tiny(steps=3))

    tr = make()
    tr.fit(ring, generator=gen(0))
    z = torch.randn(6, 2, generator=gen(1))
    check_save_load(tr, lambda t: t.ema_generator(z), tmp_path / "sb.pt",
                    load=lambda p: make().load(p))
    check_deterministic(lambda s: distill(ring_teacher, ring, method="score_based",
                                          config=DistillConfig.tiny(steps=2),
                                          generator=gen(s)).generator(z))


def test_npz_images_train_a_teacher(tmp_path, gen):
    rng = np.random.default_rng(0)
    path = tmp_path / "imgs.npz"
    np.savez(path, images=rng.integers(0, 256, (12, 8, 8), dtype=np.uint8),
             labels=np.arange(12) % 3)
    data = load_npz(path)
    x = torch.tensor(data.images * 2.0 - 1.0)  # (12, 1, 8, 8) in [−1, 1]
    den = EDMPrecond(MLPBackbone(64, hidden=8, generator=gen(0)), shape=(1, 8, 8))
    t = train_teacher(den, x, TeacherConfig.tiny(steps=2, batch_size=4), generator=gen(0))
    assert OneStepGenerator(t).sample(3, generator=gen(1)).shape == (3, 1, 8, 8)
