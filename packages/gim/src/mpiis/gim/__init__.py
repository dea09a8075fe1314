"""mpiis.gim: generative intervention models (GIM) for causal perturbation modelling.

Schneider, Lorch, Kilbertus, Schölkopf, Krause (ICML 2025). A tour:

- :class:`PerturbationData` holds a control set and perturbed contexts with features γ;
  :func:`from_anndata` reads it from an AnnData (extra ``mpiis-gim[anndata]``).
- :class:`GIM` learns ``p_φ(I | γ)``, a distribution over atomic interventions (targets and
  shifts), jointly with a causal model (:class:`LinearSCM`, or :class:`LinearSDE`), by the exact
  expected log-likelihood; ``fit`` / ``predict_interventions`` / ``predict_distribution`` /
  ``sample`` / ``target_scores`` / ``score`` / ``save`` / ``load``.
- Baselines with the same interface: :class:`FeatureMLP`, :class:`PerContextCausal`,
  :class:`MeanShiftTest`, :class:`Observational`.
- :func:`make_hill_benchmark` builds the Hill dose-response benchmark with its three splits;
  the metrics (:func:`mmd2`, :func:`target_auroc`, ...) score it; ``mpiis-bench gim`` runs it.
"""

from ._anndata import from_anndata as from_anndata
from ._baselines import FeatureMLP as FeatureMLP
from ._baselines import MeanShiftTest as MeanShiftTest
from ._baselines import Observational as Observational
from ._baselines import PerContextCausal as PerContextCausal
from ._data import PerturbationData as PerturbationData
from ._data import SufficientStats as SufficientStats
from ._data import Truth as Truth
from ._init import median_regression_init as median_regression_init
from ._metrics import energy_distance as energy_distance
from ._metrics import gaussian_w2 as gaussian_w2
from ._metrics import mean_rmse as mean_rmse
from ._metrics import median_bandwidths as median_bandwidths
from ._metrics import mmd2 as mmd2
from ._metrics import shd as shd
from ._metrics import target_auprc as target_auprc
from ._metrics import target_auroc as target_auroc
from ._metrics import target_f1 as target_f1
from ._model import GIM as GIM
from ._model import GIMConfig as GIMConfig
from ._network import GIMNetwork as GIMNetwork
from ._results import GaussianPrediction as GaussianPrediction
from ._results import InterventionPrediction as InterventionPrediction
from ._scm import LinearSCM as LinearSCM
from ._sde import LinearSDE as LinearSDE
from ._stages import make_train_step as make_train_step
from ._synthetic import HillBenchmark as HillBenchmark
from ._synthetic import HillSplit as HillSplit
from ._synthetic import HillTruth as HillTruth
from ._synthetic import make_hill_benchmark as make_hill_benchmark

__all__ = [
    "GIM",
    "FeatureMLP",
    "GIMConfig",
    "GIMNetwork",
    "GaussianPrediction",
    "HillBenchmark",
    "HillSplit",
    "HillTruth",
    "InterventionPrediction",
    "LinearSCM",
    "LinearSDE",
    "MeanShiftTest",
    "Observational",
    "PerContextCausal",
    "PerturbationData",
    "SufficientStats",
    "Truth",
    "energy_distance",
    "from_anndata",
    "gaussian_w2",
    "make_hill_benchmark",
    "make_train_step",
    "mean_rmse",
    "median_bandwidths",
    "median_regression_init",
    "mmd2",
    "shd",
    "target_auprc",
    "target_auroc",
    "target_f1",
]

__version__ = "0.1.0"
