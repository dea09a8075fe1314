import pytest
import torch

from mpiis.spartan import attention_graph, jacobian_graph, path_matrix, sparsity_penalty


def test_path_matrix_counts_two_hop_paths():
    T = 3
    A1 = torch.eye(T)[None].clone()
    A1[0, 1, 0] = 1  # 0 -> 1 in layer 1
    A2 = torch.eye(T)[None].clone()
    A2[0, 2, 1] = 1  # 1 -> 2 in layer 2
    P = path_matrix(torch.stack([A1, A2]))
    assert P[0, 2, 0] == 1  # the two-hop route 0 -> 1 -> 2
    assert P[0, 1, 0] == 1 and P[0, 2, 1] == 1
    assert P[0, 0, 2] == 0
    assert torch.equal(torch.diagonal(P[0]), torch.ones(T))
    # order matters: layer 2 before layer 1 gives no two-hop path
    assert path_matrix(torch.stack([A2, A1]))[0, 2, 0] == 0


def test_path_matrix_ignores_diagonal_and_penalty_scale():
    A = torch.ones(2, 1, 4, 4)
    P = path_matrix(A)
    assert torch.allclose(P, torch.full((1, 4, 4), 4.0) + 0.0 * P)  # (J)^2 = T * J
    assert torch.allclose(sparsity_penalty(P), torch.tensor([4.0]))
    assert torch.allclose(sparsity_penalty(path_matrix(torch.zeros(1, 3, 5, 5))),
                          torch.tensor([5 / 25]))
    with pytest.raises(ValueError, match="path"):
        sparsity_penalty(torch.ones(3, 3))
    with pytest.raises(ValueError, match="adjacencies"):
        path_matrix(torch.ones(2, 3, 4))


def test_attention_graph_threshold():
    a = torch.full((1, 1, 4, 4), 0.1)
    a[0, 0, 2, 1] = 0.5
    g = attention_graph(a)
    assert g[0, 2, 1] and g.sum() == 1
    assert attention_graph(a, threshold=0.05).sum() == 12


def test_jacobian_graph_finds_dependencies(cfg, gen):
    from mpiis.spartan import DenseTransformerWM

    m = DenseTransformerWM(cfg, generator=gen(0))
    x = torch.randn(3, 6, 4, generator=gen(1))
    g = jacobian_graph(m, x, threshold=0.0)
    off = ~torch.eye(6, dtype=torch.bool)
    assert g.shape == (3, 6, 6) and g[:, off].all() and not g[:, ~off].any()
    assert not jacobian_graph(m, x, threshold=1e9).any()
