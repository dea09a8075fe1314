"""mpiis.cmaxent: causal vs. anticausal merging of predictors (CMAXENT, NeurIPS 2024).

Tour:
    table = MomentTable.from_datasets({("X1", "Y"): d1, ("X2", "Y"): d2})   # moments only
    CMaxEntClassifier().fit(X, y)        # causal, empirical p(x): logistic regression
    causal = CMaxEntClassifier("causal").fit_moments(table)        # X -> Y: logistic family
    anti = CMaxEntClassifier("anticausal").fit_moments(table)      # Y -> X: Gaussian class cond.
    boundary_angle(causal, anti)          # the merged boundaries differ with partial info
    solve_causal(table, p_x="empirical", X=X)   # = unpenalised logistic regression (claim 1)
    lda_from_moments(full_table)                # anticausal with all moments = LDA (claim 1)
    prep = PreparedTable(table)   # completion, r and margins once; every solver takes it
    check_feasibility(prep)     # r < 1 test; infeasible moments raise InfeasibleMomentsError
    LogOddsSumMerge().fit_moments(table)        # the practitioner's baseline
    plot_boundaries({"causal": causal, "anticausal": anti}, X=X, y=y)   # extra [matplotlib]
"""

from ._anticausal import lda_from_moments as lda_from_moments
from ._anticausal import pooled_naive_bayes_from_moments as pooled_naive_bayes_from_moments
from ._anticausal import solve_anticausal as solve_anticausal
from ._causal import causal_direction_gaussian as causal_direction_gaussian
from ._causal import solve_causal as solve_causal
from ._errors import InfeasibleMomentsError as InfeasibleMomentsError
from ._errors import NearlyInfeasibleWarning as NearlyInfeasibleWarning
from ._errors import SolverDivergedError as SolverDivergedError
from ._estimator import CMaxEntClassifier as CMaxEntClassifier
from ._feasibility import Feasibility as Feasibility
from ._feasibility import check_feasibility as check_feasibility
from ._geometry import Boundary as Boundary
from ._geometry import boundary_angle as boundary_angle
from ._geometry import boundary_distance as boundary_distance
from ._geometry import decision_boundary as decision_boundary
from ._merge_baselines import LogOddsSumMerge as LogOddsSumMerge
from ._moments import MomentTable as MomentTable
from ._plot import plot_boundaries as plot_boundaries
from ._prepared import PreparedTable as PreparedTable
from ._solution import CMaxEntConfig as CMaxEntConfig
from ._solution import CMaxEntSolution as CMaxEntSolution
from ._solution import ImpliedMoments as ImpliedMoments
from ._synthetic import SyntheticInstance as SyntheticInstance
from ._synthetic import anticausal_moments as anticausal_moments
from ._synthetic import causal_moments as causal_moments
from ._synthetic import make_anticausal_gaussian as make_anticausal_gaussian
from ._synthetic import make_causal_logistic as make_causal_logistic
from ._synthetic import random_instance as random_instance

__all__ = [
    "Boundary",
    "CMaxEntClassifier",
    "CMaxEntConfig",
    "CMaxEntSolution",
    "Feasibility",
    "ImpliedMoments",
    "InfeasibleMomentsError",
    "LogOddsSumMerge",
    "MomentTable",
    "NearlyInfeasibleWarning",
    "PreparedTable",
    "SolverDivergedError",
    "SyntheticInstance",
    "anticausal_moments",
    "boundary_angle",
    "boundary_distance",
    "causal_direction_gaussian",
    "causal_moments",
    "check_feasibility",
    "decision_boundary",
    "lda_from_moments",
    "make_anticausal_gaussian",
    "make_causal_logistic",
    "plot_boundaries",
    "pooled_naive_bayes_from_moments",
    "random_instance",
    "solve_anticausal",
    "solve_causal",
]
