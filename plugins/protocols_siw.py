"""The ``siw`` protocol: SiW's three evaluation protocols, chosen from the videos' names and folders.

Source: Liu, Jourabloo and Liu, "Learning Deep Models for Face Anti-Spoofing: Binary or Auxiliary
Supervision" (CVPR 2018), the section on SiW's evaluation protocols and its Table 2. SiW ships no
protocol lists: every protocol trains on the release's ``Train`` folder (90 subjects) and tests on its
``Test`` folder (75 subjects), which the ``siw`` reader records as ``meta["official_split"]``; the
protocols choose videos (by TypeID and MediumID of the name) and frames::

    siw:1           pose and expression: train on the first 60 frames of every training video (live
                    and every attack), test on every test video
    siw:2,fold=K    cross replay medium, leave one out: train on live + replay of the three mediums
                    other than K, test on live + replay of medium K (K = MediumID 1-4 of TypeID 3)
    siw:3,fold=1    cross attack type: train on live + print, test on live + replay
    siw:3,fold=2    train on live + replay, test on live + print

Spec: as ``oulu-npu``'s: ``siw:1``, ``siw:2,fold=3`` (or ``siw:2,3``), ``siw:3,fold=1``; or the options
``protocol`` and ``fold`` (``split.protocol_options: {protocol: 2, fold: 3}``). Protocol 1 has no fold,
2 and 3 need one. Option ``first_frames`` (protocol 1 only; default 60).

Protocol 1's frames: the reader samples ``frames_per_video`` frames spread over the whole video. For a
training video, protocol 1 instead makes as many samples spread the same way
(:func:`fastk.data.video_frames.spread`) over frames ``[0, min(first_frames, frame count))``. A masked copy
(real JPEGs named like frames, no video; see ``plugins/datasets_siw.py``) cannot be sampled again: its
training frames below ``first_frames`` are kept, fewer per video, and a note says how many videos
that was. Test videos keep the reader's frames.

What is checked, and what is assumed:

- checked on every run: each sample is a frame of a video named like SiW's (``meta["video"]``; else
  the data was not read with the ``siw`` reader) and lies in a ``Train`` or ``Test`` folder; train and
  test subjects are disjoint; every list keeps real and attack frames.
- assumed: protocol 2 uses no print attack, in either list (how the paper's table reads: "3 display /
  1 display"); the fold numbering: protocol 2's fold is the held-out replay MediumID, protocol 3's
  fold 1 is print -> replay and fold 2 replay -> print (the paper names the two directions, not their
  numbers); every live video of a folder is in its folder's list in every protocol (the table lists
  attacks only).
- SiW has no dev list: val comes out of the training list by subject, with the run's ``seed``,
  ``split.stratify`` and the train:val share of ``split.ratios`` (as ``celeba-spoof`` does).
- results are per frame, as everywhere in fastk; the papers average scores per video (and report
  protocols 2 and 3 as the mean and deviation over their folds: run each fold as its own run).
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

import fastk
from fastk.data.datasets import Sample
from fastk.data.protocols import Protocol, ProtocolSplit, check_parts
from fastk.data.video_frames import frame_count, frame_path, parse_frame_path, spread
from fastk.errors import ConfigError, ImageReadError

from .datasets_siw import NAME

PRINT, REPLAY = 2, 3  # SiW's TypeIDs of attacks (1 is live)
FOLDS = {2: range(1, 5), 3: range(1, 3)}
FOLD_MEANING = {2: "the replay medium left out", 3: "1: print -> replay, 2: replay -> print"}
EXAMPLES = "siw:1 or siw:2,fold=3"
FIRST_FRAMES = 60


class SiwProtocol(Protocol):
    """SiW protocols 1-3 (folds 1-4 for 2, 1-2 for 3) over the release's Train/Test folders."""

    name = "siw"
    spec_arg = ("protocol", "fold")
    spec_help = f"a protocol number and a fold, e.g. {EXAMPLES}"

    def __init__(self, protocol: int | None = None, fold: int | None = None, first_frames: int | None = None):
        _check(protocol, fold, first_frames)
        self.protocol, self.fold = protocol, fold
        self.first_frames = (FIRST_FRAMES if first_frames is None else first_frames) if protocol == 1 else None

    def describe(self) -> str:
        return f"siw:{self.protocol}" + (f",fold={self.fold}" if self.fold else "")

    def record(self) -> dict[str, Any]:
        first = {"first_frames": self.first_frames} if self.protocol == 1 else {}
        return {**super().record(), "protocol": self.protocol, "fold": self.fold, **first}

    def uses(self, split: str, type_id: int, medium: int) -> bool:
        """Whether videos of this TypeID and MediumID are in the ``split`` list (``train``/``test``)."""
        if type_id not in (PRINT, REPLAY) or self.protocol == 1:
            return True  # live videos are in every list, and protocol 1 uses every attack
        if self.protocol == 2:
            return type_id == REPLAY and (medium == self.fold) == (split == "test")
        trained = PRINT if self.fold == 1 else REPLAY
        return (type_id == trained) == (split == "train")

    def split(self, samples, dataset, *, seed: int = 0, ratios: Sequence[float] = (0.6, 0.2, 0.2),
              stratify: bool = True) -> ProtocolSplit:
        from fastk.data.splits import subject_split

        videos, unnamed = siw_videos(samples, dataset, self.describe())
        lists: dict[str, list[Sample]] = {"train": [], "test": []}
        left_out: Counter[str] = Counter()
        origins: Counter[str] = Counter()  # protocol 1's training videos: where their frames came from
        kept = 0
        for video, frames in videos.items():
            where = frames[0].meta["official_split"]
            m = NAME.match(video)
            assert m is not None  # siw_videos keeps SiW names only
            if not self.uses(where, int(m.group(3)), int(m.group(4))):
                left_out[f"{where}: {frames[0].attack_type}"] += 1
                continue
            if self.first_frames is not None and where == "train":
                frames, how = first_frames(frames, self.first_frames, getattr(dataset, "frames_per_video", 0))
                origins[how] += 1
                origins["none left"] += how == "masked" and not frames
            kept += bool(frames)
            lists[where] += frames
        if self.first_frames is not None and not lists["train"]:
            raise ConfigError(f"protocol {self.describe()}: no training frame of dataset {dataset.describe()} is "
                              f"among the first {self.first_frames} of its video (a masked copy keeps only the "
                              "frames it was made with; make it with more frames_per_video)")
        train = subject_split(lists["train"], ratios=(float(ratios[0]), float(ratios[1]), 0.0), seed=seed,
                              stratify=stratify)
        parts = {"train": train["train"], "val": train["val"], "test": lists["test"]}
        check_parts(parts, self.describe())
        counts = {"videos": kept, "left_out_videos": sum(left_out.values()), "unlisted": unnamed}
        counts.update({"masked_videos": origins["masked"]} if self.first_frames is not None else {})
        return ProtocolSplit(parts, counts, self._notes(parts, left_out, origins, unnamed))

    def _notes(self, parts: dict[str, list[Sample]], left_out: Counter[str], origins: Counter[str], unnamed: int
               ) -> list[str]:
        val = len({s.subject for s in parts["val"]})
        train = len({s.subject for s in parts["train"]}) + val
        notes = [f"val: {val} of the {train} subjects of SiW's Train/ folder, split off by subject (SiW has no dev "
                 "list)"]
        if self.first_frames is not None:
            notes.append(f"training frames spread over the first {self.first_frames} frames of each video; "
                         "test frames over the whole video")
        if origins["masked"]:
            none = f"; {origins['none left']} have none and are left out" if origins["none left"] else ""
            notes.append(f"{origins['masked']} training videos are frames without their video (a masked copy): only "
                         f"their frames below {self.first_frames} kept{none}")
        if left_out:
            notes.append(f"{sum(left_out.values())} videos left out, their attack type not in {self.describe()}'s "
                         "list of their folder (" + ", ".join(f"{k} {n}" for k, n in sorted(left_out.items())) + ")")
        if unnamed:
            notes.append(f"{unnamed} images of the data are not frames of SiW-named videos (left out)")
        return notes


