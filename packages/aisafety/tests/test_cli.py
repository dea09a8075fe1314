from __future__ import annotations

from mpiis.aisafety._cli import main


def test_taxonomy_show_and_diff(capsys):
    assert main(["taxonomy", "show"]) == 0
    out = capsys.readouterr().out
    assert "35 nodes" in out and "iasr.malicious_use.cyber_offence" in out
    assert main(["taxonomy", "diff", "iasr-2024-interim", "iasr-2025"]) == 0
    out = capsys.readouterr().out
    assert "+ iasr.open_weights" in out and "- iasr.cross_cutting" in out


def test_claims_and_validate(capsys):
    assert main(["claims", "list", "--reproducible"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [ln.split()[0] for ln in lines] == ["C1", "C2", "C3", "C6", "C7"]
    assert main(["validate"]) == 0
    assert "all valid" in capsys.readouterr().out


def test_trends_reproduce(capsys, epoch_csv):
    assert main(["trends", "reproduce"]) == 0
    out = capsys.readouterr().out
    assert "C1: 4.42" in out and "C3: no data" in out
    assert main(["trends", "reproduce", "--data", str(epoch_csv)]) == 0
    assert "C6:" in capsys.readouterr().out


def test_coverage_command(capsys, lm_eval_files, inspect_json_log):
    assert main(["coverage", *map(str, lm_eval_files), str(inspect_json_log)]) == 0
    out = capsys.readouterr().out
    assert "Unmapped tasks: my_custom_task." in out


def test_bad_input_exit_codes(capsys, tmp_path):
    assert main(["taxonomy", "show", "--edition", "nope"]) == 2
    assert "edition" in capsys.readouterr().err
    assert main(["coverage", str(tmp_path / "missing_results.json")]) == 2
    assert main(["frobnicate"]) == 2
