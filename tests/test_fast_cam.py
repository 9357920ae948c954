"""Fast AblationCAM and ScoreCAM give grad-cam 1.5.7's maps (Pearson >= 0.999 per image) on real faces,
on every path they can take: closed form, replay above the layer, whole model."""

import numpy as np
import pytest
import torch

import fastk
from fastk.data.images import read_rgb
from fastk.errors import ConfigError, UnknownPluginError
from fastk.explain.cam import CamTarget
from fastk.model.checkpoints import load_checkpoint


@pytest.fixture(scope="module")
def trained(tiny_checkpoint, tiny_dataset):
    backbone, model, _ = load_checkpoint(tiny_checkpoint)
    samples = fastk.create("dataset", "folder", root=tiny_dataset).samples()
    images = [read_rgb(s.path) for s in samples[:2]] + [read_rgb(s.path) for s in samples[-2:]]
    return backbone, model.eval(), backbone.preprocess(images)


def pearson_each(a, b):
    """Per-image Pearson r; two all-zero maps (both methods found no positive evidence) count as 1."""
    out = []
    for x, y in zip(a, b):
        if x.std() == 0 and y.std() == 0:
            out.append(1.0 if np.array_equal(x, y) else 0.0)
        else:
            out.append(float(np.corrcoef(x.ravel(), y.ravel())[0, 1]))
    return np.array(out)


def same_as_library(method, target, x, **kwargs):
    fast = fastk.create("cam", method, **kwargs)
    ours = fast.compute(target, x)
    ref = fastk.create("cam", f"gradcam-lib:{method}", **kwargs).compute(target, x)
    r = pearson_each(ours, ref)
    assert (r >= 0.999).all(), r
    return fast, ours


def test_fast_methods_take_the_names_and_grad_cams_stay_reachable(fresh_plugins):
    reg = fresh_plugins.registry("cam")
    assert reg.entry("ablationcam").plugin == reg.entry("scorecam").plugin == "cams_fast"
    lib = fastk.create("cam", "gradcam-lib:ablationcam")
    assert type(lib).cam_class.__name__ == "AblationCAM" and type(lib).__module__ == "fastk_plugins.cams_gradcam"
    assert type(fastk.create("cam", "gradcam-lib:gradcam++")).cam_class.__name__ == "GradCAMPlusPlus"


def test_gradcam_lib_needs_a_known_method():
    with pytest.raises(UnknownPluginError, match="gradcam-lib:scorecam"):
        fastk.create("cam", "gradcam-lib")
    with pytest.raises(UnknownPluginError, match="unknown cam 'gradcam-lib:nosuchcam'; known: .*gradcam-lib:ablationcam"):
        fastk.create("cam", "gradcam-lib:nosuchcam")


@pytest.mark.parametrize("spec", ["top", "top=x", "k=3", "top=0"])
def test_scorecam_options_are_checked(spec):
    with pytest.raises(ConfigError, match="scorecam"):
        fastk.create("cam", f"scorecam:{spec}")


@pytest.mark.parametrize("target_name", ["spoof-logit", "real-logit"])
def test_ablationcam_closed_form_matches_grad_cam(trained, target_name):
    backbone, model, x = trained
    fast, maps = same_as_library("ablationcam", backbone.cam_target(model, target_name), x)
    assert fast.last_paths == ["closed-form"]
    assert (maps.max(axis=(1, 2)) > 0).any()


def test_ablationcam_replays_below_an_inner_layer(trained):
    backbone, model, x = trained
    target = backbone.cam_target(model, "spoof-logit", "layer3")  # layer4 and the head lie above it
    fast, _ = same_as_library("ablationcam", target, x)
    assert fast.last_paths == ["replay"]
    plan = fast.last_plans[0]
    assert {"conv1", "layer1", "layer2"} <= set(plan.stubs) and "layer4" not in plan.stubs


def test_ablationcam_whole_model_path_gives_the_same_maps(trained, monkeypatch):
    import dataclasses

    from fastk_plugins import _cam_layers

    backbone, model, x = trained
    target = backbone.cam_target(model, "spoof-logit", "layer3")
    replayed = fastk.create("cam", "ablationcam")
    a = replayed.compute(target, x)
    plan = _cam_layers.cached_plan(model, target.target_layers[0], x, 1, closed_form=False)
    # nothing replayable: the whole model runs (a changed copy; the shared plan cache stays as it is)
    monkeypatch.setattr(_cam_layers, "cached_plan", lambda *_a, **_k: dataclasses.replace(plan, stubs=[]))
    whole = fastk.create("cam", "ablationcam")
    b = whole.compute(target, x)
    assert whole.last_paths == ["full-model"]
    np.testing.assert_allclose(a, b, atol=1e-4)


