"""Frames of videos as images, read on demand: no frame is ever dumped to disk.

Video datasets (OULU-NPU ships ``.avi``, SiW ``.mov``) are used as a few frames per video. Each frame
is addressed by a **virtual image path** beside its video::

    Train_files/1_1_01_1.avi.f000042.jpg      frame 42 (0-based) of Train_files/1_1_01_1.avi

Why a path: every fastk step passes ``Sample.path`` around and reads pixels through
:func:`fastk.data.images.read_rgb`, which reads such a path as that frame (when no real file of that name
exists); :func:`fastk.common.fingerprint.file_digest` hashes the video's bytes plus the index, so the
landmark cache and resume fingerprints work per frame; and since the name ends in ``.jpg``, a masked
copy of the dataset writes a real JPEG under the same name, and result rows name the frame exactly.

Sampling (:func:`sample_frames`): ``n`` frames at the centres of ``n`` equal segments of the video
(``floor((i + 0.5) * count / n)``), every frame when the video has ``n`` or fewer; deterministic,
spread over the whole video, never the very first or last frame of a long one (often black or blurred).

Reading (:func:`read_frame`): OpenCV's ``VideoCapture`` seeking with ``CAP_PROP_POS_FRAMES``.
Seeking was checked against reading sequentially, pixel for pixel, at random indices of 200-frame
videos written by this OpenCV (FFmpeg backend): MJPG (``.avi``, ``.mkv``, ``.mov``), MPEG-4 part 2
(``mp4v``/``XVID``), VP9 (``.webm``) and FFV1 all match. H.264 (SiW, many phone videos) cannot be
written by this OpenCV build and is unchecked: FFmpeg seeks to the keyframe before and decodes
forward, which is exact for ordinary files. The frame count comes from the container header
(``CAP_PROP_FRAME_COUNT``); when the header has none, frames are counted by decoding. Each read opens
the video and closes it again: keeping captures open saved 2-3 ms of 10-15 ms a 640x480 frame (MJPG,
MPEG-4), not worth open file handles shared with forked data-loader workers.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

from fastk.common.frame_paths import FRAME_NAME, VIDEO_SUFFIXES, frame_path, is_video, parse_frame_path
from fastk.errors import ImageReadError

#: The frame path's syntax lives in :mod:`fastk.common.frame_paths`; its names are importable from here too.
__all__ = ["FRAME_NAME", "VIDEO_SUFFIXES", "frame_count", "frame_path", "is_video", "list_videos",
           "parse_frame_path", "read_frame", "sample_frames", "sampled_frame_paths", "spread"]

_LOG_LEVEL = threading.Lock()  # guards OpenCV's process-wide log level while a capture opens


def list_videos(root: str | Path) -> list[Path]:
    """Video files below ``root`` (by suffix), sorted for determinism."""
    r = Path(root)
    return sorted(p for p in r.rglob("*") if p.is_file() and is_video(p))


def sample_frames(video: str | Path, n: int) -> list[int]:
    """``n`` frame indices at the centres of ``n`` equal segments (all frames when there are fewer)."""
    return spread(frame_count(video), n)


def sampled_frame_paths(video: str | Path, n: int) -> list[tuple[Path, int]]:
    """``[(virtual path, index), ...]`` of :func:`sample_frames`, for a dataset reader's listing.

    A video that cannot be opened is listed as its frame 0: listing reads no pixels, and reading that
    frame later fails with the reason, so the steps skip it and say why (``skipped.csv``).
    """
    try:
        picked = sample_frames(video, n)
    except ImageReadError:
        picked = [0]
    return [(frame_path(video, i), i) for i in picked]


def spread(count: int, n: int) -> list[int]:
    """The sampling rule of :func:`sample_frames` for a video of ``count`` frames."""
    if n < 1:
        raise ValueError(f"frames per video must be >= 1, got {n}")
    if count <= n:
        return list(range(count))
    return [int((i + 0.5) * count / n) for i in range(n)]


_COUNTS: dict[tuple[str, int, int], int] = {}


def frame_count(video: str | Path) -> int:
    """Frames in ``video`` (header count; counted by decoding when the header has none), memoised
    per process by (resolved path, size, mtime)."""
    v = Path(video)
    st = _stat(v)
    key = (str(v.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _COUNTS:
        cap = _open(v)
        try:
            n = int(cap.get(_cv2().CAP_PROP_FRAME_COUNT))
            if n <= 0:
                n = 0
                while cap.grab():
                    n += 1
        finally:
            cap.release()
        _COUNTS[key] = n
    return _COUNTS[key]


def read_frame(video: str | Path, index: int) -> np.ndarray:
    """Frame ``index`` of ``video`` as ``HxWx3`` uint8 RGB; :class:`ImageReadError` (one line) if it
    cannot be read (not a video, corrupt data, index past the end)."""
    v = Path(video)
    count = frame_count(v)
    if index < 0:
        raise ImageReadError(f"{v}: frame {index} is not a frame index (0 is the first frame)")
    if index >= count:
        raise ImageReadError(f"{v}: frame {index} is past the end of the video ({count} frames)")
    cap = _open(v)
    try:
        if index:
            cap.set(_cv2().CAP_PROP_POS_FRAMES, index)
        ok, bgr = cap.read()
    finally:
        cap.release()
    if not ok or bgr is None:
        raise ImageReadError(f"{v}: frame {index} cannot be decoded (truncated or corrupt video)")
    return np.ascontiguousarray(bgr[:, :, ::-1])


def _cv2() -> Any:
    import cv2

    return cv2


# FFmpeg's own messages about a corrupt file ("overread 8") would print beside fastk's one-line error;
# OpenCV reads this when it first uses FFmpeg (set OPENCV_FFMPEG_LOGLEVEL yourself to see them).
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")


def _stat(v: Path) -> os.stat_result:
    try:
        return os.stat(v)
    except FileNotFoundError:
        raise ImageReadError(f"{v}: video not found") from None
    except OSError as err:
        raise ImageReadError(f"{v}: cannot read video ({err.strerror})") from None


def _open(v: Path) -> Any:
    """An open ``VideoCapture`` (FFmpeg when this OpenCV has it: one decoder whatever the suffix)."""
    if v.is_dir():
        raise ImageReadError(f"{v}: is a directory, not a video")
    cv2 = _cv2()
    api = cv2.CAP_FFMPEG if cv2.videoio_registry.hasBackend(cv2.CAP_FFMPEG) else cv2.CAP_ANY
    with _LOG_LEVEL:  # a process-wide setting: worker threads (fastk.common.threads) must not interleave here
        level = cv2.getLogLevel()
        cv2.setLogLevel(2)  # errors only: OpenCV warns when a backend cannot open a file, fastk says why
        try:
            cap = cv2.VideoCapture(str(v), api)
        finally:
            cv2.setLogLevel(level)
    if not cap.isOpened():
        cap.release()
        raise ImageReadError(f"{v}: not a readable video (unknown format or corrupt data)")
    return cap
