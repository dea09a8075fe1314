"""Common checks that every package runs on its public estimators and models, in the spirit of
scikit-learn's estimator checks. Each check raises ``AssertionError`` with a message saying what
went wrong; call them from the package's tests.

Building blocks (any callable, any framework):

- :func:`check_refuses_nonfinite`: NaN and Inf input raise ``ValueError``.
- :func:`check_refuses_bad_input`: a wrong shape or dtype raises ``ValueError``/``TypeError``.
- :func:`check_save_load`: ``save(path)`` then ``load(path)`` predicts identically.
- :func:`check_deterministic`: the same seed/key/generator gives the same output.

And one bundle for scikit-learn-style estimators: :func:`check_estimator`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "assert_same_output",
    "check_deterministic",
    "check_estimator",
    "check_refuses_bad_input",
    "check_refuses_nonfinite",
    "check_save_load",
    "to_numpy",
]


def to_numpy(x: Any) -> Any:
    """Turn numpy/torch/jax arrays (nested in tuples, lists, dicts, dataclasses) into numpy."""
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # torch.Tensor
        return x.detach().cpu().numpy()
    if isinstance(x, Mapping):
        return {k: to_numpy(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return type(x)(to_numpy(v) for v in x) if isinstance(x, list) else tuple(
            to_numpy(v) for v in x
        )
    if hasattr(x, "__dataclass_fields__"):
        return {k: to_numpy(getattr(x, k)) for k in x.__dataclass_fields__}
    if hasattr(x, "__array__"):
        return np.asarray(x)
    return x


def assert_same_output(a: Any, b: Any, *, what: str = "output", rtol: float = 0.0,
                       atol: float = 0.0) -> None:
    """Assert two outputs are equal (exactly by default), recursing through containers."""
    a, b = to_numpy(a), to_numpy(b)
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), f"{what}: keys differ"
        for k in a:
            assert_same_output(a[k], b[k], what=f"{what}[{k!r}]", rtol=rtol, atol=atol)
        return
    if isinstance(a, list | tuple):
        assert isinstance(b, list | tuple) and len(a) == len(b), f"{what}: lengths differ"
        for i, (u, v) in enumerate(zip(a, b, strict=True)):
            assert_same_output(u, v, what=f"{what}[{i}]", rtol=rtol, atol=atol)
        return
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape, f"{what}: shapes differ, {a.shape} vs {b.shape}"
        if a.dtype.kind in "fc" or b.dtype.kind in "fc":
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=what)
        else:
            np.testing.assert_array_equal(a, b, err_msg=what)
        return
    if isinstance(a, float) or isinstance(b, float):
        assert np.isclose(a, b, rtol=rtol, atol=atol), f"{what}: {a} != {b}"
        return
    assert a == b, f"{what}: {a!r} != {b!r}"


def _expect_error(fn: Callable[[], Any], errors: tuple[type[BaseException], ...],
                  match: str | None, case: str) -> None:
    try:
        fn()
    except errors as exc:
        if match is not None and not re.search(match, str(exc)):
            raise AssertionError(
                f"{case}: raised {type(exc).__name__} but its message {str(exc)!r} does not "
                f"match {match!r}"
            ) from exc
        return
    except Exception as exc:
        names = "/".join(e.__name__ for e in errors)
        raise AssertionError(f"{case}: expected {names}, got {type(exc).__name__}: {exc}") from exc
    names = "/".join(e.__name__ for e in errors)
    raise AssertionError(f"{case}: expected {names}, but the call succeeded")


def _with_value(x: Any, value: float) -> Any:
    """A copy of ``x`` (numpy or torch or jax) with its first element set to ``value``."""
    if hasattr(x, "detach") and hasattr(x, "clone"):  # torch
        y = x.detach().clone()
        y.view(-1)[0] = value
        return y
    arr = np.array(to_numpy(x), dtype=np.float64 if np.asarray(to_numpy(x)).dtype.kind != "f"
                   else None, copy=True)
    arr.reshape(-1)[0] = value
    if type(x).__module__.startswith("jax"):
        import jax.numpy as jnp

        return jnp.asarray(arr)
    return arr


def check_refuses_nonfinite(fn: Callable[[Any], Any], x: Any, *, match: str | None = None,
                            what: str = "input") -> None:
    """``fn(x)`` with one NaN, then one +Inf, then one -Inf in ``x`` must raise ``ValueError``.

    Args:
        fn: the call to test, taking the array (e.g. ``lambda X: est.fit(X, y)``).
        x: a valid input; it is copied, never modified.
        match: a regex the error message must match (e.g. the argument's name).
        what: a label for messages.
    """
    for bad in (np.nan, np.inf, -np.inf):
        _expect_error(lambda b=bad: fn(_with_value(x, b)), (ValueError,), match,
                      f"{what} with a {bad!r} value")


def check_refuses_bad_input(fn: Callable[[Any], Any], bad_inputs: Mapping[str, Any] | Sequence[Any],
                            *, match: str | None = None) -> None:
    """Each bad input (wrong shape, rank, dtype, type) must raise ``ValueError`` or ``TypeError``.

    Args:
        fn: the call to test.
        bad_inputs: ``{description: input}`` or a list of inputs.
        match: a regex every message must match (e.g. the argument's name).
    """
    items = bad_inputs.items() if isinstance(bad_inputs, Mapping) else enumerate(bad_inputs)
    for desc, bad in items:
        _expect_error(lambda b=bad: fn(b), (ValueError, TypeError), match, f"bad input {desc}")


def check_save_load(model: Any, predict: Callable[[Any], Any], path: str | Path, *,
                    load: Callable[[Path], Any] | None = None) -> Any:
    """``model.save(path)``, load it back, and check that ``predict`` gives identical output.

    Args:
        model: a fitted model with a ``save(path)`` method.
        predict: ``predict(model) -> output`` (e.g. ``lambda m: m.predict_proba(X)``).
        path: where to save.
        load: how to load; defaults to ``type(model).load``.

    Returns:
        The loaded model.
    """
    path = Path(path)
    before = predict(model)
    model.save(path)
    loaded = (load or type(model).load)(path)
    assert_same_output(before, predict(loaded), what="prediction after save/load")
    assert_same_output(before, predict(model), what="prediction of the original after save")
    return loaded


def check_deterministic(run: Callable[[int], Any], *, seeds: tuple[int, int] = (0, 1),
                        must_differ: bool = True) -> None:
    """``run(seed)`` twice with the same seed gives the same output; with another seed it
    differs (unless ``must_differ=False``, for deterministic methods).

    Args:
        run: builds its own key/generator from the seed and returns an output.
        seeds: the two seeds.
        must_differ: require that the two seeds give different outputs.
    """
    a, b = run(seeds[0]), run(seeds[0])
    assert_same_output(a, b, what=f"output for seed {seeds[0]} (run twice)")
    if must_differ:
        c = run(seeds[1])
        try:
            assert_same_output(a, c)
        except AssertionError:
            return
        raise AssertionError(f"seeds {seeds[0]} and {seeds[1]} gave the same output")


def check_estimator(
    make: Callable[[], Any],
    X: np.ndarray,
    y: np.ndarray | None = None,
    *,
    tmp_path: str | Path,
    methods: Sequence[str] = ("predict",),
    match_x: str | None = "X",
) -> None:
    """The common checks for a scikit-learn-style estimator (``fit(X, y)`` + prediction methods).

    Checks: fit returns the estimator; NaN/Inf in ``X`` are refused at fit and prediction;
    a 1-D ``X``, a string ``X`` and ``X`` with a different number of features at prediction are
    refused; two fits from ``make()`` predict identically; save/load predicts identically.

    Args:
        make: builds a fresh, unfitted estimator.
        X: valid training inputs ``(n, d)``.
        y: valid targets, if the estimator needs them.
        tmp_path: a folder for the saved model.
        methods: prediction methods to compare (e.g. ``("predict_proba", "decision_function")``).
        match_x: regex that input-error messages must match (the argument's name).
    """
    X = np.asarray(X)

    def fit(est, x):
        return est.fit(x) if y is None else est.fit(x, y)

    est = make()
    out = fit(est, X)
    assert out is est, "fit must return the estimator itself"

    def predict_all(m):
        return tuple(getattr(m, name)(X) for name in methods)

    check_refuses_nonfinite(lambda x: fit(make(), x), X, match=match_x, what="fit X")
    for name in methods:
        check_refuses_nonfinite(lambda x, n=name: getattr(est, n)(x), X, match=match_x,
                                what=f"{name} X")
        bad = {
            "1-D X": X[:, 0] if X.ndim == 2 else X.ravel(),
            "string X": np.full(X.shape, "a"),
            "X with one feature too many": np.hstack([X, X[:, :1]]),
        }
        check_refuses_bad_input(lambda x, n=name: getattr(est, n)(x), bad, match=match_x)
    again = fit(make(), X)
    assert_same_output(predict_all(est), predict_all(again), what="predictions of two fits")
    check_save_load(est, predict_all, Path(tmp_path) / "estimator.model")
