"""A tiny example benchmark suite, registered with the runner through a fake entry point."""

from pathlib import Path

import pytest

from mpiis.shared import bench
from mpiis.shared.bench import ClaimResult

EXAMPLE_CLAIMS = {"E1": "the mean of 1..n is (n + 1) / 2", "E2": "a reported figure"}


def example_suite(preset, *, seed, out_dir=None):
    """Gate E1 passes at every preset except when seed == 13 (a planted failure)."""
    bench.check_preset(preset)
    n = {"smoke": 10, "quick": 100, "full": 1000}[preset]
    values = [sum(range(1, n + 1)) / n + (1.0 if seed == 13 else 0.0)]
    if out_dir is not None:
        Path(out_dir, "example_figure.txt").write_text("a figure would go here\n")
    return [
        ClaimResult.measure(id="E1", claim=EXAMPLE_CLAIMS["E1"], metric="|mean - (n+1)/2|",
                            value=abs(values[0] - (n + 1) / 2), threshold=1e-9, comparator="<=",
                            gate=True, baseline=0.0),
        ClaimResult.measure(id="E2", claim=EXAMPLE_CLAIMS["E2"], metric="a number",
                            value=[1.0, 2.0, 3.0], paper="2"),
    ]


example_suite.claims = EXAMPLE_CLAIMS


def broken_suite(preset, *, seed, out_dir=None):
    raise RuntimeError("the suite crashed on purpose")


class FakeEntryPoint:
    def __init__(self, name, obj):
        self.name, self._obj = name, obj

    def load(self):
        if isinstance(self._obj, Exception):
            raise self._obj
        return self._obj


@pytest.fixture
def registry(monkeypatch):
    """Replace the installed suites by the example ones."""
    suites = {"example": example_suite}

    def fake_discover():
        return {k: FakeEntryPoint(k, v) for k, v in sorted(suites.items())}

    monkeypatch.setattr(bench._runner, "discover", fake_discover)
    return suites


@pytest.fixture(name="example_suite")
def _example_suite():
    return example_suite


@pytest.fixture(name="broken_suite")
def _broken_suite():
    return broken_suite
