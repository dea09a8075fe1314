import re
from pathlib import Path

import pytest

from mpiis.algocausal import benchmark as bm
from mpiis.shared.bench import ClaimResult, Context


def _ctx(preset: str = "smoke") -> Context:
    return Context(preset, 0, None, {})


def _gates(results):
    results = results if isinstance(results, list) else [results]
    assert all(isinstance(r, ClaimResult) for r in results)
    return [r for r in results if r.gate]


@pytest.mark.slow
def test_smoke_run(tmp_path):
    run = bm.suite.execute("smoke", seed=0, out_dir=tmp_path)
    ids = [r.id for r in run.results]
    assert {"A1", "A3", "A5.n100", "A10", "A11.n3m4", "A12.d4.codebook", "A13"} <= set(ids)
    assert not [r for r in run.results if r.error], [r.error for r in run.results if r.error]
    gates = {r.id: r for r in run.results if r.gate}
    # exact identities hold at any size
    assert gates["A1"].passed and gates["A2"].passed and gates["A10"].passed
    assert (tmp_path / "official_replica_violin.png").exists()


def test_every_gate_has_a_negative_control():
    controls = {n[len("test_"):-len("_negative_control")]
                for n in globals() if n.endswith("_negative_control") and n.startswith("test_a")}
    gates = {cid.lower() for cid, g in bm.suite.gates.items() if g}
    assert gates == controls, gates ^ controls


def test_a1_negative_control():
    assert all(r.passed for r in _gates(bm.a1(_ctx())))
    assert not any(r.passed for r in _gates(bm.a1(_ctx(), broken="shifted")))


def test_a2_negative_control():
    assert all(r.passed for r in _gates(bm.a2(_ctx())))
    assert not any(r.passed for r in _gates(bm.a2(_ctx(), broken="shifted")))


def test_a3_negative_control():
    assert all(r.passed for r in _gates(bm.a3(_ctx())))
    assert not any(r.passed for r in _gates(bm.a3(_ctx(), broken="reversed")))


def test_a5_negative_control():
    assert not any(r.passed for r in _gates(bm.a5(_ctx(), broken="pooled")))


def test_a5p_negative_control():
    assert not any(r.passed for r in _gates(bm.a5p(_ctx(), broken="pooled")))


def test_a6_negative_control():
    assert not any(r.passed for r in _gates(bm.a6(_ctx(), broken="pooled")))


def test_a7_negative_control():
    got = _gates(bm.a7(_ctx(), broken="pooled"))
    assert not any(r.passed for r in got)


def test_a9_negative_control():
    assert not any(r.passed for r in _gates(bm.a9(_ctx(), broken="pooled")))


def test_a10_negative_control():
    assert all(r.passed for r in _gates(bm.a10(_ctx())))
    broken = {r.id: r.passed for r in _gates(bm.a10(_ctx(), broken="code_length"))}
    assert broken["A10"] is False and not all(broken.values())


def test_readme_quick_start():
    readme = Path(__file__).resolve().parents[1] / "README.md"
    code = re.search(r"```python\n(.*?)```", readme.read_text(), re.S).group(1)
    exec(compile(code, "README", "exec"), {})
