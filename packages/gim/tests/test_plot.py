import pytest

pytest.importorskip("matplotlib")

from mpiis.gim._plot import (
    plot_dose_response,
    plot_graph,
    plot_mmd_by_dose,
    plot_targets_heatmap,
)


def test_figures_are_written(fitted, bench, tmp_path):
    plot_targets_heatmap(fitted, bench, path=tmp_path / "heat.png")
    plot_graph(fitted, bench, path=tmp_path / "graph.png")
    plot_dose_response(fitted, bench, path=tmp_path / "dose.png")
    runs = [{"mmd_by_dose": {s: {"GIM": {0.5: 0.1, 1.0: 0.2}, "Observational": {0.5: 0.3,
                                                                               1.0: 0.4}}
                             for s in ("partial_ood", "full_ood")}}]
    plot_mmd_by_dose(runs, path=tmp_path / "mmd.png")
    for name in ("heat", "graph", "dose", "mmd"):
        assert (tmp_path / f"{name}.png").stat().st_size > 1000
