"""Device consistency: with a teacher on the ``meta`` device, everything ``distill`` and
``train_teacher`` build (networks, buffers, optimiser state, EMA copies) lives there (a tensor
created on the CPU by mistake shows up as a device mismatch or a CPU tensor), generators on the
CPU drive it, and no forward reads tensor values (``meta`` tensors have none). Tests marked
``gpu`` run the training entry points and the smoke preset on CUDA; they skip without a GPU."""

from __future__ import annotations

import pytest
import torch

from mpiis.diffratio import (
    DensityRatioNet,
    DistillConfig,
    EDMPrecond,
    MLPBackbone,
    OneStepGenerator,
    TeacherConfig,
    TinyUNet,
    best_of_n,
    distill,
    heun_sample,
    init_student,
    train_teacher,
)

META = torch.device("meta")


def _tensors(obj) -> list[torch.Tensor]:
    out: list[torch.Tensor] = []
    if isinstance(obj, torch.nn.Module):
        out += [*obj.parameters(), *obj.buffers()]
    elif isinstance(obj, torch.optim.Optimizer):
        for st in obj.state.values():
            out += [v for v in st.values() if isinstance(v, torch.Tensor) and v.ndim > 0]
    elif isinstance(obj, dict):
        for v in obj.values():
            out += _tensors(v)
    return out


def _all_on(obj, device: torch.device) -> bool:
    ts = _tensors(obj)
    return bool(ts) and {t.device.type for t in ts} == {device.type}


def _teacher(kind: str) -> EDMPrecond:
    g = torch.Generator().manual_seed(0)
    if kind == "mlp":
        return EDMPrecond(MLPBackbone(2, hidden=16, emb_dim=8, generator=g), sigma_data=1.4)
    return EDMPrecond(TinyUNet(1, base=8, mults=(1, 2), emb_dim=8, generator=g), shape=(1, 8, 8))


@pytest.mark.parametrize("kind", ["mlp", "unet"])
@pytest.mark.parametrize("method", ["score_free", "score_based"])
def test_everything_distill_builds_lives_on_the_teachers_device(kind, method):
    teacher = _teacher(kind).to(META)
    shape = teacher.data_shape
    data = torch.empty(64, *shape, device=META)
    cfg = DistillConfig.tiny(steps=2, batch_size=8)
    res = distill(teacher, data, method=method, config=cfg,
                  generator=torch.Generator().manual_seed(1))  # a CPU generator drives it
    tr = res.trainer
    held = tr.held()
    assert held["opt_generator"].state and held["opt_aux"].state  # Adam state was created
    for name, obj in held.items():
        assert _all_on(obj, META), name
    assert _all_on(res.generator, META) and _all_on(res.aux, META)
    assert res.generator.sample(4, generator=torch.Generator().manual_seed(2)).device == META
    if method == "score_free":
        assert best_of_n(res.generator, res.aux, 3, candidates=2).device == META


@pytest.mark.parametrize("init", ["random", "trunk_only", "head_only"])
def test_init_arms_and_ratio_nets_build_on_meta(init):
    teacher = _teacher("mlp").to(META)
    assert _all_on(init_student(teacher, init, generator=torch.Generator().manual_seed(0)), META)
    assert _all_on(DensityRatioNet.from_teacher(teacher,
                                                generator=torch.Generator().manual_seed(0)),
                   META)
    net = DensityRatioNet.standalone((2,), hidden=8, device=META,
                                     generator=torch.Generator().manual_seed(0))
    assert _all_on(net, META)


def test_train_teacher_and_heun_on_meta():
    den = _teacher("mlp").to(META)
    ema = train_teacher(den, torch.empty(32, 2, device=META), TeacherConfig.tiny(steps=3,
                                                                                batch_size=8),
                        generator=torch.Generator().manual_seed(0))
    assert _all_on(ema, META) and _all_on(den, META)
    assert heun_sample(ema, (4, 2), steps=3, generator=torch.Generator().manual_seed(0)
                       ).device == META


def test_a_cpu_generator_gives_the_same_weights_wherever_the_model_lives():
    a = MLPBackbone(2, hidden=8, generator=torch.Generator().manual_seed(3))
    b = MLPBackbone(2, hidden=8).to(META)
    from mpiis.diffratio._nets import reinit_

    reinit_(b, generator=torch.Generator().manual_seed(3))  # draws on the CPU, copies to meta
    assert _all_on(b, META)
    c = MLPBackbone(2, hidden=8)
    reinit_(c, generator=torch.Generator().manual_seed(3))
    for p, q in zip(a.parameters(), c.parameters(), strict=True):
        assert torch.equal(p, q)


