"""Each member installs alone without the other framework (DESIGN.md, dependency rules)."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from workspace_helpers import ROOT, member_ids, members, pyproject

# Which frameworks a member may pull: JAX packages never pull torch and vice versa.
FRAMEWORKS = {"torch", "jax", "jaxlib"}


def _uv() -> list[str]:
    exe = shutil.which("uv")
    return [exe] if exe else [sys.executable, "-m", "uv"]


def _declared_framework(member: Path) -> set[str]:
    deps = pyproject(member)["project"].get("dependencies", [])
    names = {re.split(r"[<>=\[ ;~!]", d, maxsplit=1)[0] for d in deps}
    return names & {"torch", "jax"}


def _export(member: Path) -> set[str]:
    name = pyproject(member)["project"]["name"]
    out = subprocess.run(
        [*_uv(), "export", "--package", name, "--no-dev", "--frozen", "--no-hashes",
         "--no-emit-workspace", "--no-header"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout
    return {line.split("==")[0].strip() for line in out.splitlines() if "==" in line}


def _allowed(member: Path) -> set[str]:
    declared = _declared_framework(member)
    if declared == {"jax"}:
        return {"jax", "jaxlib"}
    return declared


@pytest.mark.parametrize("member", members(), ids=member_ids())
def test_locked_closure_has_only_its_framework(member):
    declared = _declared_framework(member)
    assert declared != {"torch", "jax"}, f"{member.name} depends on both torch and jax"
    pulled = _export(member) & FRAMEWORKS
    assert pulled <= _allowed(member), f"{member.name} pulls {sorted(pulled - _allowed(member))}"


@pytest.mark.slow
@pytest.mark.parametrize("member", members(), ids=member_ids())
def test_member_installs_alone(member, tmp_path):
    """`uv sync --exact --package` into a fresh environment, then import it there."""
    name = pyproject(member)["project"]["name"]
    module = "mpiis." + ("shared" if member.name == "shared" else member.name)
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(tmp_path / "venv")}
    env.pop("VIRTUAL_ENV", None)
    subprocess.run(
        [*_uv(), "sync", "--exact", "--package", name, "--no-dev", "--frozen", "--quiet"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )
    python = tmp_path / "venv" / "bin" / "python"
    probe = (
        "import importlib, importlib.util, json;"
        f"importlib.import_module({module!r});"
        "print(json.dumps([m for m in ('torch', 'jax', 'jaxlib')"
        " if importlib.util.find_spec(m) is not None]))"
    )
    out = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=True)
    present = set(json.loads(out.stdout.strip()))
    assert present <= _allowed(member), f"{name} alone brings {sorted(present - _allowed(member))}"
