"""The GitHub workflows pass actionlint and zizmor (offline), and .ci/run fails on no tests."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from workspace_helpers import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def _tool(name: str) -> str:
    exe = Path(sys.executable).parent / name
    if exe.exists():
        return str(exe)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed (it is in the dev group)")
    return found


def test_there_are_ci_and_release_workflows():
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "release.yml"}


def test_actionlint_reports_nothing():
    out = subprocess.run([_tool("actionlint"), *map(str, WORKFLOWS)], capture_output=True,
                         text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr


def test_zizmor_offline_reports_nothing():
    out = subprocess.run([_tool("zizmor"), "--offline", "--no-progress",
                          str(ROOT / ".github" / "workflows")],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "No findings" in out.stdout + out.stderr


def test_ci_run_fails_when_no_test_is_collected():
    text = (ROOT / ".ci" / "run").read_text()
    block = text[text.index('if [ "$status" -eq 5 ]'):]
    assert "exit 1" in block.split("fi", 1)[0]


def test_every_action_is_pinned_to_a_commit():
    for wf in WORKFLOWS:
        for line in wf.read_text().splitlines():
            if "uses:" in line:
                ref = line.split("uses:", 1)[1].split("#")[0].strip()
                sha = ref.rsplit("@", 1)[1]
                assert len(sha) == 40 and all(c in "0123456789abcdef" for c in sha), line
