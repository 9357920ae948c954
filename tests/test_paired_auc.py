"""The paired bootstrap of AUC differences (fastk.trust.paired_auc), on a tiny model's scores of real faces."""

import numpy as np
import pytest
import torch

import fastk
from fastk.model.training.metrics import auc
from fastk.trust.paired_auc import auc_difference


@pytest.fixture(scope="module")
def scored(tiny_checkpoint, tiny_dataset):
    from fastk.data.images import read_rgb
    from fastk.model.checkpoints import load_checkpoint

    bb, model, _ = load_checkpoint(tiny_checkpoint)
    samples = fastk.create("dataset", "folder", root=tiny_dataset).samples()
    with torch.inference_mode():
        s = bb.spoof_score(model.eval(), bb.preprocess([read_rgb(x.path) for x in samples])).numpy()
    return np.array([x.label for x in samples]), s.astype(float)


def test_difference_is_the_difference_of_aucs(scored):
    y, s = scored
    rng = np.random.default_rng(0)
    noisy = [s + rng.normal(0, s.std(), len(s)) for _ in range(3)]
    out = auc_difference(y, noisy, s, n_boot=500)
    assert out["difference"] == pytest.approx(np.mean([auc(y, r) for r in noisy]) - auc(y, s), abs=1e-12)
    assert out["ci"][0] <= out["difference"] <= out["ci"][1]


def test_a_scoring_against_itself_differs_by_nothing(scored):
    y, s = scored
    out = auc_difference(y, [s, s], s, n_boot=200)
    assert out["difference"] == 0 and out["ci"] == [0, 0]


def test_the_interval_separates_a_real_effect_from_noise(scored):
    """The tiny model separates its faces (AUC well above chance); shuffling its scores destroys that,
    and the interval says so; two shufflings of the same kind are not told apart."""
    y, s = scored
    assert auc(y, s) > 0.8, "the tiny model must have learned something for this test to mean anything"
    rng = np.random.default_rng(1)
    shuffled = [rng.permutation(s) for _ in range(4)]
    drop = auc_difference(y, [s], shuffled[0])  # trained scores minus shuffled ones
    assert drop["ci"][0] > 0.1
    same = auc_difference(y, shuffled[1:3], shuffled[3])
    assert same["ci"][0] < 0 < same["ci"][1] or abs(same["difference"]) < 0.1


def test_one_class_gives_nan_not_a_number_that_looks_real(scored):
    y, s = scored
    out = auc_difference(np.ones_like(y), [s], s)
    assert np.isnan(out["difference"]) and all(np.isnan(out["ci"]))
