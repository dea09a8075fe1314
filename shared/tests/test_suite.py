"""Suite v2: per-claim isolation, options, skips, figures, the JSON schema, the CLI help."""

import json
import sys
from pathlib import Path

import pytest

from mpiis.shared import bench
from mpiis.shared.bench import ClaimResult, Option, Suite


def _gate(cid, value, threshold=1.0):
    return ClaimResult.measure(id=cid, claim=f"claim {cid}", metric="m", value=value,
                               threshold=threshold, comparator="<=", gate=True)


def make_suite(*, raise_in=None, bad_figure=False):
    s = Suite("fake", options=[
        Option("n", type=int, default=3, help="a count", env="MPIIS_FAKE_N"),
        Option("csv", type=Path, default=None, help="a table"),
        Option("fast", type=bool, default=False, help="a flag"),
    ])
    calls = []

    @s.claim("A", "first claim", gate=True)
    def _a(ctx):
        calls.append("A")
        ctx.figure("a.txt", lambda p: p.write_text("a"))
        if bad_figure:
            ctx.figure("broken.png", lambda p: 1 / 0)
        return _gate("A", 0.5)

    @s.claim("B", "second claim, raises when asked", gate=True)
    def _b(ctx):
        calls.append("B")
        if raise_in == "B":
            raise RuntimeError("B broke on purpose")
        return [_gate("B.1", 0.1), _gate("B.2", 0.2)]

    @s.claim("C", "needs a table", gate=False)
    def _c(ctx):
        calls.append("C")
        if ctx.options["csv"] is None:
            ctx.skip("no --set csv=PATH given")
        return ClaimResult.measure(id="C", claim="c", metric="m", value=ctx.options["n"])

    @s.claim("D", "only at full", gate=True, presets=("full",))
    def _d(ctx):
        calls.append("D")
        return _gate("D", 0.0)

    s.calls = calls
    return s


def test_a_raising_claim_and_a_failing_figure_lose_nothing(tmp_path, monkeypatch):
    s = make_suite(raise_in="B", bad_figure=True)
    rep = bench.run_suite("fake", s, "smoke", out_dir=tmp_path)
    by_id = {r.id: r for r in rep.results}
    assert s.calls == ["A", "B", "C"]  # D is not run at smoke
    assert by_id["A"].status == "pass"
    assert by_id["B"].status == "error" and "B broke on purpose" in by_id["B"].error
    assert by_id["C"].status == "skipped" and "csv" in by_id["C"].skipped
    assert by_id["D"].status == "skipped" and "preset 'smoke'" in by_id["D"].skipped
    assert not rep.passed and "errored: B" in rep.verdict()
    assert any("broken.png failed: ZeroDivisionError" in n for n in rep.notes)
    record = json.loads((tmp_path / "fake.json").read_text())
    assert record["passed"] is False and record["counts"]["error"] == 1
    assert [c["id"] for c in record["claims"]] == ["A", "B", "C", "D"]
    md = (tmp_path / "fake.md").read_text()
    assert "B broke on purpose" in md and "broken.png failed" in md
    assert (tmp_path / "a.txt").read_text() == "a"


def test_cli_exit_1_when_a_claim_raises(registry, tmp_path, capsys):
    registry["fake"] = make_suite(raise_in="B")
    assert bench.main(["fake", "--preset", "smoke", "--out", str(tmp_path)]) == 1
    cap = capsys.readouterr()
    assert "B broke on purpose" not in cap.out  # the table shows the status, JSON the error
    assert "error" in cap.out and "[fake 2/4] B" in cap.err


