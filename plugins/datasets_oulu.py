"""The ``oulu`` dataset: OULU-NPU as it ships (videos) or extracted to frame folders.

OULU-NPU names each video ``Phone_Session_User_File`` (e.g. ``1_1_01_1``): phone 1-6, session 1-3
(sessions differ in illumination and background), user 01-55, file 1 = real, 2-3 = print attacks
(printer 1, 2), 4-5 = replay attacks (display 1, 2). Samples are read from::

    ROOT/[Train_files|Dev_files|Test_files/]<video id>.avi        (the videos, as shipped), or
    ROOT/.../<video id>/*.jpg                                     (a folder of frames per video), or
    ROOT/.../<video id>_<anything>.jpg                            (frames named after the video)

Videos (``.avi``, also ``.mov``/``.mp4``/``.mkv``/``.webm``) are not dumped to frames: option
``frames_per_video`` (default 10) frames are sampled from each, at the centres of that many equal
segments of the video (every frame of a shorter one), and read on demand; a sample's path is the
frame's virtual path ``<video file>.f<NNNNNN>.jpg`` beside the video (see :mod:`fastk.data.video_frames`),
and ``meta["frame"]`` its 0-based index. Listing opens each video once for its frame count; a video
that cannot be opened is listed as its frame 0, which the steps then skip with the reason. A masked copy of such a dataset holds real JPEGs under those
names, which this reader reads back as frames of the same videos. A tree holding both a video and
its extracted frames yields both.

Subject = ``oulu_<user>``; attack type = ``print1``/``print2``/``replay1``/``replay2``; lighting =
``session<n>``; metadata: ``video`` (the video id), ``phone``, ``session``, ``official_split`` (from
the Train/Dev/Test folder), ``frame`` (videos and frames named by fastk). Scores are per frame;
average them per video yourself when a protocol asks for per-video results.
"""

from __future__ import annotations

import re
from pathlib import Path

import fastk
from fastk.data.datasets import REAL, SPOOF, Sample
from fastk.data.images import list_images
from fastk.data.video_frames import FRAME_NAME, list_videos, sampled_frame_paths
from fastk.errors import ConfigError

from ._video_dataset import VideoDataset

VIDEO_ID = re.compile(r"^([1-6])_([1-3])_(\d{2})_([1-5])")
ATTACKS = {1: "none", 2: "print1", 3: "print2", 4: "replay1", 5: "replay2"}


class OuluDataset(VideoDataset):
    """OULU-NPU videos (frames sampled on demand) or frame folders, named Phone_Session_User_File."""

    name = "oulu"
    root: Path  # needs_root: the base class refuses a missing path

    def samples(self) -> list[Sample]:
        out = [s for path in list_images(self.root) if (s := self._sample(path)) is not None]
        for video in list_videos(self.root):
            if VIDEO_ID.match(video.name):
                out += [s for path, i in sampled_frame_paths(video, self.frames_per_video)
                        if (s := self._sample(path, i)) is not None]
        if not out:
            raise ConfigError(f"{self.root}: no videos or frames named like OULU-NPU videos (Phone_Session_User_File)")
        return sorted(out, key=lambda s: s.path)  # path order, as list_images gives frame files

    def _sample(self, path: Path, frame: int | None = None) -> Sample | None:
        rel = path.relative_to(self.root)
        m = next((VIDEO_ID.match(p) for p in reversed(rel.parts) if VIDEO_ID.match(p)), None)
        if m is None:
            return None
        phone, session, user, kind = (int(m.group(i)) for i in range(1, 5))
        split = next((p.split("_")[0].lower() for p in rel.parts if p.lower().endswith("_files")), None)
        meta = {"phone": phone, "session": session, "video": m.group(0)}
        if split:
            meta["official_split"] = split
        named = FRAME_NAME.match(path.name)
        if frame is None and named:
            frame = int(named.group("index"))
        if frame is not None:
            meta["frame"] = frame
        return Sample(path, REAL if kind == 1 else SPOOF, f"oulu_{user:02d}", ATTACKS[kind],
                      f"session{session}", meta)


@fastk.hookimpl
def fastk_register_datasets(registry):
    registry.add(OuluDataset)
