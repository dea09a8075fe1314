import re
from pathlib import Path

import pytest

from mpiis.algocausal.benchmark import CLAIMS, run
from mpiis.shared.bench import ClaimResult


@pytest.mark.slow
def test_smoke_run(tmp_path):
    results = run("smoke", seed=0, out_dir=tmp_path)
    assert all(isinstance(r, ClaimResult) for r in results)
    ids = [r.id for r in results]
    assert set(ids) <= set(CLAIMS) and {"A1", "A3", "A5.n100", "A10", "A11"} <= set(ids)
    gates = {r.id: r for r in results if r.gate}
    # exact identities hold at any size
    assert gates["A1"].passed and gates["A2"].passed and gates["A10"].passed
    assert (tmp_path / "official_replica_violin.png").exists()


def test_readme_quick_start():
    readme = Path(__file__).resolve().parents[1] / "README.md"
    code = re.search(r"```python\n(.*?)```", readme.read_text(), re.S).group(1)
    exec(compile(code, "README", "exec"), {})
