"""The ``celeba-spoof`` dataset: CelebA-Spoof (Zhang et al., ECCV 2020) read from its label files.

CelebA-Spoof ships its images as ``ROOT/Data/{train,test}/<subject>/{live,spoof}/<image>`` and their
labels as JSON files, ``ROOT/metas/intra_test/train_label.json`` and ``test_label.json``: each maps an
image path relative to ROOT (``Data/train/4980/spoof/494405.png``) to 44 numbers. As the dataset's
README documents them: ``[0:40]`` the 40 CelebA face attributes, ``[40]`` the spoof type (0 live,
1 photo, 2 poster, 3 A4, 4 face mask, 5 upper-body mask, 6 region mask, 7 PC, 8 pad, 9 phone,
10 3D mask), ``[41]`` the illumination (0 live, 1 normal, 2 strong, 3 back, 4 dark), ``[42]`` the
environment (0 live, 1 indoor, 2 outdoor) and ``[43]`` the label (0 live, 1 spoof).

Samples: label from ``[43]``; subject ``celeba_<the numeric folder>``; attack type from ``[40]``
(``none`` for live images); lighting from ``[41]`` and metadata ``environment`` from ``[42]`` (both
``None`` for live images, which the dataset does not annotate so); ``official_split`` (``train`` or
``test``: which file listed the image); ``key`` (the path as the label file writes it). The pixels are
not read here: an image the files list but the folder lacks is skipped (and listed in ``skipped.csv``)
when faces are checked. ``labels_dir`` names another folder holding the two JSON files.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import Any

import fastk
from fastk.data.datasets import REAL, SPOOF, Dataset, Sample
from fastk.errors import ConfigError

LABEL_FILES = {"train": "train_label.json", "test": "test_label.json"}
SPOOF_TYPES = {0: "none", 1: "photo", 2: "poster", 3: "a4", 4: "face_mask", 5: "upper_body_mask",
               6: "region_mask", 7: "pc", 8: "pad", 9: "phone", 10: "3d_mask"}
ILLUMINATION = {1: "normal", 2: "strong", 3: "back", 4: "dark"}
ENVIRONMENT = {1: "indoor", 2: "outdoor"}
SPOOF_TYPE, ILLUM, ENV, LIVE_SPOOF = 40, 41, 42, 43


def labels_dir(root: Path | None, option: str | None) -> Path:
    """Where the label files are: the ``labels_dir`` option, else ``ROOT/metas/intra_test``."""
    if option is not None:
        return Path(option)
    if root is None:
        raise ConfigError("celeba-spoof: no dataset folder to find metas/intra_test in; set labels_dir")
    return root / "metas" / "intra_test"


def read_labels(path: Path) -> dict[str, list[int]]:
    """One label file: ``{relative image path: 44 numbers}``, each entry checked (one line per problem)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: CelebA-Spoof label file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ConfigError(f"{path}: not a CelebA-Spoof label file ({err})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a JSON object mapping image paths to 44 labels")
    for key, value in data.items():
        ok = isinstance(value, list) and len(value) == 44 and all(isinstance(v, int) for v in value)
        if not ok or value[LIVE_SPOOF] not in (0, 1) or value[SPOOF_TYPE] not in SPOOF_TYPES:
            raise ConfigError(f"{path}: {key!r}: expected 44 integers with [43] live 0 / spoof 1 and [40] a spoof "
                              f"type 0-10, got {str(value)[:60]}")
    return data


def subject_of(key: str, path: Path) -> str:
    """The numeric subject folder of ``Data/<train|test>/<subject>/<live|spoof>/<image>``."""
    parts = PurePosixPath(key).parts
    at = next((i for i, p in enumerate(parts) if p in LABEL_FILES), None)
    if at is None or len(parts) < at + 3:
        raise ConfigError(f"{path}: {key!r}: expected a path like Data/train/<subject>/<live|spoof>/<image>")
    return parts[at + 1]


def sample(root: Path, key: str, value: list[int], split: str, path: Path) -> Sample:
    label = REAL if value[LIVE_SPOOF] == 0 else SPOOF
    meta: dict[str, Any] = {"environment": ENVIRONMENT.get(value[ENV]), "official_split": split, "key": key}
    return Sample(root / key, label, f"celeba_{subject_of(key, path)}",
                  "none" if label == REAL else SPOOF_TYPES[value[SPOOF_TYPE]], ILLUMINATION.get(value[ILLUM]), meta)


class CelebASpoofDataset(Dataset):
    """CelebA-Spoof images with the labels of metas/intra_test/{train,test}_label.json."""

    name = "celeba-spoof"
    root: Path  # needs_root: the base class refuses a missing path

    def __init__(self, root: str | Path | None = None, labels_dir: str | None = None, **options: Any):
        super().__init__(root, **options)
        self.labels_dir = labels_dir

    def samples(self) -> list[Sample]:
        folder = labels_dir(self.root, self.labels_dir)
        files = {split: folder / name for split, name in LABEL_FILES.items() if (folder / name).is_file()}
        if not files:
            raise ConfigError(f"{folder}: no CelebA-Spoof label file ({' or '.join(LABEL_FILES.values())})")
        out = []
        for split, path in files.items():
            out += [sample(self.root, key, value, split, path) for key, value in sorted(read_labels(path).items())]
        return out


@fastk.hookimpl
def fastk_register_datasets(registry):
    registry.add(CelebASpoofDataset)
