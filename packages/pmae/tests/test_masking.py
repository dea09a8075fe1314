import numpy as np
import pytest
import torch

from mpiis.pmae import (
    ComponentMasking,
    PatchMasking,
    bottom_variance_mask,
    random_patch_mask,
    sample_variance_mask,
    top_variance_mask,
)


def test_variance_mask_budget(basis, gen):
    evr = basis.explained_variance_ratio
    m = sample_variance_mask(evr, 0.2, 64, generator=gen(0))
    k = basis.n_components
    assert m.shape == (64, k) and m.dtype == torch.bool
    share = (m.float() * evr).sum(1)
    assert float((share - 0.2).abs().max()) <= float(evr.max()) + 1e-6
    assert bool((m.sum(1) >= 1).all()) and bool((m.sum(1) <= k - 1).all())


def test_variance_mask_is_closest_prefix(gen):
    # equal ratios: every prefix sum is j/K, so the closest one masks round(r K) components
    evr = torch.full((20,), 0.05)
    m = sample_variance_mask(evr, 0.33, 50, generator=gen(1))
    assert bool((m.sum(1) == 7).all())
    # unequal ratios: within max_k e_k of r
    evr = torch.tensor([0.4, 0.3, 0.2, 0.1])
    share = (sample_variance_mask(evr, 0.5, 200, generator=gen(1)).float() * evr).sum(1)
    assert float((share - 0.5).abs().max()) <= 0.2 + 1e-6


def test_variance_mask_deterministic(basis, gen):
    evr = basis.explained_variance_ratio
    a = sample_variance_mask(evr, 0.2, 8, generator=gen(3))
    b = sample_variance_mask(evr, 0.2, 8, generator=gen(3))
    c = sample_variance_mask(evr, 0.2, 8, generator=gen(4))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_random_ratio_range(basis, gen):
    evr = basis.explained_variance_ratio
    m = sample_variance_mask(evr, (0.1, 0.9), 256, generator=gen(0))
    share = (m.float() * evr).sum(1)
    assert float(share.min()) < 0.3 and float(share.max()) > 0.7


def test_top_bottom(basis):
    evr = basis.explained_variance_ratio
    top, bot = top_variance_mask(evr, 0.2), bottom_variance_mask(evr, 0.2)
    assert bool(top[0]) and not bool(top[-1])
    assert bool(bot[-1]) and not bool(bot[0])
    assert top.sum() < bot.sum()


def test_random_patch_mask(gen):
    pm = random_patch_mask(4, 16, 0.75, generator=gen(0))
    assert pm.ids_keep.shape == (4, 4)
    assert bool((pm.mask.sum(1) == 12).all())
    kept = torch.zeros(4, 16, dtype=torch.bool).scatter(1, pm.ids_keep, True)
    assert torch.equal(kept, ~pm.mask)


def test_component_masking_visible_image(basis, synth, gen):
    cm = ComponentMasking(basis, ratio=0.3)
    x = torch.from_numpy(synth.images[:4])
    vis, c, m = cm(x, generator=gen(0))
    assert vis.shape == x.shape and c.shape == (4, basis.n_components)
    expected = basis.reconstruct(c * (~m), standardized=True)
    assert torch.allclose(vis, expected, atol=1e-4)
    # the visible image carries none of the masked components
    assert float((basis.project(vis, standardized=True) * m).abs().max()) < 1e-3


@pytest.mark.parametrize("mode", ["fixed", "random", "top", "bottom"])
def test_component_masking_modes(basis, synth, gen, mode):
    _, _, m = ComponentMasking(basis, mode=mode)(synth.images[:5], generator=gen(0))
    assert m.shape == (5, basis.n_components) and bool((m.sum(1) >= 1).all())


def test_mask_validation(basis, synth):
    cm = ComponentMasking(basis)
    with pytest.raises(ValueError, match="mask"):
        cm(synth.images[:2], mask=torch.zeros(2, 5, dtype=torch.bool))
    with pytest.raises(ValueError, match="mask"):
        cm(synth.images[:2], mask=torch.zeros(2, basis.n_components))
    with pytest.raises(ValueError, match="image shape"):
        cm(np.zeros((2, 1, 8, 8), np.float32))


@pytest.mark.parametrize("ratio", [0.0, 1.0, -0.1, float("nan")])
def test_ratio_validation(basis, ratio):
    with pytest.raises(ValueError, match="ratio"):
        ComponentMasking(basis, ratio=ratio)
    with pytest.raises(ValueError, match="ratio"):
        PatchMasking(ratio=ratio)


@pytest.mark.parametrize("rng", [(0.5, 0.2), (0.0, 0.5), (0.2, 1.0), (0.1,)])
def test_random_range_validation(basis, rng):
    with pytest.raises(ValueError, match="random_range"):
        ComponentMasking(basis, random_range=rng)


def test_unknown_basis_type():
    with pytest.raises(TypeError, match="basis"):
        ComponentMasking("not a basis")  # type: ignore[arg-type]


def test_truncated_basis_keeps_residual_visible(small_images, gen):
    from mpiis.pmae import PCABasis

    b = PCABasis.fit(small_images, n_components=10)
    vis, _, m = ComponentMasking(b, ratio=0.3)(small_images[:4], generator=gen(0))
    z = b.standardize(small_images[:4]).reshape(4, -1)
    v = b.components
    residual = z - (z @ v) @ v.T
    vis_flat = vis.reshape(4, -1)
    assert torch.allclose(vis_flat - (vis_flat @ v) @ v.T, residual, atol=1e-4)
    assert float(((vis_flat @ v) * m).abs().max()) < 1e-4
