"""Parity of ``mpiis.phenformer.EnformerModel`` with the community port enformer-pytorch: same
state-dict keys and shapes at the published size, and the same outputs on a small random network
whose weights are copied across. Not part of CI; needs enformer-pytorch importable.

    uv run --with enformer-pytorch python benchmarks/peers/phenformer/enformer_parity.py
"""

from __future__ import annotations

import json

import torch
from torch import nn

from mpiis.phenformer import EnformerConfig, EnformerModel
from mpiis.phenformer._enformer import _fold_aliases


def main() -> None:
    import enformer_pytorch
    from enformer_pytorch.config_enformer import EnformerConfig as TheirConfig
    from enformer_pytorch.modeling_enformer import Enformer

    kw = dict(dim=48, depth=2, heads=2, output_heads={"human": 10}, target_length=8,
              attn_dim_key=8, num_downsamples=4, dim_divisible_by=8)
    torch.manual_seed(0)
    theirs = Enformer(TheirConfig(**kw, use_tf_gamma=False)).eval()
    with torch.no_grad():  # move zero-initialised weights so that the check is not trivial
        for p in theirs.parameters():
            p.add_(0.05 * torch.randn_like(p))
        for mod in theirs.modules():
            if isinstance(mod, nn.BatchNorm1d):
                mod.running_mean.normal_()
                mod.running_var.uniform_(0.5, 2)
    ours = EnformerModel(EnformerConfig(**kw)).eval()
    ours.load_state_dict(_fold_aliases(theirs.state_dict()), strict=True)
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (2, 512)), 4).float()
    with torch.no_grad():
        diff = (theirs(x)["human"] - ours(x)["human"]).abs().max().item()
    with torch.device("meta"):
        t_full, o_full = Enformer(TheirConfig(use_tf_gamma=False)), EnformerModel()
    a, b = _fold_aliases(t_full.state_dict()), o_full.state_dict()
    res = {"enformer_pytorch": getattr(enformer_pytorch, "__version__", "?"),
           "max_abs_output_diff_small_net": diff,
           "published_size_keys_equal": set(a) == set(b),
           "published_size_shapes_equal": all(a[k].shape == v.shape for k, v in b.items()),
           "parameters": sum(p.numel() for p in o_full.parameters())}
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
