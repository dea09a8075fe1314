import json
from pathlib import Path

import numpy as np
import pytest

from mpiis.shared import testing
from mpiis.shared.validation import check_array


class RidgeClassifier:
    """A tiny example estimator that follows the conventions."""

    def __init__(self, alpha: float = 1.0):
        self.alpha = alpha

    def fit(self, X, y):
        X = check_array(X, "X", ndim=2)
        y = check_array(y, "y", ndim=1)
        Xb = np.hstack([X, np.ones((len(X), 1))])
        self.coef_ = np.linalg.solve(Xb.T @ Xb + self.alpha * np.eye(Xb.shape[1]), Xb.T @ y)
        return self

    def decision_function(self, X):
        X = check_array(X, "X", ndim=2)
        if X.shape[1] != len(self.coef_) - 1:
            raise ValueError(f"`X` must have {len(self.coef_) - 1} features, got {X.shape[1]}")
        return X @ self.coef_[:-1] + self.coef_[-1]

    def predict(self, X):
        return (self.decision_function(X) > 0.5).astype(int)

    def save(self, path):
        Path(path).write_text(json.dumps({"alpha": self.alpha, "coef": self.coef_.tolist()}))

    @classmethod
    def load(cls, path):
        d = json.loads(Path(path).read_text())
        m = cls(d["alpha"])
        m.coef_ = np.asarray(d["coef"])
        return m


class AcceptsNaN(RidgeClassifier):
    def decision_function(self, X):
        X = np.asarray(X, dtype=float)
        return X @ self.coef_[:-1] + self.coef_[-1]


class LossySave(RidgeClassifier):
    def save(self, path):
        Path(path).write_text(json.dumps({"alpha": self.alpha,
                                          "coef": np.round(self.coef_, 2).tolist()}))


@pytest.fixture
def xy():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    return X, (X[:, 0] > 0).astype(float)


def test_check_estimator_passes_on_a_good_estimator(xy, tmp_path):
    X, y = xy
    testing.check_estimator(RidgeClassifier, X, y, tmp_path=tmp_path,
                            methods=("predict", "decision_function"))


def test_check_estimator_catches_nan_acceptance(xy, tmp_path):
    X, y = xy
    with pytest.raises(AssertionError, match="expected ValueError"):
        testing.check_estimator(AcceptsNaN, X, y, tmp_path=tmp_path,
                                methods=("decision_function",))


def test_check_save_load_catches_lossy_save(xy, tmp_path):
    X, y = xy
    m = LossySave().fit(X, y)
    with pytest.raises(AssertionError, match="after save/load"):
        testing.check_save_load(m, lambda e: e.decision_function(X), tmp_path / "m.json")


def test_check_refuses_nonfinite_checks_the_message(xy):
    X, y = xy
    m = RidgeClassifier().fit(X, y)
    testing.check_refuses_nonfinite(m.predict, X, match="`X`")
    with pytest.raises(AssertionError, match="does not match"):
        testing.check_refuses_nonfinite(m.predict, X, match="`images`")


def test_check_refuses_bad_input(xy):
    X, y = xy
    m = RidgeClassifier().fit(X, y)
    testing.check_refuses_bad_input(m.predict, {"1-D": X[:, 0], "wide": np.ones((2, 5))})
    with pytest.raises(AssertionError, match="call succeeded"):
        testing.check_refuses_bad_input(m.predict, [X])


def test_check_deterministic():
    testing.check_deterministic(lambda s: np.random.default_rng(s).normal(size=3))
    with pytest.raises(AssertionError, match="gave the same output"):
        testing.check_deterministic(lambda s: np.zeros(3))
    testing.check_deterministic(lambda s: np.zeros(3), must_differ=False)
    calls = iter(range(100))
    with pytest.raises(AssertionError):
        testing.check_deterministic(lambda s: np.full(2, float(next(calls))))


def test_assert_same_output_recurses():
    testing.assert_same_output({"a": (np.ones(2), 3)}, {"a": (np.ones(2), 3)})
    with pytest.raises(AssertionError):
        testing.assert_same_output({"a": (np.ones(2), 3)}, {"a": (np.ones(2), 4)})
    with pytest.raises(AssertionError, match="shapes differ"):
        testing.assert_same_output(np.ones(2), np.ones(3))


def test_torch_and_jax_inputs_are_handled():
    torch = pytest.importorskip("torch")
    x = torch.ones(2, 3)

    def refuse(t):
        if not torch.isfinite(t).all():
            raise ValueError("`x` must be finite")
        return t

    testing.check_refuses_nonfinite(refuse, x, match="`x`")
    assert torch.isfinite(x).all()  # the input is not modified
    testing.assert_same_output(x, np.ones((2, 3), np.float32))
