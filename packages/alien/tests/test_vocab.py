from mpiis.alien import ERAS, REGIONS, THEMES, load_vocabulary


def test_bundled_vocabulary_shape_and_uniqueness():
    v = load_vocabulary()
    assert len(v) == 12 * 24 + 24
    assert len(set(v.concepts)) == len(v)
    for theme in THEMES:
        subj = v.subjects(theme)
        assert len(subj) == 24
        assert all(c == c.lower() and 1 <= len(c.split()) <= 3 for c in subj)
    styles = [c for c, k in zip(v.concepts, v.kinds, strict=True) if k == "style"]
    assert styles[0] == f"{REGIONS[0]} {ERAS[0]}" and len(styles) == 24


def test_index_names_missing_concept():
    import pytest

    v = load_vocabulary()
    assert v.concepts[v.index("lighthouse")] == "lighthouse"
    with pytest.raises(KeyError, match="spaceship"):
        v.index("spaceship")
