"""OULU-NPU as it ships, videos, read without dumping frames: the reader samples frames per video, the
``oulu-npu`` protocol splits them, and explore / mask / the face check work on the virtual frame paths.
Videos are written here from real face photos, in the dataset's real folder and file naming."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import fastk
from fastk.data.images import read_rgb
from fastk.data.video_frames import frame_path
from fastk.errors import ConfigError
from tests.helpers import decode_video, write_video
from tests.test_protocols_oulu import TREE_USERS, write_protocols

PHONES = (1, 2)  # of 6: enough for leave-one-phone-out, a third of the videos to write
FRAMES = 5


@pytest.fixture(scope="module")
def video_root(tmp_path_factory, london_photos) -> Path:
    """2 phones x 3 sessions x 6 users x 5 files = 180 MJPG .avi videos of 5 frames (48 px, one person
    per user), in Train_files/Dev_files/Test_files; Protocols/ as the dataset ships it."""
    root = tmp_path_factory.mktemp("oulu-videos")
    users = [u for us in TREE_USERS.values() for u in us]
    photo = dict(zip(users, london_photos))
    for folder, us in TREE_USERS.items():
        for ph in PHONES:
            for se in (1, 2, 3):
                for u in us:
                    for f in range(1, 6):
                        write_video(root / folder / f"{ph}_{se}_{u:02d}_{f}.avi", [photo[u]] * FRAMES, side=48)
    write_protocols(root / "Protocols")
    return root


def test_the_reader_samples_frames_of_each_video(video_root):
    samples = fastk.create("dataset", "oulu", root=video_root, frames_per_video=3).samples()
    assert len(samples) == 180 * 3
    s = next(s for s in samples if s.meta["video"] == "2_3_21_4")
    assert s.path == frame_path(video_root / "Dev_files" / "2_3_21_4.avi", 0)
    assert (s.label, s.subject, s.attack_type, s.lighting) == (1, "oulu_21", "replay1", "session3")
    assert s.meta == {"phone": 2, "session": 3, "video": "2_3_21_4", "official_split": "dev", "frame": 0}
    assert [t.meta["frame"] for t in samples if t.meta["video"] == "2_3_21_4"] == [0, 2, 4]  # segment centres
    assert Counter(t.label for t in samples) == {0: 36 * 3, 1: 144 * 3}
    assert not any(t.path.exists() for t in samples)  # nothing dumped
    frames = decode_video(video_root / "Dev_files" / "2_3_21_4.avi")
    assert np.array_equal(read_rgb(samples[samples.index(s) + 2].path), frames[4])
    every = fastk.create("dataset", "oulu", root=video_root).samples()  # default 10: all 5 frames
    assert len(every) == 180 * FRAMES
    with pytest.raises(ConfigError, match="frames_per_video must be at least 1, got 0"):
        fastk.create("dataset", "oulu", root=video_root, frames_per_video=0)


def test_the_oulu_npu_protocol_splits_videos(video_root):
    dataset = fastk.create("dataset", "oulu", root=video_root, frames_per_video=2)
    samples = dataset.samples()
    lists = fastk.create("protocol", "oulu-npu:1").split(samples, dataset)
    videos = {k: {s.meta["video"] for s in part} for k, part in lists.parts.items()}
    assert videos["test"] == {f"{ph}_3_{u}_{f}" for ph in PHONES for u in (36, 37) for f in range(1, 6)}
    assert videos["train"] == {f"{ph}_{se}_{u:02d}_{f}" for ph in PHONES for se in (1, 2) for u in (1, 2)
                               for f in range(1, 6)}
    assert {k: len(p) for k, p in lists.parts.items()} == {"train": 80, "val": 80, "test": 40}  # 2 frames each
    assert lists.counts == {"listed_missing": 2700 - 100, "unlisted": 80 * 2, "videos": 100}
    for part in lists.parts.values():
        assert all(s.label == (0 if s.meta["video"].endswith("_1") else 1) for s in part)
    fold = fastk.create("protocol", "oulu-npu:3,fold=2").split(samples, dataset)
    assert {s.meta["phone"] for s in fold.parts["test"]} == {2}
    assert {s.meta["phone"] for s in fold.parts["train"] + fold.parts["val"]} == {1}
    assert len({s.meta["video"] for s in fold.parts["test"]}) == 3 * 2 * 5


@pytest.fixture(scope="module")
def face_videos(tmp_path_factory, london_photos) -> Path:
    """Two 12-frame videos at 160 px, big enough for dlib: a bona fide one and a print attack, each frame
    another real face (the attack's pixels are real faces too: this checks reading, not detection)."""
    root = tmp_path_factory.mktemp("oulu-faces")
    write_video(root / "Train_files" / "1_1_01_1.avi", london_photos[20:32], side=160)
    write_video(root / "Train_files" / "1_1_01_2.avi", london_photos[32:44], side=160)
    return root


def test_the_face_check_finds_faces_in_video_frames_and_caches_them(face_videos, tmp_path):
    from fastk.face.face_check import check_faces
    from fastk.face.landmark_cache import LandmarkCache

    samples = fastk.create("dataset", "oulu", root=face_videos, frames_per_video=4).samples()
    cache = LandmarkCache(tmp_path / "cache")
    detector = fastk.create("landmarks", "dlib")
    checked = check_faces(samples, detector, cache)
    assert len(checked.usable) == 8 and not checked.skipped and cache.misses == 8
    again = check_faces(samples, detector, cache)
    assert cache.hits == 8 and cache.misses == 8
    broken = face_videos / "Dev_files" / "1_1_21_1.avi"  # a corrupt video is listed, then skipped with why
    broken.parent.mkdir()
    broken.write_bytes(b"not a video at all" * 50)
    try:
        listed = fastk.create("dataset", "oulu", root=face_videos, frames_per_video=4).samples()
        skipped = check_faces(listed, detector, cache).skipped
    finally:
        broken.unlink()
        broken.parent.rmdir()
    assert len(listed) == 9 and [r["reason"] for r in skipped] == [
        f"{broken}: not a readable video (unknown format or corrupt data)"]
    for (_, a), (_, b) in zip(checked.usable, again.usable):
        assert np.array_equal(a.points68, b.points68)
    video = face_videos / "Train_files" / "1_1_01_2.avi"
    frames = decode_video(video)
    for smp, face in checked.usable[4:]:  # each frame's own face: detected on that frame, decoded in order
        assert smp.path.name.startswith(video.name)
        direct = detector.detect(frames[smp.meta["frame"]])
        assert np.abs(face.points68 - direct.points68).max() <= 0.01


def test_explore_and_mask_on_video_frames(face_videos, tmp_path, tiny_checkpoint):
    from fastk.cli import cli

    out = tmp_path / "explore"
    result = CliRunner().invoke(cli, ["explore", str(face_videos), "--dataset", "oulu", "--checkpoint",
                                      str(tiny_checkpoint), "--out", str(out), "--overlays", "1"])
    assert result.exit_code == 0, result.output
    with open(out / "per_image.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 20  # 10 frames per video by default
    picked = [0, 1, 3, 4, 5, 6, 7, 9, 10, 11]  # centres of 10 equal segments of 12 frames
    assert sorted(Path(r["path"]).name for r in rows) == [f"1_1_01_{k}.avi.f{i:06d}.jpg" for k in (1, 2) for i in picked]
    assert all(r["path"].startswith(str(face_videos / "Train_files")) for r in rows)
    assert sorted(int(r["meta_frame"]) for r in rows if r["meta_video"] == "1_1_01_1") == picked
    summary = json.loads((out / "area_importance.json").read_text())
    assert set(summary["by"]["attack_type"]) == {"none", "print1"}

    masked = tmp_path / "masked"
    m = CliRunner().invoke(cli, ["mask", str(face_videos), "--dataset", "oulu", "--importance",
                                 str(out / "area_importance.json"), "--select", "top-k:4", "--out", str(masked)])
    assert m.exit_code == 0, m.output
    written = sorted(p.relative_to(masked).as_posix() for p in masked.rglob("*.jpg"))
    assert written == sorted(f"Train_files/{Path(r['path']).name}" for r in rows)  # real JPEGs, same names
    back = fastk.create("dataset", "oulu", root=masked).samples()
    assert [(s.meta["video"], s.meta["frame"], s.label) for s in back] == sorted(
        (r["meta_video"], int(r["meta_frame"]), int(r["label"])) for r in rows)
