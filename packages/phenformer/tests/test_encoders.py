import numpy as np
import pytest
import torch

from mpiis.phenformer import (
    EncoderConfig,
    OracleEncoder,
    ToyExpressionCNN,
    encoder_throughput,
    pretrain_encoder,
    variant_fidelity,
)
from mpiis.phenformer.benchmark import G1_MIN_R, g1_result
from mpiis.shared.testing import check_save_load
from mpiis.shared.torch import count_parameters


def test_parameter_count_matches_brief():
    assert abs(count_parameters(ToyExpressionCNN(EncoderConfig())) - 14_500) < 300


def test_forward_shapes(gen):
    m = ToyExpressionCNN(EncoderConfig.tiny(), generator=gen)
    e, t = m(torch.zeros(3, 4, 256))
    assert e.shape == (3, 12) and t.shape == (3, 12, 8)
    with pytest.raises(ValueError, match="x"):
        m(torch.zeros(3, 4, 100))


def test_meta_device_forward():
    m = ToyExpressionCNN(EncoderConfig.tiny(), device="meta")
    e, t = m(torch.zeros(2, 4, 256, device="meta"))
    assert e.device.type == "meta" and t.shape == (2, 12, 8)


def test_oracle_encoder_is_perfect(cohort):
    r, _, _ = variant_fidelity(OracleEncoder(cohort), cohort)
    assert r == pytest.approx(1.0)
    assert g1_result(OracleEncoder(cohort), cohort).passed


def test_g1_negative_control(cohort, gen):
    """An untrained encoder goes through G1's code and fails it."""
    untrained = ToyExpressionCNN(EncoderConfig.tiny(), generator=gen)
    res = g1_result(untrained, cohort)
    assert res.gate and not res.passed and res.value < G1_MIN_R


def test_pretraining_lowers_loss_and_saves(cohort, gen, tmp_path):
    cfg = EncoderConfig.tiny().__class__(window=256, n_windows=256, epochs=2)
    res = pretrain_encoder(cohort, cfg, rng=np.random.default_rng(0), generator=gen)
    assert res.losses[-1] < res.losses[0]
    assert np.isfinite(res.fidelity)
    seqs = cohort.reference[:4]
    check_save_load(res.encoder, lambda m: m.encode(seqs), tmp_path / "enc.pt")
    loaded = ToyExpressionCNN.load(tmp_path / "enc.pt")
    np.testing.assert_array_equal(loaded.encode(seqs), res.encoder.encode(seqs))


def test_pretrain_window_mismatch(cohort):
    with pytest.raises(ValueError, match="window"):
        pretrain_encoder(cohort, EncoderConfig(window=512), rng=np.random.default_rng(0))


def test_throughput_positive(gen):
    m = ToyExpressionCNN(EncoderConfig.tiny(), generator=gen)
    assert encoder_throughput(m, batch=8, repeats=1) > 0
