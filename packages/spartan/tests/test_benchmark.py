import math
import re
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pytest

from mpiis.shared.bench import Context
from mpiis.spartan import benchmark

GATES = ("G1", "G2", "G3", "G4")


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    out = tmp_path_factory.mktemp("smoke")
    return benchmark.suite.execute("smoke", seed=0, out_dir=out), out


def _ctx(**options):
    opts = benchmark.suite.resolve_options(options)
    return Context("smoke", 0, None, MappingProxyType(opts))


@pytest.fixture(scope="module")
def untrained():
    """The GATE claim functions themselves, run on an untrained SPARTAN arm."""
    ctx = _ctx(arm="untrained")
    return {g: getattr(benchmark, f"_{g.lower()}")(ctx) for g in GATES}


def test_claims_table_and_gates():
    assert set(benchmark.suite.claims) == set(benchmark.CLAIMS)
    assert {k for k, v in benchmark.suite.gates.items() if v} == set(GATES)


def test_smoke_run_produces_every_row(smoke):
    run, out = smoke
    ids = {r.id for r in run.results}
    assert set(GATES) <= ids
    assert {"R1.f1", "R1.empty", "R1.jacobian", "R2", "R3", "R4", "R5", "R6.token",
            "R6.finetune", "R7.spartan", "R7.dense", "R8"} <= ids
    assert not [(r.id, r.error) for r in run.results if r.error is not None]
    assert all(r.value is None or not math.isnan(r.value) for r in run.results)
    skipped = {r.id for r in run.results if r.skipped is not None}
    assert skipped == {"P1"}  # speed runs at quick and full only
    assert run.threads.get("torch_threads_during_run") == "1"
    for name in ("graphs.png", "training.png", "rollouts.png", "adaptation.png"):
        assert (out / name).is_file() or any(name in n for n in run.notes)


def test_bad_arm_is_an_error():
    with pytest.raises(ValueError, match="arm"):
        benchmark._g1(_ctx(arm="oracle"))


# Negative controls: an untrained SPARTAN (all gates open, random predictions) run through the
# same claim code must fail every GATE.
def test_g1_negative_control(untrained):
    assert untrained["G1"].passed is False


def test_g2_negative_control(untrained):
    assert untrained["G2"].passed is False


def test_g3_negative_control(untrained):
    assert untrained["G3"].passed is False


def test_g4_negative_control(untrained):
    assert untrained["G4"].passed is False and untrained["G4"].value > 1.2


@pytest.mark.slow
def test_readme_quick_start(capsys):
    readme = Path(__file__).resolve().parents[1] / "README.md"
    block = re.search(r"```python\n(.*?)```", readme.read_text(), re.S)
    assert block is not None, "README has no python block"
    exec(compile(block.group(1), str(readme), "exec"), {})
    out = capsys.readouterr().out
    assert "true graph" in out and "SPARTAN" in out


@pytest.mark.gpu
def test_smoke_preset_on_cuda():
    import torch

    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    run = benchmark.suite.execute("smoke", options={"device": "cuda"})
    assert not [(r.id, r.error) for r in run.results if r.error is not None]


def test_observational_study_is_deterministic_across_threads():
    """The dense model (and the ablation) train on a worker thread beside SPARTAN, each with
    its own generator; two runs give the same tau, graphs and MSE."""
    a, b = (benchmark._observational(_ctx(), 0) for _ in range(2))
    assert a["tau"] == b["tau"] and a["mse"] == b["mse"] and a["dense_mse"] == b["dense_mse"]
    assert (a["graphs"] == b["graphs"]).all() and a["ablation"] is not None


def test_dense_failure_reaches_the_waiting_spartan_fit():
    """A dense fit that raises sets the error on tau's future, so SPARTAN's fit (waiting for
    tau at the end of its warm-up) raises it instead of waiting for ever."""
    from concurrent.futures import Future

    import torch

    from mpiis.spartan import DenseTransformerWM, Spartan

    p = benchmark.PRESETS["smoke"]
    tau: Future = Future()
    g = torch.Generator().manual_seed(0)
    dense = DenseTransformerWM(benchmark._config(p), generator=g)
    with pytest.raises(TypeError):
        benchmark._fit_dense(dense, "not data", None, p, 10, g, "val", tau)
    env_tr = benchmark.ContactBalls2D().simulate(4, 10, rng=np.random.default_rng(0))\
        .transitions()
    with pytest.raises(TypeError, match="TransitionData"):
        benchmark._fit_spartan(Spartan(benchmark._config(p), generator=g), env_tr, None, p, 20,
                               g, tau)
