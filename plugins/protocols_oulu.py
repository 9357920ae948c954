"""The ``oulu-npu`` protocol: OULU-NPU's four official protocols, read from the protocol files it ships.

OULU-NPU (Boulkenafet et al., FG 2017) is compared on four protocols, each a fixed Train/Dev/Test list
of videos (users 01-20 train, 21-35 dev, 36-55 test in every protocol)::

    ROOT/Protocols/Protocol_1/{Train,Dev,Test}.txt          illumination: sessions 1, 2 -> session 3
    ROOT/Protocols/Protocol_2/{Train,Dev,Test}.txt          attack instrument: printer 1 + display 1
                                                            (files 1, 2, 4) -> printer 2 + display 2 (1, 3, 5)
    ROOT/Protocols/Protocol_3/{Train,Dev,Test}_<k>.txt      camera: leave phone k out (folds 1-6)
    ROOT/Protocols/Protocol_4/{Train,Dev,Test}_<k>.txt      all three at once (folds 1-6)

Some copies nest the folder (``ROOT/Protocols/Protocols/Protocol_1``); both are found, and
``protocols_dir`` names any other folder holding ``Protocol_1`` ... ``Protocol_4``. Each line is
``+1,1_1_01_1`` (bona fide) or ``-1,1_1_01_2`` (attack) and a video id ``Phone_Session_User_File``;
Windows line endings, a byte-order mark and blank lines are accepted. The dev list becomes ``val``.

Samples are matched by the video id the ``oulu`` dataset reader records (``meta["video"]``), every
frame of a listed video going to its split; the file's label must agree with the sample's (a
contradiction is an error naming the file and line). Videos the files list but the data lacks, and
frames of videos no file lists, are counted in the data step's result, not refused: a partial copy
of the dataset still runs, unless a split ends up empty or without one class.

Spec: ``oulu-npu:1``, ``oulu-npu:2``, ``oulu-npu:3,fold=2`` (or ``oulu-npu:3,2``), ``oulu-npu:4,fold=6``;
or the options ``protocol`` and ``fold`` (``split.protocol_options: {protocol: 3, fold: 2}``). Protocols
3 and 4 need a fold; 1 and 2 have none. Results are per frame, as everywhere in fastk; the papers
average scores per video.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import fastk
from fastk.data.datasets import REAL, SPOOF
from fastk.data.protocols import Protocol, ProtocolSplit, check_parts
from fastk.errors import ConfigError

VIDEO = re.compile(r"[1-6]_[1-3]_\d{2}_[1-5]")
LABELS = {"+1": REAL, "1": REAL, "-1": SPOOF}
FILES = {"train": "Train", "val": "Dev", "test": "Test"}
WHAT = {REAL: "bona fide (+1)", SPOOF: "an attack (-1)"}


def read_protocol_file(path: Path) -> list[tuple[int, int, str]]:
    """``[(line number, label, video id), ...]`` of one protocol file; a malformed line is an error."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"{path}: protocol file not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot be read as a protocol file ({err})") from None
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        label, sep, video = (part.strip() for part in line.partition(","))
        if not sep or label not in LABELS or not VIDEO.fullmatch(video):
            raise ConfigError(f"{path}:{n}: expected '+1,VIDEO' or '-1,VIDEO' with VIDEO like 1_1_01_1, "
                              f"got {line.strip()[:60]!r}")
        out.append((n, LABELS[label], video))
    return out


