"""Video frames read on demand through virtual image paths: addressing, sampling, pixels, errors, and
the per-frame digests the landmark cache and fingerprints rely on. Videos are made here from real photos."""

from __future__ import annotations

import numpy as np
import pytest

from fastk.common.fingerprint import file_digest, samples_hash
from fastk.data.images import read_rgb
from fastk.data.video_frames import frame_count, frame_path, parse_frame_path, read_frame, sample_frames, spread
from fastk.errors import ImageReadError
from tests.helpers import decode_video, write_video


@pytest.fixture(scope="module")
def clip(tmp_path_factory, london_photos):
    """A 12-frame MJPG .avi, each frame another real face."""
    path = tmp_path_factory.mktemp("video") / "clip.avi"
    write_video(path, london_photos[:12])
    return path


def test_frame_paths_round_trip(clip, tmp_path):
    p = frame_path(clip, 42)
    assert p.name == "clip.avi.f000042.jpg" and p.parent == clip.parent
    assert parse_frame_path(p) == (clip, 42)
    assert parse_frame_path(frame_path(clip, 1234567)) == (clip, 1234567)
    upper = tmp_path / "CLIP.AVI"
    upper.write_bytes(clip.read_bytes())
    assert parse_frame_path(tmp_path / "CLIP.AVI.f000003.jpg") == (upper, 3)
    assert parse_frame_path(tmp_path / "missing.avi.f000003.jpg") is None  # no video
    (tmp_path / "clip.txt").write_text("not a video")
    assert parse_frame_path(tmp_path / "clip.txt.f000003.jpg") is None  # not a video suffix
    assert parse_frame_path(clip.parent / "clip.avi.f3.jpg") is None  # index not zero-padded
    real = tmp_path / "CLIP.AVI.f000004.jpg"  # a real file of that name (a masked copy) is itself
    real.write_bytes(b"x")
    assert parse_frame_path(real) is None


def test_sampling_takes_segment_centres_and_every_frame_of_short_videos(clip):
    assert frame_count(clip) == 12
    assert sample_frames(clip, 4) == [1, 4, 7, 10]
    assert sample_frames(clip, 12) == sample_frames(clip, 50) == list(range(12))
    assert spread(150, 10) == [7, 22, 37, 52, 67, 82, 97, 112, 127, 142]
    assert spread(0, 3) == []


@pytest.mark.parametrize("name,fourcc", [("clip.avi", "MJPG"), ("clip.mp4", "mp4v"), ("clip.MOV", "mp4v"),
                                         ("clip.mkv", "MJPG"), ("clip.webm", "VP90")])
def test_a_virtual_frame_reads_as_the_frame_decoded_sequentially(tmp_path, london_photos, name, fourcc):
    video = tmp_path / name
    written = write_video(video, london_photos[:30], fourcc=fourcc)
    frames = decode_video(video)
    assert len(frames) == frame_count(video) == 30
    for i in (29, 0, 13, 14, 3):  # out of order: seeks backwards and forwards
        img = read_rgb(frame_path(video, i))
        assert img.dtype == np.uint8 and img.shape == (96, 96, 3)
        assert np.array_equal(img, frames[i]), f"frame {i}"
        assert np.abs(img.astype(int) - written[i]).mean() < 8  # the photo that was written (lossy codec)
        assert np.abs(img.astype(int) - written[i + 1 if i < 29 else 0]).mean() > 15  # not its neighbour


def test_past_the_end_corrupt_and_truncated_videos_are_one_line_errors(clip, tmp_path):
    with pytest.raises(ImageReadError) as err:
        read_rgb(frame_path(clip, 12))
    assert str(err.value) == f"{clip}: frame 12 is past the end of the video (12 frames)"
    bad = tmp_path / "bad.avi"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00AVI garbage, not a video" * 20)
    with pytest.raises(ImageReadError) as err:
        read_rgb(frame_path(bad, 0))
    assert str(err.value) == f"{bad}: not a readable video (unknown format or corrupt data)"
    cut = tmp_path / "cut.avi"
    cut.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    for i in range(12):  # the header still says 12 frames; the later ones are gone
        try:
            read_rgb(frame_path(cut, i))
        except ImageReadError as e:
            assert str(e) in (f"{cut}: frame {i} cannot be decoded (truncated or corrupt video)",
                              f"{cut}: not a readable video (unknown format or corrupt data)")
            break
    else:
        pytest.fail("a video cut in half read to the end")
    with pytest.raises(ImageReadError, match="missing.avi.f000000.jpg: file not found$"):
        read_rgb(tmp_path / "missing.avi.f000000.jpg")
    with pytest.raises(ImageReadError, match="frame -1 is not a frame index"):
        read_frame(clip, -1)
    with pytest.raises(ValueError):
        frame_path(clip, -1)


def test_a_frame_digest_is_the_video_bytes_plus_the_index(clip, tmp_path):
    from fastk.data.datasets import Sample

    digests = {file_digest(frame_path(clip, i)) for i in range(12)}
    assert len(digests) == 12
    copy = tmp_path / "renamed.avi"
    copy.write_bytes(clip.read_bytes())
    assert file_digest(frame_path(copy, 5)) == file_digest(frame_path(clip, 5))  # a renamed video still hits
    before = samples_hash([Sample(frame_path(copy, 5))])
    data = bytearray(copy.read_bytes())
    data[-100] ^= 0xFF
    copy.write_bytes(bytes(data))
    assert file_digest(frame_path(copy, 5)) != file_digest(frame_path(clip, 5))
    assert samples_hash([Sample(frame_path(copy, 5))]) != before
