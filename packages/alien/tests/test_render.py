import importlib.util

import pytest

from mpiis.alien import AlienSampler, DiffusersRenderer, build_prompt, render_concept_map


def test_build_prompt_templates():
    assert build_prompt(["ship", "moon"]) == "A painting that contains the concepts: ship, moon"
    assert build_prompt(["ship"], style="baroque") == \
        "A baroque painting that contains the concepts: ship"
    assert build_prompt(["a", "b"], template="{concepts} ({style})", style="x") == "a, b (x)"
    with pytest.raises(ValueError, match="concepts"):
        build_prompt([])
    with pytest.raises(ValueError, match="template"):
        build_prompt(["a"], template="no placeholder")


@pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None, reason="needs matplotlib")
def test_concept_map_png_with_truth_or_pmi(tiny_world, tiny_models, tmp_path, gen):
    art, cog = tiny_models
    combo = AlienSampler(art, cog, beta=0.5, temperature=2.0, n_candidates=16, top_k=1,
                         labels=tiny_world.labels).sample([3], 4, generator=gen)[0]
    a = render_concept_map(combo, tmp_path / "truth.png", world=tiny_world)
    b = render_concept_map(combo.concepts, tmp_path / "pmi.png", art_model=art,
                           labels=tiny_world.labels)
    for p in (a, b):
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="at least 2"):
        render_concept_map([1], tmp_path / "x.png")


def test_diffusers_renderer_errors(tmp_path):
    if importlib.util.find_spec("diffusers") is None:
        with pytest.raises(ImportError, match=r"mpiis-alien\[diffusers\]"):
            DiffusersRenderer(tmp_path)
    else:
        with pytest.raises(FileNotFoundError):
            DiffusersRenderer(tmp_path / "absent")
