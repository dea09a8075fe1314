import pytest

from mpiis.cmaxent import benchmark
from mpiis.shared.bench import ClaimResult


@pytest.mark.slow
def test_smoke_run(tmp_path):
    res = benchmark.run("smoke", seed=0, out_dir=tmp_path)
    assert all(isinstance(r, ClaimResult) for r in res)
    ids = [r.id for r in res]
    assert set(ids) <= set(benchmark.CLAIMS)
    assert {"G1", "G2", "G3", "G4", "G5", "G6", "G6-nan"} <= set(ids)
    assert all(r.gate for r in res if r.id.startswith("G"))
    assert (tmp_path / "boundaries_full.png").exists()


def test_bad_preset():
    with pytest.raises(ValueError, match="`preset`"):
        benchmark.run("huge")
