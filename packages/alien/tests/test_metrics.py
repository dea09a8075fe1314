import numpy as np
import pytest
import torch

from mpiis.alien import (
    artwork_novelty,
    cognitive_novelty,
    dominated_area,
    frontier_gain,
    pareto_front,
    vendi_score,
)


def test_novelty_against_brute_force(tiny_world, gen):
    corpus = tiny_world.corpus
    V = corpus.vocab_size
    sets = torch.stack([torch.randperm(V, generator=gen)[:4] for _ in range(40)])
    sets[0] = torch.tensor(corpus.artworks[3].concepts)  # an existing artwork: N_art = 0
    arts = [set(a) for a in corpus.artwork_sets()]
    pools = [set(p) for p in corpus.artist_pools()]
    want_art = [min(len(set(s) - a) for a in arts) for s in sets.tolist()]
    want_cog = [min(len(set(s) - b) for b in pools) for s in sets.tolist()]
    assert artwork_novelty(sets, corpus).tolist() == want_art
    assert cognitive_novelty(sets, corpus).tolist() == want_cog
    assert want_art[0] == 0 and want_cog[0] == 0
    # N_cog <= N_art always (an artwork is inside its artist's pool)
    assert all(c <= a for a, c in zip(want_art, want_cog, strict=True))
    with pytest.raises(ValueError, match="sets"):
        artwork_novelty(torch.tensor([[0, 999]]), corpus)


def test_pareto_front_and_area():
    p = torch.tensor([[0.2, 0.9], [0.5, 0.5], [0.4, 0.3], [0.9, 0.1], [0.1, 0.1]],
                     dtype=torch.float64)
    assert pareto_front(p).tolist() == [[0.2, 0.9], [0.5, 0.5], [0.9, 0.1]]
    assert dominated_area(p) == pytest.approx(0.2 * 0.9 + 0.3 * 0.5 + 0.4 * 0.1)
    # clipping: c > 1 counts as 1
    assert dominated_area([[0.5, 1.7]]) == pytest.approx(0.5)
    assert dominated_area([[0.5, 1.7]], clip=False) == pytest.approx(0.85)
    with pytest.raises(ValueError, match="finite"):
        dominated_area([[0.5, float("nan")]])
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        pareto_front([0.1, 0.2])


def test_frontier_gain():
    temp = [[0.1, 1.2], [0.4, 0.6], [0.8, 0.2]]
    alien = [[0.9, 0.7], [0.95, 0.3], [0.6, 1.5]]
    g = frontier_gain(alien, temp).numpy()
    assert g[0] == pytest.approx(0.9 - 0.1)  # only T with c >= 0.7 has u 0.1
    assert np.isnan(g[1])  # below min coherence 0.5
    assert g[2] == pytest.approx(0.6)  # no temperature setting that coherent: max is 0


def test_vendi_score_against_numpy_reference(gen):
    sets = torch.stack([torch.randperm(30, generator=gen)[:5] for _ in range(12)])
    X = np.zeros((12, 30))
    for i, s in enumerate(sets.tolist()):
        X[i, s] = 1
    inter = X @ X.T
    K = inter / (X.sum(1)[:, None] + X.sum(1)[None, :] - inter)
    lam = np.linalg.eigvalsh(K / 12)
    lam = lam[lam > 1e-15]
    want = np.exp(-(lam * np.log(lam)).sum())
    assert vendi_score(sets) == pytest.approx(want, rel=1e-9)
    assert vendi_score(torch.tensor([[0, 1], [0, 1]])) == pytest.approx(1.0)
    assert vendi_score(torch.tensor([[0, 1], [2, 3]])) == pytest.approx(2.0)


def test_common_checks_refuse_nonfinite_points_and_nlls():
    from mpiis.alien import alien_scores
    from mpiis.shared.testing import check_refuses_bad_input, check_refuses_nonfinite

    pts = torch.tensor([[0.2, 0.9], [0.5, 0.5]], dtype=torch.float64)
    check_refuses_nonfinite(dominated_area, pts, match="points")
    check_refuses_nonfinite(lambda p: frontier_gain(p, pts), pts, match="points")
    nll = torch.tensor([1.0, 2.0, 3.0])
    check_refuses_nonfinite(lambda x: alien_scores(x, nll, 0.5), nll, match="nll_art")
    check_refuses_nonfinite(lambda x: alien_scores(nll, x, 0.5), nll, match="nll_cog")
    check_refuses_bad_input(dominated_area, {"1-D": [0.1, 0.2], "3 columns": [[0.1, 0.2, 0.3]]},
                            match="points")
