"""Inputs checked where they matter: EXIF orientation, CMYK, no-face and unreadable images in
predict/evaluate/train, framing of full-frame photos, subject ids before any slow step."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from click.testing import CliRunner

from fastk.cli import cli
from fastk.data.images import read_rgb


def _strict(text: str):
    """``json.loads`` that refuses NaN and Infinity (what strict JSON readers do)."""
    def refuse(name):
        raise ValueError(f"non-standard JSON constant {name}")
    return json.loads(text, parse_constant=refuse)


def _save_with_orientation(path, rgb: np.ndarray, orientation: int, fmt: str = "JPEG") -> None:
    from PIL import Image

    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(rgb).save(path, fmt, exif=exif.tobytes(), quality=95)


def _stored_sideways(upright: np.ndarray) -> np.ndarray:
    """The pixels a phone stores for an upright photo with EXIF Orientation 6 (display = rotate 90 CW)."""
    return np.ascontiguousarray(np.rot90(upright, 1))


@pytest.fixture(scope="module")
def portrait(london_photos) -> np.ndarray:
    """A real face photo, cropped non-square so a rotation shows in the shape."""
    return read_rgb(london_photos[1])[:, 40:472]


# -- reading ------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt,suffix", [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")])
def test_every_exif_orientation_comes_out_as_a_photo_viewer_shows_it(tmp_path, portrait, fmt, suffix):
    from PIL import Image, ImageOps

    for orientation in range(1, 9):
        p = tmp_path / f"o{orientation}.{suffix}"
        _save_with_orientation(p, portrait, orientation, fmt)
        shown = np.asarray(ImageOps.exif_transpose(Image.open(p)).convert("RGB"))
        got = read_rgb(p)
        assert got.shape == shown.shape, (fmt, orientation)
        assert np.abs(got.astype(int) - shown.astype(int)).mean() < 2, (fmt, orientation)


def test_sideways_phone_photo_is_upright_for_the_detector(tmp_path, portrait):
    import fastk
    from fastk.face.landmark_cache import LandmarkCache

    p = tmp_path / "phone.jpg"
    _save_with_orientation(p, _stored_sideways(portrait), 6)
    img = read_rgb(p)
    assert img.shape == portrait.shape
    assert np.abs(img.astype(int) - portrait.astype(int)).mean() < 3
    dlib = fastk.create("landmarks", "dlib")
    assert not dlib.detect(_stored_sideways(portrait)).ok  # the stored pixels alone: a face on its side
    face = LandmarkCache(tmp_path / "cache").detect_file(dlib, p)  # what explore, mask and train use
    upright = dlib.detect(portrait)
    assert face.ok and np.allclose(face.box, upright.box, atol=8)


def test_cmyk_jpeg_reads_as_rgb(tmp_path, portrait):
    from PIL import Image

    p = tmp_path / "cmyk.jpg"
    Image.fromarray(portrait).convert("CMYK").save(p, "JPEG", quality=95)
    assert Image.open(p).mode == "CMYK"
    img = read_rgb(p)
    assert img.shape == portrait.shape and img.dtype == np.uint8
    assert np.abs(img.astype(int) - portrait.astype(int)).mean() < 4


# -- predict ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def non_faces(tmp_path_factory) -> dict[str, object]:
    """Real photos without a face (scikit-image's coffee and cat), pure noise, and a broken file."""
    from skimage import data

    from fastk.data.images import write_image

    root = tmp_path_factory.mktemp("non-faces")
    noise = np.random.default_rng(0).integers(0, 256, (192, 192, 3), dtype=np.uint8)
    paths = {name: root / f"{name}.png" for name in ("coffee", "chelsea", "noise")}
    for name, rgb in (("coffee", data.coffee()), ("chelsea", data.chelsea()), ("noise", noise)):
        write_image(paths[name], np.asarray(rgb))
    paths["broken"] = root / "broken.jpg"
    paths["broken"].write_bytes(b"\xff\xd8 not really a jpeg")
    return paths


def test_predict_gives_no_score_without_a_face(tiny_checkpoint, tiny_dataset, non_faces):
    real = sorted((tiny_dataset / "real").iterdir())[0]
    args = [str(non_faces[k]) for k in ("coffee", "chelsea", "noise", "broken")]
    r = CliRunner().invoke(cli, ["predict", str(tiny_checkpoint), str(real), *args])
    assert r.exit_code == 0, r.output
    out = _strict(r.output)
    assert [o["path"] for o in out] == [str(real), *args]
    assert 0 <= out[0]["spoof_score"] <= 1 and out[0]["framing"] == "as-is"
    for o in out[1:4]:
        assert "spoof_score" not in o and "label" not in o
        assert o["skipped"] == "no face" and "no face found (dlib)" in o["error"]
    assert out[4]["skipped"] == "unreadable" and "spoof_score" not in out[4]
    # Without the face check the noise is scored: the check is what keeps it out.
    r = CliRunner().invoke(cli, ["predict", str(tiny_checkpoint), "--no-face-check", str(non_faces["noise"])])
    assert r.exit_code == 0 and "spoof_score" in _strict(r.output)[0]


def test_predict_scores_a_sideways_phone_photo_like_the_upright_one(tiny_checkpoint, tiny_dataset, tmp_path):
    real = sorted((tiny_dataset / "real").iterdir())[1]
    upright = read_rgb(real)
    a, b = tmp_path / "upright.jpg", tmp_path / "sideways.jpg"
    _save_with_orientation(a, upright, 1)
    _save_with_orientation(b, _stored_sideways(upright), 6)
    r = CliRunner().invoke(cli, ["predict", str(tiny_checkpoint), str(a), str(b)])
    assert r.exit_code == 0, r.output
    out = _strict(r.output)
    assert all("spoof_score" in o for o in out), out
    assert abs(out[0]["spoof_score"] - out[1]["spoof_score"]) < 0.05


# -- framing ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def framed_checkpoint(tmp_path_factory, tiny_checkpoint, tiny_dataset) -> tuple:
    """The tiny model with the framing of its training images recorded, as ``fastk train`` does."""
    import shutil

    import fastk
    from fastk.face.landmark_cache import LandmarkCache
    from fastk.model.checkpoints import load_checkpoint, record_framing

    p = tmp_path_factory.mktemp("framed") / "framed.pt"
    shutil.copy(tiny_checkpoint, p)
    samples = fastk.create("dataset", "folder", root=tiny_dataset).samples()
    stats = record_framing(p, samples, fastk.create("landmarks", "dlib"), LandmarkCache())
    assert load_checkpoint(p)[2]["framing"] == stats
    return p, stats


@pytest.fixture(scope="module")
def full_frame(tmp_path_factory, tiny_dataset):
    """A real face photo placed in a larger real scene (scikit-image's coffee): a "full frame"."""
    from skimage import data

    from fastk.data.images import write_image

    photo_path = sorted((tiny_dataset / "real").iterdir())[2]
    photo = read_rgb(photo_path)
    scene = np.asarray(data.coffee()).copy()  # 400 x 600
    top, left = 150, 330
    scene[top:top + photo.shape[0], left:left + photo.shape[1]] = photo
    p = tmp_path_factory.mktemp("full-frame") / "full_frame.png"
    write_image(p, scene)
    return p, photo_path, (left, top, left + photo.shape[1], top + photo.shape[0])


def _area(box) -> int:
    return (box[2] - box[0]) * (box[3] - box[1])


def test_training_framing_is_recorded(framed_checkpoint):
    _, stats = framed_checkpoint
    assert stats["detector"] == "dlib" and stats["images"] >= 28  # 32 photos; dlib finds nearly all
    assert 0.2 < stats["face_width"] < 0.6 and 0.3 < stats["centre_x"] < 0.7
    assert stats["face_width_p10"] <= stats["face_width"] <= stats["face_width_p90"]


def test_full_frame_is_cropped_back_to_the_training_framing(framed_checkpoint, full_frame, tiny_checkpoint):
    import fastk
    from fastk.face.framing import crop_window, smaller_than_training
    from fastk.face.landmark_cache import LandmarkCache

    ckpt, stats = framed_checkpoint
    scene_path, photo_path, pasted = full_frame
    face = LandmarkCache().detect_file(fastk.create("landmarks", "dlib"), scene_path)
    assert face.ok and smaller_than_training(face, read_rgb(scene_path).shape, stats) > 1.5
    window = crop_window(face, read_rgb(scene_path).shape, stats)
    # The window frames the face as the training images did (their median face-box share), holds the
    # whole face, and lies on the pasted photo rather than on the coffee scene around it.
    x0, y0, x1, y1 = face.box
    assert window[0] <= x0 and window[1] <= y0 and x1 <= window[2] and y1 <= window[3]
    share = (x1 - x0) / (window[2] - window[0])
    assert abs(share - stats["face_width"]) < 0.15 * stats["face_width"], (share, stats["face_width"])
    ix = max(0, min(window[2], pasted[2]) - max(window[0], pasted[0]))
    iy = max(0, min(window[3], pasted[3]) - max(window[1], pasted[1]))
    assert ix * iy > 0.6 * _area(window), (window, pasted)

    r = CliRunner().invoke(cli, ["predict", str(ckpt), str(scene_path), str(photo_path)])
    assert r.exit_code == 0, r.output
    scene, photo = _strict(r.output)
    assert scene["framing"] == "cropped" and "smaller than in training; cropped to" in scene["framing_note"]
    assert photo["framing"] == "as-is" and photo["framing_note"] == "framed like the training images"
    # A checkpoint without a framing record keeps the frame as it is, and says so.
    r = CliRunner().invoke(cli, ["predict", str(tiny_checkpoint), str(scene_path)])
    (plain,) = _strict(r.output)
    assert plain["framing"] == "as-is" and "records no training framing" in plain["framing_note"]


# -- evaluate ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def messy_dataset(tmp_path_factory, tiny_dataset, non_faces):
    """The tiny dataset plus two no-face photos, noise and a broken file among the labelled images."""
    import shutil

    root = tmp_path_factory.mktemp("messy")
    shutil.copytree(tiny_dataset, root, dirs_exist_ok=True)
    shutil.copy(non_faces["coffee"], root / "real" / "zz_coffee.png")
    shutil.copy(non_faces["noise"], root / "spoof" / "print" / "zz_noise.png")
    shutil.copy(non_faces["chelsea"], root / "spoof" / "replay" / "zz_chelsea.png")
    shutil.copy(non_faces["broken"], root / "real" / "zz_broken.jpg")
    return root


def test_evaluate_skips_and_lists_no_face_and_unreadable_images(tiny_checkpoint, messy_dataset, tmp_path):
    out = tmp_path / "eval" / "metrics.json"
    r = CliRunner().invoke(cli, ["evaluate", str(tiny_checkpoint), str(messy_dataset), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "skipped 4 image(s) (3 no face, 1 unreadable)" in r.output
    m = _strict(out.read_text())
    assert m["n_skipped"] >= 4 and m["n_real"] + m["n_spoof"] + m["n_skipped"] == 36
    rows = list(csv.DictReader(open(out.parent / "skipped.csv")))
    names = {r["path"].rsplit("/", 1)[-1]: r["kind"] for r in rows}
    assert {k: v for k, v in names.items() if k.startswith("zz_")} == {
        "zz_coffee.png": "no face", "zz_noise.png": "no face", "zz_chelsea.png": "no face", "zz_broken.jpg": "unreadable"}
    scores = list(csv.DictReader(open(out.parent / "scores.csv")))
    assert len(scores) == m["n_real"] + m["n_spoof"] and not any("zz_" in s["path"] for s in scores)


def test_evaluate_only_real_faces_reports_undefined_metrics(tiny_checkpoint, tiny_dataset, tmp_path):
    import shutil

    root = tmp_path / "only-real"
    shutil.copytree(tiny_dataset / "real", root / "real")
    out = tmp_path / "m.json"
    r = CliRunner().invoke(cli, ["evaluate", str(tiny_checkpoint), str(root), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "undefined (no attacks in the set)" in r.output
    m = _strict(out.read_text())
    for key in ("apcer", "precision", "recall", "f1", "acer", "hter", "eer", "auc"):
        assert m[key] is None and m["undefined"][key] == "no attacks in the set", key
    assert 0 <= m["bpcer"] <= 1 and "bpcer" not in m["undefined"]


def test_evaluate_unlabelled_images_gives_scores_and_no_metrics(tiny_checkpoint, tiny_dataset, tmp_path):
    import shutil

    root = tmp_path / "unlabelled"
    shutil.copytree(tiny_dataset / "real", root)
    out = tmp_path / "m.json"
    r = CliRunner().invoke(cli, ["evaluate", str(tiny_checkpoint), str(root), "--out", str(out)])
    assert r.exit_code == 0, r.output
    m = _strict(out.read_text())
    assert m["n_unlabelled"] >= 14 and m["bpcer"] is None and m["undefined"]["bpcer"] == "no labelled samples"
    assert len(list(csv.DictReader(open(tmp_path / "scores.csv")))) == m["n_unlabelled"]


def test_evaluate_empty_folder_and_nothing_usable_are_one_line(tiny_checkpoint, tmp_path, non_faces):
    (tmp_path / "empty").mkdir()
    r = CliRunner().invoke(cli, ["evaluate", str(tiny_checkpoint), str(tmp_path / "empty")])
    assert r.exit_code == 2 and "no images" in r.output and len(r.output.strip().splitlines()) == 1
    (tmp_path / "none" / "real").mkdir(parents=True)
    import shutil

    shutil.copy(non_faces["coffee"], tmp_path / "none" / "real" / "coffee.png")
    r = CliRunner().invoke(cli, ["evaluate", str(tiny_checkpoint), str(tmp_path / "none")])
    assert r.exit_code == 2 and "Traceback" not in r.output
    (error,) = [line for line in r.output.splitlines() if line.startswith("fastk: error")]  # after a progress bar
    assert "no usable image (1 no face); first: " in error and "coffee.png: no face found (dlib)" in error


# -- train ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def subject_dataset(tmp_path_factory, tiny_dataset, non_faces):
    """The tiny dataset with subject ids in the file names (SUBJECT_rest), plus bad files."""
    import shutil

    root = tmp_path_factory.mktemp("subjects")
    for p in sorted(tiny_dataset.rglob("*.jpg")):
        subject = p.stem.split("_")[3]  # london_neutral_front_NNN_03
        dest = root / p.relative_to(tiny_dataset).parent / f"s{subject}_{p.name}"
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(p, dest)
    shutil.copy(non_faces["noise"], root / "real" / "s999_noise.png")
    shutil.copy(non_faces["broken"], root / "spoof" / "print" / "s998_broken.jpg")
    return root


def test_train_skips_and_lists_bad_images_and_records_framing(subject_dataset, tmp_path):
    from fastk.model.checkpoints import load_checkpoint

    out = tmp_path / "run"
    r = CliRunner().invoke(cli, ["train", str(subject_dataset), "--dataset-option", "subject_from_name=true",
                                 "--backbone", "timm:test_resnet", "--input-size", "64", "--epochs", "2",
                                 "--batch-size", "8", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "1 no face" in r.output and "1 unreadable" in r.output
    skipped = {row["path"].rsplit("/", 1)[-1] for row in csv.DictReader(open(out / "skipped.csv"))}
    assert {"s999_noise.png", "s998_broken.jpg"} <= skipped
    split = json.loads((out / "split.json").read_text())
    assert not any(n in p for part in split.values() for p in part for n in ("noise", "broken"))
    framing = load_checkpoint(out / "best.pt")[2]["framing"]
    assert framing["detector"] == "dlib" and 0.2 < framing["face_width"] < 0.6
    _strict((out / "metrics.json").read_text())


def test_train_without_subject_ids_stops_before_finding_faces(subject_dataset, tmp_path, monkeypatch):
    monkeypatch.setenv("FASTK_CACHE_DIR", str(tmp_path / "cache"))
    r = CliRunner().invoke(cli, ["train", str(subject_dataset), "--out", str(tmp_path / "run")])
    assert r.exit_code == 2
    line = r.output.strip()
    assert len(line.splitlines()) == 1 and "samples have no subject id" in line
    assert "subject_from_name" in line and "csv" in line
    assert not (tmp_path / "cache").exists()  # no face was looked for
    assert not (tmp_path / "run").exists()


def test_predict_unknown_landmarks_name_is_one_line(framed_checkpoint, tiny_dataset):
    """The --landmarks option is really used: an unknown name fails in one line."""
    ckpt, _ = framed_checkpoint
    real = sorted((tiny_dataset / "real").iterdir())[0]
    r = CliRunner().invoke(cli, ["predict", str(ckpt), "--landmarks", "nosuchdetector", str(real)])
    assert r.exit_code == 2 and "unknown landmarks 'nosuchdetector'" in r.output


def test_strict_json_helper_has_no_nan():
    from fastk.common.jsonsafe import dumps

    text = dumps({"a": float("nan"), "b": [np.float32(1.5), float("inf")], "c": np.arange(2)})
    assert _strict(text) == {"a": None, "b": [1.5, None], "c": [0, 1]}


def test_crop_window_always_lies_inside_the_image():
    """Whatever the box and the training framing, the window is non-empty and inside the image."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from fastk.face.framing import crop_window
    from fastk.face.landmarks import Face

    @settings(max_examples=300, deadline=None)
    @given(h=st.integers(8, 2000), w=st.integers(8, 2000), fx=st.floats(0, 1), fy=st.floats(0, 1),
           bw=st.floats(0.01, 1), bh=st.floats(0.01, 1), tw=st.floats(0.05, 1.5), th=st.floats(0.05, 1.5),
           cx=st.floats(-0.5, 1.5), cy=st.floats(-0.5, 1.5))
    def check(h, w, fx, fy, bw, bh, tw, th, cx, cy):
        x0, y0 = fx * w * (1 - bw), fy * h * (1 - bh)
        face = Face("t", "dlib68", (x0, y0, x0 + bw * w, y0 + bh * h), np.zeros((68, 2)), None)
        left, top, right, bottom = crop_window(face, (h, w, 3), {"face_width": tw, "face_height": th,
                                                                 "centre_x": cx, "centre_y": cy})
        assert 0 <= left < right <= w and 0 <= top < bottom <= h

    check()
