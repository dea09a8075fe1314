"""The suite runs, and every GATE has a negative control through the same claim code.

The negative controls run the suite at a test scale (d = 5, 12 training drugs, 400 steps,
2 seeds; patched into the smoke preset) twice: as is, and with ``control=shuffled-features``
(GIM trained on features permuted across the training contexts). The broken run must fail
every GATE. At this scale the honest run passes every GATE too (measured: G1 0.27/0.014/0.05,
G2 0.81/0.36, G3 0.84/+0.06, G4 +0.04/+0.14); the tests require it where the margin is wide
(G1, G2) and otherwise that the honest value beats the broken one.
"""

import pytest

from mpiis.gim.benchmark import PRESETS, suite

TEST_SCALE = dict(PRESETS["smoke"], d=5, n_train_drugs=12, n_test_drugs=6, steps=400,
                  seeds=(0, 2), n_eval=120, n_ctx=None)


@pytest.fixture(scope="module")
def runs():
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(PRESETS, "smoke", TEST_SCALE)
        honest = suite.execute("smoke", options={"control": "none"})
        broken = suite.execute("smoke", options={"control": "shuffled-features"})
    return ({r.id: r for r in honest.results}, {r.id: r for r in broken.results})


def _gate(results, claim):
    subs = [r for rid, r in results.items() if rid.split(".")[0] == claim]
    assert subs and all(r.gate and r.error is None for r in subs), subs
    return all(r.passed for r in subs)


def test_suite_declares_the_brief_claims():
    ids = set(suite.claims)
    assert {"G1", "G2", "G3", "G4", "R1", "R2", "R3", "R4", "R5", "R6", "R7",
            "T1", "T2", "T3", "T4"} <= ids
    assert {k for k, g in suite.gates.items() if g} == {"G1", "G2", "G3", "G4"}
    with pytest.raises(ValueError, match="control"):
        suite.resolve_options({"nope": "1"})


def test_no_claim_errors(runs):
    honest, broken = runs
    for res in (honest, broken):
        errored = {k: r.error for k, r in res.items() if r.error}
        assert not errored


@pytest.mark.slow
def test_G1_negative_control(runs):
    honest, broken = runs
    assert _gate(honest, "G1")
    assert not _gate(broken, "G1")
    assert not broken["G1.gim_vs_obs"].passed


@pytest.mark.slow
def test_G2_negative_control(runs):
    honest, broken = runs
    assert _gate(honest, "G2")
    assert not _gate(broken, "G2")
    assert not broken["G2.gim_vs_mlp"].passed and not broken["G2.gim_vs_obs"].passed


@pytest.mark.slow
def test_G3_negative_control(runs):
    honest, broken = runs
    assert not _gate(broken, "G3")
    assert broken["G3.auroc"].value < 0.7 < honest["G3.auroc"].value


@pytest.mark.slow
def test_G4_negative_control(runs):
    honest, broken = runs
    assert not _gate(broken, "G4")
    for sub in ("G4.vs_percontext", "G4.vs_meanshift"):
        assert honest[sub].value > broken[sub].value + 0.1
