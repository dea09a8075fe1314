import numpy as np
import pytest
import torch

from mpiis.phenformer import (
    Phenformer,
    PhenformerConfig,
    adjusted_rand_index,
    context_rank,
    context_scores,
    find_subtypes,
    integrated_gradients,
    mechanistic_hypotheses,
    mrr,
    transfer_ratio,
)


@pytest.fixture(scope="module")
def model():
    return Phenformer(PhenformerConfig.tiny(n_genes=16), generator=torch.Generator().manual_seed(0)
                      ).eval()


def test_ig_completeness(model, tokens):
    """Σ IG ≈ f(x) − f(baseline) with midpoint steps (an identity of the method)."""
    x = tokens.features()[:4]
    ig = integrated_gradients(model, x, steps=64)
    with torch.no_grad():
        fx = model(torch.from_numpy(x))[:, 0].numpy()
        f0 = model(torch.zeros_like(torch.from_numpy(x)))[:, 0].numpy()
    np.testing.assert_allclose(ig.sum((1, 2)), fx - f0, rtol=0.05, atol=1e-3)


def test_context_scores_normalised(model, cohort, tokens):
    sc = context_scores(model, tokens, cases=np.flatnonzero(cohort.y == 1)[:10],
                        tissue_of_context=cohort.motifs.tissue_of_context, steps=8)
    assert sc.context.shape == (12,) and sc.tissue.shape == (4,) and sc.gene.shape == (16,)
    for s in (sc.context, sc.tissue, sc.gene):
        assert s.sum() == pytest.approx(1.0)
    rows = mechanistic_hypotheses(sc, tissue_of_context=cohort.motifs.tissue_of_context, top=5)
    assert len(rows) == 5 and rows[0]["score"] >= rows[-1]["score"]
    assert set(rows[0]) == {"disease", "tissue", "context", "gene", "score"}
    with pytest.raises(ValueError, match="cases"):
        context_scores(model, tokens, cases=np.array([], int))


def test_find_subtypes(model, cohort, tokens):
    labels = find_subtypes(model, tokens, cases=np.arange(30), k=2,
                           tissue_of_context=cohort.motifs.tissue_of_context,
                           rng=np.random.default_rng(0), steps=4)
    assert labels.shape == (30,) and set(labels) <= {0, 1}
    signed, prof = find_subtypes(model, tokens, cases=np.arange(30), k=2,
                                 tissue_of_context=cohort.motifs.tissue_of_context,
                                 rng=np.random.default_rng(0), steps=4, signed=True,
                                 return_profiles=True)
    assert signed.shape == (30,) and prof.shape == (30, cohort.n_genes * 4)
    np.testing.assert_allclose(np.linalg.norm(prof, axis=1), 1.0, rtol=1e-6)
    with pytest.raises(ValueError, match="k"):
        find_subtypes(model, tokens, cases=np.arange(3), k=0,
                      tissue_of_context=cohort.motifs.tissue_of_context,
                      rng=np.random.default_rng(0))


def test_metrics():
    assert context_rank([0.1, 0.5, 0.2], 1) == 1
    assert context_rank([0.1, 0.5, 0.2], 0) == 3
    assert mrr([1, 2, 4]) == pytest.approx((1 + 0.5 + 0.25) / 3)
    assert transfer_ratio(0.7, 0.9) == pytest.approx(0.5)
    a = np.array([0, 0, 1, 1, 2, 2])
    assert adjusted_rand_index(a, a) == pytest.approx(1.0)
    assert adjusted_rand_index(a, np.array([5, 5, 3, 3, 4, 4])) == pytest.approx(1.0)
    rng = np.random.default_rng(0)
    assert abs(adjusted_rand_index(rng.integers(0, 2, 500), rng.integers(0, 2, 500))) < 0.05
    with pytest.raises(ValueError, match="ranks"):
        mrr([0])
