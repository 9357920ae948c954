"""The ``oulu-npu`` protocol on a synthetic OULU-NPU tree: real folder and file naming, real face photos
(re-encoded small) as frames, protocol files written by the official rules of protocols 1-4."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

import fastk
from fastk.errors import ConfigError

#: Users the official protocols put in each split (the same in all four).
OFFICIAL_USERS = {"train": range(1, 21), "val": range(21, 36), "test": range(36, 56)}
#: Users with frames in the synthetic tree: two per split.
TREE_USERS = {"Train_files": (1, 2), "Dev_files": (21, 22), "Test_files": (36, 37)}
FILE_NAMES = {"train": "Train", "val": "Dev", "test": "Test"}


def official_lines(protocol: int, fold: int | None, split: str) -> list[str]:
    """The lines of one official protocol file, from the rules in the OULU-NPU paper."""
    test = split == "test"
    sessions = [3] if test and protocol in (1, 4) else [1, 2] if protocol in (1, 4) else [1, 2, 3]
    files = ([1, 3, 5] if test else [1, 2, 4]) if protocol in (2, 4) else [1, 2, 3, 4, 5]
    phones = ([fold] if test else [p for p in range(1, 7) if p != fold]) if protocol in (3, 4) else range(1, 7)
    return [f"{'+1' if f == 1 else '-1'},{ph}_{se}_{u:02d}_{f}"
            for ph in phones for se in sessions for u in OFFICIAL_USERS[split] for f in files]


def write_protocols(base: Path, *, newline: str = "\n", blank: bool = False, bom: bool = False) -> Path:
    """``base/Protocol_1`` ... ``Protocol_4`` with every file (all six folds of 3 and 4)."""
    for protocol in (1, 2, 3, 4):
        for fold in (None,) if protocol in (1, 2) else range(1, 7):
            for split, stem in FILE_NAMES.items():
                lines = official_lines(protocol, fold, split)
                if blank:
                    lines = ["", *lines[:3], "  ", *lines[3:], ""]
                path = base / f"Protocol_{protocol}" / f"{stem}{'' if fold is None else f'_{fold}'}.txt"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(("\ufeff" if bom else "").encode() + newline.join(lines).encode() + b"\n")
    return base


@pytest.fixture(scope="module")
def frame_bytes(tmp_path_factory, london_photos) -> dict[int, bytes]:
    """One real photo per user (a different person each), re-encoded at 48 px: the frames' pixels."""
    import cv2

    from fastk.data.images import read_rgb, write_image

    out = {}
    folder = tmp_path_factory.mktemp("frames")
    users = [u for us in TREE_USERS.values() for u in us]
    for user, photo in zip(users, london_photos):
        path = folder / f"{user}.jpg"
        write_image(path, cv2.resize(read_rgb(photo), (48, 48), interpolation=cv2.INTER_AREA))
        out[user] = path.read_bytes()
    return out


@pytest.fixture(scope="module")
def oulu_root(tmp_path_factory, frame_bytes) -> Path:
    """6 phones x 3 sessions x 6 users x 5 files = 540 videos of one frame; Train/Dev as a folder per
    video, Test as frames named after the video; Protocols/ as the dataset ships it."""
    root = tmp_path_factory.mktemp("oulu")
    for folder, users in TREE_USERS.items():
        for ph in range(1, 7):
            for se in range(1, 4):
                for u in users:
                    for f in range(1, 6):
                        video = f"{ph}_{se}_{u:02d}_{f}"
                        path = (root / folder / f"{video}_frame0.jpg" if folder == "Test_files"
                                else root / folder / video / "frame0.jpg")
                        path.parent.mkdir(parents=True, exist_ok=True)
                        path.write_bytes(frame_bytes[u])
    write_protocols(root / "Protocols")
    return root


@pytest.fixture(scope="module")
def dataset(oulu_root):
    return fastk.create("dataset", "oulu", root=oulu_root)


@pytest.fixture(scope="module")
def samples(dataset):
    return dataset.samples()


def _videos(lists) -> dict[str, set[str]]:
    return {name: {s.meta["video"] for s in part} for name, part in lists.parts.items()}


def _split(spec, dataset, samples, **options):
    return fastk.create("protocol", spec, **options).split(samples, dataset)


def test_the_tree_reads_as_oulu(samples):
    assert len(samples) == 540
    assert Counter(s.meta["official_split"] for s in samples) == {"train": 180, "dev": 180, "test": 180}


