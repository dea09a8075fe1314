"""The Hugging Face plug-in on a tiny randomly initialised GPT-2 (1 layer) with a word-level
tokenizer over the tiny vocabulary, saved to a temporary folder and loaded back offline (no
small causal LM ships inside a PyPI package, so the plug-in's logic is tested on this one)."""

import pytest
import torch

transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

from mpiis.alien import AlienSampler, HFCausalConceptLM  # noqa: E402


def _make_model(path, labels):
    from tokenizers import Tokenizer, models, pre_tokenizers

    words = sorted({w for c in labels for w in c.split()})
    vocab = {"[PAD]": 0, "[BOS]": 1, "[UNK]": 2, ",": 3}
    for w in words:
        vocab.setdefault(w, len(vocab))
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    fast = transformers.PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="[BOS]",
                                                pad_token="[PAD]", unk_token="[UNK]")
    cfg = transformers.GPT2Config(vocab_size=len(vocab), n_positions=64, n_embd=16, n_layer=1,
                                  n_head=2, bos_token_id=1, eos_token_id=1, pad_token_id=0)
    torch.manual_seed(0)
    model = transformers.GPT2LMHeadModel(cfg)
    model.save_pretrained(path)
    fast.save_pretrained(path)


@pytest.fixture(scope="module")
def hf(tmp_path_factory, tiny_world):
    path = tmp_path_factory.mktemp("gpt2")
    labels = list(tiny_world.labels)
    _make_model(path, labels)
    return HFCausalConceptLM(path, labels, batch_size=8)


def test_concept_distribution_is_normalised_and_masked(hf, tiny_world):
    lp = hf.next_log_probs(torch.tensor([[0, 5], [3, 25]]))
    assert lp.shape == (2, tiny_world.vocab_size)
    torch.testing.assert_close(lp.exp().sum(1), torch.ones(2))
    assert torch.isneginf(lp[0, [0, 5]]).all()
    first = hf.next_log_probs(torch.zeros(1, 0, dtype=torch.long))
    assert torch.isfinite(first).all()


def test_log_prob_is_the_sum_of_the_continuation_tokens(hf, tiny_world):
    labels = tiny_world.labels
    a = 12  # a concept label
    ctx = [hf.start_id] + hf.tokenizer(f"{labels[0]}, {labels[5]}",
                                       add_special_tokens=False)["input_ids"]
    cont = hf.tokenizer(", " + labels[a], add_special_tokens=False)["input_ids"]
    ids = torch.tensor([ctx + cont])
    with torch.no_grad():
        lp = torch.log_softmax(hf.model(input_ids=ids).logits, -1)[0]
    manual = sum(float(lp[len(ctx) + i - 1, t]) for i, t in enumerate(cont))
    raw = hf._continuation_logprobs(ctx, [cont])
    assert float(raw[0]) == pytest.approx(manual, abs=1e-4)


def test_sampling_stays_in_the_vocabulary_and_alien_sampler_runs(hf, tiny_models, gen):
    s = hf.sample([1], 6, 3, temperature=1.0, generator=gen)
    assert s.shape == (6, 3) and int(s.max()) < hf.vocab_size
    assert all(len(set(r)) == 3 for r in s.tolist())
    _, cog = tiny_models
    out = AlienSampler(hf, cog, beta=0.5, temperature=1.5, n_candidates=6, top_k=2).sample(
        [1], 3, generator=gen)
    assert len(out) == 2


def test_fine_tuning_lowers_the_nll_and_round_trips(hf, tiny_world, tmp_path):
    seqs = torch.tensor([list(a.concepts) for a in tiny_world.corpus.artworks[:20]])
    before = hf.sequence_nll(seqs, 1).mean()
    g = torch.Generator().manual_seed(0)
    hf.fit(seqs, generator=g, epochs=3, lr=1e-2, batch_size=10)
    assert hf.sequence_nll(seqs, 1).mean() < before
    hf.save(tmp_path / "tuned")
    back = HFCausalConceptLM.load(tmp_path / "tuned")
    x = torch.tensor([[0, 5]])
    torch.testing.assert_close(back.next_log_probs(x), hf.next_log_probs(x))


def test_missing_path_and_empty_concepts(tmp_path, tiny_world):
    with pytest.raises(FileNotFoundError, match="nothing is downloaded"):
        HFCausalConceptLM(tmp_path / "absent", ["a", "b"])
    path = tmp_path / "m"
    _make_model(path, list(tiny_world.labels))
    with pytest.raises(ValueError, match="tokenises to zero tokens"):
        HFCausalConceptLM(path, ["ship", " "])


def test_benchmark_hf_back_end_on_the_tiny_model(tmp_path, monkeypatch, tiny_world):
    import dataclasses

    from mpiis.alien import benchmark
    from mpiis.shared.bench import Context

    path = tmp_path / "gpt2"
    _make_model(path, list(tiny_world.labels))
    monkeypatch.setitem(benchmark.PRESETS, "full", dataclasses.replace(
        benchmark.PRESETS["smoke"], transformer=None))
    monkeypatch.setattr(benchmark, "HF_SEEDS", 2)
    monkeypatch.setattr(benchmark, "HF_CANDIDATES", 6)
    monkeypatch.setattr(benchmark, "HF_PER_ARTIST", 3)
    opts = benchmark.suite.resolve_options({"hf_path": str(path)}, environ={})
    res = benchmark._a10_hf(Context("full", 0, None, opts))
    assert [r.id for r in res] == ["A10.hf", "A10.hf.area"]
    assert res[0].value is not None and res[0].details["fit_s"] > 0
    from mpiis.shared.bench import ClaimSkipped

    with pytest.raises(ClaimSkipped, match="hf_path"):
        benchmark._a10_hf(Context("full", 0, None,
                                  benchmark.suite.resolve_options({}, environ={})))
