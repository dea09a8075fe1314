import pytest
import torch

from mpiis.alien import (
    SamplingMixin,
    TinyConceptTransformer,
    TransformerConfig,
    train_art_model,
    train_availability_model,
)
from mpiis.shared.testing import check_save_load


def _cfg(**kw):
    return TransformerConfig.tiny(**kw)


def _fit(tiny_world, cfg=None, seed=0, **kw):
    m = TinyConceptTransformer(tiny_world.vocab_size, cfg or _cfg())
    return train_art_model(tiny_world.corpus, m, n_permutations=2,
                           generator=torch.Generator().manual_seed(seed), **kw)


def test_default_size_matches_the_brief():
    m = TinyConceptTransformer(240)
    n = sum(p.numel() for p in m.parameters())
    assert 110_000 < n < 150_000  # brief: about 0.13 M parameters at V = 240


def test_shapes_mask_and_normalisation(tiny_world):
    m = _fit(tiny_world)
    prefixes = torch.tensor([[1, 2], [3, 25]])
    lp = m.next_log_probs(prefixes)
    assert lp.shape == (2, tiny_world.vocab_size)
    assert torch.isneginf(lp[0, [1, 2]]).all() and torch.isneginf(lp[1, [3, 25]]).all()
    torch.testing.assert_close(lp.exp().sum(1), torch.ones(2))
    empty = m.next_log_probs(torch.zeros(3, 0, dtype=torch.long))
    assert torch.isfinite(empty).all()


def test_one_pass_nll_equals_the_generic_loop(tiny_world, gen):
    m = _fit(tiny_world)
    seqs = m.sample([4], 16, 4, temperature=1.5, generator=gen)
    fast = m.sequence_nll(seqs, 1)
    slow = SamplingMixin.sequence_nll(m, seqs, 1)
    torch.testing.assert_close(fast, slow, rtol=1e-5, atol=1e-5)


def test_training_lowers_the_loss_and_is_deterministic(tiny_world):
    losses = []
    m = _fit(tiny_world, _cfg(epochs=4), callback=lambda d: losses.append(d["loss"]))
    assert m.history[-1] < m.history[0]
    assert min(losses[-3:]) < losses[0]
    again = _fit(tiny_world, _cfg(epochs=4))
    other = _fit(tiny_world, _cfg(epochs=4), seed=1)
    x = torch.tensor([[1, 2]])
    assert torch.equal(m.next_log_probs(x), again.next_log_probs(x))
    assert not torch.equal(m.next_log_probs(x), other.next_log_probs(x))


def test_fit_leaves_the_global_rng_untouched(tiny_world):
    m = TinyConceptTransformer(tiny_world.vocab_size, _cfg())  # construction uses torch's RNG
    state = torch.random.get_rng_state()
    train_art_model(tiny_world.corpus, m, n_permutations=2,
                    generator=torch.Generator().manual_seed(0))
    assert torch.equal(state, torch.random.get_rng_state())


def test_save_load_round_trip(tiny_world, tmp_path):
    m = _fit(tiny_world)
    prefixes = torch.tensor([[0, 3], [5, 25]])
    loaded = check_save_load(m, lambda mm: mm.next_log_probs(prefixes), tmp_path / "m.pt")
    assert loaded.config == m.config
    with pytest.raises(FileNotFoundError):
        TinyConceptTransformer.load(tmp_path / "missing.pt")


def test_unfitted_and_bad_input(tiny_world):
    m = TinyConceptTransformer(tiny_world.vocab_size, _cfg())
    with pytest.raises(RuntimeError, match="not fitted"):
        m.next_log_probs(torch.zeros(1, 1, dtype=torch.long))
    with pytest.raises(ValueError, match="row 0 repeats"):
        m.fit([[1, 1, 2]])
    with pytest.raises(ValueError, match="max_len = 8"):
        m.fit([list(range(9))])
    with pytest.raises(ValueError, match="divisible"):
        TransformerConfig(d_model=10, n_heads=4)
    with pytest.raises(ValueError, match="dropout"):
        TransformerConfig(dropout=1.0)
    with pytest.raises(ValueError, match="lr"):
        TransformerConfig(lr=float("nan"))


def test_divergence_stops_with_floating_point_error(tiny_world):
    m = TinyConceptTransformer(tiny_world.vocab_size, _cfg())
    m.head.register_forward_hook(lambda mod, inp, out: out * float("nan"))
    with pytest.raises(FloatingPointError, match="epoch 0, step 0"):
        train_art_model(tiny_world.corpus, m, n_permutations=1,
                        generator=torch.Generator().manual_seed(0))


def test_resume_from_checkpoint_matches_an_uninterrupted_fit(tiny_world, tmp_path):
    cfg = _cfg(epochs=3, dropout=0.0)
    seqs = tiny_world.corpus.art_sequences(2, generator=torch.Generator().manual_seed(5))
    full = TinyConceptTransformer(tiny_world.vocab_size, cfg).fit(
        seqs, generator=torch.Generator().manual_seed(0))
    ckpt = tmp_path / "ckpt.pt"

    class Stop(Exception):
        pass

    def stop(d):
        if d["epoch"] == 1 and d["step"] == 0:
            raise Stop

    with pytest.raises(Stop):
        TinyConceptTransformer(tiny_world.vocab_size, cfg).fit(
            seqs, generator=torch.Generator().manual_seed(0), checkpoint=ckpt, callback=stop)
    resumed = TinyConceptTransformer(tiny_world.vocab_size, cfg).fit(
        seqs, generator=torch.Generator().manual_seed(0), checkpoint=ckpt, resume=True)
    x = torch.tensor([[1, 2], [7, 3]])
    torch.testing.assert_close(resumed.next_log_probs(x), full.next_log_probs(x))
    assert len(resumed.history) == 3


def test_availability_model_trains_on_pool_subsets(tiny_world):
    m = train_availability_model(tiny_world.corpus,
                                 TinyConceptTransformer(tiny_world.vocab_size, _cfg()),
                                 n_per_artist=10, generator=torch.Generator().manual_seed(0))
    assert m.fitted and len(m.history) == 2


def test_meta_device_forward_and_scoring(tiny_world):
    m = TinyConceptTransformer(tiny_world.vocab_size, _cfg()).to("meta")
    x = torch.zeros(5, 3, dtype=torch.long, device="meta")
    assert m(x).device.type == "meta"
    assert m.next_log_probs(x).shape == (5, tiny_world.vocab_size)
    assert m.sequence_nll(x, 1).device.type == "meta"
    assert m.loss(x).device.type == "meta"


def test_train_entry_points_validate_backend(tiny_world):
    with pytest.raises(ValueError, match="backend"):
        train_art_model(tiny_world.corpus, "gpt5")
    with pytest.raises(ValueError, match="vocab_size"):
        train_art_model(tiny_world.corpus, TinyConceptTransformer(5, _cfg()))
