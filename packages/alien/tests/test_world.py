import dataclasses

import numpy as np
import pytest
import torch

from mpiis.alien import SyntheticArtWorld, WorldConfig


def test_default_world_matches_the_brief(world):
    cfg = world.config
    assert world.vocab_size == 240
    assert len(world.corpus) == 150 * 25
    assert world.availability.shape == (150, 240)
    avail = world.availability.sum(1).float().mean().item()
    assert 80 < avail < 120  # brief: ~100 concepts available per artist
    pools = world.corpus.artist_pools()
    assert 35 < np.mean([len(p) for p in pools]) < 55  # brief: ~45
    assert abs(world.ceiling_coherence() - 0.534) < 0.03  # brief's prototype: 0.534
    # every artwork: its artist's style first, then set_size - 1 distinct available subjects
    for i in (0, 1000, 3749):
        w = world.corpus.artworks[i]
        j = int(world.corpus.artist_index[i])
        e, r = world.artist_context[j]
        assert w.concepts[0] == cfg.n_subjects + e * cfg.n_regions + r
        assert all(c < cfg.n_subjects for c in w.concepts[1:])
        assert all(world.availability[j, c] for c in w.concepts)


def test_pools_are_subsets_of_available_sets_so_recall_is_one(tiny_world):
    _, pools = tiny_world.corpus.incidence()
    assert not (pools & ~tiny_world.availability).any()
    sets = torch.as_tensor([w.concepts for w in tiny_world.corpus.artworks])
    assert not tiny_world.latently_unavailable(sets).any()  # artworks are available


def test_coherence_matches_a_manual_pair_mean(tiny_world):
    G = tiny_world.compatibility
    s = torch.tensor([[0, 1, 7, 25]])
    pairs = [(0, 1), (0, 7), (0, 25), (1, 7), (1, 25), (7, 25)]
    want = np.mean([float(G[a, b]) for a, b in pairs])
    assert tiny_world.coherence(s).item() == pytest.approx(want, rel=1e-6)
    cfg = tiny_world.config
    assert float(G[0, 1]) == pytest.approx(cfg.g_same)
    assert float(G[0, 7]) == pytest.approx(cfg.g_near)
    assert float(G[0, 25]) == pytest.approx(cfg.g_style_subject)
    norm = tiny_world.normalised_coherence(s, floor=0.2, ceil=0.6)
    assert norm.item() == pytest.approx((want - 0.2) / 0.4, rel=1e-5)
    with pytest.raises(ValueError, match="ceil"):
        tiny_world.normalised_coherence(s, floor=0.6, ceil=0.2)


def test_latent_unavailability_against_brute_force(tiny_world, gen):
    V = tiny_world.vocab_size
    sets = torch.stack([torch.randperm(V, generator=gen)[:3] for _ in range(50)])
    got = tiny_world.latently_unavailable(sets)
    A = tiny_world.availability.numpy()
    want = [not any(A[j, s].all() for j in range(A.shape[0])) for s in sets.numpy()]
    assert got.tolist() == want
    assert 0 < sum(want) < 50


def test_seeds_half_single_half_pairs(tiny_world, rng):
    seeds = tiny_world.seeds(6, generator=rng)
    assert [len(s) for s in seeds] == [1, 1, 1, 2, 2, 2]
    assert seeds == tiny_world.seeds(6, generator=np.random.default_rng(0))
    with pytest.raises(TypeError, match="generator"):
        tiny_world.seeds(4, generator=0)
    with pytest.raises(ValueError, match="`n`"):
        tiny_world.seeds(0, generator=rng)


def test_world_is_deterministic_in_its_seed():
    a = SyntheticArtWorld(WorldConfig.tiny(seed=3))
    b = SyntheticArtWorld(WorldConfig.tiny(seed=3))
    c = SyntheticArtWorld(WorldConfig.tiny(seed=4))
    assert a.corpus.artwork_sets() == b.corpus.artwork_sets()
    assert a.corpus.artwork_sets() != c.corpus.artwork_sets()


def test_labels_come_from_the_vocabulary(tiny_world):
    assert tiny_world.labels[0] == "ship"
    assert tiny_world.labels[-1] == "eastern european renaissance"
    big = SyntheticArtWorld(WorldConfig.tiny(subjects_per_theme=30, n_artists=3))
    assert big.labels[24] == "t0-24"


@pytest.mark.parametrize("kw, match", [
    ({"region_probs": (0.5, 0.6)}, "sum to 1"),
    ({"region_counts": (1, 3)}, "region_counts"),
    ({"g_far": 0.0}, "g_far"),
    ({"g_same": 1.5}, "g_same"),
    ({"set_size": 1}, "set_size"),
    ({"n_artists": 0}, "n_artists"),
    ({"region_counts": (1,), "region_probs": (0.5, 0.5)}, "equal length"),
    ({"popularity_sigma": float("nan")}, "popularity_sigma"),
])
def test_config_validation(kw, match):
    with pytest.raises(ValueError, match=match):
        WorldConfig.tiny(**kw)


def test_artists_without_enough_subjects_are_redrawn_and_counted():
    cfg = WorldConfig.tiny(subjects_per_theme=2, set_size=4, n_artists=40, origin_decay=0.05,
                           region_counts=(1,), region_probs=(1.0,))
    w = SyntheticArtWorld(cfg)
    assert w.n_redraws > 0
    assert all(len(wk.concepts) == 4 for wk in w.corpus.artworks)
    assert dataclasses.replace(cfg, seed=1) != cfg
