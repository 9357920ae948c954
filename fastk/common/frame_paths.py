"""The virtual image path of a video frame, ``<video>.f<NNNNNN>.jpg``: its syntax only, no pixels.

Why apart from :mod:`fastk.data.video_frames`: file digests (:mod:`fastk.common.fingerprint`) must know a frame
path when they see one, and the layer below the data cannot import the reader of videos.
"""

from __future__ import annotations

import re
from pathlib import Path

VIDEO_SUFFIXES = {".avi", ".mov", ".mp4", ".mkv", ".webm"}
FRAME_NAME = re.compile(r"^(?P<video>.+\.(?:avi|mov|mp4|mkv|webm))\.f(?P<index>\d{6,})\.jpg$", re.IGNORECASE)


def is_video(path: str | Path) -> bool:
    """Whether ``path`` has a known video suffix (case-insensitive)."""
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


def frame_path(video: str | Path, index: int) -> Path:
    """The virtual image path of frame ``index`` (0-based) of ``video``: ``<video>.f<NNNNNN>.jpg``."""
    if index < 0:
        raise ValueError(f"frame index must be >= 0, got {index}")
    v = Path(video)
    return v.with_name(f"{v.name}.f{index:06d}.jpg")


def parse_frame_path(path: str | Path) -> tuple[Path, int] | None:
    """``(video, index)`` when ``path`` is a virtual frame path, else ``None``.

    It is one only when no file of that name exists, the name is ``<video>.f<NNNNNN>.jpg`` with a
    known video suffix, and the video file exists.
    """
    p = Path(path)
    m = FRAME_NAME.match(p.name)
    if m is None or p.exists():
        return None
    video = p.with_name(m.group("video"))
    return (video, int(m.group("index"))) if video.is_file() else None
