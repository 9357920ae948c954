"""The ``oulu`` dataset: OULU-NPU videos extracted to frame folders (or frames named after the video).

OULU-NPU names each video ``Phone_Session_User_File`` (e.g. ``1_1_01_1``): phone 1-6, session 1-3
(sessions differ in illumination and background), user 01-55, file 1 = real, 2-3 = print attacks
(printer 1, 2), 4-5 = replay attacks (display 1, 2). Frames are read from::

    ROOT/[Train_files|Dev_files|Test_files/]<video id>/*.jpg       (a folder per video), or
    ROOT/.../<video id>_<anything>.jpg                            (frames named after the video)

Subject = ``oulu_<user>``; attack type = ``print1``/``print2``/``replay1``/``replay2``; lighting =
``session<n>``; metadata: ``phone``, ``session``, ``official_split`` (from the Train/Dev/Test folder).
Scores are per frame; average them per video yourself when a protocol asks for per-video results.
"""

from __future__ import annotations

import re
from pathlib import Path

import fastk
from fastk.datasets import REAL, SPOOF, Dataset, Sample
from fastk.errors import ConfigError
from fastk.images import list_images

VIDEO_ID = re.compile(r"^([1-6])_([1-3])_(\d{2})_([1-5])")
ATTACKS = {1: "none", 2: "print1", 3: "print2", 4: "replay1", 5: "replay2"}


class OuluDataset(Dataset):
    """OULU-NPU frame folders, named Phone_Session_User_File."""

    name = "oulu"
    root: Path  # needs_root: the base class refuses a missing path

    def samples(self) -> list[Sample]:
        out = []
        for path in list_images(self.root):
            rel = path.relative_to(self.root)
            m = next((VIDEO_ID.match(p) for p in reversed(rel.parts) if VIDEO_ID.match(p)), None)
            if m is None:
                continue
            phone, session, user, kind = (int(m.group(i)) for i in range(1, 5))
            split = next((p.split("_")[0].lower() for p in rel.parts if p.lower().endswith("_files")), None)
            meta = {"phone": phone, "session": session, "video": m.group(0)}
            if split:
                meta["official_split"] = split
            out.append(Sample(path, REAL if kind == 1 else SPOOF, f"oulu_{user:02d}", ATTACKS[kind],
                              f"session{session}", meta))
        if not out:
            raise ConfigError(f"{self.root}: no frames named like OULU-NPU videos (Phone_Session_User_File)")
        return out


@fastk.hookimpl
def fastk_register_datasets(registry):
    registry.add(OuluDataset)
