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

from fastk.checkpoints import load_checkpoint
from fastk.explore import ExploreSettings, explore


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
        assert results[b][0].summary["ranking"] == results[1][0].summary["ranking"]


def test_explore_spoof_probability_equals_predict(samples, lgsc_checkpoint, tmp_path):
    from fastk.training import predict_scores

    _, rows, _, _ = _explore(samples, lgsc_checkpoint, tmp_path / "e", 16)
    backbone, model, _ = load_checkpoint(lgsc_checkpoint)
    used = [s for s in samples if str(s.path) in rows]
    predicted = predict_scores(backbone, model, used)
    explored = np.array([float(rows[str(s.path)]["spoof_probability"]) for s in used])
    assert np.abs(predicted - explored).max() < 1e-4
    # and the scores are a trained model's, not a constant
    assert predicted.std() > 1e-3
