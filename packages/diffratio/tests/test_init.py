import pytest
import torch
from torch import nn

from mpiis.diffratio import INIT_MODES, TeacherConfig, heun_sample, init_student, train_teacher


def _same(a: nn.Module, b: nn.Module) -> bool:
    return all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))


def test_arms(ring_teacher, gen):
    t = ring_teacher
    assert _same(init_student(t, "teacher"), t)
    rnd = init_student(t, "random", generator=gen(0))
    assert not _same(rnd, t)
    assert _same(rnd, init_student(t, "random", generator=gen(0)))  # deterministic
    trunk = init_student(t, "trunk_only", generator=gen(0))
    assert _same(trunk.backbone.layers, t.backbone.layers)
    assert _same(trunk.backbone.sigma_embed, t.backbone.sigma_embed)
    assert not _same(trunk.backbone.out, t.backbone.out)
    head = init_student(t, "head_only", generator=gen(0))
    assert _same(head.backbone.out, t.backbone.out)
    assert not _same(head.backbone.layers, t.backbone.layers)
    assert all(p.requires_grad for p in head.parameters())
    assert not any(p.requires_grad for p in t.parameters())  # the teacher is untouched


def test_narrow_sigma_needs_its_teacher(ring_teacher, ring, gen):
    with pytest.raises(ValueError, match="narrow_teacher"):
        init_student(ring_teacher, "narrow_sigma")
    narrow = train_teacher(init_student(ring_teacher, "random", generator=gen(1)), ring,
                           TeacherConfig.tiny(steps=3, sigma_law="fixed"), generator=gen(1))
    assert _same(init_student(ring_teacher, "narrow_sigma", narrow_teacher=narrow), narrow)


def test_mapping_only_regresses_onto_heun(ring_teacher, gen):
    z = torch.randn(256, 2, generator=gen(5))
    target = heun_sample(ring_teacher, (256, 2), noise=z)
    sig = torch.full((256,), 2.5)

    def err(m):
        with torch.no_grad():
            return float(((m(2.5 * z, sig) - target) ** 2).mean())

    rnd = init_student(ring_teacher, "random", generator=gen(0))
    mapped = init_student(ring_teacher, "mapping_only", generator=gen(0), mapping_steps=150)
    assert err(mapped) < 0.5 * err(rnd)


def test_mode_validation(ring_teacher):
    assert set(INIT_MODES) == {"teacher", "random", "mapping_only", "narrow_sigma",
                               "trunk_only", "head_only"}
    with pytest.raises(ValueError, match="mode"):
        init_student(ring_teacher, "imagenet")