def _check(protocol: int | None, fold: int | None, first_frames: int | None) -> None:
    """Refuse, in one line, a protocol number, fold or ``first_frames`` SiW does not have."""
    if protocol is None:
        raise ConfigError("protocol 'siw' needs a protocol number: siw:1, siw:2,fold=K (K = 1-4, the replay medium "
                          "left out) or siw:3,fold=K (K = 1: print -> replay, 2: replay -> print)")
    if protocol not in (1, 2, 3):
        raise ConfigError(f"protocol 'siw': unknown SiW protocol {protocol} (there are 1-3)")
    if protocol in FOLDS and fold not in FOLDS[protocol]:
        got = "none given" if fold is None else f"got {fold}"
        folds = FOLDS[protocol]
        raise ConfigError(f"protocol 'siw:{protocol}' needs a fold from {folds[0]} to {folds[-1]} "
                          f"({FOLD_MEANING[protocol]}; {got}): siw:{protocol},fold=K")
    if protocol == 1 and fold is not None:
        raise ConfigError(f"protocol 'siw:1' has no folds (got fold={fold}); only 2 and 3 do")
    if first_frames is not None and protocol != 1:
        raise ConfigError(f"protocol 'siw:{protocol}': first_frames is an option of protocol 1 only")
    if first_frames is not None and first_frames < 1:
        raise ConfigError(f"protocol 'siw:1': first_frames must be at least 1, got {first_frames}")


