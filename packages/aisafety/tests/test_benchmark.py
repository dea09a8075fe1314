from __future__ import annotations

import pytest

from mpiis.aisafety import benchmark
from mpiis.shared.bench import ClaimResult


def test_smoke_run(tmp_path):
    res = benchmark.run("smoke", seed=0, out_dir=tmp_path)
    assert res and all(isinstance(r, ClaimResult) for r in res)
    ids = [r.id for r in res]
    assert {"T1", "T1-ci", "D1", "S1-err", "S1-boot", "S1-analytic", "E1"} <= set(ids)
    assert set(ids) <= set(benchmark.CLAIMS)
    gates = {r.id: r for r in res if r.gate}
    # deterministic facts pass at any budget
    for cid in ("T1", "T1-ci", "D1", "E1"):
        assert gates[cid].passed, gates[cid]
    assert gates["T1"].value == pytest.approx(4.418, abs=1e-3)
    assert (tmp_path / "trend_compute.png").exists()


def test_full_without_epoch_data_skips_r_claims(monkeypatch):
    monkeypatch.delenv("MPIIS_AISAFETY_EPOCH_CSV", raising=False)
    skipped = [benchmark._skipped(cid, p) for cid, p in benchmark._R_PAPER.items()]
    assert all(r.value is None and r.passed is None and not r.gate for r in skipped)
    assert skipped[0].details["status"] == "skipped: no data"


def test_epoch_claims_run_on_an_epoch_schema_table(tmp_path, make_epoch_rows, write_epoch):
    import numpy as np

    csv = write_epoch(tmp_path / "e.csv", make_epoch_rows(160, seed=2))
    res = benchmark._epoch_claims(csv, np.random.default_rng(0), 200, None)
    assert [r.id for r in res] == [f"R{i}" for i in range(1, 9)]
    assert all(not r.gate for r in res)


def test_bad_preset():
    with pytest.raises(ValueError, match="preset"):
        benchmark.run("huge")
