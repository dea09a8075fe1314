"""mpiis.diffratio: one-step diffusion generators trained without teacher scores (DiffRatio).

A tour:
    teacher = train_teacher(EDMPrecond(MLPBackbone(64)), x, TeacherConfig.digits(), generator=g)
    res = distill(teacher, x, method="score_free", config=DistillConfig.digits(), generator=g)
    samples = res.generator.sample(1000, generator=g)        # one network evaluation each
    ref = heun_sample(teacher, (1000, 64), generator=g)      # the teacher's 35-evaluation sampler
    base = distill(teacher, x, method="score_based", ...)    # DMD / Diff-Instruct baseline
    trainer = make_trainer(teacher, config=...); trainer.step(batch)   # step by hand
    distill(..., dist=init_distributed())                     # DDP under torchrun
    init_student(teacher, "random" | "mapping_only" | "trunk_only" | ...)   # ablation arms
    best = best_of_n(res.generator, res.aux, 1000, candidates=8)   # the ratio as a verifier
    jensen_shannon(), forward_kl(), f_divergence(h)           # the f-divergence family
    DigitsFeatureNet.fit(...).fd(samples, ref); mode_coverage(...)   # metrics
"""

from ._data import ImageSplit as ImageSplit
from ._data import load_digits_split as load_digits_split
from ._data import load_mnist5k as load_mnist5k
from ._divergences import Divergence as Divergence
from ._divergences import f_divergence as f_divergence
from ._divergences import forward_kl as forward_kl
from ._divergences import jensen_shannon as jensen_shannon
from ._divergences import reverse_kl as reverse_kl
from ._generator import OneStepGenerator as OneStepGenerator
from ._init import INIT_MODES as INIT_MODES
from ._init import fit_mapping as fit_mapping
from ._init import init_student as init_student
from ._metrics import DigitsFeatureNet as DigitsFeatureNet
from ._metrics import ModeCoverage as ModeCoverage
from ._metrics import class_entropy as class_entropy
from ._metrics import mode_coverage as mode_coverage
from ._metrics import sample_recall as sample_recall
from ._nets import Denoiser as Denoiser
from ._nets import EDMPrecond as EDMPrecond
from ._nets import FeatureDenoiser as FeatureDenoiser
from ._nets import MLPBackbone as MLPBackbone
from ._nets import SigmaEmbedding as SigmaEmbedding
from ._nets import TinyUNet as TinyUNet
from ._ratio import DensityRatioNet as DensityRatioNet
from ._ratio import ratio_loss as ratio_loss
from ._schedule import EDMSchedule as EDMSchedule
from ._schedule import karras_sigmas as karras_sigmas
from ._schedule import loguniform_sigmas as loguniform_sigmas
from ._teacher import TeacherConfig as TeacherConfig
from ._teacher import heun_sample as heun_sample
from ._teacher import train_teacher as train_teacher
from ._trainers import DistillConfig as DistillConfig
from ._trainers import DistillResult as DistillResult
from ._trainers import OneStepTrainer as OneStepTrainer
from ._trainers import ScoreBasedTrainer as ScoreBasedTrainer
from ._trainers import ScoreFreeTrainer as ScoreFreeTrainer
from ._trainers import StepStats as StepStats
from ._trainers import TrainHistory as TrainHistory
from ._trainers import distill as distill
from ._trainers import make_trainer as make_trainer
from ._verifier import best_of_n as best_of_n

__all__ = [
    "INIT_MODES",
    "Denoiser",
    "DensityRatioNet",
    "DigitsFeatureNet",
    "DistillConfig",
    "DistillResult",
    "Divergence",
    "EDMPrecond",
    "EDMSchedule",
    "FeatureDenoiser",
    "ImageSplit",
    "MLPBackbone",
    "ModeCoverage",
    "OneStepGenerator",
    "OneStepTrainer",
    "ScoreBasedTrainer",
    "ScoreFreeTrainer",
    "SigmaEmbedding",
    "StepStats",
    "TeacherConfig",
    "TinyUNet",
    "TrainHistory",
    "best_of_n",
    "class_entropy",
    "distill",
    "f_divergence",
    "fit_mapping",
    "forward_kl",
    "heun_sample",
    "init_student",
    "jensen_shannon",
    "karras_sigmas",
    "load_digits_split",
    "load_mnist5k",
    "loguniform_sigmas",
    "make_trainer",
    "mode_coverage",
    "ratio_loss",
    "reverse_kl",
    "sample_recall",
    "train_teacher",
]
