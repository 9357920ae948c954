"""Planted-cue recovery per CAM method: on demo:planted (attack artefacts only in the right cheek and
right eye), which CAM methods put both planted areas on top, over the grid and image resamples."""

import json

import pytest

import fastk
from fastk.model.training import TrainConfig, subject_split, train
from fastk.report.stability_html import stability_section
from fastk.trust.stability_analysis import run_stability

PLANTED = ["right_cheek", "right_eye"]
GRADIENT_CAMS = ["gradcam++", "gradcam", "layercam", "xgradcam", "hirescam"]


def _planted_model(tmp_path, seed: int, samples):
    """test_planted_cue.py's small fast configuration (timm resnet10t, printed attacks, 60 subjects)."""
    sp = subject_split(samples, seed=0)
    backbone = fastk.create("backbone", "timm:resnet10t", input_size=112)
    result = train(sp["train"], sp["val"], backbone, tmp_path / f"model-{seed}",
                   TrainConfig(epochs=10, lr=0.002, patience=15, seed=seed), show_progress=False)
    assert result.val_metrics["acer"] < 0.2, "the model must generalise before its explanation is trusted"
    return result.checkpoint, [s for s in sp["val"] + sp["test"] if s.label == 1]


def test_planted_areas_on_top_per_cam_method(tmp_path, faces_dir):
    samples = fastk.create("dataset", "demo:planted", side=112, attacks=["print"], max_subjects=60).samples()
    checkpoint, spoofs = _planted_model(tmp_path, 0, samples)
    cfg = {"cams": GRADIENT_CAMS, "detectors": ["dlib"], "k": 2, "n_boot": 200, "planted": PLANTED}
    result = run_stability({"seed0": checkpoint}, spoofs, tmp_path / "stability", cfg, show_progress=False,
                           one_class=True)  # where the cue shows up on attacks: a one-class analysis on purpose
    planted = json.loads((tmp_path / "stability" / "stability.json").read_text())["planted"]
    assert planted["areas"] == PLANTED and list(planted["by_cam"]) == GRADIENT_CAMS
    for v in planted["by_cam"].values():
        assert v["cells"] == 1 and v["share_of_cells"] in (0.0, 1.0)
        assert 0 <= v["p_all_on_top"] <= min(v["p_each_on_top"].values()) <= 1
    # the paper's method finds the cue, and clearly: in nearly every resample of the images
    assert planted["by_cam"]["gradcam++"]["share_of_cells"] == 1.0
    assert planted["by_cam"]["gradcam++"]["p_all_on_top"] >= 0.9
    assert "gradcam++" in planted["recovered_by"]
    assert set(result["verdict"]["set"]) == set(PLANTED) or not result["verdict"]["determined"]
    assert "Planted cue" in stability_section(result, tmp_path / "stability")


@pytest.mark.slow
def test_planted_cue_over_seeds_detectors_and_every_cam(tmp_path, faces_dir):
    """Two training seeds, both detectors, every default method (ScoreCAM/AblationCAM when affordable)."""
    samples = fastk.create("dataset", "demo:planted", side=112, attacks=["print"], max_subjects=60).samples()
    models = {}
    for seed in (0, 1):
        models[f"seed{seed}"], spoofs = _planted_model(tmp_path, seed, samples)
    cfg = {"detectors": ["dlib", "mediapipe"], "k": 2, "n_boot": 200, "planted": PLANTED}
    result = run_stability(models, spoofs, tmp_path / "stability", cfg, show_progress=False, one_class=True)
    by_cam = result["planted"]["by_cam"]
    assert set(GRADIENT_CAMS) <= set(by_cam)
    assert by_cam["gradcam++"]["cells"] == 4 and by_cam["gradcam++"]["p_all_on_top"] >= 0.9
    assert result["rank"]["right_cheek"]["p_top_k"] > 0.5 and result["rank"]["right_eye"]["p_top_k"] > 0.5
