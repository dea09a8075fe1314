"""`mpiis-bench` as an installed console script sees every paper package."""

import subprocess
import sys
from pathlib import Path

from workspace_helpers import members


def _script() -> str:
    return str(Path(sys.executable).parent / "mpiis-bench")


def test_list_names_every_package_and_its_claims():
    out = subprocess.run([_script(), "--list"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    listed: dict[str, list[str]] = {}
    for line in out.stdout.splitlines():
        if line and not line.startswith(" "):
            current = line.split(":", 1)[0]
            listed[current] = []
            assert "(claims not declared)" not in line, f"{current} declares no claims"
        elif line.strip():
            listed[current].append(line.split()[0])
    papers = {m.name for m in members() if m.name != "shared"}
    assert set(listed) == papers
    for name, ids in listed.items():
        assert ids, f"{name} lists no claim"


def test_unknown_package_exits_2():
    out = subprocess.run([_script(), "no-such-package"], capture_output=True, text=True)
    assert out.returncode == 2
    assert "known:" in out.stderr


def test_bad_preset_exits_2():
    out = subprocess.run([_script(), "--preset", "enormous"], capture_output=True, text=True)
    assert out.returncode == 2
