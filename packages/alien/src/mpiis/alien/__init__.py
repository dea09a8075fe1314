"""mpiis.alien: alien recombination, concept blends beyond human cognitive availability
(Hernández Artiles et al., NeurIPS 2024 Creativity workshop; follow-up NeurIPS 2025).

Tour:
    world = SyntheticArtWorld(WorldConfig())          # true coherence G, true availability A_j
    corpus = world.corpus                             # or ConceptCorpus.from_csv("tags.csv")
    art = train_art_model(corpus, "cooccurrence")     # P(a | S): artwork plausibility
    cog = train_availability_model(corpus, "cooccurrence")   # Q(a | S): artist availability
    sampler = AlienSampler(art, cog, beta=0.5, temperature=2.0, n_candidates=256, top_k=5)
    combos = sampler.sample(seed=[3], length=6, generator=torch.Generator().manual_seed(0))
    TemperatureSampler / PlausibilitySampler / RandomFillSampler: the baselines, same .sample.
    artwork_novelty / cognitive_novelty / frontier_gain / dominated_area / vendi_score: metrics.
    TinyConceptTransformer, HFCausalConceptLM: the other two back ends of the ConceptLM protocol.
    build_prompt / render_concept_map / DiffusersRenderer: rendering.
    Benchmark: ``mpiis-bench alien --preset quick`` (module ``mpiis.alien.benchmark``).
"""

from importlib.metadata import PackageNotFoundError, version

from ._corpus import PAD as PAD
from ._corpus import Artist as Artist
from ._corpus import Artwork as Artwork
from ._corpus import ConceptCorpus as ConceptCorpus
from ._corpus import LoadReport as LoadReport
from ._embed import MiniLMEncoder as MiniLMEncoder
from ._embed import TextEncoder as TextEncoder
from ._embed import embedding_novelty as embedding_novelty
from ._embed import semantic_coherence as semantic_coherence
from ._lm._base import ConceptLM as ConceptLM
from ._lm._base import SamplingMixin as SamplingMixin
from ._lm._cooc import CooccurrenceConceptLM as CooccurrenceConceptLM
from ._lm._hf import HFCausalConceptLM as HFCausalConceptLM
from ._lm._transformer import TinyConceptTransformer as TinyConceptTransformer
from ._lm._transformer import TransformerConfig as TransformerConfig
from ._metrics import artwork_novelty as artwork_novelty
from ._metrics import cognitive_novelty as cognitive_novelty
from ._metrics import dominated_area as dominated_area
from ._metrics import frontier_gain as frontier_gain
from ._metrics import novelty_counts as novelty_counts
from ._metrics import pareto_front as pareto_front
from ._metrics import vendi_score as vendi_score
from ._render import DiffusersRenderer as DiffusersRenderer
from ._render import build_prompt as build_prompt
from ._render import render_concept_map as render_concept_map
from ._sampler import AlienSampler as AlienSampler
from ._sampler import Combination as Combination
from ._sampler import PlausibilitySampler as PlausibilitySampler
from ._sampler import RandomFillSampler as RandomFillSampler
from ._sampler import TemperatureSampler as TemperatureSampler
from ._sampler import alien_scores as alien_scores
from ._sampler import generate_candidates as generate_candidates
from ._sampler import rank_ascending as rank_ascending
from ._sampler import top_k_indices as top_k_indices
from ._sampler import unique_set_indices as unique_set_indices
from ._train import train_art_model as train_art_model
from ._train import train_availability_model as train_availability_model
from ._vocab import ERAS as ERAS
from ._vocab import REGIONS as REGIONS
from ._vocab import THEMES as THEMES
from ._vocab import Vocabulary as Vocabulary
from ._vocab import load_vocabulary as load_vocabulary
from ._world import SyntheticArtWorld as SyntheticArtWorld
from ._world import WorldConfig as WorldConfig

try:
    __version__ = version("mpiis-alien")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "ERAS",
    "PAD",
    "REGIONS",
    "THEMES",
    "AlienSampler",
    "Artist",
    "Artwork",
    "Combination",
    "ConceptCorpus",
    "ConceptLM",
    "CooccurrenceConceptLM",
    "DiffusersRenderer",
    "HFCausalConceptLM",
    "LoadReport",
    "MiniLMEncoder",
    "PlausibilitySampler",
    "RandomFillSampler",
    "SamplingMixin",
    "SyntheticArtWorld",
    "TemperatureSampler",
    "TextEncoder",
    "TinyConceptTransformer",
    "TransformerConfig",
    "Vocabulary",
    "WorldConfig",
    "__version__",
    "alien_scores",
    "artwork_novelty",
    "build_prompt",
    "cognitive_novelty",
    "dominated_area",
    "embedding_novelty",
    "frontier_gain",
    "generate_candidates",
    "load_vocabulary",
    "novelty_counts",
    "pareto_front",
    "rank_ascending",
    "render_concept_map",
    "semantic_coherence",
    "top_k_indices",
    "train_art_model",
    "train_availability_model",
    "unique_set_indices",
    "vendi_score",
]
