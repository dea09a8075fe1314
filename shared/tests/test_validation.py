import numpy as np
import pytest

from mpiis.shared.validation import (
    check_array,
    check_choice,
    check_fraction,
    check_int,
    check_positive,
)


def test_check_array_casts_ints_and_keeps_float32():
    assert check_array([[1, 2]], "x").dtype == np.float64
    assert check_array(np.zeros(3, np.float32), "x").dtype == np.float32


@pytest.mark.parametrize(
    ("value", "kwargs", "err", "match"),
    [
        (None, {}, TypeError, "`x` must be an array, got None"),
        (np.array(["a"]), {}, TypeError, "`x` must be a real numeric array"),
        (np.zeros(3), {"ndim": 2}, ValueError, "`x` must have 2 dimensions"),
        (np.zeros((2, 3)), {"shape": (None, 4)}, ValueError, r"shape \(\*, 4\), got \(2, 3\)"),
        (np.zeros((1, 3)), {"min_rows": 2}, ValueError, "at least 2 rows, got 1"),
        (np.array([1.0, np.nan]), {}, ValueError, "`x` must be finite, got 1 NaN"),
        (np.array([np.inf]), {}, ValueError, "`x` must be finite"),
        (np.zeros(2), {"dtype": "weird"}, ValueError, "`dtype` must be"),
        ([[1, 2], [3]], {}, TypeError, "convertible"),
    ],
)
def test_check_array_errors(value, kwargs, err, match):
    with pytest.raises(err, match=match):
        check_array(value, "x", **kwargs)


def test_check_array_finite_off_allows_nan():
    assert np.isnan(check_array([np.nan], "x", finite=False)).all()


def test_scalar_checks():
    assert check_int(3, "n", minimum=1) == 3
    with pytest.raises(TypeError, match="`n` must be an int"):
        check_int(True, "n")
    with pytest.raises(TypeError, match="`n` must be an int"):
        check_int(2.0, "n")
    with pytest.raises(ValueError, match="`n` must be >= 1, got 0"):
        check_int(0, "n", minimum=1)
    with pytest.raises(ValueError, match="`n` must be <= 5, got 6"):
        check_int(6, "n", maximum=5)
    assert check_positive(0, "lr", strict=False) == 0.0
    with pytest.raises(ValueError, match="`lr` must be > 0"):
        check_positive(0, "lr")
    with pytest.raises(ValueError, match="`lr` must be > 0"):
        check_positive(float("nan"), "lr")
    with pytest.raises(TypeError, match="`lr` must be a real number"):
        check_positive("1", "lr")
    assert check_fraction(1, "p") == 1.0
    with pytest.raises(ValueError, match=r"`p` must lie in \(0, 1\]"):
        check_fraction(0.0, "p", low_open=True)
    with pytest.raises(ValueError, match=r"`p` must lie in \[0, 1\)"):
        check_fraction(1.0, "p", high_open=True)
    with pytest.raises(TypeError, match="`p` must be a real number"):
        check_fraction(None, "p")
    assert check_choice("a", "mode", ("a", "b")) == "a"
    with pytest.raises(ValueError, match=r"`mode` must be one of \('a', 'b'\), got 'c'"):
        check_choice("c", "mode", ("a", "b"))
