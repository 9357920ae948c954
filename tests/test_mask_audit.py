"""The mask audit (fastk.trust.mask_audit, fastk.trust.mask_swap) on a planted outline leak, and what aligned framing removes.

The data: real London photos as tight face crops ("real"), and the same photos framed 20% tighter,
so the face is larger in the crop: a geometry-only attack, SIMULATED (it copies what a curved or slanted
print does to a detector-free crop). Nothing but the face's size and place tells the classes apart, so
masks made from each image's own landmarks carry the label, and masks from the template cannot.
"""

import numpy as np
import pytest

import fastk
from fastk.data.datasets import Sample
from fastk.data.images import read_rgb, write_image
from fastk.demo.demo_set_render import face_crop_box
from fastk.face.areas import AreaSet

KEEP = ["nose", "lips", "philtrum", "left_cheek"]


@pytest.fixture(scope="module")
def zoomed(tmp_path_factory, london_photos) -> list[Sample]:
    import cv2

    detector = fastk.create("landmarks", "dlib")
    root = tmp_path_factory.mktemp("zoomed")
    samples = []
    for i, path in enumerate(london_photos[:32]):
        rgb = read_rgb(path)
        pts = detector.detect(rgb).points68
        for label, margin in ((0, 0.3), (1, 0.1)):  # the "attack" crop is tighter: a larger face
            x0, y0, x1, y1 = face_crop_box(pts, rgb.shape, margin)
            out = root / ("real" if label == 0 else "spoof") / f"{path.stem}.jpg"
            write_image(out, cv2.resize(rgb[y0:y1, x0:x1], (96, 96), interpolation=cv2.INTER_AREA))
            samples.append(Sample(out, label, f"s{i}", "none" if label == 0 else "zoom"))
    return samples


def _masked(samples, out, **kw):
    """The masked dataset with the mask audit, as ``fastk mask`` and ``fastk run`` write it."""
    from fastk.face.masked_dataset import write_masked_dataset
    from fastk.trust.mask_audit import audit_masks

    return write_masked_dataset(samples, out, keep=KEEP, detector=fastk.create("landmarks", "dlib"),
                                area_set=AreaSet.load("paper"), show_progress=False, audit=audit_masks, **kw)


def test_per_image_masks_leak_the_label_and_the_audit_says_so(zoomed, tmp_path):
    audit = _masked(zoomed, tmp_path / "m")["mask_audit"]
    assert audit["applies"] and not audit["identical_masks"]
    assert audit["auc"] > 0.85 and audit["ci"][0] > 0.6 and audit["leak"]
    assert audit["by_attack_type"]["zoom"]["auc"] > 0.85


def test_the_shortcut_audit_finds_the_face_geometry_leak(zoomed):
    """The shortcut audit's positive control for geometry: the face's size alone gives the label away."""
    from fastk.trust.shortcut_audit import shortcut_audit, shortcut_warnings, summary

    audit = shortcut_audit(zoomed, detector=fastk.create("landmarks", "dlib"))
    assert audit["geometry"]["auc"] > 0.9 and audit["geometry"]["leak"] and audit["geometry"]["no_face"] == 0
    # as `fastk run` reports it: the geometry part warns, in one line naming the part and the attack type
    parts = summary(audit)
    assert list(parts) == ["file statistics", "face geometry", "both"] and parts["face geometry"]["leak"]
    lines = shortcut_warnings(parts)
    assert any(ln.startswith("data: the face's size and place (no model, no face texture) tell") and "zoom" in ln for ln in lines)
    assert all("\n" not in ln for ln in lines)


def test_aligned_masks_are_one_mask_and_carry_no_label(zoomed, tmp_path):
    from fastk.face.alignment import Alignment

    stats = _masked(zoomed, tmp_path / "a", alignment=Alignment(96))
    audit = stats["mask_audit"]
    assert audit["identical_masks"] and audit["auc"] == 0.5 and audit["ci"] == [0.5, 0.5] and not audit["leak"]
    assert stats["framing"] == "aligned" and stats["written"] == len(zoomed)
    # every written image is black outside the template's mask (2 px from its edge: JPEG rings there)
    import cv2

    from fastk.face.alignment import canonical_masks

    areas = AreaSet.load("paper")
    keep = areas.union(canonical_masks(Alignment(96), areas), KEEP)
    outside = cv2.dilate(keep.astype(np.uint8), np.ones((5, 5), np.uint8)) == 0
    images = [read_rgb(p) for p in sorted((tmp_path / "a").rglob("*.jpg"))]
    assert len(images) == len(zoomed) and outside.mean() > 0.6
    assert all((img[outside] < 8).mean() > 0.99 for img in images)


def test_the_swap_test_finds_a_model_that_reads_the_outline(zoomed, tmp_path):
    """A model trained on per-image masks of this data can only use the outline or the face's size:
    swapping masks between real and attack images must cost more AUC than swapping within a class."""
    from fastk.face.masked_dataset import MaskRecipe
    from fastk.trust.mask_swap import swap_test
    from tests.helpers import train_tiny

    train, test = zoomed[:40], zoomed[40:]
    _masked(train, tmp_path / "train")
    checkpoint = train_tiny(tmp_path / "train", tmp_path / "model.pt", epochs=15)
    from fastk.model.checkpoints import load_checkpoint

    backbone, model, _ = load_checkpoint(checkpoint)
    recipe = MaskRecipe("blackout", tuple(KEEP), AreaSet.load("paper"))
    result = swap_test(backbone, model, test, recipe, fastk.create("landmarks", "dlib"))
    assert result["applies"] and result["n_real"] == 12 and result["n_attack"] == 12
    assert result["auc"]["own"] > 0.8
    assert result["auc"]["opposite"] < result["auc"]["same"] - 0.3
    assert result["uses_outline"]
