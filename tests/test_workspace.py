"""The workspace is consistent: every member follows DESIGN.md's layout rules."""

import re
import tomllib
from pathlib import Path

import pytest
from workspace_helpers import ROOT, member_ids, members, pyproject

SPEC = re.compile(r"^[A-Za-z0-9_.\-]+(\[[A-Za-z0-9_,\-]+\])?\s*(>=|==|~=|<|>|<=)")


def _name(path: Path) -> str:
    return "shared" if path.name == "shared" else path.name


@pytest.mark.parametrize("member", members(), ids=member_ids())
def test_member_layout(member):
    name = _name(member)
    meta = pyproject(member)
    assert meta["project"]["name"] == f"mpiis-{name}"
    assert meta["build-system"]["build-backend"] == "uv_build"
    assert meta["tool"]["uv"]["build-backend"]["module-name"] == f"mpiis.{name}"
    assert meta["project"]["requires-python"] == ">=3.11"
    assert (member / "README.md").is_file()
    assert (member / "tests").is_dir() and not (member / "tests" / "__init__.py").exists()
    assert any((member / "tests").glob("test_*.py")), f"{name} has no test files"
    assert not (member / "src" / "mpiis" / "__init__.py").exists(), "mpiis is a namespace"
    assert (member / "src" / "mpiis" / name / "__init__.py").is_file()
    assert (member / "src" / "mpiis" / name / "py.typed").is_file()


@pytest.mark.parametrize("member", members(), ids=member_ids())
def test_dependencies_have_real_version_ranges(member):
    meta = pyproject(member)
    deps = list(meta["project"].get("dependencies", []))
    for extra in meta["project"].get("optional-dependencies", {}).values():
        deps += extra
    workspace = {f"mpiis-{_name(m)}" for m in members()}
    for dep in deps:
        base = re.split(r"[\[<>=~!; ]", dep, maxsplit=1)[0]
        if base in workspace:
            continue
        assert SPEC.match(dep), f"{member.name}: dependency {dep!r} has no version range"


@pytest.mark.parametrize(
    "member", [m for m in members() if m.name != "shared"], ids=member_ids(paper_only=True)
)
def test_paper_package_registers_its_benchmark(member):
    name = member.name
    eps = pyproject(member)["project"].get("entry-points", {}).get("mpiis.benchmarks", {})
    assert eps == {name: f"mpiis.{name}.benchmark:suite"}
    assert (member / "src" / "mpiis" / name / "benchmark.py").is_file()


@pytest.mark.parametrize(
    "member", [m for m in members() if m.name != "shared"], ids=member_ids(paper_only=True)
)
def test_every_suite_is_a_bench_v2_suite_with_gates(member):
    """Per-claim isolation needs a Suite; a suite with no GATE could never pass."""
    from mpiis.shared.bench import Suite, discover

    suite = discover()[member.name].load()
    assert isinstance(suite, Suite), f"{member.name}: the entry point is not a Suite"
    assert suite.claims and any(suite.gates.values()), f"{member.name} declares no GATE"


def test_root_is_the_meta_distribution_of_every_member():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert meta["project"]["name"] == "mpiis"
    names = {f"mpiis-{_name(m)}" for m in members()}
    assert set(meta["project"]["dependencies"]) == names
    assert set(meta["tool"]["uv"]["sources"]) == names
    assert meta["tool"]["uv"]["workspace"]["members"] == ["shared", "packages/*"]
    dev = " ".join(meta["dependency-groups"]["dev"])
    assert "torch" not in dev and "jax" not in dev, "the dev group holds tooling only"
    assert (ROOT / "uv.lock").is_file()


def test_shared_core_is_numpy_only():
    deps = pyproject(ROOT / "shared")["project"]["dependencies"]
    assert {re.split(r"[<>=\[ ]", d, maxsplit=1)[0] for d in deps} <= {"numpy", "tqdm"}
