"""mpiis.pmae: masked auto-encoding of principal components (PMAE, Bizeul et al. 2025).

Tour:
    basis = PCABasis.fit(train_images)              # standardised PCA of all pixels, frozen
    model = pmae(basis, arch="vit", ratio=0.2)      # mask components carrying 20 % of variance
    base = mae(basis.image_shape, ratio=0.75)       # patch-MAE baseline, same ViT and decoder
    hist = pretrain(model, train_images, PretrainConfig.cpu(), generator=g)
    f_tr = extract_features(model, train_images)    # frozen [CLS || mean token] features
    linear_probe(f_tr, y_tr, f_te, y_te).accuracy   # logistic regression, shared metrics
    sample_variance_mask / top_variance_mask / random_patch_mask: the maskers alone.
    make_failure_mode_images, load_digits_images, load_mnist5k, ImageSet: data.
    ImageTensorDataset, npz_dataset, ImageFolderDataset (streamed from disk): Dataset inputs of
    pretrain; RandomResizedCropFlip: the paper's augmentation (PretrainConfig(augment=...)).
    Multi-GPU: pretrain(..., dist=init_distributed()) under torchrun (mpiis.shared.torch).
    Benchmark: ``mpiis-bench pmae --preset quick`` (module ``mpiis.pmae.benchmark``).
"""

from ._basis import PCABasis as PCABasis
from ._data import ImageSet as ImageSet
from ._data import load_digits_images as load_digits_images
from ._data import load_mnist5k as load_mnist5k
from ._data import make_failure_mode_images as make_failure_mode_images
from ._dataset import ImageFolderDataset as ImageFolderDataset
from ._dataset import ImageTensorDataset as ImageTensorDataset
from ._dataset import RandomResizedCropFlip as RandomResizedCropFlip
from ._dataset import npz_dataset as npz_dataset
from ._loss import component_mse as component_mse
from ._loss import patch_mse as patch_mse
from ._masking import ComponentMasking as ComponentMasking
from ._masking import PatchMask as PatchMask
from ._masking import PatchMasking as PatchMasking
from ._masking import bottom_variance_mask as bottom_variance_mask
from ._masking import random_patch_mask as random_patch_mask
from ._masking import sample_variance_mask as sample_variance_mask
from ._masking import top_variance_mask as top_variance_mask
from ._mlp import MLPConfig as MLPConfig
from ._mlp import MLPDecoder as MLPDecoder
from ._mlp import MLPEncoder as MLPEncoder
from ._mlp import mlp_encoder as mlp_encoder
from ._model import MAEOutput as MAEOutput
from ._model import MaskedAutoencoder as MaskedAutoencoder
from ._model import mae as mae
from ._model import pmae as pmae
from ._probe import ProbeResult as ProbeResult
from ._probe import extract_features as extract_features
from ._probe import knn_probe as knn_probe
from ._probe import linear_probe as linear_probe
from ._probe import mlp_probe as mlp_probe
from ._train import PretrainConfig as PretrainConfig
from ._train import PretrainHistory as PretrainHistory
from ._train import pretrain as pretrain
from ._vit import ViTConfig as ViTConfig
from ._vit import ViTDecoder as ViTDecoder
from ._vit import ViTEncoder as ViTEncoder
from ._vit import sincos_pos_embed as sincos_pos_embed
from ._vit import vit_tiny_cpu as vit_tiny_cpu
from ._vit import vit_tiny_paper as vit_tiny_paper

__all__ = [
    "ComponentMasking",
    "ImageFolderDataset",
    "ImageSet",
    "ImageTensorDataset",
    "MAEOutput",
    "MLPConfig",
    "MLPDecoder",
    "MLPEncoder",
    "MaskedAutoencoder",
    "PCABasis",
    "PatchMask",
    "PatchMasking",
    "PretrainConfig",
    "PretrainHistory",
    "ProbeResult",
    "RandomResizedCropFlip",
    "ViTConfig",
    "ViTDecoder",
    "ViTEncoder",
    "bottom_variance_mask",
    "component_mse",
    "extract_features",
    "knn_probe",
    "linear_probe",
    "load_digits_images",
    "load_mnist5k",
    "mae",
    "make_failure_mode_images",
    "mlp_encoder",
    "mlp_probe",
    "npz_dataset",
    "patch_mse",
    "pmae",
    "pretrain",
    "random_patch_mask",
    "sample_variance_mask",
    "sincos_pos_embed",
    "top_variance_mask",
    "vit_tiny_cpu",
    "vit_tiny_paper",
]