def test_figures_without_matplotlib_are_noted(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    rep = bench.run_suite("fake", make_suite(), "smoke", out_dir=tmp_path)
    assert rep.passed
    assert any("matplotlib is not installed" in n for n in rep.notes)


def test_options_from_set_env_and_defaults(monkeypatch, tmp_path):
    s = make_suite()
    assert s.resolve_options({}, environ={}) == {"n": 3, "csv": None, "fast": False}
    assert s.resolve_options({}, environ={"MPIIS_FAKE_N": "7"})["n"] == 7
    got = s.resolve_options({"n": "5", "csv": "x.csv", "fast": "yes"},
                            environ={"MPIIS_FAKE_N": "7"})
    assert got == {"n": 5, "csv": Path("x.csv"), "fast": True}
    with pytest.raises(ValueError, match="has no option nope; its options: n, csv, fast"):
        s.resolve_options({"nope": "1"})
    with pytest.raises(ValueError, match="option `n` expects int, got 'x'"):
        s.resolve_options({"n": "x"})
    with pytest.raises(ValueError, match="expects a boolean"):
        s.resolve_options({"fast": "maybe"})


def test_cli_set_reaches_the_claim_and_bad_sets_exit_2(registry, tmp_path, capsys):
    registry["fake"] = make_suite()
    csv = tmp_path / "t.csv"
    csv.write_text("x\n")
    assert bench.main(["fake", "--preset", "smoke", "--set", f"csv={csv}", "--set", "n=9",
                       "--out", str(tmp_path)]) == 0
    record = json.loads((tmp_path / "fake.json").read_text())
    c = next(c for c in record["claims"] if c["id"] == "C")
    assert c["status"] == "reported" and c["value"] == 9
    assert record["options"]["csv"] == str(csv)
    assert bench.main(["fake", "--set", "n=x"]) == 2
    assert bench.main(["fake", "--set", "novalue"]) == 2
    assert bench.main(["fake", "--set", "other=1"]) == 2
    assert "no selected suite has the option(s) other" in capsys.readouterr().err


def test_help_lists_presets_exit_codes_and_suite_options(registry, capsys):
    registry["fake"] = make_suite()
    assert bench.main(["fake", "--help"]) == 0
    out = capsys.readouterr().out
    for text in ("presets:", "exit status:", "--set KEY=VALUE", "options of fake",
                 "n=<int>", "env MPIIS_FAKE_N", "csv=<Path>"):
        assert text in out


def test_list_marks_gates(registry, capsys):
    registry["fake"] = make_suite()
    assert bench.main(["fake", "--list"]) == 0
    out = capsys.readouterr().out
    assert "first claim" in out and "GATE" in out and "REPORTED" in out


def test_a_run_without_gate_is_not_a_pass(registry, capsys):
    s = Suite("nogate")

    @s.claim("R", "only reported", gate=False)
    def _r(ctx):
        return ClaimResult.measure(id="R", claim="r", metric="m", value=1.0)

    registry["nogate"] = s
    assert bench.main(["nogate", "--preset", "smoke"]) == 1
    assert "no GATE ran" in capsys.readouterr().err


def test_shared_steps_run_once_and_failures_propagate():
    s = Suite("memo")
    counter = {"n": 0}

    def expensive():
        counter["n"] += 1
        return 42

    def failing():
        counter["n"] += 100
        raise ValueError("cannot train")

    for cid in ("A", "B"):
        @s.claim(cid, cid, gate=True)
        def _f(ctx, cid=cid):
            return _gate(cid, ctx.shared("x", expensive) - 42)

    for cid in ("C", "D"):
        @s.claim(cid, cid, gate=True)
        def _g(ctx, cid=cid):
            return _gate(cid, ctx.shared("y", failing))

    run = s.execute("smoke")
    assert counter["n"] == 101
    st = {r.id: r.status for r in run.results}
    assert st == {"A": "pass", "B": "pass", "C": "error", "D": "error"}
    assert "cannot train" in run.results[3].error


def test_suite_declaration_errors():
    s = Suite("x")
    s.claim("A", "a", gate=True)(lambda ctx: None)
    with pytest.raises(ValueError, match="registered twice"):
        s.claim("A", "a", gate=True)
    with pytest.raises(ValueError, match="`preset` must be one of"):
        s.claim("B", "b", gate=True, presets=("huge",))
    with pytest.raises(ValueError, match="duplicate names"):
        Suite("y", options=[Option("a"), Option("a")])
    with pytest.raises(ValueError, match="must be an identifier"):
        Option("not valid")


def test_a_claim_returning_junk_is_an_error():
    s = Suite("junk")
    s.claim("A", "a", gate=True)(lambda ctx: 3.0)
    s.claim("B", "b", gate=True)(lambda ctx: [])
    errs = [r.error for r in s.execute("smoke").results]
    assert "returned float" in errs[0] and "returned nothing" in errs[1]


def test_records_validate_against_the_shipped_schema(tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    rep = bench.run_suite("fake", make_suite(raise_in="B"), "smoke", out_dir=tmp_path)
    record = json.loads((tmp_path / "fake.json").read_text())
    schema = bench.load_schema()
    jsonschema.validate(record, schema)
    assert record["schema_version"] == bench.SCHEMA_VERSION == 2
    broken = dict(record, schema_version=1)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)
    # a current record is not a valid first-format record, and vice versa
    assert bench.record_version(record) == 2 and bench.record_version({}) == 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(record, bench.load_schema(1))
    with pytest.raises(ValueError, match="`version` must be one of"):
        bench.load_schema(7)
    assert not rep.passed


def test_compare_speed_interleaves_and_reports_compile():
    import time

    state = {"first": True}

    def slow_first():
        if state["first"]:
            state["first"] = False
            time.sleep(0.05)
        time.sleep(0.002)

    def fast():
        return sum(range(50))

    sp = bench.compare_speed({"a": slow_first, "b": fast}, repeats=5, number=2)
    assert len(sp.times["a"]) == 5 and sp.number == 2
    assert sp.ratio("a", "b") > 5
    assert sp.compile_seconds("a") > 0.03
    d = sp.details()
    assert d["repetitions"] == 5 and "threads" in d
    with pytest.raises(ValueError, match="at least 5"):
        bench.compare_speed({"a": fast, "b": fast}, repeats=3)
    with pytest.raises(ValueError, match="at least 2 entries"):
        bench.compare_speed({"a": fast})


def test_torch_threads_are_pinned_during_the_run_and_recorded(tmp_path):
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    seen = []
    s = Suite("pinned", torch_threads=1)

    @s.claim("A", "a", gate=True)
    def _a(ctx):
        seen.append(torch.get_num_threads())
        return _gate("A", 0.0)

    rep = bench.run_suite("pinned", s, "smoke", out_dir=tmp_path)
    assert seen == [1] and torch.get_num_threads() == before
    record = json.loads((tmp_path / "pinned.json").read_text())
    assert record["machine"]["thread_settings"]["torch_threads_during_run"] == "1"
    assert rep.passed
    with pytest.raises(ValueError, match="`torch_threads` must be >= 1"):
        Suite("bad", torch_threads=0)
