"""Grad-CAM, Grad-CAM++ and LayerCAM without a backward pass at a global-average-pooling + Linear head
(plugins/_gradcam_closed_form.py) give grad-cam's own maps (Pearson >= 0.999999 per image), on tiny
models trained on real faces; elsewhere grad-cam runs as it is."""

from __future__ import annotations

import numpy as np
import pytest

import fastk
from fastk.model.checkpoints import load_checkpoint

METHODS = ["gradcam", "gradcam++", "layercam"]


@pytest.fixture(scope="module")
def images(tiny_images):
    return tiny_images


def _pearsons(a, b):
    return [np.corrcoef(p.ravel(), q.ravel())[0, 1] if p.std() > 0 and q.std() > 0 else float(np.allclose(p, q))
            for p, q in zip(a, b)]


def _both(checkpoint, images, name, target_name=None, layer=None):
    backbone, model, _ = load_checkpoint(checkpoint)
    target = backbone.cam_target(model, target_name, layer)
    x = backbone.preprocess(images)
    fast, library = fastk.create("cam", name), fastk.create("cam", f"gradcam-lib:{name}")
    maps = fast.compute(target, x)
    assert all(p.grad is None for p in model.parameters()) or fast.last_path != "closed-form"
    return fast.last_path, maps, library.compute(target, x)


@pytest.mark.parametrize("name", METHODS)
@pytest.mark.parametrize("which", ["timm", "lgsc"])
def test_closed_form_gives_grad_cams_maps(tiny_checkpoint, lgsc_checkpoint, images, name, which):
    checkpoint = tiny_checkpoint if which == "timm" else lgsc_checkpoint
    for target_name in ("spoof-logit", "real-logit"):
        path, fast, library = _both(checkpoint, images, name, target_name)
        assert path == "closed-form"
        assert min(_pearsons(fast, library)) >= 0.999999, (which, name, target_name)
        assert np.abs(fast - library).max() < 1e-4
        assert library.max() > 0  # something to compare


def test_no_pooling_head_means_grad_cam_itself(tiny_checkpoint, lgsc_checkpoint, images):
    path, fast, library = _both(lgsc_checkpoint, images, "gradcam++", "cue-score")
    assert path == "grad-cam"
    np.testing.assert_array_equal(fast, library)
    backbone, model, _ = load_checkpoint(tiny_checkpoint)
    earlier = [n for n, _ in model.named_children()][-4]  # a stage before the last: more layers follow it
    path, fast, library = _both(tiny_checkpoint, images, "layercam", layer=earlier)
    assert path == "grad-cam"
    np.testing.assert_array_equal(fast, library)


def test_methods_computed_together_use_the_closed_form_and_equal_each_alone(tiny_checkpoint, images):
    backbone, model, _ = load_checkpoint(tiny_checkpoint)
    target, x = backbone.cam_target(model), backbone.preprocess(images)
    first, *others = [fastk.create("cam", n) for n in METHODS]
    together = first.compute_with(others, target, x)
    for method, maps in zip([first, *others], together):
        np.testing.assert_array_equal(maps, method.compute(target, x))
        assert method.last_path == "closed-form"
