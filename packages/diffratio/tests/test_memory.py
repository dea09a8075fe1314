import torch

from mpiis.diffratio._memory import cpu_peak_bytes

MB = 1 << 20


def test_counts_the_peak_not_the_sum():
    """Two 1 MiB temporaries one after the other: the peak is one of them on top of the
    held 2 MiB, not both."""
    held = torch.zeros(MB // 2)  # 2 MiB of float32

    def step():
        a = torch.ones(MB // 4)
        del a
        b = torch.ones(MB // 4)
        del b

    assert cpu_peak_bytes(step, held) == 3 * MB


def test_graph_freed_by_backward_and_dropped_gradients():
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
    peak = cpu_peak_bytes(step, w)
    w.grad = torch.zeros_like(w)
    peak_keep = cpu_peak_bytes(keep, w)
    # the weight, the saved output and the backward temporaries, but the dropped gradient
    # no longer counts once it is freed
    assert 3 * MB <= peak <= 5 * MB + 1024
    assert peak_keep == peak + MB


def test_views_count_once():
    held = torch.zeros(16)

    def step():
        a = torch.ones(MB // 4)
        v = a[: MB // 8]
        w = a.view(2, -1)
        del a, v, w

    assert cpu_peak_bytes(step, held) == MB + 64
