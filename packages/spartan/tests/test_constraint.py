import math

import pytest

from mpiis.spartan import GECOLagrangian


def test_geco_direction_and_bounds():
    g = GECOLagrangian(tau=1.0)
    assert g.lam == pytest.approx(100.0) and g.weight == pytest.approx(0.01)
    for _ in range(200):
        g.update(2.0)  # above tau: lambda grows, the sparsity weight shrinks
    assert g.lam > 100.0
    hi = g.lam
    for _ in range(2000):
        g.update(0.5)  # below tau: lambda shrinks
    assert g.lam < hi
    for _ in range(20000):
        g.update(0.0)
    assert g.lam == pytest.approx(1.0)  # clipped at lambda_min
    g2 = GECOLagrangian(tau=1.0, lambda_max=200.0)
    for _ in range(50000):
        g2.update(1e3)
    assert g2.lam == pytest.approx(200.0)


def test_geco_first_step_value():
    g = GECOLagrangian(tau=2.0, alpha=0.5, momentum=0.9, lambda_init=10.0)
    g.update(4.0)  # c = 1, m = 0.1, log lambda += 0.05
    assert g.lam == pytest.approx(10.0 * math.exp(0.05))


def test_geco_state_dict_round_trip():
    g = GECOLagrangian(tau=0.5)
    for v in (0.7, 0.2, 0.9):
        g.update(v)
    h = GECOLagrangian(tau=1.0)
    h.load_state_dict(g.state_dict())
    assert h.update(0.3) == g.update(0.3)


@pytest.mark.parametrize(("kw", "match"), [
    ({"tau": 0.0}, "tau"), ({"tau": 1.0, "alpha": 0.0}, "alpha"),
    ({"tau": 1.0, "lambda_min": 200.0}, "lambda_min"),
    ({"tau": 1.0, "lambda_max": 10.0}, "lambda_init"),
    ({"tau": float("nan")}, "tau"),
])
def test_geco_validation(kw, match):
    with pytest.raises(ValueError, match=match):
        GECOLagrangian(**kw)


def test_geco_refuses_nonfinite_update():
    with pytest.raises(ValueError, match="constraint_value"):
        GECOLagrangian(tau=1.0).update(float("inf"))


def test_geco_speedup_relaxes_only_the_met_side():
    slow, fast = GECOLagrangian(tau=1.0), GECOLagrangian(tau=1.0, speedup=10.0)
    for _ in range(100):  # above tau: the same step, speedup or not
        slow.update(2.0)
        fast.update(2.0)
    assert fast.lam == pytest.approx(slow.lam)
    a, b = GECOLagrangian(tau=1.0), GECOLagrangian(tau=1.0, speedup=10.0)
    a.update(0.5)  # c = -0.5, m = -0.005: log lambda -= alpha m (x speedup)
    b.update(0.5)
    assert math.log(100.0 / a.lam) == pytest.approx(0.01 * 0.005)
    assert math.log(100.0 / b.lam) == pytest.approx(10 * 0.01 * 0.005)
    with pytest.raises(ValueError, match="speedup"):
        GECOLagrangian(tau=1.0, speedup=0.5)


def test_geco_observe_moves_the_average_not_lambda():
    g = GECOLagrangian(tau=1.0)
    assert g.observe(3.0) == pytest.approx(0.02) and g.lam == pytest.approx(100.0)
    h = GECOLagrangian(tau=1.0, speedup=3.0)
    h.observe(0.2)
    h2 = GECOLagrangian(tau=1.0)
    h2.load_state_dict(h.state_dict())
    assert h2.speedup == 3.0 and h2.m == h.m
