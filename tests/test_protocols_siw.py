"""The ``siw`` protocols on a small SiW tree of real .mov videos (made here from real face photos, a
different person per subject) in SiW's layout and naming: Train/Test, live/spoof, a folder per subject.

Every subject has the seven kinds of video SiW has: live, print1, print2, replay1-4. Training videos
are 90 frames long (so "the first 60 frames" is a proper part of them), test videos 30.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import fastk
from fastk.data.video_frames import frame_path, spread
from fastk.errors import ConfigError

TRAIN_SUBJECTS = ("003", "004", "005", "006", "007")
TEST_SUBJECTS = ("091", "092", "093")
KINDS = {"live": (1, 1), "print1": (2, 1), "print2": (2, 2), "replay1": (3, 1), "replay2": (3, 2),
         "replay3": (3, 3), "replay4": (3, 4)}  # attack type: (TypeID, MediumID)
LENGTH = {"Train": 90, "Test": 30}
FRAMES_PER_VIDEO = 10


def video_name(subject: str, kind: str) -> str:
    type_id, medium = KINDS[kind]
    return f"{subject}-1-{type_id}-{medium}-1"


def video_file(root: Path, split: str, subject: str, kind: str) -> Path:
    return root / split / ("live" if kind == "live" else "spoof") / subject / f"{video_name(subject, kind)}.mov"


def names(subjects, kinds) -> set[str]:
    return {video_name(s, k) for s in subjects for k in kinds}


@pytest.fixture(scope="module")
def small_photos(tmp_path_factory, london_photos) -> list[Path]:
    """One real photo per subject, shrunk to 96 px (so writing 90-frame videos is quick)."""
    import cv2

    from fastk.data.images import read_rgb, write_image

    folder = tmp_path_factory.mktemp("siw-photos")
    out = []
    for i, photo in enumerate(london_photos[:len(TRAIN_SUBJECTS) + len(TEST_SUBJECTS)]):
        write_image(folder / f"{i}.jpg", cv2.resize(read_rgb(photo), (96, 96), interpolation=cv2.INTER_AREA))
        out.append(folder / f"{i}.jpg")
    return out


@pytest.fixture(scope="module")
def siw_root(tmp_path_factory, small_photos) -> Path:
    from tests.helpers import write_video

    root = tmp_path_factory.mktemp("siw-protocols")
    subjects = [("Train", s) for s in TRAIN_SUBJECTS] + [("Test", s) for s in TEST_SUBJECTS]
    for (split, subject), photo in zip(subjects, small_photos):
        for kind in KINDS:
            write_video(video_file(root, split, subject, kind), [photo] * LENGTH[split], side=64, fourcc="mp4v")
    return root


@pytest.fixture(scope="module")
def dataset(siw_root):
    return fastk.create("dataset", "siw", root=siw_root, frames_per_video=FRAMES_PER_VIDEO)


@pytest.fixture(scope="module")
def samples(dataset):
    return dataset.samples()


def _split(spec, dataset, samples, seed=0, **options):
    return fastk.create("protocol", spec, **options).split(samples, dataset, seed=seed)


def _videos(lists) -> dict[str, set[str]]:
    return {name: {s.meta["video"] for s in part} for name, part in lists.parts.items()}


def _subjects(lists) -> dict[str, set[str]]:
    return {name: {s.subject for s in part} for name, part in lists.parts.items()}


def test_the_tree_reads_as_siw(samples):
    assert len(samples) == (len(TRAIN_SUBJECTS) + len(TEST_SUBJECTS)) * 7 * FRAMES_PER_VIDEO
    train = [s for s in samples if s.meta["official_split"] == "train"]
    assert {s.meta["frame"] for s in train} == set(spread(90, FRAMES_PER_VIDEO))  # over all 90 frames
    assert max(s.meta["frame"] for s in train) >= 60


def test_protocol_1_trains_on_the_first_60_frames_and_tests_on_the_readers_frames(siw_root, dataset, samples):
    lists = _split("siw:1", dataset, samples)
    training = lists.parts["train"] + lists.parts["val"]
    assert {s.meta["video"] for s in training} == names(TRAIN_SUBJECTS, KINDS)
    want = spread(60, FRAMES_PER_VIDEO)
    assert want == [3, 9, 15, 21, 27, 33, 39, 45, 51, 57]
    by_video: dict[str, list] = {}
    for s in training:
        by_video.setdefault(s.meta["video"], []).append(s)
    for video, frames in by_video.items():
        assert [s.meta["frame"] for s in frames] == want, video
    s = next(t for t in training if t.meta["video"] == "005-1-3-4-1" and t.meta["frame"] == 27)
    assert s.path == frame_path(video_file(siw_root, "Train", "005", "replay4"), 27)
    assert (s.label, s.subject, s.attack_type, s.lighting) == (1, "siw_005", "replay4", None)
    assert s.meta == {"video": "005-1-3-4-1", "sensor": 1, "medium": 4, "session": 1, "official_split": "train",
                      "frame": 27}
    reader_test = [t for t in samples if t.meta["official_split"] == "test"]
    assert [t.path for t in lists.parts["test"]] == [t.path for t in reader_test]  # the reader's, untouched
    assert Counter(t.attack_type for t in lists.parts["test"]) == {k if k != "live" else "none": 30 for k in KINDS}
    assert lists.counts == {"videos": 56, "left_out_videos": 0, "unlisted": 0, "masked_videos": 0}
    assert "training frames spread over the first 60 frames of each video" in lists.notes[1]


def test_protocol_1_frames_are_the_videos_own_pixels(siw_root, dataset, samples):
    from fastk.data.images import read_rgb
    from tests.helpers import decode_video

    s = next(t for t in _split("siw:1", dataset, samples).parts["train"] if t.meta["frame"] == 51)
    frames = decode_video(Path(str(s.path)[:-len(".f000051.jpg")]))
    assert np.array_equal(read_rgb(s.path), frames[51])
    assert not np.array_equal(frames[51], frames[57])  # the frames differ, so the index matters


@pytest.mark.parametrize("first,want", [(20, spread(20, FRAMES_PER_VIDEO)), (500, spread(90, FRAMES_PER_VIDEO))])
def test_protocol_1_first_frames_option(dataset, samples, first, want):
    lists = _split("siw:1", dataset, samples, first_frames=first)
    assert sorted({s.meta["frame"] for s in lists.parts["train"]}) == want  # 500: every frame of a 90-frame video
    assert lists.parts["train"][0].meta["frame"] < first


@pytest.mark.parametrize("fold", [1, 2, 3, 4])
def test_protocol_2_leaves_one_replay_medium_out(dataset, samples, fold):
    lists = _split(f"siw:2,fold={fold}", dataset, samples)
    v = _videos(lists)
    others = [f"replay{m}" for m in range(1, 5) if m != fold]
    assert v["train"] | v["val"] == names(TRAIN_SUBJECTS, ["live", *others])
    assert v["test"] == names(TEST_SUBJECTS, ["live", f"replay{fold}"])
    kinds = {k: {s.attack_type for s in part} for k, part in lists.parts.items()}
    assert kinds["test"] == {"none", f"replay{fold}"} and f"replay{fold}" not in kinds["train"] | kinds["val"]
    assert not any(a.startswith("print") for kind in kinds.values() for a in kind)
    # train: print1, print2, replay<fold> of 5 subjects; test: print1, print2 and three replays of 3
    assert lists.counts["left_out_videos"] == 5 * 3 + 3 * 5 and lists.counts["videos"] == 5 * 4 + 3 * 2
    assert f"30 videos left out, their attack type not in siw:2,fold={fold}'s list" in lists.notes[-1]
    assert all(len({s.meta["frame"] for s in part}) == FRAMES_PER_VIDEO for part in lists.parts.values())


@pytest.mark.parametrize("spec,options", [("siw:2,3", {}), ("siw:2", {"fold": 3}), ("siw", {"protocol": 2, "fold": 3})])
def test_protocol_2_spec_forms(dataset, samples, spec, options):
    protocol = fastk.create("protocol", spec, **options)
    assert protocol.describe() == "siw:2,fold=3"
    assert protocol.record() == {"name": "siw", "describe": "siw:2,fold=3", "protocol": 2, "fold": 3}
    assert _videos(protocol.split(samples, dataset))["test"] == names(TEST_SUBJECTS, ["live", "replay3"])


@pytest.mark.parametrize("fold,trained,tested", [(1, "print", "replay"), (2, "replay", "print")])
def test_protocol_3_crosses_attack_types(dataset, samples, fold, trained, tested):
    lists = _split("siw:3", dataset, samples, fold=fold)
    attacks = {k: {s.attack_type.rstrip("1234") for s in part} for k, part in lists.parts.items()}
    assert attacks == {"train": {"none", trained}, "val": {"none", trained}, "test": {"none", tested}}
    media = {"print": ["print1", "print2"], "replay": ["replay1", "replay2", "replay3", "replay4"]}
    v = _videos(lists)
    assert v["train"] | v["val"] == names(TRAIN_SUBJECTS, ["live", *media[trained]])
    assert v["test"] == names(TEST_SUBJECTS, ["live", *media[tested]])


@pytest.mark.parametrize("spec", ["siw:1", "siw:2,fold=1", "siw:3,fold=2"])
def test_val_comes_from_the_training_folder_by_subject(dataset, samples, spec):
    lists = _split(spec, dataset, samples, seed=0)
    subjects = _subjects(lists)
    assert subjects["train"] | subjects["val"] == {f"siw_{s}" for s in TRAIN_SUBJECTS}
    assert subjects["test"] == {f"siw_{s}" for s in TEST_SUBJECTS}
    assert (len(subjects["train"]), len(subjects["val"])) == (4, 1)  # 0.6:0.2 of 5
    assert not subjects["train"] & subjects["val"] and not (subjects["train"] | subjects["val"]) & subjects["test"]
    assert lists.notes[0] == "val: 1 of the 5 subjects of SiW's Train/ folder, split off by subject (SiW has no dev list)"
    vals = {frozenset(_subjects(_split(spec, dataset, samples, seed=k))["val"]) for k in range(6)}
    assert len(vals) > 1  # the run's seed chooses the val subjects


@pytest.mark.parametrize("spec,options,message", [
    ("siw:4", {}, "protocol 'siw': unknown SiW protocol 4 (there are 1-3)"),
    ("siw", {"protocol": 0}, "unknown SiW protocol 0"),
    ("siw:2", {}, "protocol 'siw:2' needs a fold from 1 to 4 (the replay medium left out; none given): siw:2,fold=K"),
    ("siw:2,fold=5", {}, "'siw:2' needs a fold from 1 to 4 (the replay medium left out; got 5)"),
    ("siw:3", {"fold": 3}, "'siw:3' needs a fold from 1 to 2 (1: print -> replay, 2: replay -> print; got 3)"),
    ("siw:1,fold=1", {}, "protocol 'siw:1' has no folds (got fold=1); only 2 and 3 do"),
    ("siw", {}, "protocol 'siw' needs a protocol number: siw:1, siw:2,fold=K"),
    ("siw:two", {}, "protocol 'siw:two': expected a protocol number and a fold, e.g. siw:1 or siw:2,fold=3"),
    ("siw:2,fold=1", {"protocol": 2}, "protocol is given twice (after ':' and as an option)"),
    ("siw:2,fold=1", {"first_frames": 30}, "protocol 'siw:2': first_frames is an option of protocol 1 only"),
    ("siw:1", {"first_frames": 0}, "first_frames must be at least 1, got 0"),
])
def test_bad_protocol_numbers_and_folds_are_one_line(spec, options, message):
    with pytest.raises(ConfigError) as err:
        fastk.create("protocol", spec, **options)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_the_config_key_takes_the_spec_or_the_options(tmp_path):
    from fastk.run import config

    cfg = tmp_path / "p.yaml"
    cfg.write_text("split: {protocol: siw, protocol_options: {protocol: 2, fold: 3}}\n")
    assert config.resolve(cfg)["split"]["protocol_options"] == {"protocol": 2, "fold": 3}
    cfg.write_text("split: {protocol: 'siw:3,fold=2', protocol_options: {first_frames: 30}}\n")
    with pytest.raises(ConfigError, match=r"p.yaml: split.protocol: protocol 'siw:3': first_frames is an option of "
                                          "protocol 1 only"):
        config.resolve(cfg)
    cfg.write_text("split: {protocol: siw, protocol_options: {protocol: 1, first_frame: 30}}\n")
    with pytest.raises(ConfigError, match="protocol 'siw' has no option 'first_frame'; did you mean 'first_frames'"):
        config.resolve(cfg)


def test_a_tree_without_train_and_test_folders_is_refused(tmp_path, siw_root):
    for subject in ("003", "004"):
        for kind in ("live", "print1"):
            shutil.copy(video_file(siw_root, "Train", subject, kind), tmp_path / f"{video_name(subject, kind)}.mov")
    flat = fastk.create("dataset", "siw", root=tmp_path, frames_per_video=2)
    with pytest.raises(ConfigError) as err:
        _split("siw:1", flat, flat.samples())
    assert "003-1-1-1-1.mov.f000022.jpg is in neither a Train/ nor a Test/ folder of dataset siw:" in str(err.value)
    assert "the siw protocols need SiW's Train/ and Test/ folders" in str(err.value) and "\n" not in str(err.value)


def test_a_dataset_without_siw_names_is_refused(tmp_path, small_photos):
    for i, photo in enumerate(small_photos[:2]):
        for where in ("real", "spoof/print"):
            (tmp_path / where).mkdir(parents=True, exist_ok=True)
            shutil.copy(photo, tmp_path / where / f"p{i}.jpg")
    folder = fastk.create("dataset", "folder", root=tmp_path)
    with pytest.raises(ConfigError) as err:
        _split("siw:3,fold=1", folder, folder.samples())
    assert "has no samples with a SiW video name (meta 'video', e.g. 003-2-3-4-1); read the data with the 'siw' " \
        "dataset" in str(err.value) and "\n" not in str(err.value)


@pytest.fixture(scope="module")
def masked_root(tmp_path_factory, small_photos) -> Path:
    """What ``fastk mask`` leaves of the tree: real JPEGs named like frames, no video. Training videos
    hold frames 10, 50 and 70, test videos 5 and 15; one training video holds only 65 and 80."""
    root = tmp_path_factory.mktemp("siw-masked")
    subjects = [("Train", s) for s in TRAIN_SUBJECTS] + [("Test", s) for s in TEST_SUBJECTS]
    for (split, subject), photo in zip(subjects, small_photos):
        for kind in KINDS:
            video = video_file(root, split, subject, kind)
            video.parent.mkdir(parents=True, exist_ok=True)
            frames = (65, 80) if video.stem == "003-1-2-1-1" else (10, 50, 70) if split == "Train" else (5, 15)
            for i in frames:
                shutil.copy(photo, frame_path(video, i))
    return root


def test_a_masked_copy_keeps_its_training_frames_below_60(masked_root):
    masked = fastk.create("dataset", "siw", root=masked_root)
    samples = masked.samples()
    assert all(s.path.is_file() for s in samples) and not list(masked_root.rglob("*.mov"))
    lists = _split("siw:1", masked, samples)
    training = lists.parts["train"] + lists.parts["val"]
    assert Counter(s.meta["frame"] for s in training) == {10: 34, 50: 34}
    assert "003-1-2-1-1" not in {s.meta["video"] for s in training}  # no frame below 60
    assert all(s.path.is_file() for s in training)  # the copy's own JPEGs
    assert Counter(s.meta["frame"] for s in lists.parts["test"]) == {5: 21, 15: 21}
    assert lists.counts["masked_videos"] == 35
    assert ("35 training videos are frames without their video (a masked copy): only their frames below 60 kept; "
            "1 have none and are left out") in lists.notes
    fewer = _split("siw:1", masked, samples, first_frames=30)
    assert Counter(s.meta["frame"] for s in fewer.parts["train"] + fewer.parts["val"]) == {10: 34}
    with pytest.raises(ConfigError) as err:
        _split("siw:1", masked, samples, first_frames=5)
    assert "no training frame of dataset siw:" in str(err.value) and "among the first 5 of its video" in str(err.value)
    assert "\n" not in str(err.value)


def test_the_data_step_trains_on_the_first_frames(tmp_path, london_photos):
    """``fastk run``'s data step with ``split.protocol: siw:1``: the resampled training frames go through
    the face check (dlib, on real photos at 160 px) and into split.json; the protocol is recorded."""
    import json

    from fastk.run import config
    from fastk.run.pipeline import Pipeline, data_step
    from tests.helpers import write_video

    root = tmp_path / "siw"
    for n, (split, subject) in enumerate([("Train", "003"), ("Train", "004"), ("Train", "005"), ("Test", "091")]):
        kinds = ("live", "print1") if split == "Train" else ("live", "replay1")
        for kind in kinds:
            write_video(video_file(root, split, subject, kind), [london_photos[n]] * (70 if split == "Train" else 10),
                        side=160, fourcc="mp4v")
    cfg = config.validate({"name": "p", "dataset": {"name": "siw", "path": str(root), "options": {"frames_per_video": 2}},
                           "split": {"protocol": "siw:1"}, "stability": {"enabled": False}}, "test")
    p = Pipeline(cfg, tmp_path / "run")
    result = data_step.run(p)
    split = json.loads(p.run.split_file().read_text())
    frames = {k: sorted({d["meta"]["frame"] for d in v}) for k, v in split.items()}
    assert frames == {"train": spread(60, 2), "val": spread(60, 2), "test": spread(10, 2)} == {
        "train": [15, 45], "val": [15, 45], "test": [2, 7]}
    assert all(d["path"].endswith(f".mov.f{d['meta']['frame']:06d}.jpg") for v in split.values() for d in v)
    assert (result["n_images"], result["n_usable"], result["n_no_face"]) == (16, 16, 0)
    proto = result["protocol"]
    assert (proto["name"], proto["protocol"], proto["fold"], proto["first_frames"], proto["describe"]) == (
        "siw", 1, None, 60, "siw:1")
    assert proto["counts"] == {"videos": 8, "left_out_videos": 0, "unlisted": 0, "masked_videos": 0}


def test_an_unreadable_training_video_keeps_the_readers_frame(tmp_path):
    """The reader lists a video it cannot open as its frame 0 (the face check later says why); protocol 1
    keeps that frame rather than failing while listing."""
    from fastk_plugins.protocols_siw import first_frames

    video = tmp_path / "Train" / "live" / "003" / "003-1-1-1-1.mov"
    video.parent.mkdir(parents=True)
    video.write_bytes(b"not a video")
    samples = fastk.create("dataset", "siw", root=tmp_path).samples()
    assert [s.path for s in samples] == [frame_path(video, 0)]
    assert first_frames(samples, 60, 10) == (samples, "unreadable")
