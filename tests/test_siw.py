"""The ``siw`` reader on a small SiW tree of real .mov videos (made here from real face photos) in the
layout and naming SiW ships: Train/Test, live/spoof, one folder per subject."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

import fastk
from fastk.data.images import read_rgb
from fastk.data.video_frames import frame_path
from fastk.errors import ConfigError
from tests.helpers import decode_video, write_video

VIDEOS = {  # (split, live/spoof): names
    ("Train", "live"): ["003-1-1-1-1", "003-2-1-2-1"],
    ("Train", "spoof"): ["003-1-2-1-1", "003-2-3-4-1"],
    ("Test", "live"): ["015-1-1-1-2"],
    ("Test", "spoof"): ["015-1-2-2-1", "015-2-3-1-2"],
}


@pytest.fixture(scope="module")
def siw_root(tmp_path_factory, london_photos):
    root = tmp_path_factory.mktemp("siw")
    n = 0
    for (split, kind), names in VIDEOS.items():
        for name in names:
            write_video(root / split / kind / name[:3] / f"{name}.mov", london_photos[n:n + 8], side=64,
                        fourcc="mp4v")
            n += 8
    (root / "Train" / "live" / "003" / "notes.mov").write_bytes(b"not a SiW name")  # ignored by name
    return root


def test_siw_videos_read_as_sampled_frames(siw_root):
    samples = fastk.create("dataset", "siw", root=siw_root, frames_per_video=3).samples()
    assert len(samples) == 7 * 3
    by_video = {}
    for s in samples:
        by_video.setdefault(s.meta["video"], []).append(s)
    s = by_video["003-2-3-4-1"][1]
    assert s.path == frame_path(siw_root / "Train" / "spoof" / "003" / "003-2-3-4-1.mov", 4)
    assert (s.label, s.subject, s.attack_type, s.lighting) == (1, "siw_003", "replay4", None)
    assert s.meta == {"video": "003-2-3-4-1", "sensor": 2, "medium": 4, "session": 1, "official_split": "train",
                      "frame": 4}
    assert [t.meta["frame"] for t in by_video["003-2-3-4-1"]] == [1, 4, 6]  # centres of 3 segments of 8
    assert Counter(t.attack_type for t in samples) == {"none": 9, "print1": 3, "print2": 3, "replay4": 3,
                                                       "replay1": 3}
    assert {t.meta["official_split"] for t in by_video["015-2-3-1-2"]} == {"test"}
    assert all(t.label == (t.meta["video"].split("-")[2] != "1") for t in samples)
    frames = decode_video(siw_root / "Train" / "spoof" / "003" / "003-2-3-4-1.mov")
    assert np.array_equal(read_rgb(s.path), frames[4])


def test_a_folder_without_siw_names_is_refused(tmp_path):
    (tmp_path / "x.mov").write_bytes(b"")
    with pytest.raises(ConfigError, match="no videos named like SiW's"):
        fastk.create("dataset", "siw", root=tmp_path).samples()
    with pytest.raises(ConfigError, match="frames_per_video must be at least 1"):
        fastk.create("dataset", "siw", root=tmp_path, frames_per_video=0)


def test_a_masked_copy_reads_back_as_the_same_frames(siw_root, tmp_path):
    from fastk.data.images import write_image

    samples = fastk.create("dataset", "siw", root=siw_root, frames_per_video=2).samples()
    for s in samples:  # what `fastk mask` writes: a real JPEG under the frame's name and relative folder
        write_image(tmp_path / s.path.relative_to(siw_root), read_rgb(s.path))
    back = fastk.create("dataset", "siw", root=tmp_path).samples()
    assert [(s.path.relative_to(tmp_path), s.label, s.attack_type, s.meta) for s in back] == [
        (s.path.relative_to(siw_root), s.label, s.attack_type, s.meta) for s in samples]
    assert all(s.path.is_file() for s in back)
