"""Issue 28: a plugin author writing a six-kind package from the docs alone got stuck; one test per stuck point.

Each plugin here is written as docs/writing-a-plugin.md says, registered with ``fastk.testing`` and driven
through the ``fastk`` command line a user runs (``fastk.testing.cli``), on real face photos.
"""

from __future__ import annotations

import csv
import os

import numpy as np
import pytest
from click.testing import CliRunner

import fastk
import fastk.testing
from fastk.errors import CheckpointError
from fastk.testing import fastk_plugins  # noqa: F401 - the fixture, as a plugin's conftest gets it


class WideCnn(fastk.Backbone):
    """Three conv layers whose width is an option (``--option width=8``), as the docs' backbone."""

    name = "wide-cnn"
    default_input_size = 32

    def __init__(self, *, width: int = 16, **kwargs):
        super().__init__(**kwargs)
        self.width = width

    def build(self):
        from torch import nn

        w = self.width
        return nn.Sequential(nn.Conv2d(3, w, 3, padding=1), nn.ReLU(), nn.Conv2d(w, 2 * w, 3, padding=1), nn.ReLU(),
                             nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2 * w, 2))

    def cam_targets(self, model):
        return {"spoof-logit": fastk.CamTarget("spoof-logit", "the spoof logit", model, [model[2]], "2", 1,
                                               gives_logits=True)}


class ForgetfulCnn(WideCnn):
    """The previous release's trap: a config() that loses the width (the base saved only ``self.options``)."""

    name = "forgetful-cnn"

    def config(self):
        cfg = super().config()
        cfg["options"].pop("width")
        return cfg