def test_empty_data_and_bad_init_are_named():
    teacher = _teacher("mlp")
    with pytest.raises(ValueError, match=r"`data` must hold at least 1 example"):
        train_teacher(teacher, torch.empty(0, 2), TeacherConfig.tiny())
    with pytest.raises(ValueError, match=r"`data` must hold at least 1 example"):
        distill(teacher, torch.empty(0, 2), config=DistillConfig.tiny(steps=1))
    with pytest.raises(ValueError, match=r"`data` is an empty iterable"):
        distill(teacher, [], config=DistillConfig.tiny(steps=1))
    with pytest.raises(ValueError, match=r"`init` must be one of .*'teacher'.*got 'bogus'"):
        distill(teacher, torch.zeros(8, 2), config=DistillConfig.tiny(steps=1), init="bogus")


# ----------------------------------------------------------------------------- CUDA
cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@pytest.mark.gpu
@cuda
@pytest.mark.parametrize("gen_device", ["cpu", "cuda"])
@pytest.mark.parametrize("method", ["score_free", "score_based"])
def test_train_teacher_and_distill_on_cuda(method, gen_device, ring):
    dev = torch.device("cuda")
    g = torch.Generator(device=gen_device).manual_seed(0)
    den = EDMPrecond(MLPBackbone(2, hidden=32, generator=g), sigma_data=1.4).to(dev)
    teacher = train_teacher(den, ring.to(dev), TeacherConfig.tiny(), generator=g)
    assert _all_on(teacher, dev)
    res = distill(teacher, ring, method=method, config=DistillConfig.tiny(), generator=g)
    for name, obj in res.trainer.held().items():
        assert _all_on(obj, dev), name
    x = res.generator.sample(16, generator=g)
    assert x.device.type == "cuda" and bool(torch.isfinite(x).all())
    assert all(map(torch.isfinite, map(torch.tensor, res.history.aux_loss)))


@pytest.mark.gpu
@cuda
def test_unet_distill_with_amp_on_cuda():
    dev = torch.device("cuda")
    g = torch.Generator(device=dev).manual_seed(0)
    teacher = _teacher("unet").to(dev)
    x = torch.rand(64, 1, 8, 8, device=dev) * 2 - 1
    teacher = train_teacher(teacher, x, TeacherConfig.tiny(amp="bf16"), generator=g)
    for method in ("score_free", "score_based"):
        res = distill(teacher, x, method=method, config=DistillConfig.tiny(amp="bf16"),
                      generator=g)
        assert _all_on(res.trainer.held(), dev)


@pytest.mark.gpu
@cuda
def test_no_host_sync_in_forward_passes_on_cuda():
    """The teacher, generator and ratio forwards never wait for the GPU (sync debug mode)."""
    import warnings

    dev = torch.device("cuda")
    teacher = _teacher("mlp").to(dev)
    gen = OneStepGenerator(teacher)
    ratio = DensityRatioNet.from_teacher(teacher)
    x = torch.randn(16, 2, device=dev)
    sigma = torch.full((16,), 0.5, device=dev)
    torch.cuda.synchronize()
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        torch.cuda.set_sync_debug_mode("warn")
        try:
            teacher(x, sigma)
            gen(x)
            ratio(x, sigma)
        finally:
            torch.cuda.set_sync_debug_mode("default")
    assert not [w for w in got if "synchroniz" in str(w.message)]


@pytest.mark.gpu
@cuda
def test_fit_host_syncs_do_not_grow_with_steps(ring):
    import warnings

    dev = torch.device("cuda")

    def count(steps):
        g = torch.Generator(device=dev).manual_seed(0)
        teacher = _teacher("mlp").to(dev)
        torch.cuda.synchronize()
        with warnings.catch_warnings(record=True) as got:
            warnings.simplefilter("always")
            torch.cuda.set_sync_debug_mode("warn")
            try:
                distill(teacher, ring.to(dev), config=DistillConfig.tiny(steps=steps,
                                                                         log_every=100),
                        generator=g, progress=False)
            finally:
                torch.cuda.set_sync_debug_mode("default")
        return sum("synchroniz" in str(w.message) for w in got)

    assert count(20) == count(10)


@pytest.mark.gpu
@cuda
def test_smoke_preset_on_cuda(tmp_path):
    from mpiis.diffratio import benchmark

    res = benchmark.run("smoke", seed=0, out_dir=tmp_path)
    assert not [r.id for r in res if r.error is not None]
