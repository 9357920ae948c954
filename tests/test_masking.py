"""Black-out and crop-to-ROI on a real face."""

import numpy as np
import pytest

import fastk
from fastk.data.images import read_rgb
from fastk.face.areas import AreaSet
from fastk.face.masking import black_out, crop_to_roi


@pytest.fixture(scope="module")
def face(london_photos):
    img = read_rgb(london_photos[7])
    f = fastk.create("landmarks", "dlib").detect(img)
    areas = AreaSet.load("paper")
    return img, areas, areas.masks(f.points68, img.shape)


def test_black_out_keeps_exactly_the_selected_areas(face):
    img, areas, masks = face
    keep = areas.union(masks, ["right_cheek", "right_eye", "left_eye", "left_eyebrow"])
    out = black_out(img, keep)
    assert out.shape == img.shape
    assert (out[~keep] == 0).all()
    np.testing.assert_array_equal(out[keep], img[keep])
    assert keep.mean() < 0.2  # most of the image goes black, as in the paper (~80%)


def test_crop_to_roi_is_the_box_around_kept_areas(face):
    img, areas, masks = face
    keep = areas.union(masks, ["left_eye", "right_eye"])
    crop = crop_to_roi(img, keep, margin=0.0)
    ys, xs = np.nonzero(keep)
    assert crop.shape[:2] == (ys.max() - ys.min() + 1, xs.max() - xs.min() + 1)
    assert crop_to_roi(img, keep, size=64).shape == (64, 64, 3)