def test_protocol_1_tests_on_the_unseen_session(dataset, samples):
    lists = _split("oulu-npu:1", dataset, samples)
    v = _videos(lists)
    assert {k: len(x) for k, x in v.items()} == {"train": 120, "val": 120, "test": 60}
    assert v["train"] == {f"{ph}_{se}_{u:02d}_{f}" for ph in range(1, 7) for se in (1, 2) for u in (1, 2)
                          for f in range(1, 6)}
    assert v["val"] == {f"{ph}_{se}_{u}_{f}" for ph in range(1, 7) for se in (1, 2) for u in (21, 22)
                        for f in range(1, 6)}
    assert v["test"] == {f"{ph}_3_{u}_{f}" for ph in range(1, 7) for u in (36, 37) for f in range(1, 6)}
    # 300 of the 2700 listed videos are in the tree; the session-3 train/dev and session-1/2 test videos are in no list
    assert lists.counts == {"listed_missing": 2400, "unlisted": 240, "videos": 300}
    for part in lists.parts.values():
        assert all(s.label == (0 if s.meta["video"].endswith("_1") else 1) for s in part)
    assert {s.subject for s in lists.parts["test"]} == {"oulu_36", "oulu_37"}
    assert lists.sources[0].endswith("Protocols/Protocol_1/Train.txt")


def test_protocol_2_tests_on_the_unseen_printer_and_display(dataset, samples):
    lists = _split("oulu-npu:2", dataset, samples)
    assert {k: len(x) for k, x in _videos(lists).items()} == {"train": 108, "val": 108, "test": 108}
    kinds = {k: set(Counter(s.attack_type for s in part)) for k, part in lists.parts.items()}
    assert kinds == {"train": {"none", "print1", "replay1"}, "val": {"none", "print1", "replay1"},
                     "test": {"none", "print2", "replay2"}}
    assert {s.meta["session"] for s in lists.parts["test"]} == {1, 2, 3}


@pytest.mark.parametrize("fold", [2, 6])
def test_protocol_3_leaves_one_phone_out(dataset, samples, fold):
    lists = _split(f"oulu-npu:3,fold={fold}", dataset, samples)
    assert {k: len(x) for k, x in _videos(lists).items()} == {"train": 150, "val": 150, "test": 30}
    assert {s.meta["phone"] for s in lists.parts["test"]} == {fold}
    assert {s.meta["phone"] for s in lists.parts["train"] + lists.parts["val"]} == set(range(1, 7)) - {fold}
    assert lists.sources[2].endswith(f"Protocol_3/Test_{fold}.txt")


@pytest.mark.parametrize("spec,options", [("oulu-npu:4,fold=1", {}), ("oulu-npu:4,5", {}),
                                          ("oulu-npu", {"protocol": 4, "fold": 5})])
def test_protocol_4_combines_session_instrument_and_phone(dataset, samples, spec, options):
    fold = 1 if spec.endswith("=1") else 5
    lists = _split(spec, dataset, samples, **options)
    v = _videos(lists)
    assert {k: len(x) for k, x in v.items()} == {"train": 60, "val": 60, "test": 6}
    assert v["test"] == {f"{fold}_3_{u}_{f}" for u in (36, 37) for f in (1, 3, 5)}
    assert all(s.meta["session"] in (1, 2) and s.meta["phone"] != fold and s.attack_type in ("none", "print1", "replay1")
               for s in lists.parts["train"])
    assert sum(s.label == 0 for s in lists.parts["test"]) == 2


def test_nested_folder_windows_line_endings_blank_lines_and_bom(tmp_path, dataset, samples):
    base = write_protocols(tmp_path / "copy" / "Protocols" / "Protocols", newline="\r\n", blank=True, bom=True)
    shutil.copytree(dataset.root, tmp_path / "copy", dirs_exist_ok=True,
                    ignore=lambda d, names: ["Protocols"] if Path(d) == dataset.root else [])
    copy = fastk.create("dataset", "oulu", root=tmp_path / "copy")
    got = _split("oulu-npu:1", copy, copy.samples())
    want = _split("oulu-npu:1", dataset, samples)
    assert _videos(got) == _videos(want)
    assert got.sources[0] == str(base / "Protocol_1" / "Train.txt")
    elsewhere = _split("oulu-npu:1", dataset, samples, protocols_dir=str(base))
    assert _videos(elsewhere) == _videos(want)


