"""mpiis.shared.torch: EMA, checkpoints, schedule, weight-decay groups, memory, DDP."""

import itertools
import textwrap

import numpy as np
import pytest

torch = pytest.importorskip("torch")
st = pytest.importorskip("mpiis.shared.torch")


def _net(seed=0):
    g = torch.Generator().manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.LayerNorm(4), torch.nn.Linear(4, 1))
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=g))
    return net


def test_ema_update_is_the_exponential_average():
    net = _net()
    ema = st.EMA(net, decay=0.9)
    before = [p.clone() for p in ema.module.parameters()]
    with torch.no_grad():
        for p in net.parameters():
            p.add_(1.0)
    ema.update(net)
    for b, p, q in zip(before, ema.module.parameters(), net.parameters(), strict=True):
        torch.testing.assert_close(p, 0.9 * b + 0.1 * q)
    assert not any(p.requires_grad for p in ema.module.parameters())
    with pytest.raises(ValueError, match="`decay` must be in"):
        st.EMA(net, decay=1.0)


def test_ema_follows_the_model_device_meta():
    with torch.device("meta"):
        net = torch.nn.Linear(3, 2)
    ema = st.EMA(net, decay=0.5)
    ema.update(net)
    assert all(p.device.type == "meta" for p in ema.module.parameters())


def test_half_life_decay():
    d = st.ema_decay_from_half_life(500_000, 512)
    assert d ** (500_000 / 512) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="`half_life_samples` must be > 0"):
        st.ema_decay_from_half_life(0, 1)


