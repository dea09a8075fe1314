import numpy as np
import pytest

from mpiis.phenformer import OracleEncoder, TokenCache, precompute_tokens


def test_token_shapes(cohort, tokens):
    n, G = cohort.n, cohort.n_genes
    assert tokens.delta.shape == (n, G, 2, 12)
    assert tokens.features().shape == (n, G, 24)
    assert tokens.features("consensus").shape == (n, G, 12)
    with pytest.raises(ValueError, match="kind"):
        tokens.features("bad")


def test_reference_haplotype_has_zero_delta(cohort, tokens):
    ref_rows = cohort.alleles.sum(-1) == 0  # (N, G, 2)
    assert ref_rows.any()
    assert np.abs(tokens.delta[ref_rows]).max() < 1e-6


def test_cache_second_pass_makes_no_encoder_call(cohort, tmp_path):
    cache = TokenCache(tmp_path / "tok.npz")
    first = precompute_tokens(cohort, OracleEncoder(cohort), cache=cache)
    second = precompute_tokens(cohort, OracleEncoder(cohort), cache=cache)
    assert first.encoder_calls == first.n_unique.sum() + cohort.n_genes
    assert first.encoder_calls < 2 * cohort.n * cohort.n_genes / 5
    assert second.encoder_calls == 0
    np.testing.assert_array_equal(first.delta, second.delta)
    cache.save()
    third = precompute_tokens(cohort, OracleEncoder(cohort), cache=TokenCache(tmp_path / "tok.npz"))
    assert third.encoder_calls == 0


def test_warns_on_unknown_fidelity(cohort):
    enc = OracleEncoder(cohort)
    enc.fidelity = None
    with pytest.warns(UserWarning, match="fidelity"):
        precompute_tokens(cohort, enc)


def test_noise_ablation(tokens):
    noisy = tokens.with_noise(0.5, rng=np.random.default_rng(0))
    ratio = (noisy.delta - tokens.delta).var() / tokens.delta.var()
    assert 0.2 < ratio < 0.8
