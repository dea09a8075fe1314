from __future__ import annotations

import pytest

from mpiis.aisafety import load_claims, load_taxonomy


def test_claims_c1_to_c10():
    cs = load_claims()
    assert [c.id for c in cs] == [f"C{i}" for i in range(1, 11)]
    c1 = cs.get("C1")
    assert (c1.value, c1.unit, c1.approx, c1.verification) == (4.0, "x_per_year", True,
                                                               "secondary")
    assert cs.get("C2").value == (100.0, 10000.0)
    assert cs.get("C6").risk_nodes == ("iasr.capabilities.coming_years",
                                       "iasr.systemic.environment")
    assert not cs.validate(load_taxonomy())
    with pytest.raises(KeyError, match="available"):
        cs.get("C11")


def test_query():
    cs = load_claims()
    assert {c.id for c in cs.query(reproducible=True)} == {"C1", "C2", "C3", "C6", "C7"}
    assert {c.id for c in cs.query(section="2.3")} == {"C9", "C10"}
    assert [c.id for c in cs.query(verification="secondary")] == ["C1"]
    assert [c.id for c in cs.query(quantity="training_cost_growth")] == ["C7"]
    assert len(cs.to_frame()) == 10
    with pytest.raises(ValueError, match="verification"):
        cs.query(verification="maybe")
    with pytest.raises(ValueError, match="edition"):
        load_claims("iasr-2030")


def test_reported_intervals():
    cs = load_claims()
    # "about 2.4x per year": an approximate figure, widened by +/-15% like the others
    assert cs.get("C7").approx
    assert cs.get("C7").reported_interval() == [(pytest.approx(2.4 / 1.15),
                                                 pytest.approx(2.4 * 1.15))]
    assert cs.get("C3").reported_interval() == [(2.5, 3.0)]
    lo, hi = cs.get("C1").reported_interval()[0]
    assert (lo, hi) == (pytest.approx(4 / 1.15), pytest.approx(4.6))
    assert cs.get("C10").reported_interval() == []
