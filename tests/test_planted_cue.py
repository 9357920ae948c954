"""The end-to-end check that exploration finds what is there: attack artefacts planted only in the
right cheek and right eye must come out as the two most important areas."""

import json

import pytest
from click.testing import CliRunner

import fastk
from fastk.cli import cli
from fastk.explain.explore import ExploreSettings, explore
from fastk.model.checkpoints import load_checkpoint
from fastk.model.training import TrainConfig, subject_split, train

PLANTED = {"right_cheek", "right_eye"}


def test_planted_areas_rank_first_small_fast_configuration(tmp_path, faces_dir):
    samples = fastk.create("dataset", "demo:planted", side=112, attacks=["print"], max_subjects=60).samples()
    assert {s.attack_type for s in samples} == {"none", "print"}
    sp = subject_split(samples, seed=0)
    backbone = fastk.create("backbone", "timm:resnet10t", input_size=112)
    result = train(sp["train"], sp["val"], backbone, tmp_path / "model",
                   TrainConfig(epochs=10, lr=0.002, patience=15), show_progress=False)
    assert result.val_metrics["acer"] < 0.2, "the model must generalise before its explanation is trusted"
    bb, model, _ = load_checkpoint(result.checkpoint)
    spoofs = [s for s in sp["val"] + sp["test"] if s.label == 1]
    found = explore(spoofs, bb, model, tmp_path / "explore", ExploreSettings(overlays=0), show_progress=False)
    ranking = found.summary["ranking"]
    assert set(ranking[:2]) == PLANTED, ranking
    # and clearly so: the planted areas beat every area on the other side of the face
    imp = found.importance
    left = max(imp[a]["importance"] for a in ("left_cheek", "left_eye", "left_eyebrow"))
    assert min(imp[a]["importance"] for a in PLANTED) > left + 0.2


@pytest.mark.slow
def test_planted_cue_full_version(tmp_path, faces_dir):
    """configs/planted.yaml: LGSC, all three attack types, the whole `fastk run` (about 2 minutes)."""
    result = CliRunner().invoke(cli, ["run", "--config", "configs/planted.yaml", "--runs-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "planted" / "report.json").read_text())
    assert set(report["importance"]["ranking"][:2]) == PLANTED