class Saliency(fastk.CamMethod):
    """|d output / d input| ** power: a CAM method whose ``name:arg`` sets ``power`` (saliency:2)."""

    name = "saliency"
    spec_arg = "power"

    def __init__(self, *, power: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.power = power

    def _compute(self, target, inputs):
        x = inputs.clone().requires_grad_(True)
        with fastk.eval_mode(target.model):
            target.model(x)[:, target.output_index].sum().backward()
        return (x.grad.abs().sum(dim=1) ** self.power).detach().numpy()


class PairsTopK(fastk.AreaSelector):
    """The ``k`` most important left/right *pairs*: its ``k`` counts pairs, not areas."""

    name = "pairs-top-k"
    spec_arg = "k"

    def __init__(self, k: int = 2):
        self.k = k

    def _select(self, importance):
        pairs = []
        for area in fastk.ranked(importance):
            stem = area.removeprefix("left_").removeprefix("right_")
            if stem not in pairs:
                pairs.append(stem)
        keep = pairs[: self.k]
        return [a for a in importance if a.removeprefix("left_").removeprefix("right_") in keep]

    def verdict_k(self):
        return 2 * self.k  # what the verdict should count: the areas kept, two per pair


class Plugin:
    @fastk.hookimpl
    def fastk_register_backbones(self, registry):
        registry.add(WideCnn)
        registry.add(ForgetfulCnn)

    @fastk.hookimpl
    def fastk_register_cam_methods(self, registry):
        registry.add(Saliency)

    @fastk.hookimpl
    def fastk_register_area_selectors(self, registry):
        registry.add(PairsTopK)


@pytest.fixture
def system(fastk_plugins):  # noqa: F811
    return fastk_plugins(Plugin)


@pytest.fixture(scope="module")
def subjects_dataset(tmp_path_factory, tiny_dataset):
    """``tiny_dataset`` with the subject in each file name (``s03_...``): what ``subject_from_name`` reads."""
    root = tmp_path_factory.mktemp("named")
    for label_dir in ("real", "spoof/print", "spoof/replay"):
        for i, photo in enumerate(sorted((tiny_dataset / label_dir).glob("*.jpg"))):
            target = root / label_dir / f"s{i:02d}_{photo.name}"
            target.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(photo, target)
    return root


def test_a_backbones_named_option_survives_fastk_train_into_best_pt(system, subjects_dataset, tmp_path, tiny_images):
    """`fastk train --option width=8` trains a plugin backbone and its best.pt loads as width 8 (it loaded as the
    default width 16 and failed: "weights do not fit backbone ... (Error(s) in loading state_dict for Sequential:)")."""
    from fastk.model.checkpoints import load_checkpoint

    out = tmp_path / "train"
    result = CliRunner().invoke(fastk.testing.cli(system), [
        "train", str(subjects_dataset), "--dataset-option", "subject_from_name=true", "--backbone", "wide-cnn",
        "--option", "width=8", "--epochs", "1", "--batch-size", "8", "--no-face-check", "--out", str(out)])
    assert result.exit_code == 0, result.output
    backbone, model, _ = load_checkpoint(out / "best.pt")
    assert isinstance(backbone, WideCnn) and backbone.width == 8 and model[0].out_channels == 8
    assert backbone.config()["options"] == {"width": 8}
    predicted = CliRunner().invoke(fastk.testing.cli(system), ["predict", str(out / "best.pt"),
                                                               str(sorted(subjects_dataset.rglob("*.jpg"))[0])])
    assert predicted.exit_code == 0, predicted.output


def test_weights_that_do_not_fit_name_the_first_differing_tensor(system, tmp_path):
    from fastk.model.checkpoints import load_checkpoint, save_checkpoint, weights_difference

    forgetful = fastk.create("backbone", "forgetful-cnn", width=8)
    path = save_checkpoint(tmp_path / "forgetful.pt", forgetful, forgetful.build())
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path)
    message = str(err.value)
    assert message == (f"{path}: weights do not fit backbone 'forgetful-cnn' built with options {{}}: '0.weight' is "
                       "(8, 3, 3, 3) in the checkpoint but (16, 3, 3, 3) in the model built now")
    wide = WideCnn(width=8).build().state_dict()
    fewer = {k: v for k, v in wide.items() if k != "6.bias"}
    assert weights_difference(wide, fewer) == "the checkpoint has no '6.bias' (of 6 tensors the model has, it has 5)"
    assert weights_difference(fewer, wide) == "the checkpoint has '6.bias', which the model built now has not"
    assert weights_difference(wide, wide) is None


def test_a_cam_method_takes_name_arg_like_every_kind(system, astronaut):
    """CamMethod had no from_spec although the hooks page said every kind takes `name:arg`."""
    import torch

    method = fastk.create("cam", "saliency:2")
    assert method.power == 2.0 and fastk.create("cam", "saliency:power=0.5").power == 0.5
    assert fastk.create("cam", "scorecam:top=8").top == 8  # a built-in: KEY=VALUE after the colon
    torch.manual_seed(0)
    backbone = WideCnn(width=4)
    model = backbone.build()
    x = backbone.preprocess([astronaut])
    squared = method.compute(backbone.cam_target(model), x)
    plain = fastk.create("cam", "saliency").compute(backbone.cam_target(model), x)
    assert squared.shape == plain.shape == (1, 32, 32)
    # squaring the same map keeps the hottest pixel and darkens the rest
    assert np.argmax(squared) == np.argmax(plain) and squared.mean() < plain.mean()


def test_the_verdict_counts_what_the_selector_declares_not_an_attribute_named_k(system):
    """A selector whose k counts pairs got a wrong top-k: the size now comes from AreaSelector.verdict_k()."""
    from fastk.trust.stability_analysis import select_areas, verdict_k

    pairs = fastk.create("selector", "pairs-top-k:2")
    assert pairs.k == 2 and verdict_k(pairs) == 4 and verdict_k(pairs, 3) == 3
    assert verdict_k(fastk.create("selector", "top-k:3")) == 3
    assert verdict_k(fastk.create("selector", "threshold:0.3")) == 4  # no size of its own: the run's default
    importance = {"left_eye": 0.9, "right_eye": 0.2, "nose": 0.8, "left_cheek": 0.1, "right_cheek": 0.3}
    assert select_areas(pairs, importance=importance)["keep"] == ["left_eye", "nose", "right_eye"]
    assert pairs.chooses_from() == "importance" and fastk.create("selector", "stable-top-k:2").chooses_from() == "stability"


