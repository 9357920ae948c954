"""The embedded demo set: real photographs' derivatives, balanced, labelled, subject-disjoint splits."""

import collections
import csv
from pathlib import Path

import pytest

import fastk
from fastk.attacks import ATTACK_TYPES, LIGHTINGS
from fastk.demo_set import build_demo_set
from fastk.training.splits import subject_split


@pytest.fixture(scope="module")
def demo(faces_dir):
    root = build_demo_set(side=96, max_subjects=45)
    with open(root / "manifest.csv") as f:
        return root, list(csv.DictReader(f))


def test_every_image_is_traceable_to_a_real_photo(demo, faces_dir):
    root, rows = demo
    with open(faces_dir / "manifest.csv") as f:
        sources = {Path(r["file"]).name: r for r in csv.DictReader(f)}
    for r in rows:
        assert (root / r["path"]).is_file()
        src = sources[r["source_file"]]
        assert src["subject"] == r["subject"] and src["age"] == r["age"] and src["gender"] == r["gender"]
        assert r["simulated"] == ("True" if r["label"] == "1" else "False")
    assert "CC BY 4.0" in (root / "README.txt").read_text() and "SIMULATED" in (root / "README.txt").read_text()


def test_labels_are_balanced_and_every_kind_is_there(demo):
    _, rows = demo
    labels = collections.Counter(r["label"] for r in rows)
    assert labels["0"] == labels["1"]
    assert {r["attack_type"] for r in rows if r["label"] == "1"} == set(ATTACK_TYPES)
    assert {r["lighting"] for r in rows} == set(LIGHTINGS)


def test_subject_split_has_three_disjoint_groups_with_all_attack_types(demo):
    samples = fastk.create("dataset", "demo", side=96, max_subjects=45).samples()
    sp = subject_split(samples, seed=0)
    for part in sp.values():
        assert len({s.subject for s in part}) >= 3
        assert {s.attack_type for s in part} == {"none", *ATTACK_TYPES}
    assert sum(len({s.subject for s in p}) for p in sp.values()) == len({s.subject for s in samples})


def test_same_seed_same_images(demo, tmp_path):
    import numpy as np

    from fastk.images import read_rgb

    root, rows = demo
    again = build_demo_set(tmp_path / "again", side=96, max_subjects=45)
    for r in rows[:6]:
        np.testing.assert_array_equal(read_rgb(root / r["path"]), read_rgb(again / r["path"]))


def test_planted_spoofs_equal_the_real_crop_outside_the_planted_areas(faces_dir):
    import numpy as np

    from fastk.areas import AreaSet
    from fastk.images import read_rgb

    root = build_demo_set(side=128, max_subjects=4, planted=["right_cheek", "right_eye"], lightings=["normal"])
    with open(root / "manifest.csv") as f:
        rows = list(csv.DictReader(f))
    real = {r["source_file"]: r for r in rows if r["label"] == "0"}
    spoof = [r for r in rows if r["label"] == "1"]
    det, areas = fastk.create("landmarks", "dlib"), AreaSet.load("paper")
    for r in spoof[:3]:
        a, b = read_rgb(root / real[r["source_file"]]["path"]), read_rgb(root / r["path"])
        face = det.detect(a)
        planted = areas.union(areas.masks(face.points68, a.shape), ["right_cheek", "right_eye"])
        import cv2

        far = ~cv2.dilate(planted.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)
        diff = np.abs(a.astype(int) - b.astype(int)).mean(axis=2)
        assert diff[far].mean() < 1.0  # untouched outside (up to the feathered edge)
        assert diff[planted].mean() > 5.0  # the attack is there