def siw_videos(samples: Sequence[Sample], dataset: Any, where: str) -> tuple[dict[str, list[Sample]], int]:
    """``({video: its samples, in the samples' order}, how many samples are no frame of a SiW-named
    video)``; refused in one line: data without SiW video names, a SiW frame in neither a Train/ nor a
    Test/ folder."""
    videos: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        video = s.meta.get("video")
        if video is not None and NAME.match(str(video)):
            videos[str(video)].append(s)
    if not videos:
        raise ConfigError(f"protocol {where}: dataset {dataset.describe()} has no samples with a SiW video name "
                          "(meta 'video', e.g. 003-2-3-4-1); read the data with the 'siw' dataset")
    for frames in videos.values():
        outside = next((s for s in frames if s.meta.get("official_split") not in ("train", "test")), None)
        if outside is not None:
            raise ConfigError(f"protocol {where}: {outside.path} is in neither a Train/ nor a Test/ folder of dataset "
                              f"{dataset.describe()}; the siw protocols need SiW's Train/ and Test/ folders (its "
                              "subject split)")
    return dict(videos), len(samples) - sum(len(v) for v in videos.values())


def first_frames(frames: list[Sample], first: int, n: int) -> tuple[list[Sample], str]:
    """One training video's samples for protocol 1, and where they came from.

    ``"video"``: the video file is there; ``n`` (else as many as the reader gave) samples spread over
    frames ``[0, min(first, frame count))``, each a copy of the reader's first sample with its path
    and ``meta["frame"]``. ``"masked"`` (no video: a masked copy's JPEGs) and ``"unreadable"`` (the face
    check later says why): the reader's samples whose ``meta["frame"]`` is below ``first``.
    """
    parsed = parse_frame_path(frames[0].path)
    how = "masked"
    if parsed is not None:
        video, how = parsed[0], "unreadable"
        try:
            picked = spread(min(first, frame_count(video)), n or len(frames))
        except ImageReadError:
            picked = []
        if picked:
            template = frames[0]
            return [dataclasses.replace(template, path=frame_path(video, i), meta={**template.meta, "frame": i})
                    for i in picked], "video"
    return [s for s in frames if int(s.meta.get("frame", first)) < first], how


@fastk.hookimpl
def fastk_register_protocols(registry):
    registry.add(SiwProtocol)
