"""Every registered CAM method on a tiny model trained on real faces: maps in [0, 1] at input size."""

import numpy as np
import pytest

import fastk
from fastk.data.images import read_rgb
from fastk.model.checkpoints import load_checkpoint

#: Every registered name; ``gradcam-lib`` needs a method, so grad-cam's own ScoreCAM and AblationCAM (whose
#: plain names belong to the fast versions) are tested through it.
CAMS = [n for n in fastk.list_names("cam") if n != "gradcam-lib"] + ["gradcam-lib:scorecam", "gradcam-lib:ablationcam"]
#: Methods whose maps may legitimately be all zero on a 2-class model (ReLU of negative evidence,
#: FinerCAM's comparison against other classes, random weights), so only the range is checked.
MAY_BE_FLAT = {"randomcam", "gradcam", "hirescam", "xgradcam", "finercam", "fem", "shapleycam", "sess", "eigengradcam"}


@pytest.fixture(scope="module")
def trained(tiny_checkpoint, tiny_dataset):
    backbone, model, meta = load_checkpoint(tiny_checkpoint)
    samples = fastk.create("dataset", "folder", root=tiny_dataset).samples()
    images = [read_rgb(s.path) for s in samples[:3]] + [read_rgb(s.path) for s in samples[-3:]]
    return backbone, model, meta, backbone.preprocess(images)


def test_tiny_model_learned_something(trained):
    _, _, meta, _ = trained
    assert meta["train_accuracy"] >= 0.75
    assert meta["losses"][-1] < meta["losses"][0]


@pytest.mark.parametrize("name", CAMS)
def test_every_cam_method_returns_maps_in_unit_range(trained, name):
    backbone, model, _, x = trained
    target = backbone.cam_target(model)
    maps = fastk.create("cam", name).compute(target, x)
    assert maps.shape == (len(x), 64, 64)
    assert maps.dtype == np.float32
    assert np.isfinite(maps).all()
    assert maps.min() >= 0.0 and maps.max() <= 1.0
    if name not in MAY_BE_FLAT:
        np.testing.assert_allclose(maps.max(axis=(1, 2)), 1.0, atol=1e-5, err_msg="each map is scaled to reach 1")


def test_builtin_methods_named_in_the_issue_are_there():
    assert {"gradcam++", "scorecam", "ablationcam", "gradcam-lib"} <= set(fastk.list_names("cam"))


def test_cam_leaves_every_module_flag_and_weight_layout_as_it_was(trained):
    """Fast CAMs switch to eval mode and channels-last weights for the call; nothing of that may stay."""
    backbone, model, _, x = trained
    before = {n: (p.data_ptr(), p.stride()) for n, p in model.named_parameters()}
    model.train()
    try:
        fastk.create("cam", "scorecam:top=8").compute(backbone.cam_target(model), x[:1])
        assert all(m.training for m in model.modules())
    finally:
        model.eval()
    assert {n: (p.data_ptr(), p.stride()) for n, p in model.named_parameters()} == before


def test_default_target_is_the_spoof_logit_at_the_last_stage(trained):
    backbone, model, _, _ = trained
    record = backbone.cam_target(model).record()
    assert record == {"target": "spoof-logit", "target_description": "logit of class spoof (1)",
                      "target_layer": "layer4", "output_index": 1}


def test_deterministic_methods_repeat_exactly(trained):
    backbone, model, _, x = trained
    target = backbone.cam_target(model)
    a = fastk.create("cam", "gradcam++").compute(target, x)
    b = fastk.create("cam", "gradcam++").compute(target, x)
    np.testing.assert_array_equal(a, b)


def test_real_and_spoof_targets_explain_differently(trained):
    backbone, model, _, x = trained
    cam = fastk.create("cam", "gradcam++")
    spoof = cam.compute(backbone.cam_target(model, "spoof-logit"), x)
    real = cam.compute(backbone.cam_target(model, "real-logit"), x)
    assert not np.allclose(spoof, real)


def test_unknown_cam_target_lists_known_ones(trained):
    from fastk.errors import UnknownPluginError

    backbone, model, _, _ = trained
    with pytest.raises(UnknownPluginError, match="known: real-logit, spoof-logit"):
        backbone.cam_target(model, "cue")


def test_target_layer_can_be_overridden(trained):
    backbone, model, _, x = trained
    target = backbone.cam_target(model, "spoof-logit", "layer3")
    assert target.layer_name == "layer3" and target.target_layers == [model.layer3]
    maps = fastk.create("cam", "gradcam++").compute(target, x)
    assert maps.shape == (len(x), 64, 64)
    from fastk.errors import FastkError

    with pytest.raises(FastkError, match="no layer 'layer9'"):
        backbone.cam_target(model, None, "layer9")


def test_methods_computed_together_equal_each_alone(trained):
    """One shared forward/backward pass for grad-cam's gradient methods (the stability grid's speed-up)
    must give every method exactly its own maps; methods that cannot share are computed alone."""
    backbone, model, _, x = trained
    target = backbone.cam_target(model)
    names = ["gradcam++", "gradcam", "layercam", "xgradcam", "hirescam", "shapleycam", "ablationcam", "eigencam"]
    methods = [fastk.create("cam", n) for n in names]
    together = methods[0].compute_with(methods[1:], target, x)
    assert len(together) == len(names)
    for name, method, maps in zip(names, methods, together):
        np.testing.assert_allclose(maps, method.compute(target, x), atol=1e-6, err_msg=name)
    assert type(methods[0]).shares_gradient_pass() and not type(methods[-1]).shares_gradient_pass()
