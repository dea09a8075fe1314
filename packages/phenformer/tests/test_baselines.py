import numpy as np

from mpiis.phenformer import ldsc_seg_like, token_logistic, twas_like
from mpiis.shared.metrics import auroc


def test_twas_like_finds_planted_context():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 6, 4))
    y = (x[:, 2, 3] + 0.5 * rng.normal(size=500) > 0).astype(int)
    assert np.argmax(twas_like(x, y)) == 3


def test_ldsc_seg_like_finds_specific_context():
    rng = np.random.default_rng(0)
    G, C = 40, 5
    ref = rng.normal(size=(G, C)) * 0.1
    ref[:4, 2] += 3.0  # genes 0-3 specific to context 2
    snp_gene = np.repeat(np.arange(G), 5)
    z = rng.normal(size=G * 5)
    z[snp_gene < 4] += 4.0
    assert np.argmax(ldsc_seg_like(z, snp_gene, ref)) == 2


def test_token_logistic(cohort, tokens):
    x = tokens.features()
    tr, va, te = cohort.indices("train"), cohort.indices("val"), cohort.indices("test")
    f = token_logistic(x[tr], cohort.y[tr], x[va], cohort.y[va])
    assert auroc(cohort.y[te], f(x[te])) > 0.6
