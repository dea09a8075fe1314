"""mpiis.phenformer: disease risk from personal DNA sequence along the path of molecular biology
(Phenformer, Träuble et al. 2025, arXiv 2501.07737).

Tour:
    cohort = simulate_cohort(SimConfig.quick(), rng=np.random.default_rng(0))   # truth inside
    enc = pretrain_encoder(cohort, EncoderConfig.quick(), rng=rng).encoder      # frozen CNN
    tokens = precompute_tokens(cohort, OracleEncoder(cohort))  # Δ per unique haplotype, cached
    EnformerEncoder(weights_dir)   # real scale: Enformer from local weights, CAGE TSS bins
    model = Phenformer(PhenformerConfig(n_genes=64, n_contexts=12), generator=g)
    fit(model, tokens.subset(tr), cohort.y[tr], val=(tokens.subset(va), cohort.y[va]),
        config=TrainConfig(), generator=g);  predict_logits(model, tokens)
    context_scores(model, tokens, cases=..., tissue_of_context=...)   # integrated gradients
    mechanistic_hypotheses(...), find_subtypes(...): the read-outs as hypotheses.
    ct_prs / ridge_prs / EnrichedRiskPredictor; ldsc_seg_like / twas_like: the baselines.
    read_vcf / read_bed / ReferenceGenome (extra ``io``): users' files.
    Benchmark: ``mpiis-bench phenformer --preset quick`` (module ``mpiis.phenformer.benchmark``).
"""

from importlib.metadata import PackageNotFoundError, version

from ._baselines import ldsc_seg_like as ldsc_seg_like
from ._baselines import token_logistic as token_logistic
from ._baselines import twas_like as twas_like
from ._config import EncoderConfig as EncoderConfig
from ._config import PhenformerConfig as PhenformerConfig
from ._config import SimConfig as SimConfig
from ._config import TrainConfig as TrainConfig
from ._encoders import OracleEncoder as OracleEncoder
from ._encoders import PretrainResult as PretrainResult
from ._encoders import SequenceEncoder as SequenceEncoder
from ._encoders import ToyExpressionCNN as ToyExpressionCNN
from ._encoders import encoder_throughput as encoder_throughput
from ._encoders import haplotype_fidelity as haplotype_fidelity
from ._encoders import pretrain_encoder as pretrain_encoder
from ._encoders import variant_fidelity as variant_fidelity
from ._enformer import EnformerConfig as EnformerConfig
from ._enformer import EnformerEncoder as EnformerEncoder
from ._enformer import EnformerModel as EnformerModel
from ._ensemble import EnrichedRiskPredictor as EnrichedRiskPredictor
from ._interpret import ContextScores as ContextScores
from ._interpret import context_scores as context_scores
from ._interpret import find_subtypes as find_subtypes
from ._interpret import integrated_gradients as integrated_gradients
from ._interpret import mechanistic_hypotheses as mechanistic_hypotheses
from ._io import PhasedVariants as PhasedVariants
from ._io import ReferenceGenome as ReferenceGenome
from ._io import read_bed as read_bed
from ._io import read_phenotypes as read_phenotypes
from ._io import read_vcf as read_vcf
from ._io import write_bed as write_bed
from ._io import write_fasta as write_fasta
from ._io import write_vcf as write_vcf
from ._metrics import adjusted_rand_index as adjusted_rand_index
from ._metrics import bootstrap_ci as bootstrap_ci
from ._metrics import context_rank as context_rank
from ._metrics import mrr as mrr
from ._metrics import transfer_ratio as transfer_ratio
from ._model import MAB as MAB
from ._model import PMA as PMA
from ._model import GeneTokenEmbedding as GeneTokenEmbedding
from ._model import Phenformer as Phenformer
from ._motifs import MotifSet as MotifSet
from ._prs import PRSModel as PRSModel
from ._prs import clump as clump
from ._prs import ct_prs as ct_prs
from ._prs import genotype_pcs as genotype_pcs
from ._prs import gwas_marginal as gwas_marginal
from ._prs import read_pgs_scoring_file as read_pgs_scoring_file
from ._prs import ridge_prs as ridge_prs
from ._sequence import apply_variants as apply_variants
from ._sequence import one_hot as one_hot
from ._sequence import unique_haplotypes as unique_haplotypes
from ._sim import Cohort as Cohort
from ._sim import ExpressionOracle as ExpressionOracle
from ._sim import GroundTruth as GroundTruth
from ._sim import simulate_cohort as simulate_cohort
from ._tokens import GeneTokens as GeneTokens
from ._tokens import TokenCache as TokenCache
from ._tokens import precompute_tokens as precompute_tokens
from ._train import FitResult as FitResult
from ._train import fit as fit
from ._train import predict_logits as predict_logits

try:
    __version__ = version("mpiis-phenformer")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "MAB", "PMA", "Cohort", "ContextScores", "EncoderConfig", "EnformerConfig", "EnformerEncoder",
    "EnformerModel", "EnrichedRiskPredictor",
    "ExpressionOracle", "FitResult", "GeneTokenEmbedding", "GeneTokens", "GroundTruth",
    "MotifSet", "OracleEncoder", "PRSModel", "PhasedVariants", "Phenformer", "PhenformerConfig",
    "PretrainResult", "ReferenceGenome", "SequenceEncoder", "SimConfig", "TokenCache",
    "ToyExpressionCNN", "TrainConfig", "__version__", "adjusted_rand_index", "apply_variants",
    "bootstrap_ci", "clump", "context_rank", "context_scores", "ct_prs", "encoder_throughput",
    "find_subtypes", "fit", "genotype_pcs", "gwas_marginal", "haplotype_fidelity",
    "integrated_gradients", "ldsc_seg_like", "mechanistic_hypotheses", "mrr", "one_hot",
    "precompute_tokens", "predict_logits", "pretrain_encoder", "read_bed", "read_pgs_scoring_file",
    "read_phenotypes", "read_vcf", "ridge_prs", "simulate_cohort", "token_logistic",
    "transfer_ratio", "twas_like", "unique_haplotypes", "variant_fidelity", "write_bed",
    "write_fasta", "write_vcf",
]