class OuluProtocol(Protocol):
    """OULU-NPU protocols 1-4 (folds 1-6 for 3 and 4) from the official protocol files."""

    name = "oulu-npu"
    spec_arg = ("protocol", "fold")
    spec_help = "a protocol number and a fold, e.g. oulu-npu:1 or oulu-npu:3,fold=2"

    def __init__(self, protocol: int | None = None, fold: int | None = None, protocols_dir: str | None = None):
        if protocol is None:
            raise ConfigError("protocol 'oulu-npu' needs a protocol number: oulu-npu:1, oulu-npu:2, "
                              "oulu-npu:3,fold=K or oulu-npu:4,fold=K (K = 1-6)")
        if protocol not in (1, 2, 3, 4):
            raise ConfigError(f"protocol 'oulu-npu': unknown OULU-NPU protocol {protocol} (there are 1-4)")
        if protocol in (3, 4) and fold not in range(1, 7):
            got = "none given" if fold is None else f"got {fold}"
            raise ConfigError(f"protocol 'oulu-npu:{protocol}' needs a fold from 1 to 6 (leave-one-phone-out; "
                              f"{got}): oulu-npu:{protocol},fold=K")
        if protocol in (1, 2) and fold is not None:
            raise ConfigError(f"protocol 'oulu-npu:{protocol}' has no folds (got fold={fold}); only 3 and 4 do")
        self.protocol, self.fold, self.protocols_dir = protocol, fold, protocols_dir

    def describe(self) -> str:
        return f"oulu-npu:{self.protocol}" + (f",fold={self.fold}" if self.fold else "")

    def record(self) -> dict[str, Any]:
        return {**super().record(), "protocol": self.protocol, "fold": self.fold}

    def files(self, root: Path | None) -> dict[str, Path]:
        """The protocol's Train/Dev/Test files (as fastk's train/val/test), found under ``root``."""
        folder = f"Protocol_{self.protocol}"
        if self.protocols_dir is not None:
            bases = [Path(self.protocols_dir)]
        elif root is not None:
            bases = [root / "Protocols", root / "Protocols" / "Protocols"]
        else:
            raise ConfigError(f"protocol {self.describe()}: the dataset has no folder to find Protocols/ in; "
                              "set the protocols_dir option")
        found = next((b / folder for b in bases if (b / folder).is_dir()), None)
        if found is None:
            looked = " nor ".join(str(b / folder) for b in bases)
            raise ConfigError(f"protocol {self.describe()}: no protocol folder {looked} (set protocols_dir to "
                              "the folder holding Protocol_1 ... Protocol_4)")
        suffix = f"_{self.fold}" if self.fold else ""
        return {split: found / f"{stem}{suffix}.txt" for split, stem in FILES.items()}

    def split(self, samples, dataset, **_: Any) -> ProtocolSplit:
        by_video = defaultdict(list)
        for s in samples:
            if s.meta.get("video") is not None:
                by_video[str(s.meta["video"])].append(s)
        if not by_video:
            raise ConfigError(f"protocol {self.describe()}: dataset {dataset.describe()} has no samples with an "
                              "OULU-NPU video id (meta 'video'); read the data with the 'oulu' dataset")
        files = self.files(dataset.root)
        parts, listed, missing = {}, set(), set()
        for split, path in files.items():
            part = []
            for n, label, video in read_protocol_file(path):
                frames = by_video.get(video)
                if not frames:
                    missing.add(video)
                    continue
                wrong = next((s for s in frames if s.label != label), None)
                if wrong is not None:
                    raise ConfigError(f"{path}:{n}: video {video} is listed as {WHAT[label]} but the dataset "
                                      f"labels it {WHAT.get(wrong.label, wrong.label)} ({wrong.path})")
                if (split, video) not in listed:
                    part += frames
                listed.add((split, video))
            parts[split] = part
        named = {video for _, video in listed}
        unlisted = len(samples) - sum(len(v) for k, v in by_video.items() if k in named)
        check_parts(parts, self.describe())
        notes = [f"{len(missing)} videos listed in the protocol files are not in the data"] if missing else []
        notes += [f"{unlisted} images of the data are in no list of {self.describe()} (left out)"] if unlisted else []
        return ProtocolSplit(parts, {"listed_missing": len(missing), "unlisted": unlisted, "videos": len(named)},
                             notes, [str(p) for p in files.values()])


@fastk.hookimpl
def fastk_register_protocols(registry):
    registry.add(OuluProtocol)
