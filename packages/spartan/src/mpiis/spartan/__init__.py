"""mpiis.spartan: SPARTAN, a sparse Transformer world model whose hard attention gates read out
each transition's local causal graph (Lei, Schölkopf, Posner; NeurIPS 2025, arXiv 2411.06890).

Tour:
    env = ContactBalls2D()                                   # 4 balls + 2 ghosts, true graphs
    tr = env.simulate(600, 40, rng=np.random.default_rng(0)).transitions()
    dense = DenseTransformerWM(spartan_small(obj_dim=4, n_objects=6), generator=g)
    fit(dense, tr, val=va, config=TrainConfig(steps=2000), generator=g)
    tau = calibrate_tau(dense, {"train": tr, "val": va})     # tau = dense model's MSE
    model = Spartan(spartan_small(obj_dim=4, n_objects=6), generator=g)
    fit(model, tr, val=va, config=TrainConfig(steps=4000), constraint=GECOLagrangian(tau=tau),
        generator=g)
    model.local_graph(x)                                     # Bool (B, N, T) per sample
    edge_scores(graph, truth)                                # F1 / precision / recall / FPR / SHD
    adapt_intervention_token, finetune, rollout, jacobian_graph, distractor_sensitivity.
    Benchmark: ``mpiis-bench spartan --preset quick`` (module ``mpiis.spartan.benchmark``).
"""

from ._config import SpartanConfig as SpartanConfig
from ._config import TrainConfig as TrainConfig
from ._config import spartan_paper as spartan_paper
from ._config import spartan_small as spartan_small
from ._config import tiny as tiny
from ._constraint import GECOLagrangian as GECOLagrangian
from ._constraint import calibrate_tau as calibrate_tau
from ._data import ContactSampler as ContactSampler
from ._data import Standardizer as Standardizer
from ._data import load_trajectories as load_trajectories
from ._env import TRAINING_REGIMES as TRAINING_REGIMES
from ._env import UNSEEN_REGIMES as UNSEEN_REGIMES
from ._env import ContactBalls2D as ContactBalls2D
from ._env import Regime as Regime
from ._env import Trajectories as Trajectories
from ._env import TransitionData as TransitionData
from ._graph import attention_graph as attention_graph
from ._graph import jacobian_graph as jacobian_graph
from ._graph import jacobian_scores as jacobian_scores
from ._graph import path_matrix as path_matrix
from ._graph import sparsity_penalty as sparsity_penalty
from ._layers import SparseAttentionLayer as SparseAttentionLayer
from ._layers import sample_gates as sample_gates
from ._metrics import EdgeScores as EdgeScores
from ._metrics import distractor_sensitivity as distractor_sensitivity
from ._metrics import edge_auroc as edge_auroc
from ._metrics import edge_scores as edge_scores
from ._metrics import target_accuracy as target_accuracy
from ._model import DenseTransformerWM as DenseTransformerWM
from ._model import Spartan as Spartan
from ._model import WorldModelOutput as WorldModelOutput
from ._rollout import RolloutResult as RolloutResult
from ._rollout import rollout as rollout
from ._train import FitResult as FitResult
from ._train import adapt_intervention_token as adapt_intervention_token
from ._train import finetune as finetune
from ._train import fit as fit
from ._train import gate_logit_penalty as gate_logit_penalty
from ._train import prediction_mse as prediction_mse
from ._version import __version__ as __version__

__all__ = [
    "TRAINING_REGIMES",
    "UNSEEN_REGIMES",
    "ContactBalls2D",
    "ContactSampler",
    "DenseTransformerWM",
    "EdgeScores",
    "FitResult",
    "GECOLagrangian",
    "Regime",
    "RolloutResult",
    "SparseAttentionLayer",
    "Spartan",
    "SpartanConfig",
    "Standardizer",
    "TrainConfig",
    "Trajectories",
    "TransitionData",
    "WorldModelOutput",
    "__version__",
    "adapt_intervention_token",
    "attention_graph",
    "calibrate_tau",
    "distractor_sensitivity",
    "edge_auroc",
    "edge_scores",
    "finetune",
    "fit",
    "gate_logit_penalty",
    "jacobian_graph",
    "jacobian_scores",
    "load_trajectories",
    "path_matrix",
    "prediction_mse",
    "rollout",
    "sample_gates",
    "sparsity_penalty",
    "spartan_paper",
    "spartan_small",
    "target_accuracy",
    "tiny",
]
