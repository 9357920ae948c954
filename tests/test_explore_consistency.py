"""Explanations explain the model as it predicts: in eval mode, whatever the batch size.

A CAM method that leaves the model (or part of it) in training mode makes BatchNorm use batch
statistics: the same image then gets another spoof probability and other area scores at another
batch size, and the running statistics drift with every batch. These tests pin the behaviour on a
trained LGSC (whose CAM target is a wrapper module around the network, where the bug lived).
"""

from __future__ import annotations

import csv

import numpy as np
import pytest

from fastk.explain.explore import ExploreSettings, explore
from fastk.model.checkpoints import load_checkpoint


@pytest.fixture(scope="module")
def samples(tiny_dataset):
    import fastk

    return fastk.create("dataset", "folder", root=tiny_dataset).samples()[:20]


def _rows(folder):
    with open(folder / "per_image.csv", newline="") as f:
        return {r["path"]: r for r in csv.DictReader(f)}


def _explore(samples, checkpoint, out, batch_size):
    backbone, model, _ = load_checkpoint(checkpoint)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    settings = ExploreSettings(batch_size=batch_size, n_boot=10, overlays=0)
    result = explore(samples, backbone, model, out, settings, show_progress=False)
    after = model.state_dict()
    drifted = [k for k in before if not np.array_equal(before[k].numpy(), after[k].numpy())]
    modes = {m.training for m in model.modules()}
    return result, _rows(out), drifted, modes


def test_area_scores_and_probabilities_do_not_depend_on_the_batch_size(samples, lgsc_checkpoint, tmp_path):
    results = {b: _explore(samples, lgsc_checkpoint, tmp_path / f"b{b}", b) for b in (1, 7, 64)}
    for b, (_, _, drifted, modes) in results.items():
        assert drifted == [], f"batch size {b}: exploring changed the model's state ({drifted[:3]} ...)"
        assert modes == {False}, f"batch size {b}: the model was left in training mode"
    ref = results[1][1]
    assert len(ref) >= 15
    areas = results[1][0].summary["ranking"]
    for b in (7, 64):
        rows = results[b][1]
        assert rows.keys() == ref.keys()
        for path, r in ref.items():
            for col in ["spoof_probability", *areas]:
                assert abs(float(rows[path][col]) - float(r[col])) < 1e-4, (b, path, col)
        # the same order, up to the scores' tolerance: batch sizes pick other float kernels, so areas
        # whose mean scores lie within it may swap; areas further apart may not
        ranked = results[b][0].summary["ranking"]
        means = {a: np.nanmean([float(r[a]) for r in ref.values()]) for a in areas}
        assert sorted(ranked) == sorted(areas) and max(means.values()) - min(means.values()) > 1e-2  # an order to keep
        assert all(means[x] >= means[y] - 1e-4 for x, y in zip(ranked, ranked[1:])), (b, ranked, means)


def test_explore_spoof_probability_equals_predict(samples, lgsc_checkpoint, tmp_path):
    from fastk.model.training import predict_scores

    _, rows, _, _ = _explore(samples, lgsc_checkpoint, tmp_path / "e", 16)
    backbone, model, _ = load_checkpoint(lgsc_checkpoint)
    used = [s for s in samples if str(s.path) in rows]
    predicted = predict_scores(backbone, model, used)
    explored = np.array([float(rows[str(s.path)]["spoof_probability"]) for s in used])
    assert np.abs(predicted - explored).max() < 1e-4
    # and the scores are a trained model's, not a constant
    assert predicted.std() > 1e-3


@pytest.fixture(scope="module")
def full_frames(tmp_path_factory, london_photos):
    """Six real full-frame photos (512 px studio portraits, head and shoulders: the face about 45% wide)."""
    import shutil

    root = tmp_path_factory.mktemp("frames") / "real"
    root.mkdir()
    for p in london_photos[20:26]:
        shutil.copy(p, root / p.name)
    return root


def _recording(lgsc_checkpoint, london_photos, tmp_path, record: str):
    """The tiny LGSC as if trained on tight face crops (``framing``) or on aligned faces (``alignment``)."""
    import cv2

    import fastk
    from fastk.data.datasets import Sample
    from fastk.data.images import read_rgb, write_image
    from fastk.demo.demo_set_render import face_crop_box
    from fastk.face.alignment import Alignment
    from fastk.face.framing import framing_stats
    from fastk.face.landmark_cache import LandmarkCache
    from fastk.model.checkpoints import save_checkpoint

    backbone, model, meta = load_checkpoint(lgsc_checkpoint)
    detector = fastk.create("landmarks", "dlib")
    if record == "framing":
        crops = []
        for p in london_photos[:6]:
            rgb = read_rgb(p)
            x0, y0, x1, y1 = face_crop_box(detector.detect(rgb).points68, rgb.shape, 0.15)
            write_image(tmp_path / "crops" / p.name, cv2.resize(rgb[y0:y1, x0:x1], (128, 128)))
            crops.append(Sample(tmp_path / "crops" / p.name, 0))
        extra = {"framing": framing_stats(crops, detector, LandmarkCache())}
    else:
        extra = {"alignment": {**Alignment(64).record(), "detector": "dlib"}}
    if record == "mask":  # a retrained variant: aligned, only four areas kept
        extra["mask"] = {"mode": "blackout", "keep": ["nose", "lips", "philtrum", "left_cheek"], "areas": "paper",
                         "framing": "aligned", "size": None}
    return save_checkpoint(tmp_path / "recording.pt", backbone, model, {**meta, **extra})


@pytest.mark.parametrize("record,how", [("framing", "cropped"), ("alignment", "aligned"), ("mask", "aligned, masked")])
def test_explore_explains_what_predict_scores_on_full_frame_photos(lgsc_checkpoint, london_photos, full_frames,
                                                                  tmp_path, record, how):
    """Issue 29: predict cropped a full frame to the training framing while explore explained the whole,
    squashed frame (their probabilities differed by 0.178). Both now prepare the image from the
    checkpoint's record, so they agree to 1e-4, and say how each image was prepared."""
    import json

    from click.testing import CliRunner

    from fastk.cli import cli

    checkpoint = _recording(lgsc_checkpoint, london_photos, tmp_path, record)
    paths = sorted(str(p) for p in full_frames.iterdir())
    predicted = CliRunner().invoke(cli, ["predict", str(checkpoint), *paths])
    assert predicted.exit_code == 0, predicted.output
    scores = {r["path"]: r for r in json.loads(predicted.output)}
    out = tmp_path / "explore"
    explored = CliRunner().invoke(cli, ["explore", str(full_frames.parent), "--checkpoint", str(checkpoint),
                                        "--out", str(out), "--overlays", "0"])
    assert explored.exit_code == 0, explored.output
    rows = _rows(out)
    assert sorted(rows) == paths
    assert {r["framing"] for r in scores.values()} == {how} and {r["framing"] for r in rows.values()} == {how}
    diff = [abs(scores[p]["spoof_score"] - float(rows[p]["spoof_probability"])) for p in paths]
    assert max(diff) < 1e-4
