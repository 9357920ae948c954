"""The embedded demo set: real photographs' derivatives, balanced, labelled, subject-disjoint splits."""

import collections
import csv
from pathlib import Path

import pytest

import fastk
from fastk.data.splits import subject_split
from fastk.demo.attacks import ATTACK_TYPES, LIGHTINGS
from fastk.demo.demo_set import build_demo_set


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


def test_same_seed_same_images_on_one_thread_or_several(demo, tmp_path, monkeypatch):
    """The set is built on worker threads (faces found, photos rendered); built again on one thread it
    must be the same files, byte for byte, and the same manifest (every draw made in photo order)."""
    from fastk.common.threads import THREADS_ENV

    root, rows = demo
    monkeypatch.setenv(THREADS_ENV, "1")
    again = build_demo_set(tmp_path / "again", side=96, max_subjects=45)
    assert (again / "manifest.csv").read_bytes() == (root / "manifest.csv").read_bytes()
    for r in rows:
        assert (again / r["path"]).read_bytes() == (root / r["path"]).read_bytes(), r["path"]


def test_planted_spoofs_equal_the_real_crop_outside_the_planted_areas(faces_dir):
    import numpy as np

    from fastk.data.images import read_rgb
    from fastk.face.areas import AreaSet

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


def test_every_image_records_the_parameters_it_was_made_with(demo):
    import json

    import numpy as np

    from fastk.demo.attacks import draw_print, draw_replay
    from fastk.demo.camera_model import draw_camera

    _, rows = demo
    params = [json.loads(r["params"]) for r in rows]
    camera_keys = set(draw_camera(np.random.default_rng(0)))
    print_keys, replay_keys = set(draw_print(np.random.default_rng(0), 256)), set(draw_replay(np.random.default_rng(0)))
    for r, p in zip(rows, params):
        assert set(p["camera"]) == camera_keys and p["lighting"] == r["lighting"] and r["framing"] == "tight"
        assert p["framed_by"] in ("detected", "source landmarks (no face found)") and len(p["crop_box"]) == 4
        expected = {"none": set(), "replay": replay_keys}.get(r["attack_type"], print_keys)
        assert set(p["attack"]) == expected
    # strongly randomised: every numeric camera parameter takes many values across the set
    for key in ("defocus_sigma", "shot_noise", "wb_gain_r", "jpeg_quality", "flare"):
        assert len({p["camera"][key] for p in params}) > 10, key
    assert len({p["attack"]["pitch"] for p in params if p["attack"].get("pitch")}) > 10
    # crops are placed by the face found on each capture (a detector-based crop), for nearly every image
    assert sum(p["framed_by"] == "detected" for p in params) > 0.85 * len(params)


def test_real_and_attack_jpeg_tables_come_from_one_distribution(demo):
    """The camera model re-encodes real photos too: 'was it re-encoded, and how' is no cue."""
    import numpy as np
    from PIL import Image
    from scipy.stats import ks_2samp

    root, rows = demo
    means = {"0": [], "1": []}
    for r in rows:
        with Image.open(root / r["path"]) as im:
            means[r["label"]].append(float(np.mean(im.quantization[0])))
    assert len(set(means["0"])) > 15  # real images went through many different encoders
    assert ks_2samp(means["0"], means["1"]).pvalue > 0.05
    assert abs(np.median(means["0"]) / np.median(means["1"]) - 1) < 0.25


def _audits(root, rows) -> tuple[float, dict]:
    """Out-of-fold AUC of image statistics alone (JPEG tables, size, file size, colour histogram), folds
    by subject: scikit-learn's logistic regression on its own, and fastk's audit with face geometry."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import GroupKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from fastk.data.datasets import Sample
    from fastk.trust.shortcut_audit import audit_features, shortcut_audit

    x = audit_features([root / r["path"] for r in rows])
    y = np.array([int(r["label"]) for r in rows])
    subjects = [r["subject"] for r in rows]
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=5000))
    scores = cross_val_predict(model, x, y, groups=subjects, cv=GroupKFold(5), method="decision_function")
    samples = [Sample(root / r["path"], int(r["label"]), r["subject"], r["attack_type"]) for r in rows]
    return float(roc_auc_score(y, scores)), shortcut_audit(samples, detector=fastk.create("landmarks", "dlib"))


def _assert_no_shortcut(sk: float, own: dict) -> None:
    """File statistics, face geometry and both together: AUC <= 0.6 each (docs/attacks.md has the figures)."""
    assert sk <= 0.6 and own["auc"] <= 0.6
    assert own["geometry"]["auc"] <= 0.6 and own["combined"]["auc"] <= 0.6
    assert own["geometry"]["no_face"] < 0.1 * (own["n_real"] + own["n_attack"])  # the geometry saw nearly every image


def test_shortcut_audit_cannot_tell_real_from_simulated_attack(demo):
    """AUC <= 0.6 on held-out subjects, for file statistics and for the face's size and place."""
    _assert_no_shortcut(*_audits(*demo))


@pytest.mark.slow
def test_shortcut_audit_on_the_default_demo_set(faces_dir):
    """The dataset's default (side 128, one real and one attack per photo, every subject): about 2-6 minutes.
    The README's two-of-each set is not asserted here: its combined audit is 0.617 (docs/attacks.md)."""
    root = build_demo_set(side=128)
    with open(root / "manifest.csv") as f:
        rows = list(csv.DictReader(f))
    _assert_no_shortcut(*_audits(root, rows))


def test_context_framing_keeps_the_replay_screen_bezel(faces_dir):
    import numpy as np

    from fastk.data.images import read_rgb

    roots = {f: build_demo_set(side=96, max_subjects=4, attacks=["replay"], framing=f, lightings=["normal"])
             for f in ("tight", "context")}
    ring = {}
    for f, root in roots.items():
        with open(root / "manifest.csv") as fh:
            rows = [r for r in csv.DictReader(fh) if r["attack_type"] == "replay"]
        assert {r["framing"] for r in rows} == {f}
        # the bezel sits around the centred screen (55-85% of the frame): darkest band between 5% and 25%
        ring[f] = np.mean([read_rgb(root / r["path"])[5:23, 30:66].mean(axis=(1, 2)).min() for r in rows])
    assert ring["context"] < ring["tight"] - 20


#: fastk modules the image-making code imports that do not change the images it makes.
NOT_IMAGE_CODE = {"fastk", "fastk.defaults", "fastk.errors", "fastk.data.faces", "fastk.face.landmark_cache",
                  "fastk.data.images", "fastk.common.fingerprint", "fastk.plugin.plugins", "fastk.plugin.registry",
                  "fastk.demo.demo_set_key",
                  "fastk.common.progress", "fastk.common.threads", "fastk.common._user_files"}  # _user_files: YAML reading


def test_the_cache_key_covers_every_module_that_makes_the_images():
    """A set cached by older simulator code must never be served: the key hashes the simulator's source,
    so every fastk module the simulator imports is either hashed or known not to touch the pixels."""
    import ast
    import importlib.util

    from fastk.demo.demo_set_key import IMAGE_SOURCES

    imported = set()
    for name in IMAGE_SOURCES:
        tree = ast.parse(open(importlib.util.find_spec(name).origin).read())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "fastk":
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported |= {a.name for a in node.names if a.name.split(".")[0] == "fastk"}
    assert imported - set(IMAGE_SOURCES) - NOT_IMAGE_CODE == set()
