import numpy as np
import pytest
import torch

from mpiis.spartan import (
    DenseTransformerWM,
    Spartan,
    distractor_sensitivity,
    edge_auroc,
    edge_scores,
    target_accuracy,
)


def _truth():
    t = np.zeros((4, 3, 3), dtype=bool)
    t[0, 0, 1] = t[0, 1, 0] = True
    t[1, 1, 2] = t[1, 2, 1] = True
    return t


def test_edge_scores_perfect_empty_and_spurious():
    t = _truth()
    s = edge_scores(t, t)
    assert (s.f1, s.precision, s.recall, s.fpr, s.shd) == (1.0, 1.0, 1.0, 0.0, 0.0)
    e = edge_scores(np.zeros_like(t), t)
    assert e.f1 == 0.0 and e.recall == 0.0 and e.shd == 1.0  # 4 missing edges / 4 transitions
    p = t.copy()
    p[2, 0, 2] = True  # one spurious edge on a no-contact transition (6 pairs x 2)
    s2 = edge_scores(p, t)
    assert s2.f1 == 1.0 and s2.fpr == pytest.approx(1 / 12) and s2.shd == 0.25
    with pytest.raises(ValueError, match="pred"):
        edge_scores(p[:2], t)


def test_edge_auroc_and_target_accuracy():
    t = _truth()
    assert edge_auroc(t.astype(float), t) == 1.0
    assert target_accuracy([[1, 0], [0, 0]], [[1, 0], [0, 1]]) == 0.5
    with pytest.raises(ValueError, match="pred_targets"):
        target_accuracy([[1, 0]], [[1, 0], [0, 1]])


def test_distractor_sensitivity(small_data, cfg, gen):
    tr, _ = small_data
    m = Spartan(cfg, generator=gen(0))
    with torch.no_grad():  # every gate closed: the ghosts cannot matter
        for layer in m.layers:
            layer.gate_bias.fill_(-1e4)
    assert distractor_sensitivity(m, tr, [4, 5]) == 0.0
    d = DenseTransformerWM(cfg, generator=gen(0))
    assert distractor_sensitivity(d, tr, [4, 5]) > 0.0
    with pytest.raises(ValueError, match="distractor_idx"):
        distractor_sensitivity(d, tr, [])
