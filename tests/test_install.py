"""The README's install lines work today: wheels from a clone, one member in a fresh venv.

Runs the root README's "From a clone" lines for one JAX package and one torch package, then
tests/check_installed.py there (no foreign framework, no matplotlib, the smoke preset writes a
schema-versioned record with every claim and none raised).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from workspace_helpers import ROOT


def _uv() -> list[str]:
    exe = shutil.which("uv")
    return [exe] if exe else [sys.executable, "-m", "uv"]


# The README's lines, with the package name filled in (tests/test_repo.py checks they are there).
BUILD = "uv build --all-packages --out-dir dist"
VENV = "uv venv .venv-{name}"
INSTALL = "uv pip install --python .venv-{name} --find-links dist mpiis-{name}"


def test_readme_shows_the_install_lines():
    text = (ROOT / "README.md").read_text()
    for line in (BUILD, VENV.format(name="cmaxent"), INSTALL.format(name="cmaxent")):
        assert line in text, f"README.md lacks the install line {line!r}"


@pytest.fixture(scope="module")
def clone_with_dist(tmp_path_factory):
    """A copy of the repository (as a clone would have it) with every wheel built."""
    where = tmp_path_factory.mktemp("clone")
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.splitlines()
    for f in files:
        src = ROOT / f
        if src.is_file():
            dst = where / f
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    subprocess.run([*_uv(), *BUILD.split()[1:]], cwd=where, check=True, capture_output=True)
    return where


@pytest.mark.slow
@pytest.mark.parametrize("name", ["cmaxent", "pmae"])
def test_wheel_installs_alone_and_runs_its_smoke_preset(clone_with_dist, name, tmp_path):
    skip = ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")
    env = {k: v for k, v in os.environ.items() if k not in skip}
    for line in (VENV, INSTALL):
        cmd = line.format(name=name).split()
        subprocess.run([*_uv(), *cmd[1:]], cwd=clone_with_dist, env=env, check=True,
                       capture_output=True, text=True)
    python = clone_with_dist / f".venv-{name}" / "bin" / "python"
    out = subprocess.run([str(python), str(ROOT / "tests" / "check_installed.py"), name,
                          "--out", str(tmp_path / "smoke")], capture_output=True, text=True,
                         timeout=900, env={**env, "OMP_NUM_THREADS": "1"})
    assert out.returncode == 0, out.stdout + out.stderr
    assert Path(tmp_path / "smoke" / f"{name}.json").exists()
