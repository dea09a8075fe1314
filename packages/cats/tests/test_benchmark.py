"""The suite's smoke run and a negative control for every GATE: a broken variant run through
the same claim code must fail it."""

import dataclasses

import pytest

from mpiis.cats.benchmark import (
    PRESETS,
    b1_claims,
    b1_runs,
    b2_claims,
    b4_claims,
    b4_runs,
    b5_claims,
    b5_runs,
    b6_claims,
    b6_runs,
    suite,
)

SMALL = dataclasses.replace(PRESETS["smoke"], b1_reps=3, b1_items=800, b4_reps=4,
                            b4_items=800, b4_boot=30, b5_reps=3, b5_items=1000, b6_reps=6,
                            b6_pool=3000)


def _failed(results):
    return {r.id for r in results if r.gate and not r.passed}


def test_suite_registered():
    assert {"B1", "B2", "B4", "B5", "B6"} <= set(suite.claims)
    assert all(suite.gates[c] for c in ("B1", "B2", "B4", "B5", "B6"))


@pytest.mark.slow
def test_smoke_runs():
    run = suite.execute("smoke", seed=0)
    assert not [r for r in run.results if r.details.get("error")]
    ids = {r.id for r in run.results}
    assert {"B1.fpr", "B4.power", "B5.recall", "B6.ipw_fpr", "B8"} <= ids


@pytest.fixture(scope="module")
def plugin_runs():
    # the disabled component: plug-in instead of calibrated difficulty
    return b1_runs(SMALL, 0, method="plugin_proxy", betas=(0.0, 0.3), cs=(1.0, 2.0))


def test_b1_negative_control(plugin_runs):
    assert "B1.fpr" in _failed(b1_claims(plugin_runs))


def test_b2_negative_control(plugin_runs):
    assert {"B2.warning", "B2.coverage"} <= _failed(b2_claims(plugin_runs))


def test_b4_negative_control():
    df = b4_runs(dataclasses.replace(SMALL, b4_reps=3), 0, adjust=())  # no difficulty adjust
    assert "B4.fpr" in _failed(b4_claims(df))


def test_b5_negative_control():
    df = b5_runs(SMALL, 0, shuffle_label=True).drop(columns=["pvalues"])
    assert {"B5.recall", "B5.f1_vs_label_only"} & _failed(b5_claims(df))


def test_b6_negative_control():
    df = b6_runs(SMALL, 0, ipw_weights=None)
    assert {"B6.ipw_fpr", "B6.bias_ratio"} <= _failed(b6_claims(df))
