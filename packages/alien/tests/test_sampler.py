import pytest
import torch

from mpiis.alien import (
    AlienSampler,
    CooccurrenceConceptLM,
    PlausibilitySampler,
    RandomFillSampler,
    TemperatureSampler,
    alien_scores,
    generate_candidates,
    rank_ascending,
)
from mpiis.shared.testing import check_deterministic


def test_ranks_break_ties_by_index():
    x = torch.tensor([3.0, 1.0, 3.0, 0.5])
    assert rank_ascending(x).tolist() == [3, 2, 4, 1]


def test_alien_scores_formula_by_hand():
    nll_art = torch.tensor([1.0, 2.0, 3.0])  # R_art = 1, 2, 3
    nll_cog = torch.tensor([5.0, 9.0, 7.0])  # R_cog = 1, 3, 2
    s = alien_scores(nll_art, nll_cog, 0.25)
    want = [0.75 * (3 - 1) - 0.25 * (3 - 1), 0.75 * (3 - 2) - 0.25 * (3 - 3),
            0.75 * (3 - 3) - 0.25 * (3 - 2)]
    assert s.tolist() == pytest.approx(want)
    assert alien_scores(nll_art, nll_cog, 0.0).argmax() == 0  # beta 0: most plausible
    assert alien_scores(nll_art, nll_cog, 1.0).argmax() == 1  # beta 1: least available
    with pytest.raises(ValueError, match="beta"):
        alien_scores(nll_art, nll_cog, 1.5)
    with pytest.raises(ValueError, match="finite"):
        alien_scores(torch.tensor([1.0, float("nan")]), torch.tensor([1.0, 2.0]), 0.5)
    with pytest.raises(ValueError, match="equal length"):
        alien_scores(nll_art, nll_cog[:2], 0.5)


def test_candidates_are_unique_sets_in_first_seen_order(tiny_models, gen):
    art, _ = tiny_models
    c = generate_candidates(art, [1], 200, 3, temperature=0.5, generator=gen)
    keys = [tuple(sorted(r)) for r in c.tolist()]
    assert len(keys) == len(set(keys)) < 200


def test_alien_sampler_selects_by_score(tiny_models, tiny_world, gen):
    art, cog = tiny_models
    s = AlienSampler(art, cog, beta=0.5, temperature=2.0, n_candidates=64, top_k=5,
                     labels=tiny_world.labels)
    combos = s.sample([3], 4, generator=gen)
    assert len(combos) == 5
    assert all(c.concepts[0] == 3 and len(set(c.concepts)) == 4 for c in combos)
    assert combos[0].labels[0] == tiny_world.labels[3]
    scores = [c.score for c in combos]
    assert scores == sorted(scores, reverse=True)
    n = s.last_info["n_unique"]
    for c in combos:
        assert c.score == pytest.approx(0.5 * (n - c.rank_art) - 0.5 * (n - c.rank_cog))
    # beta 1 picks the candidates least available under Q: highest Q-NLL first
    s1 = AlienSampler(art, cog, beta=1.0, temperature=2.0, n_candidates=64, top_k=3)
    top = s1.sample([3], 4, generator=torch.Generator().manual_seed(0))
    n1 = s1.last_info["n_unique"]
    assert [c.rank_cog for c in top] == [n1, n1 - 1, n1 - 2]


def test_plausibility_is_beta_zero(tiny_models):
    art, cog = tiny_models
    a = PlausibilitySampler(art, temperature=2.0, n_candidates=32, top_k=3).sample(
        [3], 4, generator=torch.Generator().manual_seed(1))
    b = AlienSampler(art, cog, beta=0.0, temperature=2.0, n_candidates=32, top_k=3).sample(
        [3], 4, generator=torch.Generator().manual_seed(1))
    assert [c.concepts for c in a] == [c.concepts for c in b]
    assert [c.rank_art for c in a] == [1, 2, 3]


def test_temperature_baseline_and_random_fill(tiny_models, tiny_world):
    art, _ = tiny_models

    def run(seed):
        t = TemperatureSampler(art, temperature=1.5, n_candidates=32, top_k=4)
        return [c.concepts for c in t.sample([2], 4, generator=torch.Generator().manual_seed(seed))]

    check_deterministic(run)
    rf = RandomFillSampler(tiny_world.vocab_size, top_k=6)
    out = rf.sample([1, 2], 4, generator=torch.Generator().manual_seed(0))
    assert len(out) == 6 and all(c.concepts[:2] == (1, 2) and len(set(c.concepts)) == 4
                                 for c in out)
    with pytest.raises(ValueError, match="length"):
        rf.sample([1], 1)


def test_shortfall_is_recorded(tiny_models, gen):
    art, cog = tiny_models
    s = AlienSampler(art, cog, beta=0.5, temperature=0.05, n_candidates=40, top_k=30)
    out = s.sample([3], 4, generator=gen)
    assert len(out) == s.last_info["n_unique"] < 30
    assert s.last_info["shortfall"] == 30 - len(out)


@pytest.mark.parametrize("kw, match", [
    ({"beta": -0.1}, "beta"),
    ({"beta": float("nan")}, "beta"),
    ({"temperature": 0}, "temperature"),
    ({"temperature": float("nan")}, "temperature"),
    ({"top_k": 10, "n_candidates": 5}, r"`top_k` \(10\) must be <= `n_candidates` \(5\)"),
    ({"n_candidates": 1}, "n_candidates"),
])
def test_sampler_constructor_validation(tiny_models, kw, match):
    art, cog = tiny_models
    with pytest.raises(ValueError, match=match):
        AlienSampler(art, cog, **kw)


def test_sampler_call_validation(tiny_models):
    art, cog = tiny_models
    s = AlienSampler(art, cog, n_candidates=8, top_k=2)
    with pytest.raises(ValueError, match="empty seed"):
        s.sample([], 4)
    with pytest.raises(ValueError, match="seed"):
        s.sample([99], 4)
    with pytest.raises(ValueError, match="repeat"):
        s.sample([1, 1], 4)
    with pytest.raises(ValueError, match=r"`length` must be an int > len\(seed\) = 2"):
        s.sample([1, 2], 2)
    with pytest.raises(ValueError, match=r"art_model.vocab_size \(28\) and "
                                         r"availability_model.vocab_size \(5\)"):
        AlienSampler(art, CooccurrenceConceptLM(5))


def test_length_above_max_len_is_refused(tiny_models):
    from mpiis.alien import TinyConceptTransformer, TransformerConfig

    art, _ = tiny_models
    tr = TinyConceptTransformer(art.vocab_size, TransformerConfig.tiny(max_len=5))
    with pytest.raises(ValueError, match="max_len = 5"):
        AlienSampler(tr, tr, n_candidates=8, top_k=2).sample([1], 6)