def test_ablation_below_the_minimum_follows_grad_cam_per_batch_position(trained):
    """A layer with negative outputs (a convolution inside a block): grad-cam writes min - 1e7, and its
    in-place loop lowers that by 1e7 per position inside each batch; the maps depend on batch_size."""
    backbone, model, x = trained
    target = backbone.cam_target(model, "spoof-logit", "layer4.0.conv2")
    with torch.inference_mode():
        acts = {}
        h = target.target_layers[0].register_forward_hook(lambda m, a, o: acts.setdefault("a", o.clone()))
        model(x)
        h.remove()
    assert (acts["a"].flatten(1).min(dim=1)[0] < 0).all()
    _, m16 = same_as_library("ablationcam", target, x, batch_size=16)
    _, m32 = same_as_library("ablationcam", target, x, batch_size=32)
    assert not np.allclose(m16, m32, atol=1e-3)


class ConvThenHead(torch.nn.Module):
    """The trained net's features, a 1x1 convolution (the target: signed outputs), then its own head;
    ``squash`` hides a functional clamp between pooling and the linear layer (not a closed form)."""

    def __init__(self, net, squash=False):
        super().__init__()
        self.net, self.squash = net, squash
        torch.manual_seed(0)
        self.mix = torch.nn.Conv2d(net.num_features, net.num_features, 1)

    def forward(self, x):
        pooled = self.net.global_pool(self.mix(self.net.forward_features(x)))
        return self.net.fc(pooled.clamp(min=-1.0) if self.squash else pooled)


@pytest.mark.parametrize("squash", [False, True])
def test_closed_form_only_where_the_head_is_pooling_and_linear(trained, squash):
    _, model, x = trained
    wrapped = ConvThenHead(model, squash).eval()
    target = CamTarget("spoof-logit", "", wrapped, [wrapped.mix], "mix", 1)
    fast, _ = same_as_library("ablationcam", target, x)
    plan = fast.last_plans[0]
    assert plan.checks["head_structure"]  # the same modules either way: only the numbers tell them apart
    if squash:
        assert fast.last_paths == ["replay"] and plan.linear is None and not all(plan.checks.values())
    else:
        assert fast.last_paths == ["closed-form"] and all(plan.checks.values())


def test_scorecam_matches_grad_cam_and_scores_flat_channels_once(trained):
    backbone, model, x = trained
    target = backbone.cam_target(model)
    images = []
    h = model.register_forward_pre_hook(lambda m, a: images.append(len(a[0])))
    try:
        fast = fastk.create("cam", "scorecam")
        ours = fast.compute(target, x)
    finally:
        h.remove()
    ref = fastk.create("cam", "gradcam-lib:scorecam").compute(target, x)
    assert (pearson_each(ours, ref) >= 0.999).all()
    with torch.inference_mode():
        acts = {}
        hk = target.target_layers[0].register_forward_hook(lambda m, a, o: acts.setdefault("a", o.clone()))
        model(x)
        hk.remove()
    flat = acts["a"].flatten(2).amax(2) == acts["a"].flatten(2).amin(2)
    assert flat.any(), "a trained ReLU net has channels that are zero on a face"
    # one traced image, the batch, the zero image once, then one masked copy per non-flat channel
    assert sum(images) == 1 + len(x) + 1 + int((~flat).sum())


def test_scorecam_top_channels_approximates_and_all_channels_is_exact(trained):
    backbone, model, x = trained
    target = backbone.cam_target(model)
    exact = fastk.create("cam", "scorecam").compute(target, x)
    channels = model.num_features
    everything = fastk.create("cam", f"scorecam:top={channels}").compute(target, x)
    np.testing.assert_allclose(everything, exact, atol=1e-5)
    approx = fastk.create("cam", "scorecam:top=16")
    assert approx.last_paths == [] and approx.top == 16
    assert np.median(pearson_each(approx.compute(target, x), exact)) > 0.5
    assert approx.last_paths == ["top-16"]


@pytest.mark.parametrize("method", ["ablationcam", "scorecam"])
def test_every_submodule_keeps_its_own_train_flag(trained, method):
    backbone, model, x = trained
    target = backbone.cam_target(model)
    in_eval = fastk.create("cam", method).compute(target, x)
    model.train()
    model.layer2.eval()
    flags = {n: m.training for n, m in model.named_modules()}
    try:
        maps = fastk.create("cam", method).compute(target, x)
        assert {n: m.training for n, m in model.named_modules()} == flags
    finally:
        model.eval()
    np.testing.assert_array_equal(maps, in_eval)


def test_layer_plans_of_models_that_are_gone_are_dropped(trained):
    import gc

    from fastk_plugins import _cam_layers

    backbone, _, x = trained
    for _ in range(3):  # three models in turn, as a stability grid loads one per seed
        model = backbone.build().eval()
        target = backbone.cam_target(model, "spoof-logit", None)
        _cam_layers.cached_plan(model, target.target_layers[0], x, 1, closed_form=True)
        del model, target
        gc.collect()
    alive = [k for k, (refs, layer, _) in _cam_layers._PLANS.items() if layer() is not None]
    assert len(_cam_layers._PLANS) - len(alive) <= 1  # only the entry of the last model may wait for the next call
