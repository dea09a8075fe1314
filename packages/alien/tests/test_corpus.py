import json
import warnings

import pytest
import torch

from mpiis.alien import PAD, Artist, Artwork, ConceptCorpus

MESSY_CSV = '''artwork,artist,concepts,style,extra
a1,van gogh,sunflower; vase ;table,post-impressionism,x
a2,van gogh,,post-impressionism,x
a3,,moon;star,romantic,x
a4,monet,water lily;bridge;pond,impressionism,x
a5,monet,bridge;bridge,,x
a6,monet,"river;boat, small",impressionism,x
a7,hokusai,wave;mount fuji;boat,ukiyo-e,x,too,many
a4,hokusai,wave;boat,ukiyo-e,x
a8,hokusai,WAVE;Fishing Boat,,x
'''


def test_messy_csv_drops_counts_and_names_bad_rows(tmp_path):
    path = tmp_path / "tags.csv"
    path.write_text(MESSY_CSV)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        corpus = ConceptCorpus.from_csv(path, style="style")
    msgs = [str(w.message) for w in caught]
    assert len(msgs) == 1  # one warning for all bad records
    msg = msgs[0]
    assert "dropped" in msg and "'a3'" in msg and "duplicate artwork id" in msg
    assert "malformed line" in msg
    ids = [w.id for w in corpus.artworks]
    # a2 keeps its style only -> 1 concept -> dropped; a5 repeats a concept -> 1 distinct -> dropped
    assert ids == ["a1", "a4", "a6", "a8"]
    rep = corpus.load_report
    assert rep.n_kept == 4 and len(rep.dropped) == rep.n_read - 4
    a1 = corpus.artworks[0]
    assert [corpus.vocab[c] for c in a1.concepts] == ["sunflower", "vase", "table",
                                                       "post-impressionism"]
    assert [corpus.vocab[c] for c in corpus.artworks[3].concepts] == ["wave", "fishing boat"]
    assert len(corpus.artists) == 3


def test_csv_with_vocabulary_removes_unknown_concepts(tmp_path):
    path = tmp_path / "tags.csv"
    path.write_text("artwork,artist,concepts\nw1,a,ship;wave;spaceship\nw2,a,ship;ufo\n"
                    "w3,b,moon;star\n")
    vocab = ["ship", "wave", "moon", "star"]
    with pytest.warns(UserWarning, match=r"unknown concept.*'spaceship' x1"):
        corpus = ConceptCorpus.from_csv(path, vocab=vocab)
    assert corpus.vocab == tuple(vocab)
    assert [w.id for w in corpus.artworks] == ["w1", "w3"]
    assert corpus.artworks[0].concepts == (0, 1)


def test_csv_missing_columns_are_listed(tmp_path):
    path = tmp_path / "tags.csv"
    path.write_text("id,painter,tags\n1,a,x;y\n")
    with pytest.raises(ValueError, match=r"missing column\(s\) \['artwork', 'artist', "
                                         r"'concepts'\]"):
        ConceptCorpus.from_csv(path)
    corpus = ConceptCorpus.from_csv(path, artwork="id", artist="painter", concepts="tags")
    assert len(corpus) == 1


def test_missing_file_and_no_usable_rows(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope\.csv"):
        ConceptCorpus.from_csv(tmp_path / "nope.csv")
    path = tmp_path / "bad.csv"
    path.write_text("artwork,artist,concepts\n1,a,\n2,b,x\n")
    with pytest.raises(ValueError, match="no usable artwork"):
        ConceptCorpus.from_csv(path)


def test_jsonl_tolerates_bad_lines(tmp_path):
    path = tmp_path / "tags.jsonl"
    lines = [json.dumps({"artwork": "a", "artist": "x", "concepts": ["moon", "owl"]}),
             "{not json",
             json.dumps([1, 2]),
             "",
             json.dumps({"artwork": "b", "artist": "x", "concepts": "moon;comet;star"}),
             json.dumps({"artwork": "c", "artist": "y", "concepts": []})]
    path.write_text("\n".join(lines) + "\n")
    with pytest.warns(UserWarning, match=r"dropped 3 of 5.*line 2: invalid JSON.*line 3: not a "
                                         r"JSON object.*line 6"):
        corpus = ConceptCorpus.from_jsonl(path)
    assert [w.id for w in corpus.artworks] == ["a", "b"]
    assert len(corpus.artists) == 1


def test_csv_round_trip(tmp_path, tiny_world):
    path = tmp_path / "world.csv"
    tiny_world.corpus.to_csv(path)
    back = ConceptCorpus.from_csv(path, vocab=tiny_world.corpus.vocab)
    assert back.artwork_sets() == tiny_world.corpus.artwork_sets()
    assert back.artist_pools() == tiny_world.corpus.artist_pools()


def test_constructor_validation():
    vocab = ["a", "b", "c"]
    with pytest.raises(ValueError, match="repeats a concept"):
        ConceptCorpus(vocab, [Artwork("w", "x", (0, 0))])
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        ConceptCorpus(vocab, [Artwork("w", "x", (0, 5))])
    with pytest.raises(ValueError, match="not in `artists`"):
        ConceptCorpus(vocab, [Artwork("w", "x", (0, 1))], [Artist("y")])
    with pytest.raises(ValueError, match="artist 'y' has no artworks"):
        ConceptCorpus(vocab, [Artwork("w", "x", (0, 1))], [Artist("x"), Artist("y")])
    with pytest.raises(ValueError, match="must not be empty"):
        ConceptCorpus(vocab, [])


def test_sequences_are_permutations_and_subsets(tiny_world, gen):
    corpus = tiny_world.corpus
    seqs = corpus.art_sequences(3, generator=gen)
    assert seqs.shape == (3 * len(corpus), 4)
    sets = corpus.artwork_sets()
    for i in (0, len(corpus) + 5, 2 * len(corpus) + 7):
        assert sorted(seqs[i].tolist()) == sorted(sets[i % len(corpus)])
    av = corpus.availability_sequences(7, 5, generator=gen)
    assert av.shape == (7 * len(corpus.artists), 5)
    pools = corpus.artist_pools()
    for i in (0, 20, 83):
        row = [v for v in av[i].tolist() if v != PAD]
        assert set(row) <= set(pools[i // 7]) and len(set(row)) == len(row)
    big = corpus.availability_sequences(2, 40, generator=gen)
    assert (big == PAD).any()  # pools smaller than 40 are padded
    assert torch.equal(corpus.art_sequences(2, generator=torch.Generator().manual_seed(1)),
                       corpus.art_sequences(2, generator=torch.Generator().manual_seed(1)))
    with pytest.raises(ValueError, match="n_permutations"):
        corpus.art_sequences(0)