def _train(net, opt, steps, x, y, sched=None, ema=None):
    for _ in range(steps):
        opt.zero_grad()
        loss = ((net(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
        if ema is not None:
            ema.update(net)
    return loss.item()


def test_checkpoint_resume_continues_exactly(tmp_path):
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(16, 3, generator=g), torch.randn(16, 1, generator=g)

    def fresh():
        net = _net()
        opt = torch.optim.AdamW(st.weight_decay_groups(net, 0.01), lr=1e-2)
        sched = st.cosine_schedule(opt, warmup_steps=2, total_steps=10)
        return net, opt, sched, st.EMA(net, decay=0.8)

    net, opt, sched, ema = fresh()
    _train(net, opt, 10, x, y, sched, ema)
    straight = [p.clone() for p in ema.module.parameters()]

    net, opt, sched, ema = fresh()
    _train(net, opt, 4, x, y, sched, ema)
    st.save_checkpoint(tmp_path / "c.pt", model=net, optimizer=opt, ema=ema, scheduler=sched,
                       step=4, extra={"note": "x"})
    net, opt, sched, ema = fresh()
    meta = st.load_checkpoint(tmp_path / "c.pt", model=net, optimizer=opt, ema=ema,
                              scheduler=sched)
    assert meta == {"step": 4, "extra": {"note": "x"}}
    _train(net, opt, 6, x, y, sched, ema)
    for a, b in zip(straight, ema.module.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert not (tmp_path / "c.pt.tmp").exists()
    with pytest.raises(FileNotFoundError, match="is not a checkpoint"):
        st.load_checkpoint(tmp_path / "none.pt", model=net)
    st.save_checkpoint(tmp_path / "bare.pt", model=net, step=0)
    with pytest.raises(ValueError, match="holds no optimizer state"):
        st.load_checkpoint(tmp_path / "bare.pt", model=net, optimizer=opt)


def test_cosine_schedule_shape():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = st.cosine_schedule(opt, warmup_steps=4, total_steps=14, min_ratio=0.1)
    lrs = []
    for _ in range(14):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs[:4] == pytest.approx([0.25, 0.5, 0.75, 1.0])
    assert lrs[4] == pytest.approx(1.0) and lrs[-1] == pytest.approx(0.1 + 0.9 * 0.5 * (
        1 + np.cos(np.pi * 9 / 10)))
    assert all(a >= b for a, b in itertools.pairwise(lrs[4:]))
    with pytest.raises(ValueError, match="`warmup_steps` must be in"):
        st.cosine_schedule(opt, warmup_steps=20, total_steps=10)


def test_weight_decay_only_on_matrices():
    net = _net()
    decay, no_decay = st.weight_decay_groups(net, 0.05)
    assert decay["weight_decay"] == 0.05 and no_decay["weight_decay"] == 0.0
    assert {p.ndim for p in decay["params"]} == {2}
    assert len(no_decay["params"]) == 4  # two biases, LayerNorm weight and bias
    d2, nd2 = st.weight_decay_groups(net, 0.05, skip=("0.weight",))
    assert len(d2["params"]) == 1 and len(nd2["params"]) == 5


def test_peak_memory_counts_optimiser_state():
    x = torch.randn(64, 3)

    def step_with(opt_cls):
        net = _net()
        opt = opt_cls(net.parameters(), lr=1e-3)

        def step():
            opt.zero_grad()
            net(x).pow(2).mean().backward()
            opt.step()
            return net, opt

        step()  # a warm step: the optimiser's state exists, as in training
        return st.peak_memory(step)

    sgd, adam = step_with(torch.optim.SGD), step_with(torch.optim.Adam)
    n_params = sum(p.numel() for p in _net().parameters())
    # Adam holds two moments per parameter (and a step counter per tensor) more than SGD.
    assert adam - sgd >= 2 * 4 * n_params
    assert sgd >= 2 * 4 * n_params  # parameters and their gradients at least


def test_peak_memory_counts_what_is_alive_at_once():
    n = 250_000  # floats: 1 MB per tensor

    def one_at_a_time():
        for _ in range(3):
            t = torch.ones(n)
            t.sum()
            del t

    def together():
        a, b, c = torch.ones(n), torch.ones(n), torch.ones(n)
        return (a + b + c).sum()

    seq, both = st.peak_memory(one_at_a_time), st.peak_memory(together)
    assert 4 * n <= seq < 4 * n + 4096  # the largest moment, not the sum of three phases
    assert both >= 4 * 4 * n  # three inputs and their sum alive at once

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(64, 512), torch.nn.ReLU(), torch.nn.Linear(512, 64))
    opt = torch.optim.Adam(net.parameters())
    x = torch.randn(256, 64)

    def loss():
        return net(x).pow(2).mean()

    def phases():  # two graphs, one alive at a time
        opt.zero_grad()
        loss().backward()
        loss().backward()
        opt.step()
        return net, opt

    def joint():  # the same gradient from one graph holding both passes
        opt.zero_grad()
        (loss() + loss()).backward()
        opt.step()
        return net, opt

    phases()  # Adam state exists from here on
    state = 4 * sum(4 * p.numel() for p in net.parameters())  # weights, grads, two moments
    a, b = st.peak_memory(phases), st.peak_memory(joint)
    assert a >= state + 4 * 256 * 512  # the state and at least one hidden activation
    assert b > a  # the second graph's activations count only when held at once
    assert st.peak_memory(phases, held=(net, opt)) == a  # state given up front or returned


MB = 1 << 20


def test_peak_memory_counts_the_peak_not_the_sum():
    """Two 1 MiB temporaries one after the other: the peak is one of them on top of the
    held 2 MiB, not both."""
    held = torch.zeros(MB // 2)  # 2 MiB of float32

    def step():
        a = torch.ones(MB // 4)
        del a
        b = torch.ones(MB // 4)
        del b

    assert st.peak_memory(step, held=held) == 3 * MB


def test_peak_memory_graph_freed_by_backward_and_dropped_gradients():
    w = torch.zeros(MB // 4, requires_grad=True)  # 1 MiB
    w.grad = torch.zeros_like(w)  # 1 MiB, dropped by the step

    def step():
        w.grad = None
        y = (w * 2).exp()  # exp saves its 1 MiB output; the product is a 1 MiB temporary
        y.sum().backward()

    def keep():  # the same step with the old gradient kept alive throughout
        g = w.grad
        step()
        del g

    w.grad = torch.zeros_like(w)
    peak = st.peak_memory(step, held=w)
    w.grad = torch.zeros_like(w)
    peak_keep = st.peak_memory(keep, held=w)
    # the weight, the saved output and the backward temporaries, but the dropped gradient
    # no longer counts once it is freed
    assert 3 * MB <= peak <= 5 * MB + 1024
    assert peak_keep == peak + MB


def test_peak_memory_views_count_once():
    held = torch.zeros(16)

    def step():
        a = torch.ones(MB // 4)
        v = a[: MB // 8]
        w = a.view(2, -1)
        del a, v, w

    assert st.peak_memory(step, held=held) == MB + 64


DDP_SCRIPT = textwrap.dedent('''
    import sys
    import torch
    from mpiis.shared.torch import (all_reduce_mean, cleanup_distributed, distributed_sampler,
                                    init_distributed, wrap_ddp)

    def main(out):
        info = init_distributed(device="cpu")
        g = torch.Generator().manual_seed(0)
        x, y = torch.randn(8, 3, generator=g), torch.randn(8, 1, generator=g)
        data = torch.utils.data.TensorDataset(x, y)
        sampler = distributed_sampler(data, info, shuffle=False)
        loader = torch.utils.data.DataLoader(data, batch_size=8 // info.world_size,
                                             sampler=sampler, shuffle=False)
        net = torch.nn.Linear(3, 1)
        with torch.no_grad():
            net.weight.copy_(torch.tensor([[0.1, -0.2, 0.3]]))
            net.bias.zero_()
        model = wrap_ddp(net, info)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(3):
            for xb, yb in loader:
                opt.zero_grad()
                loss = ((model(xb) - yb) ** 2).mean()
                loss.backward()
                opt.step()
        mean_loss = all_reduce_mean(loss.detach().clone(), info)
        if info.is_main:
            torch.save({"w": net.weight.detach(), "b": net.bias.detach(),
                        "world": info.world_size, "loss": mean_loss}, out)
        cleanup_distributed()

    main(sys.argv[1])
''')


@pytest.mark.slow
def test_ddp_two_gloo_processes_match_one_process(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(DDP_SCRIPT)
    st.run_torchrun(script, nproc=2, args=[str(tmp_path / "two.pt")], timeout=240)
    st.run_torchrun(script, nproc=1, args=[str(tmp_path / "one.pt")], timeout=240)
    two = torch.load(tmp_path / "two.pt")
    one = torch.load(tmp_path / "one.pt")
    assert two["world"] == 2 and one["world"] == 1
    torch.testing.assert_close(two["w"], one["w"], rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(two["b"], one["b"], rtol=1e-5, atol=1e-6)
    assert not torch.equal(one["w"], torch.tensor([[0.1, -0.2, 0.3]]))  # it did train


def test_single_process_info_is_a_no_op(monkeypatch):
    monkeypatch.delenv("RANK", raising=False)
    info = st.init_distributed(device="cpu")
    assert not info.enabled and info.is_main and info.world_size == 1
    net = torch.nn.Linear(2, 1)
    assert st.wrap_ddp(net, info) is net
    assert st.distributed_sampler([1, 2], info, shuffle=True) is None
    t = torch.ones(2)
    assert st.all_reduce_mean(t, info) is t


def test_cleanup_distributed_meets_at_a_barrier_unless_unwinding(monkeypatch):
    """Ranks leave together on success; a rank that failed leaves at once (no barrier)."""
    import torch.distributed as dist

    from mpiis.shared.torch import cleanup_distributed

    calls: list[str] = []
    monkeypatch.setattr(dist, "is_initialized", lambda: True)
    monkeypatch.setattr(dist, "barrier", lambda: calls.append("barrier"))
    monkeypatch.setattr(dist, "destroy_process_group", lambda: calls.append("destroy"))
    cleanup_distributed()
    assert calls == ["barrier", "destroy"]
    calls.clear()
    with pytest.raises(RuntimeError, match="rank failed"):
        try:
            raise RuntimeError("rank failed")
        finally:
            cleanup_distributed()
    assert calls == ["destroy"]
    calls.clear()
    cleanup_distributed(barrier=False)
    assert calls == ["destroy"]
