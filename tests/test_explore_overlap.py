"""Landmarks found in a worker thread for the next batch while the CAMs of this one run change nothing:
``per_image.csv`` and ``skipped.csv`` are the same, row for row, as with detection in the main thread
(batch sizes 1 and 7; real faces, a tiny trained model, an unreadable file and a photo with no face)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

import fastk
import fastk.explain.explore as explore_module
from fastk.explain.explore import ExploreSettings, explore
from fastk.model.checkpoints import load_checkpoint


@pytest.fixture(scope="module")
def samples(tmp_path_factory, tiny_dataset):
    from skimage import data

    from fastk.data.images import write_image

    root = tmp_path_factory.mktemp("overlap") / "data"
    shutil.copytree(tiny_dataset, root)
    (root / "real" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    write_image(root / "spoof" / "print" / "coffee.jpg", np.asarray(data.coffee()))
    return fastk.create("dataset", "folder", root=root).samples()


def _in_main_thread(batches, detector, cache, landmarks, meta):
    for batch in batches:
        yield (batch, *explore_module._usable(batch, detector, cache, landmarks, meta))


def _files(samples, checkpoint, out, batch_size):
    from fastk.face.landmark_cache import LandmarkCache

    backbone, model, _ = load_checkpoint(checkpoint)
    settings = ExploreSettings(batch_size=batch_size, n_boot=10, overlays=0)
    explore(samples, backbone, model, out, settings, cache=LandmarkCache(out.parent / f"{out.name}-cache"),
            show_progress=False, figures=False)
    return (out / "per_image.csv").read_text(), (out / "skipped.csv").read_text()


@pytest.mark.parametrize("batch_size", [1, 7])
def test_overlapped_landmarks_give_the_same_files(samples, tiny_checkpoint, tmp_path, monkeypatch, batch_size):
    overlapped = _files(samples, tiny_checkpoint, tmp_path / "overlapped", batch_size)
    monkeypatch.setattr(explore_module, "_detected", _in_main_thread)
    sequential = _files(samples, tiny_checkpoint, tmp_path / "sequential", batch_size)
    assert overlapped == sequential
    per_image, skipped = overlapped
    assert per_image.count("\n") == 1 + 32
    assert "broken.jpg" in skipped and "coffee.jpg" in skipped


def test_a_failing_detector_stops_explore_with_its_error(samples, tiny_checkpoint, tmp_path, monkeypatch):
    def boom(*_args, **_kwargs):
        raise RuntimeError("detector exploded")

    monkeypatch.setattr(explore_module, "_usable", boom)
    backbone, model, _ = load_checkpoint(tiny_checkpoint)
    with pytest.raises(RuntimeError, match="detector exploded"):
        explore(samples, backbone, model, tmp_path / "e", ExploreSettings(batch_size=7, overlays=0), show_progress=False)
