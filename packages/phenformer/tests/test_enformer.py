"""The real-scale encoder option: Enformer's architecture, loaded from local files only."""

import numpy as np
import pytest
import torch

from mpiis.phenformer import (
    EnformerConfig,
    EnformerEncoder,
    EnformerModel,
    SimConfig,
    precompute_tokens,
    simulate_cohort,
)
from mpiis.shared.testing import check_save_load

TARGETS = ("index\tgenome\tidentifier\tfile\tclip\tscale\tsum_stat\tdescription\n"
           "0\t0\tENCFF1\tx\t32\t2\tmean\tDNASE:liver\n"
           "1\t0\tCNhs1\tx\t384\t1\tsum\tCAGE:liver, adult\n"
           "2\t0\tCNhs2\tx\t384\t1\tsum\tCAGE:Hepatocyte, donor1\n"
           "3\t0\tCNhs3\tx\t384\t1\tsum\tCAGE:liver, fetal\n"
           "4\t0\tbroken row without columns\n"
           "5\t0\tCHIP1\tx\t32\t2\tmean\tCHIP:H3K27ac:brain\n")


@pytest.fixture
def weights_dir(tmp_path):
    torch.manual_seed(0)
    m = EnformerModel(EnformerConfig.tiny()).eval()
    m.save_pretrained(tmp_path)
    (tmp_path / "targets_human.txt").write_text(TARGETS)
    return tmp_path, m


def test_published_size_has_enformers_parameter_count():
    with torch.device("meta"):
        m = EnformerModel()
    assert sum(p.numel() for p in m.parameters()) == 251_221_292
    keys = set(m.state_dict())
    assert {"stem.0.weight", "stem.2.to_attn_logits.weight", "_heads.human.0.weight",
            "transformer.10.0.fn.1.to_rel_k.weight", "final_pointwise.1.2.weight"} <= keys


def test_meta_device_forward():
    with torch.device("meta"):
        m = EnformerModel(EnformerConfig.tiny())
        out = m(torch.zeros(2, 128, 4))
    assert out["human"].shape == (2, 8, 10) and out["human"].is_meta


def test_encoder_reads_cage_tss_bins(weights_dir):
    path, m = weights_dir
    enc = EnformerEncoder(path)
    assert enc.n_contexts == 3 and enc.fidelity is None
    assert enc.context_names == ["liver, adult", "Hepatocyte, donor1", "liver, fetal"]
    assert enc.tissue_names == ["hepatocyte", "liver"]
    np.testing.assert_array_equal(enc.context_to_tissue, [1, 0, 1])
    rng = np.random.default_rng(0)
    seqs = rng.integers(0, 5, size=(3, 256)).astype(np.int8)  # N (4) included
    got = enc.encode(seqs)
    assert got.shape == (3, 3) and np.isfinite(got).all()
    x = torch.nn.functional.one_hot(torch.as_tensor(seqs, dtype=torch.long), 5)[..., :4].float()
    with torch.no_grad():
        ref = m(x)["human"][:, 3:5][..., [1, 2, 3]].sum(1).log1p().numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)


def test_save_load_predicts_identically(tmp_path):
    m = EnformerModel(EnformerConfig.tiny()).eval()
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (2, 128)), 4).float()
    check_save_load(m, lambda mod: mod(x)["human"], tmp_path / "w")


def test_trunk_aliases_are_folded(weights_dir, tmp_path_factory):
    path, m = weights_dir
    sd = m.state_dict()
    sd.update({"_trunk.1." + k[len("stem."):]: v for k, v in sd.items() if k.startswith("stem.")})
    other = tmp_path_factory.mktemp("alias")
    torch.save(sd, other / "pytorch_model.bin")
    (other / "config.json").write_text((path / "config.json").read_text())
    loaded = EnformerModel.from_pretrained(other)
    x = torch.zeros(1, 128, 4)
    torch.testing.assert_close(loaded(x)["human"], m(x)["human"], rtol=0, atol=0)


def test_plugs_into_token_building(weights_dir):
    path, _ = weights_dir
    cohort = simulate_cohort(SimConfig.tiny().replace(n_a=100, n_b=20, n_genes=6,
                                                      n_disease_genes=2),
                             rng=np.random.default_rng(0))
    enc = EnformerEncoder(path, tracks=[1, 2], batch_size=64)
    with pytest.warns(UserWarning, match="fidelity"):
        tok = precompute_tokens(cohort, enc)
    assert tok.delta.shape == (cohort.n, 6, 2, 2)


def test_bad_input_names_the_argument(weights_dir, tmp_path_factory):
    path, _ = weights_dir
    empty = tmp_path_factory.mktemp("empty")
    with pytest.raises(FileNotFoundError, match="weights_dir"):
        EnformerEncoder(empty)
    with pytest.raises(FileNotFoundError, match="weights_dir"):
        EnformerEncoder(empty / "nope")
    (path / "targets_human.txt").unlink()
    with pytest.raises(FileNotFoundError, match="targets_human"):
        EnformerEncoder(path)
    with pytest.raises(ValueError, match="tracks"):
        EnformerEncoder(path, tracks=[10])
    with pytest.raises(ValueError, match="head"):
        EnformerEncoder(path, tracks=[0], head="mouse")
    enc = EnformerEncoder(path, tracks=[0])
    with pytest.raises(ValueError, match="seqs"):
        enc.encode(np.zeros(256, np.int8))
    with pytest.raises(ValueError, match="onehot"):
        enc.encode(np.zeros((1, 100), np.int8))
    with pytest.raises(ValueError, match="dim"):
        EnformerConfig(dim=50, heads=2)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_encoder_on_gpu_matches_cpu(weights_dir):
    path, _ = weights_dir
    seqs = np.random.default_rng(1).integers(0, 4, size=(2, 256)).astype(np.int8)
    cpu = EnformerEncoder(path).encode(seqs)
    gpu = EnformerEncoder(path, device="cuda").encode(seqs)
    np.testing.assert_allclose(gpu, cpu, rtol=1e-3, atol=1e-4)
