"""The benchmark's claim code, its negative controls, and a smoke run."""

import numpy as np
import pytest
import torch

from mpiis.phenformer import SimConfig
from mpiis.phenformer.benchmark import (
    G4_MIN_AUROC,
    g2_result,
    g3_result,
    g4_result,
    run_seed,
    suite,
)


@pytest.fixture(scope="module")
def shuffled_runs():
    """Phenformer trained on permuted labels: the broken variant of G2-G4."""
    return [run_seed(SimConfig.tiny(), s, d_model=16, epochs=3, n_boot=20, shuffle_labels=True)
            for s in (0, 1, 2)]


def test_g2_negative_control(shuffled_runs):
    res = g2_result(shuffled_runs)
    assert res.gate and not res.passed


def test_g3_negative_control(shuffled_runs):
    res = g3_result(shuffled_runs)
    assert res.gate and not res.passed


def test_g4_negative_control(shuffled_runs):
    res = g4_result(shuffled_runs)
    assert res.gate and not res.passed and res.value < G4_MIN_AUROC


def test_suite_declares_gates():
    gates = suite.gates
    assert {k for k, v in gates.items() if v} == {"G1", "G2", "G3", "G4"}


@pytest.mark.slow
def test_smoke_preset_runs(tmp_path):
    run = suite.execute("smoke", seed=0, out_dir=tmp_path)
    ids = {r.id for r in run.results}
    assert {"G1", "G2", "G3", "G4", "P1", "P2"} <= ids
    assert torch.get_num_threads() >= 1


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_smoke_preset_on_gpu(tmp_path):
    run = suite.execute("smoke", seed=0, out_dir=tmp_path, options={"device": "cuda"})
    assert all(getattr(r, "error", None) is None for r in run.results)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_training_entry_points_on_gpu():
    r = run_seed(SimConfig.tiny(), 0, d_model=16, epochs=2, n_boot=10,
                 device=torch.device("cuda"))
    assert r.model.head.weight.device.type == "cuda" and np.isfinite(r.auroc_a)


def test_roc_and_subtype_figures(tmp_path, shuffled_runs):
    pytest.importorskip("matplotlib")
    from mpiis.phenformer.benchmark import _roc, _roc_curve, _subtypes

    fpr, tpr = _roc_curve(np.array([1, 0, 1, 0]), np.array([0.9, 0.8, 0.7, 0.1]))
    np.testing.assert_allclose(tpr, [0, 0.5, 0.5, 1, 1])
    np.testing.assert_allclose(fpr, [0, 0, 0.5, 0.5, 1])
    _roc(shuffled_runs[0], tmp_path / "roc.png")
    rng = np.random.default_rng(0)
    _subtypes(rng.normal(size=(20, 6)), rng.integers(0, 2, 20), rng.integers(0, 2, 20), 0.1,
              tmp_path / "subtypes.png")
    assert (tmp_path / "roc.png").stat().st_size > 0
    assert (tmp_path / "subtypes.png").stat().st_size > 0


@pytest.mark.slow
def test_full_preset_code_paths_at_tiny_size(tmp_path, monkeypatch):
    """Every full-only claim (R3, R6, R7, R8, A1) runs without error, at smoke sizes."""
    from mpiis.phenformer import benchmark as b

    tiny = dict(b.PRESETS["smoke"], seeds=(0, 1, 2), aux=True, learned_e2e=True,
                aux_sim=SimConfig.tiny(), boot=20)
    monkeypatch.setitem(b.PRESETS, "full", tiny)
    run = suite.execute("full", seed=0, out_dir=tmp_path)
    errors = {r.id: r.error for r in run.results if getattr(r, "error", None)}
    assert not errors, errors
    ids = {r.id for r in run.results}
    assert {"R3.phenformer", "R6.rank", "R7", "R8", "A1.auroc", "A1.rank"} <= ids
