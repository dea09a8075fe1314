"""Algorithmic causal structure emerging through compression (Liang, Buchholz, Schölkopf,
CLeaR 2025), in JAX.

A tour:
    data = simulate_official_bivariate(rng=np.random.default_rng(0))  # MultiEnvData, 5 envs
    fit = compress(data, ("X1", "X2"), config=CompressionConfig(k_max=15))  # eq. (B) in bits
    fit.total_bits, fit.k, fit.partitions, fit.curve              # code length per total k
    discover_direction(data).cause                                # shorter code wins; None = tie
    discover_dag(data, max_parents=2).graph                       # nx.DiGraph, d <= 8
    discover_dag(data, config=CompressionConfig(cost="codebook"))  # the paper's cost on DAGs
    CompressionConfig(backend="numpy")                            # same algorithm, numpy baseline
    CompressionDAG().fit(X, env).score_samples(X)                 # scikit-learn style
    covariate_shift_curve(x1, x2, env).k_hat                      # shared mechanisms (claim 4)
    codebook_cost_bits(5, 3, 8)                                   # eq. (A): 30.242 bits
    reference_codebook_search(...)                                # slow loop port, parity
"""

from ._codebook import codebook_from_values as codebook_from_values
from ._compress import CompressionResult as CompressionResult
from ._compress import compress as compress
from ._config import CompressionConfig as CompressionConfig
from ._covshift import CovariateShiftResult as CovariateShiftResult
from ._covshift import covariate_shift_curve as covariate_shift_curve
from ._data import GroundTruth as GroundTruth
from ._data import MultiEnvData as MultiEnvData
from ._direction import DirectionResult as DirectionResult
from ._direction import discover_direction as discover_direction
from ._discover import DAGResult as DAGResult
from ._discover import discover_dag as discover_dag
from ._estimator import CompressionDAG as CompressionDAG
from ._penalty import bell_number as bell_number
from ._penalty import codebook_cost_bits as codebook_cost_bits
from ._penalty import partition_cost_bits as partition_cost_bits
from ._penalty import stirling2 as stirling2
from ._reference import reference_codebook_search as reference_codebook_search
from ._reference import reference_covariate_shift as reference_covariate_shift
from ._simulate import OFFICIAL_COVSHIFT_THETAS as OFFICIAL_COVSHIFT_THETAS
from ._simulate import OFFICIAL_THETA as OFFICIAL_THETA
from ._simulate import CovShiftData as CovShiftData
from ._simulate import simulate_covariate_shift as simulate_covariate_shift
from ._simulate import simulate_official_bivariate as simulate_official_bivariate
from ._simulate import simulate_sparse_shift as simulate_sparse_shift

__all__ = [
    "OFFICIAL_COVSHIFT_THETAS",
    "OFFICIAL_THETA",
    "CompressionConfig",
    "CompressionDAG",
    "CompressionResult",
    "CovShiftData",
    "CovariateShiftResult",
    "DAGResult",
    "DirectionResult",
    "GroundTruth",
    "MultiEnvData",
    "bell_number",
    "codebook_cost_bits",
    "codebook_from_values",
    "compress",
    "covariate_shift_curve",
    "discover_dag",
    "discover_direction",
    "partition_cost_bits",
    "reference_codebook_search",
    "reference_covariate_shift",
    "simulate_covariate_shift",
    "simulate_official_bivariate",
    "simulate_sparse_shift",
    "stirling2",
]