def test_explore_takes_dataset_options_like_train_and_evaluate(subjects_dataset, tmp_path):
    four = tmp_path / "four"
    for path in [*sorted((subjects_dataset / "real").iterdir())[:2], *sorted((subjects_dataset / "spoof" / "print").iterdir())[:2]]:
        target = four / path.parent.relative_to(subjects_dataset) / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(path, target)
    out = tmp_path / "explore"
    args = ["explore", str(four), "--dataset-option", "subject_from_name=true", "--backbone", "timm:test_resnet",
            "--cam", "gradcam", "--overlays", "0", "--batch-size", "4", "--out", str(out)]
    result = CliRunner().invoke(fastk.testing.cli(), args)
    assert result.exit_code == 0, result.output
    with open(out / "per_image.csv", newline="") as f:
        subjects = sorted(row["subject"] for row in csv.DictReader(f))
    assert subjects == ["s00", "s00", "s01", "s01"]
    typo = CliRunner().invoke(fastk.testing.cli(), [*args[:3], "subject_from_nam=true", *args[4:]])
    assert typo.exit_code == 2 and typo.output.strip() == (
        "fastk: error: dataset 'folder' has no option 'subject_from_nam'; did you mean 'subject_from_name'? "
        "(options: root, subject_from_name)")


@pytest.mark.parametrize("flag,typo,meant", [("--cam", "gradcam+", "gradcam++"), ("--landmarks", "dlb", "dlib"),
                                             ("--backbone", "lgcs", "lgsc"), ("--dataset", "foldr", "folder")])
def test_a_misspelt_plugin_name_on_the_command_line_says_did_you_mean(tiny_dataset, tmp_path, flag, typo, meant):
    args = {"--cam": "gradcam++", "--landmarks": "dlib", "--backbone": "timm:test_resnet", "--dataset": "folder",
            flag: typo}
    cmd = ["explore", str(tiny_dataset), "--out", str(tmp_path / "out")] + [x for kv in args.items() for x in kv]
    result = CliRunner().invoke(fastk.testing.cli(), cmd)
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1, result.output
    assert lines[0].startswith("fastk: error: unknown ") and lines[0].endswith(f"; did you mean {meant!r}?")


@pytest.mark.parametrize("command", ["sanity", "faithfulness", "mask"])
def test_every_command_that_reads_a_dataset_takes_dataset_options(command, tiny_dataset, tiny_checkpoint, tmp_path):
    """CLI parity: a reader's option given with --dataset-option reaches it (a misspelt one is refused
    with the reader's options named, which proves the flag was read) in sanity, faithfulness and mask."""
    import json

    from fastk.face.areas import AreaSet

    importance = tmp_path / "area_importance.json"
    names = AreaSet.load("paper").names
    importance.write_text(json.dumps({"overall": {a: {"importance": i / 10} for i, a in enumerate(names)}, "ranking": names[::-1],
                                      "settings": {"landmarks": "dlib", "areas": "paper"}}))
    args = {"sanity": ["sanity", str(tiny_checkpoint), str(tiny_dataset)],
            "faithfulness": ["faithfulness", str(tiny_checkpoint), str(tiny_dataset), "--importance", str(importance)],
            "mask": ["mask", str(tiny_dataset), "--importance", str(importance)]}[command]
    result = CliRunner().invoke(fastk.testing.cli(), [*args, "--dataset-option", "subject_from_nam=true",
                                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "dataset 'folder' has no option 'subject_from_nam'; did you mean 'subject_from_name'?" in result.output
