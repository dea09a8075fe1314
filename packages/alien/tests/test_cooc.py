import numpy as np
import pytest
import torch

from mpiis.alien import ConceptLM, CooccurrenceConceptLM, SamplingMixin
from mpiis.shared.testing import check_deterministic, check_save_load


def _reference(sets, V, prefix, a=1.0):
    """The brief's naive-Bayes formula, written out in plain numpy."""
    n = np.zeros(V)
    C = np.zeros((V, V))
    for s in sets:
        for v in s:
            n[v] += 1
            for u in s:
                if u != v:
                    C[v, u] += 1
    out = np.full(V, -np.inf)
    for v in range(V):
        if v in prefix:
            continue
        lp = np.log((n[v] + a) / (n.sum() + a * V))
        for s in prefix:
            lp += np.log((C[v, s] + a) / (C[v].sum() - C[v, v] + a * (V - 1)))
        out[v] = lp
    m = out[np.isfinite(out)].max()
    return out - (m + np.log(np.exp(out[np.isfinite(out)] - m).sum()))


def test_matches_the_closed_form(tiny_world):
    sets = tiny_world.corpus.artwork_sets()
    V = tiny_world.vocab_size
    m = CooccurrenceConceptLM(V).fit(sets)
    for prefix in ([], [3], [3, 25], [0, 1, 2]):
        got = m.next_log_probs(torch.tensor([prefix], dtype=torch.long))[0].numpy()
        want = _reference(sets, V, prefix)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
        assert np.isneginf(got[prefix]).all()
        assert np.exp(got).sum() == pytest.approx(1.0, abs=1e-5)


def test_protocol_and_unfitted(tiny_world):
    m = CooccurrenceConceptLM(tiny_world.vocab_size)
    assert isinstance(m, ConceptLM) and isinstance(m, SamplingMixin)
    with pytest.raises(RuntimeError, match="not fitted"):
        m.next_log_probs(torch.zeros(1, 1, dtype=torch.long))


@pytest.mark.parametrize("rows, match", [
    ([[0, 1], [2, 2]], "row 1 repeats"),
    ([[0, 1], [3]], "row 1 has fewer than 2"),
    ([[0, 99]], r"row 0: concept ids must lie in \[0, 28\)"),
    ([], "must not be empty"),
])
def test_fit_validation(tiny_world, rows, match):
    with pytest.raises(ValueError, match=match):
        CooccurrenceConceptLM(tiny_world.vocab_size).fit(rows)


def test_constructor_validation():
    with pytest.raises(ValueError, match="vocab_size"):
        CooccurrenceConceptLM(1)
    with pytest.raises(ValueError, match="smoothing"):
        CooccurrenceConceptLM(5, smoothing=float("nan"))
    with pytest.raises(TypeError, match="integers"):
        CooccurrenceConceptLM(5).fit(torch.zeros(3, 2))


def test_sequence_nll_is_the_sum_of_next_log_probs(tiny_models, gen):
    art, _ = tiny_models
    seqs = art.sample([2], 20, 4, temperature=1.5, generator=gen)
    nll = art.sequence_nll(seqs, 1)
    manual = torch.zeros(20)
    for t in range(1, 4):
        manual -= art.next_log_probs(seqs[:, :t]).gather(1, seqs[:, t:t + 1]).squeeze(1)
    torch.testing.assert_close(nll, manual)
    generic = SamplingMixin.sequence_nll(art, seqs, 1)
    torch.testing.assert_close(nll, generic)
    torch.testing.assert_close(art.sequence_nll(seqs, 0), SamplingMixin.sequence_nll(art, seqs, 0))
    torch.testing.assert_close(art.sequence_nll(seqs, 3), SamplingMixin.sequence_nll(art, seqs, 3))
    with pytest.raises(ValueError, match="non-finite NLL"):
        art.sequence_nll(torch.tensor([[2, 3, 3, 4]]), 1)
    with pytest.raises(ValueError, match="start"):
        art.sequence_nll(seqs, 4)


def test_sampling_is_distinct_deterministic_and_tempered(tiny_models):
    art, _ = tiny_models

    def run(seed):
        return art.sample([2, 5], 64, 4, temperature=2.0,
                          generator=torch.Generator().manual_seed(seed))

    check_deterministic(run)
    s = run(0)
    assert s.shape == (64, 4) and (s[:, :2] == torch.tensor([2, 5])).all()
    assert all(len(set(r)) == 4 for r in s.tolist())
    # low temperature concentrates on the mode: fewer distinct sets than high temperature
    g = torch.Generator().manual_seed(0)
    cold = {tuple(sorted(r)) for r in art.sample([2], 200, 4, temperature=0.2,
                                                 generator=g).tolist()}
    hot = {tuple(sorted(r)) for r in art.sample([2], 200, 4, temperature=5.0,
                                                generator=g).tolist()}
    assert len(cold) < len(hot)


@pytest.mark.parametrize("kw, match", [
    ({"temperature": 0.0}, "temperature"),
    ({"temperature": float("inf")}, "temperature"),
    ({"length": 1}, "length"),
    ({"n": 0}, "`n`"),
    ({"prefix": [1, 1]}, "repeat"),
    ({"prefix": [99]}, "concept ids"),
])
def test_sample_validation(tiny_models, kw, match):
    art, _ = tiny_models
    args = {"prefix": [1], "n": 4, "length": 3, "temperature": 1.0} | kw
    with pytest.raises(ValueError, match=match):
        art.sample(args["prefix"], args["n"], args["length"], temperature=args["temperature"])


def test_save_load_round_trip(tiny_models, tmp_path):
    art, _ = tiny_models
    prefixes = torch.tensor([[0, 3], [5, 25], [7, 8]])
    check_save_load(art, lambda m: m.next_log_probs(prefixes), tmp_path / "art.npz")
    with pytest.raises(FileNotFoundError):
        CooccurrenceConceptLM.load(tmp_path / "missing.npz")


def test_meta_device_keeps_everything_on_the_model_device(tiny_models):
    art, _ = tiny_models
    meta = CooccurrenceConceptLM(art.vocab_size).to("meta")
    meta.fitted = True
    out = meta.next_log_probs(torch.zeros(4, 2, dtype=torch.long, device="meta"))
    assert out.device.type == "meta" and out.shape == (4, art.vocab_size)
    nll = meta.sequence_nll(torch.zeros(4, 3, dtype=torch.long, device="meta"), 1)
    assert nll.device.type == "meta"
