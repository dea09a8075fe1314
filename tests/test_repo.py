"""The README's commands, CI's entry point and lint hold together."""

import re
import shutil
import subprocess
import sys

from workspace_helpers import ROOT, members


def _readme_test_command() -> str:
    text = (ROOT / "README.md").read_text()
    m = re.search(r"<!-- test-command -->\s*```(?:bash|sh)?\n(.+?)\n```", text, re.S)
    assert m, "README.md must mark its test command with <!-- test-command -->"
    return m.group(1).strip()


def test_ci_runs_the_readme_test_command():
    cmd = _readme_test_command()
    assert cmd.startswith("uv run")
    ci = (ROOT / ".ci" / "run").read_text()
    # .ci/run calls uv through "${UV[@]}" (uv may be installed as a module there)
    assert f'"${{UV[@]}}" {cmd.removeprefix("uv ")}' in ci


def test_readme_lists_every_package_and_the_main_commands():
    text = (ROOT / "README.md").read_text()
    assert "uv run mpiis-bench" in text
    for m in members():
        if m.name != "shared":
            assert f"mpiis.{m.name}" in text and f"mpiis-{m.name}" in text


def test_ruff_is_clean():
    ruff = shutil.which("ruff") or str(ROOT / ".venv" / "bin" / "ruff")
    out = subprocess.run([ruff, "check", "--output-format", "concise", "."], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_no_global_seeding_in_library_code():
    """ruff bans the calls; this catches the attribute spellings ruff cannot see."""
    pattern = re.compile(r"\b(np\.random\.seed|torch\.manual_seed|random\.seed)\(")
    allowed = {ROOT / "shared" / "src" / "mpiis" / "shared" / "torch" / "__init__.py"}
    for m in members():
        for f in (m / "src").rglob("*.py"):
            if f in allowed or f.name == "benchmark.py":
                continue
            assert not pattern.search(f.read_text()), f"{f} seeds a global RNG"


def test_python_is_supported():
    assert sys.version_info >= (3, 11)


def test_readme_results_tables_match_the_recorded_full_runs():
    """Every row of a recorded run's table stands verbatim in the package README."""
    import json

    for m in members():
        if m.name == "shared":
            continue
        rec = ROOT / "benchmarks" / "results" / m.name
        record = json.loads((rec / f"{m.name}.json").read_text())
        assert record["preset"] == "full", f"{m.name}: the recorded run is not the full preset"
        readme = (m / "README.md").read_text()
        rows = [ln for ln in (rec / f"{m.name}.md").read_text().splitlines() if ln.startswith("| ")]
        missing = [r for r in rows if r not in readme]
        assert not missing, f"{m.name}: README lacks recorded rows, e.g. {missing[0][:80]}"


def test_recorded_runs_validate_against_the_shipped_schema():
    """Every JSON record under benchmarks/results/ validates against the schema of its format
    version (records made before the version field existed are format 1)."""
    import json

    import jsonschema

    from mpiis.shared.bench import load_schema, record_version

    records = sorted((ROOT / "benchmarks" / "results").glob("*/*.json"))
    assert records, "no recorded runs"
    for path in records:
        record = json.loads(path.read_text())
        jsonschema.validate(record, load_schema(record_version(record)))
        assert record["preset"] == "full" and not record["error"], path
