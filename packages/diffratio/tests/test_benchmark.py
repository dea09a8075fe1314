import math

from mpiis.diffratio import benchmark
from mpiis.shared.bench import ClaimResult


def test_smoke_run(tmp_path):
    results = benchmark.run("smoke", seed=0, out_dir=tmp_path)
    assert all(isinstance(r, ClaimResult) for r in results)
    ids = {r.id for r in results}
    for claim in ("A1", "A2", "B1", "P1", "P3", "A4", "B2", "C1", "C2", "C3", "V1"):
        assert claim in ids
    assert ids - {"A1.modes", "A5.modes"} <= set(benchmark.CLAIMS)
    assert not [r.id for r in results if r.error is not None]
    evaluated = [r for r in results if r.skipped is None]
    assert all(r.details.get("evaluated") is False for r in evaluated)
    # the one-step speed-up is a wall-clock ratio with a thin margin: REPORTED
    assert not next(r for r in results if r.id == "P1").gate
    assert all(r.value is None or not math.isnan(r.value) for r in results)
    assert (tmp_path / "ring_samples.png").is_file()
    assert (tmp_path / "digits_samples.png").is_file()


def test_bad_preset():
    import pytest

    with pytest.raises(ValueError, match="preset"):
        benchmark.run("huge")


def test_parameter_ratio_is_an_identity_of_the_architecture(ring_teacher):
    """The former P2 claim: one ratio network replaces the teacher copy and the fake score,
    so the parameters held are (G + R) / (G + T + F) = 2/3 whenever all four share the
    teacher's trunk. It holds by construction, so it is a unit test, not a claim."""
    from mpiis.diffratio import DensityRatioNet, init_student
    from mpiis.shared.torch import count_parameters

    g = count_parameters(init_student(ring_teacher, "teacher"))
    r = count_parameters(DensityRatioNet.from_teacher(ring_teacher))
    t = count_parameters(ring_teacher)
    ratio = (g + r) / (g + t + g)
    head = r - t  # the ratio network is the trunk plus a small head
    assert g == t and head >= 0
    assert ratio == (2 * t + head) / (3 * t)
