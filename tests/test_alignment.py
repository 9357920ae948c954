"""Aligned framing (fastk.face.alignment): faces land on the template wherever and however large they were."""

import numpy as np
import pytest

import fastk
from fastk.data.images import read_rgb
from fastk.errors import ConfigError
from fastk.face.alignment import Alignment, canonical_masks
from fastk.face.areas import AreaSet


@pytest.fixture(scope="module")
def detector():
    return fastk.create("landmarks", "dlib")


def _placed(rgb: np.ndarray, scale: float, dx: int, dy: int, canvas: int = 900) -> np.ndarray:
    """The photo scaled and placed on a larger grey canvas: the same face, another size and place."""
    import cv2

    small = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    out = np.full((canvas, canvas, 3), 128, np.uint8)
    out[dy:dy + small.shape[0], dx:dx + small.shape[1]] = small
    return out


def test_one_face_at_two_sizes_and_places_aligns_to_the_same_image(detector, london_photos):
    """A face filling a 512 px photo and the same face at 60% in a corner of a 900 px frame come out alike."""
    rgb = read_rgb(london_photos[0])
    a = Alignment(112)
    images = []
    for frame in (rgb, _placed(rgb, 0.6, 500, 380)):
        face = detector.detect(frame)
        aligned, points = a.warp(frame, face.points68)
        assert aligned.shape == (112, 112, 3)
        # the landmarks moved with the image sit on the template (within a few pixels: faces differ from the mean)
        assert np.abs(points - a.points()).mean() < 4
        images.append(aligned.astype(np.float32))
    assert np.abs(images[0] - images[1]).mean() < 8  # grey levels, of 255: resampling differences only


def test_every_aligned_image_gets_the_same_mask_and_landmarks_found_again_agree(detector, london_photos):
    a = Alignment(128)
    areas = AreaSet.load("paper")
    masks = canonical_masks(a, areas)
    assert set(masks) == set(areas.names) and all(m.shape == (128, 128) and m.any() for m in masks.values())
    for path in london_photos[:4]:
        aligned, points = a.warp(read_rgb(path), detector.detect(read_rgb(path)).points68)
        again = detector.detect(aligned)
        assert again.ok and np.abs(again.points68 - points).mean() < 2.5  # dlib finds the face where it was moved


def test_alignment_records_round_trip_and_bad_ones_are_refused():
    a = Alignment(96, 0.2)
    assert Alignment.from_record(a.record()) == a
    assert Alignment.from_record(None) is None
    for bad in ({"template": "other", "size": 96}, {"template": "mean_face68"}, {"template": "mean_face68", "size": 5}):
        with pytest.raises(ConfigError):
            Alignment.from_record(bad)
    with pytest.raises(ValueError, match="degenerate"):
        a.matrix(np.zeros((68, 2)))
