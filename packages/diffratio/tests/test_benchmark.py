import math

from mpiis.diffratio import benchmark
from mpiis.shared.bench import ClaimResult


def test_smoke_run(tmp_path):
    results = benchmark.run("smoke", seed=0, out_dir=tmp_path)
    assert all(isinstance(r, ClaimResult) for r in results)
    ids = {r.id for r in results}
    for claim in ("A1", "A2", "B1", "P1", "P2", "P3", "A4", "B2", "C1", "C2", "C3", "V1"):
        assert claim in ids
    assert ids - {"A1.modes", "A5.modes"} <= set(benchmark.CLAIMS)
    assert all(r.details.get("evaluated") is False for r in results)
    p2 = next(r for r in results if r.id == "P2")
    assert 0.5 < p2.value < 0.8
    assert all(r.value is None or not math.isnan(r.value) for r in results)
    assert (tmp_path / "ring_samples.png").is_file()
    assert (tmp_path / "digits_samples.png").is_file()


def test_bad_preset():
    import pytest

    with pytest.raises(ValueError, match="preset"):
        benchmark.run("huge")
