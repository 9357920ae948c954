"""Face areas: the paper's table as data, masks at image resolution, custom YAML, detector agreement."""

import numpy as np
import pytest

import fastk
from fastk.data.images import read_rgb
from fastk.errors import ConfigError
from fastk.face.areas import AreaSet

PAPER_AREAS = ["left_eyebrow", "right_eyebrow", "nose", "lips", "left_eye", "right_eye", "left_cheek",
               "right_cheek", "chin", "philtrum"]


def test_paper_table_is_loaded_as_written():
    areas = AreaSet.load("paper")
    assert areas.names == PAPER_AREAS
    # Table 1 is 1-based; stored 0-based: left cheek = 42 41 32 50 49 5.
    assert areas["left_cheek"].indices == (41, 40, 31, 49, 48, 4)
    assert areas["chin"].indices == (56, 57, 58, 5, 6, 7, 8, 9, 10, 11)


@pytest.mark.parametrize("name", ["dlib", "mediapipe"])
def test_both_detectors_give_ten_plausible_masks(name, london_photos):
    img = read_rgb(london_photos[5])
    face = fastk.create("landmarks", name).detect(img)
    masks = AreaSet.load("paper").masks(face.points68, img.shape)
    assert list(masks) == PAPER_AREAS
    sizes = {a: int(m.sum()) for a, m in masks.items()}
    assert all(m.shape == img.shape[:2] and m.dtype == bool for m in masks.values())
    assert all(s > 20 for s in sizes.values()), sizes
    # Anatomy: the eyebrows are above the eyes, the eyes above the nose tip, the lips above the chin.
    cy = {a: np.nonzero(m)[0].mean() for a, m in masks.items()}
    assert cy["left_eyebrow"] < cy["left_eye"] < cy["nose"] < cy["lips"] < cy["chin"]
    cx = {a: np.nonzero(m)[1].mean() for a, m in masks.items()}
    assert cx["left_cheek"] < cx["nose"] < cx["right_cheek"]
    # Cheeks are bigger than eyes; the face is well under the whole image.
    assert sizes["left_cheek"] > sizes["left_eye"]
    assert sum(sizes.values()) < 0.5 * img.shape[0] * img.shape[1]


def test_dlib_and_mediapipe_masks_overlap(london_photos):
    """Held-out subjects (even numbers; the mapping was fitted on odd ones). Per-area IoU in docs."""
    dlib, mp = fastk.create("landmarks", "dlib"), fastk.create("landmarks", "mediapipe")
    areas = AreaSet.load("paper")
    ious = {a: [] for a in PAPER_AREAS}
    evens = [p for p in london_photos if int(p.stem.split("_")[-2]) % 2 == 0][:12]
    for path in evens:
        img = read_rgb(path)
        ma = areas.masks(dlib.detect(img).points68, img.shape)
        mb = areas.masks(mp.detect(img).points68, img.shape)
        for a in PAPER_AREAS:
            ious[a].append((ma[a] & mb[a]).sum() / (ma[a] | mb[a]).sum())
    mean = {a: float(np.mean(v)) for a, v in ious.items()}
    assert np.mean(list(mean.values())) > 0.6, mean
    assert min(mean.values()) > 0.35, mean


def test_custom_area_file(tmp_path):
    areas = AreaSet.load("configs/areas/forehead-and-jaw.yaml")
    assert "glabella" in areas.names
    bad = tmp_path / "bad.yaml"
    bad.write_text("areas:\n  x: [1, 2, 99]\nindexing: 1\n")
    with pytest.raises(ConfigError, match="bad.yaml: area 'x' has an index outside dlib68"):
        AreaSet.load(bad)
    bad.write_text("areas: [1, 2\n")
    with pytest.raises(ConfigError, match="bad.yaml: not valid YAML"):
        AreaSet.load(bad)
    with pytest.raises(ConfigError, match="unknown area set 'nope'; known: paper"):
        AreaSet.load("nope")
