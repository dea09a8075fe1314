import numpy as np
import pytest

from mpiis.cmaxent import (
    Boundary,
    CMaxEntClassifier,
    boundary_angle,
    boundary_distance,
    decision_boundary,
)
from mpiis.cmaxent._geometry import one_minus_cos


def test_boundary_of_model(p1_table):
    est = CMaxEntClassifier("causal").fit_moments(p1_table)
    b = decision_boundary(est)
    assert np.linalg.norm(b.normal) == pytest.approx(1.0)
    x = -b.offset * b.normal  # a point on the boundary
    assert est.decision_function(x[None])[0] == pytest.approx(0.0, abs=1e-12)


def test_small_angles_are_resolved():
    u = np.array([1.0, 0.0])
    v = np.array([1.0, 1e-12])
    assert boundary_angle(u, v) == pytest.approx(1e-12, rel=1e-6)
    u3, v3 = np.array([1.0, 0.0, 0.0]), np.array([1.0, 1e-12, 0.0])
    assert boundary_angle(u3, v3) == pytest.approx(1e-12, rel=1e-6)
    assert one_minus_cos(u3, v3) == pytest.approx(5e-25, rel=1e-6)
    assert boundary_angle(u, -u) == pytest.approx(np.pi)


def test_distance():
    a = Boundary(np.array([1.0, 0.0]), 0.5)
    b = Boundary(np.array([1.0, 0.0]), -0.25)
    assert boundary_distance(a, b) == pytest.approx(0.75)
    with pytest.raises(ValueError, match="parallel"):
        boundary_distance(a, Boundary(np.array([0.0, 1.0]), 0.0))


def test_validation():
    with pytest.raises(TypeError, match="`model`"):
        decision_boundary(object())
    with pytest.raises(ValueError, match="same dimension"):
        boundary_angle(np.ones(2), np.ones(3))
