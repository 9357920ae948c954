"""The ``siw`` dataset: SiW (Spoof in the Wild, Liu et al., CVPR 2018) videos, frames sampled on demand.

SiW names each video ``SubjectID-SensorID-TypeID-MediumID-SessionID.mov`` (e.g. ``003-2-3-4-1.mov``)
and ships it as::

    ROOT/Train/live/<subject>/<video>.mov      ROOT/Train/spoof/<subject>/<video>.mov
    ROOT/Test/live/<subject>/<video>.mov       ROOT/Test/spoof/<subject>/<video>.mov

Videos are found anywhere below ``ROOT`` by that name; labels come from the name alone. TypeID 1 is
live, 2 a print attack, 3 a replay attack; attack type = ``print<MediumID>`` / ``replay<MediumID>``
(the print or replay medium, as in the file lists of the ``bob.db.siw`` package: ``print/1``,
``replay/4``). Subject = ``siw_<SubjectID>``; metadata: ``video`` (the name without suffix),
``sensor``, ``medium``, ``session``, ``official_split`` (``train``/``test``, from a ``Train``/``Test``
folder), ``frame``. Lighting is not in the name (``None``).

What was checked, and what is assumed: the folder layout, the name pattern and the TypeID/MediumID
pairs above were read from ``bob.db.siw`` 0.0.2's lists; what SensorID, SessionID and a live video's
MediumID stand for is not decoded here (kept as numbers in the metadata).

Like ``oulu``: option ``frames_per_video`` (default 10) frames per video at the centres of that many
equal segments, read on demand through virtual paths ``<video>.mov.f<NNNNNN>.jpg`` (see
:mod:`fastk.data.video_frames`), nothing dumped; a masked copy holds real JPEGs of those names, read back
as the same frames. SiW's own protocols: the ``siw`` protocol (``plugins/protocols_siw.py``); scores
are per frame.
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

NAME = re.compile(r"^(\d{3})-(\d+)-([123])-(\d+)-(\d+)$")
KINDS = {1: "none", 2: "print", 3: "replay"}


class SiwDataset(VideoDataset):
    """SiW videos named SubjectID-SensorID-TypeID-MediumID-SessionID.mov (frames sampled on demand)."""

    name = "siw"
    root: Path  # needs_root: the base class refuses a missing path

    def samples(self) -> list[Sample]:
        out = []
        for path in list_images(self.root):  # a masked copy: frames written as real JPEGs
            named = FRAME_NAME.match(path.name)
            if named and (s := self._sample(path, Path(named.group("video")).stem, int(named.group("index")))):
                out.append(s)
        for video in list_videos(self.root):
            if NAME.match(video.stem):
                out += [s for path, i in sampled_frame_paths(video, self.frames_per_video)
                        if (s := self._sample(path, video.stem, i)) is not None]
        if not out:
            raise ConfigError(f"{self.root}: no videos named like SiW's (SubjectID-SensorID-TypeID-MediumID-"
                              "SessionID.mov, e.g. 003-2-3-4-1.mov)")
        return sorted(out, key=lambda s: s.path)

    def _sample(self, path: Path, video: str, frame: int) -> Sample | None:
        m = NAME.match(video)
        if m is None:
            return None
        subject, sensor, kind, medium, session = (int(m.group(i)) for i in range(1, 6))
        parts = [p.lower() for p in path.relative_to(self.root).parts[:-1]]
        split = next((p for p in parts if p in ("train", "test")), None)
        meta = {"video": video, "sensor": sensor, "medium": medium, "session": session}
        if split:
            meta["official_split"] = split
        meta["frame"] = frame
        attack = "none" if kind == 1 else f"{KINDS[kind]}{medium}"
        return Sample(path, REAL if kind == 1 else SPOOF, f"siw_{subject:03d}", attack, None, meta)


@fastk.hookimpl
def fastk_register_datasets(registry):
    registry.add(SiwDataset)
