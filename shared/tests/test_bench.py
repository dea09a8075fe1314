import json

import pytest

from mpiis.shared import bench
from mpiis.shared.bench import ClaimResult


def test_measure_computes_passed_mean_and_spread():
    r = ClaimResult.measure(id="G", claim="c", metric="m", value=[1.0, 3.0], threshold=2.5,
                            comparator="<=", gate=True)
    assert r.value == 2.0 and r.spread == pytest.approx(2**0.5) and r.passed is True
    assert r.details["per_seed"] == [1.0, 3.0] and r.kind == "GATE"
    assert ClaimResult.measure(id="G", claim="c", metric="m", value=3.0, threshold=2.5,
                               comparator="<=", gate=True).passed is False
    assert ClaimResult.measure(id="G", claim="c", metric="m", value=0.5, threshold=(0, 1),
                               comparator="in").passed is True
    assert ClaimResult.measure(id="G", claim="c", metric="m", value=float("nan"), threshold=1,
                               comparator=">=", gate=True).passed is False
    assert ClaimResult.measure(id="R", claim="c", metric="m", value=1.0).passed is None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"comparator": "~"}, "`comparator` must be one of"),
        ({"comparator": "in", "threshold": 3}, "a \\(low, high\\) pair"),
        ({"gate": True}, "needs a comparator"),
        ({"id": ""}, "`id` must be a non-empty"),
    ],
)
def test_claim_result_validation(kwargs, match):
    base = {"id": "X", "claim": "c", "metric": "m", "value": 1.0}
    with pytest.raises(ValueError, match=match):
        ClaimResult(**{**base, **kwargs})
    with pytest.raises(ValueError, match="empty sequence"):
        ClaimResult.measure(id="X", claim="c", metric="m", value=[])


def test_check_preset():
    assert bench.check_preset("quick") == "quick"
    with pytest.raises(ValueError, match="`preset` must be one of"):
        bench.check_preset("huge")


def test_runner_writes_json_markdown_and_figures(registry, tmp_path, capsys):
    code = bench.main(["example", "--preset", "smoke", "--out", str(tmp_path)])
    assert code == 0
    out = capsys.readouterr()
    assert "example" in out.out and "E1" in out.out and "pass" in out.out
    assert "[1/1] example (smoke)" in out.err
    record = json.loads((tmp_path / "example.json").read_text())
    assert record["package"] == "example" and record["preset"] == "smoke"
    assert record["passed"] is True and record["seed"] == 0
    assert {"cpu", "threads", "thread_settings", "gpu", "versions"} <= record["machine"].keys()
    e1, e2 = record["claims"]
    assert e1["id"] == "E1" and e1["kind"] == "GATE" and e1["passed"] is True
    assert e1["threshold"] == 1e-9 and e1["comparator"] == "<=" and e1["baseline"] == 0.0
    assert e2["kind"] == "REPORTED" and e2["spread"] == pytest.approx(1.0)
    md = (tmp_path / "example.md").read_text()
    assert "| E1 | GATE |" in md and "<= 1e-09" in md
    assert (tmp_path / "example_figure.txt").exists()


def test_failing_gate_exits_1(registry, capsys):
    assert bench.main(["example", "--seed", "13", "--preset", "smoke"]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_crashing_suite_exits_1_and_reports(registry, broken_suite, tmp_path, capsys):
    registry["broken"] = broken_suite
    assert bench.main(["broken", "--preset", "smoke", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "crashed on purpose" in err
    record = json.loads((tmp_path / "broken.json").read_text())
    assert record["passed"] is False and "crashed on purpose" in record["error"]


def test_suite_returning_wrong_type_is_an_error(registry):
    registry["wrong"] = lambda preset, *, seed, out_dir=None: [1.0]
    rep = bench.run_suite("wrong", registry["wrong"], "smoke")
    assert not rep.passed and "expected ClaimResult" in rep.error


def test_unknown_package_exits_2_and_lists_known(registry, capsys):
    assert bench.main(["nosuch"]) == 2
    err = capsys.readouterr().err
    assert "unknown package(s) nosuch" in err and "known: example" in err


def test_bad_arguments_exit_2(registry, capsys):
    assert bench.main(["example", "--preset", "huge"]) == 2
    assert bench.main(["--seed", "x"]) == 2


def test_list_shows_claim_ids_and_sentences(registry, capsys):
    assert bench.main(["--list"]) == 0
    out = capsys.readouterr().out
    assert "example:" in out and "E1" in out and "the mean of 1..n is (n + 1) / 2" in out


def test_default_runs_every_suite_at_quick(registry, example_suite, capsys):
    registry["second"] = example_suite
    assert bench.main([]) == 0
    err = capsys.readouterr().err
    assert "[1/2] example (quick)" in err and "[2/2] second (quick)" in err


def test_machine_info_fields():
    m = bench.machine_info()
    assert m["threads"] >= 1 and isinstance(m["cpu"], str)


def test_machine_info_records_thread_caps(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert bench.machine_info()["thread_settings"]["OMP_NUM_THREADS"] == "1"


def test_seed_gate_keeps_a_gate_only_on_seeds_that_agree():
    """DESIGN.md: a noisy GATE needs >= 3 seeds on one side of its threshold."""
    assert bench.seed_gate([0.05, 0.03, 0.04], 0.02, ">=")[0]
    assert bench.seed_gate([0.0, 0.01, -0.02], 0.02, ">=")[0]  # all fail: still a GATE
    gate, why = bench.seed_gate([0.046, -0.031, -0.043], 0.02, ">=")
    assert not gate and "straddle" in why and "1 of 3" in why
    assert not bench.seed_gate([0.05, 0.05], 0.02, ">=")[0]  # two seeds: REPORTED
    assert bench.seed_gate([0.05], 0.02, ">=", min_seeds=1)[0]
    assert not bench.seed_gate([0.77, 0.91, 1.38], 1.2, "<=")[0]
    assert not bench.seed_gate([float("nan")] * 3 + [0.1], 0.5, "<=")[0]  # NaN never passes


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"per_seed": [], "threshold": 1.0, "comparator": "<="}, "per_seed"),
    ({"per_seed": [1.0], "threshold": None, "comparator": "report"}, "comparator"),
    ({"per_seed": [1.0], "threshold": 1.0, "comparator": "<=", "min_seeds": 0}, "min_seeds"),
])
def test_seed_gate_refuses_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        bench.seed_gate(**kwargs)
