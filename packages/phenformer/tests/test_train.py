import numpy as np
import pytest
import torch

from mpiis.phenformer import Phenformer, PhenformerConfig, TrainConfig, fit, predict_logits


def _model(cohort, gen):
    return Phenformer(PhenformerConfig.tiny(n_genes=cohort.n_genes), generator=gen)


def _split(cohort, tokens):
    x = tokens.features()
    tr, va = cohort.indices("train"), cohort.indices("val")
    return x, tr, va


def test_fit_runs_and_is_deterministic(cohort, tokens):
    x, tr, va = _split(cohort, tokens)
    outs = []
    for _ in range(2):
        g = torch.Generator().manual_seed(0)
        m = _model(cohort, g)
        seen = []
        res = fit(m, x[tr], cohort.y[tr], val=(x[va], cohort.y[va]), config=TrainConfig.tiny(),
                  generator=g, callback=seen.append)
        assert len(seen) == len(res.history) and 0 <= res.best_epoch < 2
        outs.append(predict_logits(m, x[:20]))
    np.testing.assert_array_equal(outs[0], outs[1])


@pytest.mark.parametrize(
    ("labels", "match"),
    [
        (lambda y: y[:-1], "labels"),
        (lambda y: y * 2, "only 0 and 1"),
        (lambda y: np.zeros_like(y), "both classes"),
        (lambda y: np.where(np.arange(len(y)) == 0, np.nan, y), "NaN"),
    ],
)
def test_label_validation(cohort, tokens, gen, labels, match):
    x, tr, va = _split(cohort, tokens)
    with pytest.raises(ValueError, match=match):
        fit(_model(cohort, gen), x[tr], labels(cohort.y[tr].astype(float)),
            val=(x[va], cohort.y[va]), config=TrainConfig.tiny(), generator=gen)


def test_token_validation(cohort, tokens, gen):
    x, tr, va = _split(cohort, tokens)
    bad = x[tr].copy()
    bad[0, 0, 0] = np.inf
    with pytest.raises(ValueError, match="NaN or Inf"):
        fit(_model(cohort, gen), bad, cohort.y[tr], val=(x[va], cohort.y[va]),
            config=TrainConfig.tiny(), generator=gen)
    with pytest.raises(ValueError, match="genes"):
        predict_logits(_model(cohort, gen), x[:, :3])


def test_divergence_raises(cohort, tokens, gen, monkeypatch):
    x, tr, va = _split(cohort, tokens)
    m = _model(cohort, gen)
    monkeypatch.setattr(m.head, "forward", lambda z: z[:, :1] * float("nan"))
    with pytest.raises(FloatingPointError, match="diverged"):
        fit(m, x[tr], cohort.y[tr], val=(x[va], cohort.y[va]), config=TrainConfig.tiny(),
            generator=gen)


def test_trainconfig_validation():
    with pytest.raises(ValueError, match="lr"):
        TrainConfig(lr=0)
    with pytest.raises(ValueError, match="batch_size"):
        TrainConfig(batch_size=0)


def test_two_diseases_train_two_heads():
    from mpiis.phenformer import OracleEncoder, SimConfig, precompute_tokens, simulate_cohort

    c = simulate_cohort(SimConfig.tiny().replace(n_diseases=2, n_a=300, n_b=60),
                        rng=np.random.default_rng(5))
    x = precompute_tokens(c, OracleEncoder(c)).features()
    tr, va = c.indices("train"), c.indices("val")
    g = torch.Generator().manual_seed(0)
    m = Phenformer(PhenformerConfig(n_genes=c.n_genes, n_contexts=12, d_model=16, n_tasks=2),
                   generator=g)
    fit(m, x[tr], c.labels[tr], val=(x[va], c.labels[va]), config=TrainConfig.tiny(),
        generator=g)
    out = predict_logits(m, x[:7])
    assert out.shape == (7, 2) and np.isfinite(out).all()
