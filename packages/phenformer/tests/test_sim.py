import numpy as np
import pytest

from mpiis.phenformer import ExpressionOracle, SimConfig, simulate_cohort
from mpiis.shared.metrics import auroc


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"n_disease_genes": 80}, "n_disease_genes"),
        ({"h2": 1.0}, "h2"),
        ({"h2": 0.0}, "h2"),
        ({"prevalence": 0.6}, "prevalence"),
        ({"prevalence": 0.0}, "prevalence"),
        ({"n_contexts": 10}, "divisible"),
        ({"mode": "other"}, "mode"),
        ({"window": 1000}, "window"),
        ({"mechanisms": 3}, "mechanisms"),
        ({"n_a": 0}, "n_a"),
        ({"n_diseases": 3}, "n_diseases"),
        ({"n_genes": 12, "n_disease_genes": 10, "n_diseases": 2}, "n_genes"),
        ({"epistasis": float("nan")}, "epistasis"),
    ],
)
def test_simconfig_validation(kw, match):
    with pytest.raises(ValueError, match=match):
        SimConfig(**kw)


def test_cohort_shapes_and_labels(cohort):
    cfg = cohort.config
    n = cfg.n_a + cfg.n_b
    assert cohort.alleles.shape == (n, cfg.n_genes, 2, cfg.snvs_per_gene)
    assert cohort.reference.shape == (cfg.n_genes, cfg.window)
    for anc in (0, 1):
        assert cohort.y[cohort.ancestry == anc].mean() == pytest.approx(cfg.prevalence, abs=0.01)
    assert len(cohort.truth.disease_genes) == cfg.n_disease_genes
    assert (cohort.indices("test", 1) >= cfg.n_a).all()
    assert set(cohort.split[cohort.ancestry == 1]) == {"test"}


def test_private_variants_absent_in_a(cohort):
    priv = cohort.truth.private_snvs
    assert priv.any()
    a = cohort.alleles[cohort.ancestry == 0]
    mask = priv[None, :, None, :]
    assert (a * mask).sum() == 0
    assert (cohort.alleles[cohort.ancestry == 1] * mask).sum() > 0


def test_genetic_value_predicts_disease(cohort):
    te = cohort.indices("test")
    assert auroc(cohort.y[te], cohort.truth.genetic_value[te]) > 0.75


def test_simulation_deterministic():
    a = simulate_cohort(SimConfig.tiny(), rng=np.random.default_rng(3))
    b = simulate_cohort(SimConfig.tiny(), rng=np.random.default_rng(3))
    np.testing.assert_array_equal(a.alleles, b.alleles)
    np.testing.assert_array_equal(a.y, b.y)


def test_rng_type_checked():
    with pytest.raises(TypeError, match="rng"):
        simulate_cohort(SimConfig.tiny(), rng=0)


def test_oracle_row_mode_matches_gene_mode(cohort):
    o = ExpressionOracle(cohort.motifs, cohort.reference.shape[1])
    m, s = cohort.sites(2)
    e1, _t1 = o(cohort.reference[2:3], m, s)
    e2, _t2 = o(np.repeat(cohort.reference[2:3], 2, 0), m, s, site_row=np.zeros(len(m), int))
    np.testing.assert_allclose(e1[0], e2[0])
    assert e2[1].sum() == 0.0


def test_cryptic_site_occupancies(cohort):
    """Consensus → 0.88, one mismatch → 0.30, two → ~0.02 (brief, "Data")."""
    mot = cohort.motifs
    m = 5
    cons = mot.consensus(m)
    one = cons.copy()
    one[0] = (one[0] + 1) % 4
    two = one.copy()
    two[1] = (two[1] + 1) % 4
    occ = mot.occupancy(m, np.stack([cons, one, two]))
    np.testing.assert_allclose(occ, [0.88, 0.30, 0.025], atol=0.01)


def test_mechanisms_two():
    c = simulate_cohort(SimConfig.tiny().replace(mechanisms=2), rng=np.random.default_rng(1))
    assert len(c.truth.contexts) == 2
    assert set(np.unique(c.truth.mechanism[c.y == 1])) <= {0, 1}
    assert (c.truth.mechanism[c.y == 0] == -1).all()


def test_expression_mode_runs():
    c = simulate_cohort(SimConfig.tiny().replace(mode="expression"), rng=np.random.default_rng(1))
    assert c.truth.causal_snvs.any()


def test_two_diseases_share_half_their_genes():
    c = simulate_cohort(SimConfig.tiny().replace(n_diseases=2), rng=np.random.default_rng(2))
    d1, d2 = c.truth.disease_gene_sets
    assert c.labels.shape == (c.n, 2)
    np.testing.assert_array_equal(c.labels[:, 0], c.y)
    assert len(np.intersect1d(d1, d2)) == len(d1) // 2
    for anc in (0, 1):
        rows = c.ancestry == anc
        assert abs(c.labels[rows, 1].mean() - c.config.prevalence) < 0.01
    # the second disease is driven by its own genes: their expression separates its cases
    z = c.expression[:, d2, c.truth.causal_context]
    assert not np.allclose(c.labels[:, 0], c.labels[:, 1])
    assert np.isfinite(z).all()


def test_single_disease_labels_and_default_unchanged():
    a = simulate_cohort(SimConfig.tiny(), rng=np.random.default_rng(3))
    assert a.labels.shape == (a.n, 1) and a.truth.epistatic_pair is None
    b = simulate_cohort(SimConfig.tiny().replace(epistasis=0.0), rng=np.random.default_rng(3))
    np.testing.assert_array_equal(a.y, b.y)


def test_epistasis_changes_liability_through_the_pair():
    a = simulate_cohort(SimConfig.tiny(), rng=np.random.default_rng(4))
    b = simulate_cohort(SimConfig.tiny().replace(epistasis=2.0), rng=np.random.default_rng(4))
    g1, g2 = b.truth.epistatic_pair
    assert {g1, g2} <= set(b.truth.disease_genes.tolist())
    # same genome and expression, different genetic value
    np.testing.assert_array_equal(a.expression, b.expression)
    assert not np.allclose(a.truth.genetic_value, b.truth.genetic_value)
    e = b.expression[:, [g1, g2], b.truth.causal_context]
    prod = (e[:, 0] - e[:, 0].mean()) * (e[:, 1] - e[:, 1].mean())
    diff = b.truth.genetic_value - a.truth.genetic_value
    assert abs(np.corrcoef(prod, diff)[0, 1]) > 0.3
