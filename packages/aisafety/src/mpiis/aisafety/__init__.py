"""mpiis.aisafety: the International AI Safety Report (2025) as data, trends and coverage.

A ten-line tour:

    from mpiis.aisafety import load_taxonomy, load_claims, load_frontier_table, fit_trend
    tax = load_taxonomy("iasr-2025")            # 35 nodes; tax.leaves("risk") -> 13 risks
    claims = load_claims()                      # C1-C10 with provenance and verification status
    df = load_frontier_table()                  # bundled frontier table (Epoch AI, CC BY 4.0)
    fit = fit_trend(df, rng=np.random.default_rng(0))   # OLS log-linear trend + bootstrap
    fit.growth, fit.ci(), fit.doubling_months   # ~4.4x/yr, 95% CI, ~5.6 months
    reproduce("C2", rng=rng)                    # 100x by end-2026? as an interval check
    fit_piecewise(df, n_breaks="bic", rng=rng)  # breaks with bootstrap intervals
    backtest(df, rng=rng)                       # out-of-sample check of the trend
    load_notable_models("notable_ai_models.csv")  # Epoch's table as it is; fits drop+count
    coverage(read_lm_eval_results("results.json"))    # which risks your evaluations touch
    validate_records().ok                       # every shipped record passes schema + refs
"""

from importlib.metadata import PackageNotFoundError, version

from ._claims import ClaimSet as ClaimSet
from ._claims import Crosswalk as Crosswalk
from ._claims import load_claims as load_claims
from ._claims import load_crosswalk as load_crosswalk
from ._data import CANONICAL_COLUMNS as CANONICAL_COLUMNS
from ._data import EPOCH_ALIASES as EPOCH_ALIASES
from ._data import EPOCH_COLUMNS as EPOCH_COLUMNS
from ._data import fractional_year as fractional_year
from ._data import load_frontier_table as load_frontier_table
from ._data import load_notable_models as load_notable_models
from ._evalmap import CoverageReport as CoverageReport
from ._evalmap import coverage as coverage
from ._evalmap import load_eval_registry as load_eval_registry
from ._evalmap import read_inspect_logs as read_inspect_logs
from ._evalmap import read_lm_eval_results as read_lm_eval_results
from ._fixture import write_epoch_fixture as write_epoch_fixture
from ._forecast import BacktestResult as BacktestResult
from ._forecast import Ratio as Ratio
from ._forecast import backtest as backtest
from ._forecast import extrapolate_ratio as extrapolate_ratio
from ._plot import plot_backtest as plot_backtest
from ._plot import plot_bootstrap as plot_bootstrap
from ._plot import plot_break_profile as plot_break_profile
from ._plot import plot_coverage as plot_coverage
from ._plot import plot_sensitivity as plot_sensitivity
from ._plot import plot_trend as plot_trend
from ._records import Claim as Claim
from ._records import CrosswalkEntry as CrosswalkEntry
from ._records import EvalTask as EvalTask
from ._records import ModelRecord as ModelRecord
from ._records import RiskNode as RiskNode
from ._reproduce import RECIPES as RECIPES
from ._reproduce import Recipe as Recipe
from ._reproduce import Reproduction as Reproduction
from ._reproduce import reproduce as reproduce
from ._rows import DROP_REASONS as DROP_REASONS
from ._rows import DroppedRowsWarning as DroppedRowsWarning
from ._rows import InsufficientDataError as InsufficientDataError
from ._schema import ValidationReport as ValidationReport
from ._schema import json_schema as json_schema
from ._schema import validate_records as validate_records
from ._select import by_domain as by_domain
from ._select import frontier_flag as frontier_flag
from ._select import residual_above_trend as residual_above_trend
from ._select import top_k_at_release as top_k_at_release
from ._select import top_n_per_year as top_n_per_year
from ._taxonomy import Taxonomy as Taxonomy
from ._taxonomy import TaxonomyDiff as TaxonomyDiff
from ._taxonomy import diff_taxonomies as diff_taxonomies
from ._taxonomy import editions as editions
from ._taxonomy import load_taxonomy as load_taxonomy
from ._trends import PiecewiseFit as PiecewiseFit
from ._trends import Prediction as Prediction
from ._trends import TrendConfig as TrendConfig
from ._trends import TrendFit as TrendFit
from ._trends import fit_piecewise as fit_piecewise
from ._trends import fit_trend as fit_trend

try:
    __version__ = version("mpiis-aisafety")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "CANONICAL_COLUMNS", "DROP_REASONS", "EPOCH_ALIASES", "EPOCH_COLUMNS", "RECIPES",
    "BacktestResult", "Claim", "ClaimSet",
    "CoverageReport", "Crosswalk", "CrosswalkEntry", "DroppedRowsWarning", "EvalTask",
    "InsufficientDataError", "ModelRecord", "PiecewiseFit",
    "Prediction", "Ratio", "Recipe", "Reproduction", "RiskNode", "Taxonomy", "TaxonomyDiff",
    "TrendConfig", "TrendFit", "ValidationReport", "__version__", "backtest", "by_domain",
    "coverage", "diff_taxonomies", "editions", "extrapolate_ratio", "fit_piecewise",
    "fit_trend", "fractional_year", "frontier_flag", "json_schema", "load_claims",
    "load_crosswalk", "load_eval_registry", "load_frontier_table", "load_notable_models",
    "load_taxonomy", "plot_backtest", "plot_bootstrap", "plot_break_profile", "plot_coverage",
    "plot_sensitivity", "plot_trend", "read_inspect_logs", "read_lm_eval_results",
    "reproduce", "residual_above_trend", "top_k_at_release", "top_n_per_year",
    "validate_records", "write_epoch_fixture",
]
