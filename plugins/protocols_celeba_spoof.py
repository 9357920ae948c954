"""The ``celeba-spoof`` protocol: CelebA-Spoof's intra-dataset test (Zhang et al., ECCV 2020).

The official test list is ``ROOT/metas/intra_test/test_label.json``; the official training list,
``train_label.json``, is split by subject (the numeric folder of ``Data/train/<subject>/...``) into
train and val with the run's ``seed``, ``split.stratify`` and the train:val share of ``split.ratios``
(CelebA-Spoof publishes no validation list). The label file format is the one the dataset's README
documents (see ``plugins/datasets_celeba_spoof.py``): keys are image paths relative to ROOT, ``[43]``
is live 0 / spoof 1.

Samples are matched by their path relative to the dataset's folder (a csv manifest's folder), so the
``celeba-spoof`` reader, or any reader whose paths are ``ROOT/<key>``, works; the label file's ``[43]``
must agree with the sample's label (an error naming the file and the key). Listed images the data
lacks and images no list names are counted, not refused. CelebA-Spoof's train and test subjects are
disjoint, which the subject check confirms on every run. ``labels_dir`` names another folder holding
the two files.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import fastk
from fastk.data.datasets import REAL, SPOOF, Sample
from fastk.data.protocols import Protocol, ProtocolSplit, check_parts
from fastk.errors import ConfigError

from .datasets_celeba_spoof import LABEL_FILES, LIVE_SPOOF, labels_dir, read_labels


def _key(path: Path, root: Path) -> str | None:
    try:
        return Path(path).absolute().relative_to(root).as_posix()
    except ValueError:
        return None


class CelebASpoofIntraProtocol(Protocol):
    """CelebA-Spoof intra-dataset: official test list; the official train list split by subject."""

    name = "celeba-spoof"

    def __init__(self, labels_dir: str | None = None):
        self.labels_dir = labels_dir

    def split(self, samples, dataset, *, seed: int = 0, ratios: Sequence[float] = (0.6, 0.2, 0.2),
              stratify: bool = True) -> ProtocolSplit:
        from fastk.data.splits import subject_split

        if dataset.root is None:
            raise ConfigError(f"protocol celeba-spoof: dataset {dataset.describe()} has no folder the label "
                              "files' paths are relative to")
        root = Path(dataset.root).absolute()
        root = root if root.is_dir() else root.parent  # a csv manifest: the paths are relative to its folder
        by_key = {k: s for s in samples if (k := _key(s.path, root)) is not None}
        folder = labels_dir(root, self.labels_dir)
        lists: dict[str, list[Sample]] = {}
        missing = named = 0
        for split, name in LABEL_FILES.items():
            path = folder / name
            lists[split] = []
            for key, value in read_labels(path).items():
                s = by_key.get(key)
                if s is None:
                    missing += 1
                    continue
                if s.label != (REAL if value[LIVE_SPOOF] == 0 else SPOOF):
                    theirs = {REAL: "live (0)", SPOOF: "spoof (1)"}.get(s.label, f"unknown ({s.label})")
                    raise ConfigError(f"{path}: {key!r}: labelled {('live', 'spoof')[value[LIVE_SPOOF]]} ([43] = "
                                      f"{value[LIVE_SPOOF]}) but the dataset labels it {theirs}")
                lists[split].append(s)
                named += 1
        train = subject_split(lists["train"], ratios=(float(ratios[0]), float(ratios[1]), 0.0), seed=seed,
                              stratify=stratify)
        parts = {"train": train["train"], "val": train["val"], "test": lists["test"]}
        check_parts(parts, self.describe())
        unlisted = len(samples) - named
        notes = [f"{missing} images listed in the label files are not in the data"] if missing else []
        notes += [f"{unlisted} images of the data are in neither label file (left out)"] if unlisted else []
        return ProtocolSplit(parts, {"listed_missing": missing, "unlisted": unlisted}, notes,
                             [str(folder / n) for n in LABEL_FILES.values()])


@fastk.hookimpl
def fastk_register_protocols(registry):
    registry.add(CelebASpoofIntraProtocol)
