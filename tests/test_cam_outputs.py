"""The spoof probability from the CAM pass's own outputs (no second forward) equals the backbone's.

Why: exploring ran the model twice per batch, once for the CAM and once for ``spoof_probability``.
A gradient method hands over its forward pass's outputs (``CamMethod.compute_outputs``) and the
backbone turns them into the probability (``Backbone.probability_from_outputs``) only where they are
its logits; LGSC's cue-score target is not, so it keeps the second forward. Tiny models trained on
real faces (tests/conftest.py, tests/helpers.py).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import fastk
from fastk.model.checkpoints import load_checkpoint


@pytest.fixture(scope="module")
def images(tiny_images):
    return tiny_images


def _check(checkpoint, images, target_name, cam_name="gradcam++"):
    backbone, model, _ = load_checkpoint(checkpoint)
    model.eval()
    x = backbone.preprocess(images)
    target = backbone.cam_target(model, target_name)
    method = fastk.create("cam", cam_name)
    maps, outputs = method.compute_outputs(target, x)
    np.testing.assert_array_equal(maps, method.compute(target, x))
    with torch.no_grad():
        expected = backbone.spoof_probability(model, x).numpy()
    probs = None if outputs is None else backbone.probability_from_outputs(target, outputs)
    return probs, expected


@pytest.mark.parametrize("target_name", ["spoof-logit", "real-logit"])
@pytest.mark.parametrize("cam_name", ["gradcam++", "gradcam", "layercam"])
def test_timm_probability_from_the_cam_pass(tiny_checkpoint, images, target_name, cam_name):
    probs, expected = _check(tiny_checkpoint, images, target_name, cam_name)
    assert probs is not None
    assert np.abs(probs.numpy() - expected).max() < 1e-5
    assert expected.std() > 1e-3  # a trained model's probabilities, not a constant


def test_lgsc_logit_target_gives_the_probability(lgsc_checkpoint, images):
    probs, expected = _check(lgsc_checkpoint, images, "spoof-logit")
    assert probs is not None
    assert np.abs(probs.numpy() - expected).max() < 1e-5


def test_lgsc_cue_score_target_keeps_the_second_forward(lgsc_checkpoint, images):
    probs, _ = _check(lgsc_checkpoint, images, "cue-score")
    assert probs is None


def test_methods_with_their_own_passes_hand_over_nothing(tiny_checkpoint, images):
    backbone, model, _ = load_checkpoint(tiny_checkpoint)
    _, outputs = fastk.create("cam", "ablationcam").compute_outputs(backbone.cam_target(model),
                                                                    backbone.preprocess(images[:2]))
    assert outputs is None


def test_overridden_spoof_probability_is_never_guessed(tiny_checkpoint, images):
    backbone, model, _ = load_checkpoint(tiny_checkpoint)
    target = backbone.cam_target(model)
    tempered = type("Tempered", (type(backbone),), {"spoof_probability": lambda self, m, x: m(x)[:, 1]})
    other = tempered.__new__(tempered)
    other.__dict__.update(backbone.__dict__)
    assert other.probability_from_outputs(target, torch.zeros(2, 2)) is None
