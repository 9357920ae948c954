"""Importance with no heat is said, not ranked (issue 29): a model whose CAMs are all zero scores every
area 0, and a "most important first" list of equal scores is the alphabetical tie-break's, not the
model's. Explore says so, ranking selectors refuse, ``fastk mask`` stops in one line."""

from __future__ import annotations

import math

import pytest
import torch
from click.testing import CliRunner

import fastk
from fastk.cli import cli
from fastk.errors import ConfigError
from fastk.explain.importance import importance_vector, no_signal
from fastk.explain.selection import ranked

AREAS = ["forehead", "left_eye", "right_eye", "nose", "lips"]


def test_equal_scores_are_no_signal_and_nan_ranks_last():
    assert no_signal(dict.fromkeys(AREAS, 0.0)) == "no signal: every area scored 0"
    assert no_signal({**dict.fromkeys(AREAS, 0.0), "lips": math.nan}) == "no signal: every area scored 0"
    assert no_signal(dict.fromkeys(AREAS, math.nan)) == "no signal: no area has a score"
    assert no_signal({**dict.fromkeys(AREAS, 0.0), "nose": 0.2}) is None
    # NaN (an area never inside an image) ranks last, not wherever NaN's comparisons leave it
    assert ranked({"nose": 0.5, "lips": math.nan, "forehead": 0.1}) == ["nose", "forehead", "lips"]
    # a summary written to JSON stores NaN as null: read back as NaN, not a TypeError
    assert math.isnan(importance_vector({"nose": {"importance": None}})["nose"])


@pytest.mark.parametrize("spec", ["top-k:4", "bottom-k:2", "threshold:0.5", "cumulative:0.6"])
def test_ranking_selectors_refuse_importance_without_signal(spec):
    selector = fastk.create("selector", spec)
    with pytest.raises(ConfigError, match=f"selector '{spec}': no signal: every area scored 0, so there is no ranking"):
        selector.select(dict.fromkeys(AREAS, 0.0))


def test_named_areas_need_no_ranking_and_bottom_k_skips_unscored_areas():
    assert fastk.create("selector", "list:nose,lips").select(dict.fromkeys(AREAS, 0.0)) == ["lips", "nose"]
    scores = {"forehead": 0.4, "left_eye": 0.3, "right_eye": math.nan, "nose": 0.9, "lips": 0.2}
    assert fastk.create("selector", "bottom-k:2").select(scores) == ["left_eye", "lips"]


@pytest.fixture(scope="module")
def dark_checkpoint(tmp_path_factory, tiny_checkpoint):
    """The tiny trained model with its classifier zeroed: the logits no longer depend on the features,
    so every gradient-based CAM of it is zero everywhere (a real checkpoint, saved by fastk)."""
    from fastk.model.checkpoints import load_checkpoint, save_checkpoint

    bb, model, meta = load_checkpoint(tiny_checkpoint)
    with torch.no_grad():
        model.get_classifier().weight.zero_()
        model.get_classifier().bias.zero_()
    return save_checkpoint(tmp_path_factory.mktemp("dark") / "dark.pt", bb, model, meta)


def test_all_zero_cams_are_said_and_mask_refuses_in_one_line(tmp_path, tiny_dataset, dark_checkpoint):
    explored = tmp_path / "explore"
    r = CliRunner().invoke(cli, ["explore", str(tiny_dataset / "real"), "--checkpoint", str(dark_checkpoint),
                                 "--out", str(explored), "--overlays", "0"])
    assert r.exit_code == 0, r.output
    assert "no signal: every area scored 0; no ranking" in r.output and "most important first" not in r.output
    import csv
    import json

    summary = json.loads((explored / "area_importance.json").read_text())
    assert summary["ranking"] == [] and summary["no_signal"] == "no signal: every area scored 0"
    with open(explored / "per_image.csv", newline="") as f:
        assert {row["face_heat_share"] for row in csv.DictReader(f)} == {""}  # no "nan" text in the file
    masked = tmp_path / "masked"
    m = CliRunner().invoke(cli, ["mask", str(tiny_dataset / "real"), "--importance",
                                 str(explored / "area_importance.json"), "--out", str(masked)])
    text = m.output.strip()
    errors = [line for line in text.splitlines() if line.startswith("fastk: error:")]
    assert m.exit_code == 2 and len(errors) == 1 and "Traceback" not in text, text
    assert "area_importance.json: selector 'top-k:4': no signal: every area scored 0" in errors[0]
    assert not masked.exists()  # nothing kept by tie-break