def test_a_missing_protocol_file_names_its_path(tmp_path, dataset, samples):
    base = write_protocols(tmp_path / "P")
    (base / "Protocol_3" / "Dev_2.txt").unlink()
    with pytest.raises(ConfigError, match=r"P/Protocol_3/Dev_2.txt: protocol file not found$"):
        _split("oulu-npu:3,fold=2", dataset, samples, protocols_dir=str(base))
    with pytest.raises(ConfigError, match=r"no protocol folder .*nowhere/Protocol_1"):
        _split("oulu-npu:1", dataset, samples, protocols_dir=str(tmp_path / "nowhere"))


@pytest.mark.parametrize("spec,options,message", [
    ("oulu-npu:5", {}, "unknown OULU-NPU protocol 5 (there are 1-4)"),
    ("oulu-npu", {"protocol": 0}, "unknown OULU-NPU protocol 0"),
    ("oulu-npu:3", {}, "'oulu-npu:3' needs a fold from 1 to 6 (leave-one-phone-out; none given)"),
    ("oulu-npu:4,fold=7", {}, "'oulu-npu:4' needs a fold from 1 to 6 (leave-one-phone-out; got 7)"),
    ("oulu-npu:1,fold=2", {}, "'oulu-npu:1' has no folds (got fold=2)"),
    ("oulu-npu", {}, "needs a protocol number"),
    ("oulu-npu:three", {}, "expected a protocol number and a fold"),
    ("oulu-npu:3", {"protocol": 3, "fold": 2}, "protocol is given twice"),
])
def test_bad_protocol_numbers_and_folds_are_one_line(spec, options, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")) as err:
        fastk.create("protocol", spec, **options)
    assert "\n" not in str(err.value)


def _one_file_changed(tmp_path, name: str, line: int, text: str) -> Path:
    base = write_protocols(tmp_path / "P")
    path = base / "Protocol_1" / name
    lines = path.read_text().splitlines()
    lines[line - 1] = text
    path.write_text("\n".join(lines) + "\n")
    return base


def test_a_label_that_contradicts_the_data_names_file_and_line(tmp_path, dataset, samples):
    base = _one_file_changed(tmp_path, "Dev.txt", 3, "+1,1_1_21_3")  # a print attack listed as bona fide
    with pytest.raises(ConfigError, match=r"Protocol_1/Dev.txt:3: video 1_1_21_3 is listed as bona fide \(\+1\) "
                                          r"but the dataset labels it an attack \(-1\)"):
        _split("oulu-npu:1", dataset, samples, protocols_dir=str(base))


def test_a_malformed_line_names_file_and_line(tmp_path, dataset, samples):
    base = _one_file_changed(tmp_path, "Test.txt", 7, "1_3_36_1")
    with pytest.raises(ConfigError, match=r"Protocol_1/Test.txt:7: expected '\+1,VIDEO' or '-1,VIDEO'"):
        _split("oulu-npu:1", dataset, samples, protocols_dir=str(base))


def test_a_split_without_data_or_without_a_class_is_refused(tmp_path, dataset, samples):
    base = write_protocols(tmp_path / "P")
    (base / "Protocol_1" / "Test.txt").write_text("+1,1_3_50_1\n-1,1_3_50_2\n")  # user 50: not in the tree
    with pytest.raises(ConfigError, match="protocol oulu-npu:1: split 'test' is empty"):
        _split("oulu-npu:1", dataset, samples, protocols_dir=str(base))
    (base / "Protocol_1" / "Test.txt").write_text("+1,1_3_36_1\n")
    with pytest.raises(ConfigError, match="split 'test' .* has no attack samples"):
        _split("oulu-npu:1", dataset, samples, protocols_dir=str(base))


def test_a_subject_in_train_and_test_is_refused(tmp_path, dataset, samples):
    base = write_protocols(tmp_path / "P")
    with open(base / "Protocol_1" / "Test.txt", "a") as f:
        f.write("+1,2_3_01_1\n")  # user 01 trains
    with pytest.raises(ConfigError, match=r"1 subject\(s\) in both 'train' and 'test' \(first: oulu_01\)"):
        _split("oulu-npu:1", dataset, samples, protocols_dir=str(base))


def test_a_dataset_without_video_ids_is_refused(tmp_path, oulu_root):
    shutil.copytree(oulu_root / "Train_files" / "1_1_01_1", tmp_path / "real")
    folder = fastk.create("dataset", "folder", root=tmp_path)
    with pytest.raises(ConfigError, match="has no samples with an OULU-NPU video id .* read the data with the 'oulu'"):
        _split("oulu-npu:1", folder, folder.samples())
