import numpy as np
import pytest

from mpiis.cmaxent import CMaxEntClassifier, plot_boundaries


def test_plot_writes_png(p1_table, data2, tmp_path):
    pytest.importorskip("matplotlib")
    X, y = data2
    ms = {"causal": CMaxEntClassifier("causal").fit_moments(p1_table),
          "anticausal": CMaxEntClassifier("anticausal").fit_moments(p1_table)}
    ax = plot_boundaries(ms, X=X, y=y)
    assert len(ax.lines) == 2
    ax.figure.savefig(tmp_path / "b.png")
    assert (tmp_path / "b.png").stat().st_size > 1000
    with pytest.raises(ValueError, match=r"`X` must have shape \(n, 2\)"):
        plot_boundaries(ms, X=np.ones((3, 3)))
