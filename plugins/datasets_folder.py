"""The ``folder`` dataset: a tree of images, labelled by folder names.

Layout (case-insensitive folder names)::

    ROOT/real/...                     label 0 (real); also live/, bonafide/, genuine/
    ROOT/spoof/<attack_type>/...      label 1 with that attack type; also attack/, fake/
    ROOT/spoof/...                    label 1, attack type "unknown"

A folder with neither ``real`` nor ``spoof`` inside is read as unlabelled images (label -1), which is
enough for exploring a model's heatmaps. Subject ids are not in this layout; a file name prefix up
to the first ``_`` is used as the subject when ``subject_from_name=True``.
"""

from __future__ import annotations

from pathlib import Path

import fastk
from fastk.datasets import REAL, SPOOF, UNKNOWN, Dataset, Sample
from fastk.errors import ConfigError
from fastk.images import list_images

REAL_NAMES = {"real", "live", "bonafide", "bona_fide", "genuine"}
SPOOF_NAMES = {"spoof", "attack", "fake"}


class FolderDataset(Dataset):
    """real/ and spoof/<attack_type>/ folders (or a folder of unlabelled images)."""

    name = "folder"
    root: Path  # needs_root: the base class refuses a missing path

    def __init__(self, root=None, *, subject_from_name: bool = False, **options):
        super().__init__(root, **options)
        self.subject_from_name = subject_from_name

    def _subject(self, path):
        return path.stem.split("_")[0] if self.subject_from_name else None

    def samples(self) -> list[Sample]:
        if self.root.is_file():
            return [Sample(self.root)]
        children = {c.name.lower(): c for c in self.root.iterdir() if c.is_dir()}
        real_dirs = [c for n, c in children.items() if n in REAL_NAMES]
        spoof_dirs = [c for n, c in children.items() if n in SPOOF_NAMES]
        if not real_dirs and not spoof_dirs:
            return [Sample(p, UNKNOWN, self._subject(p)) for p in list_images(self.root)]
        out = []
        for d in real_dirs:
            out += [Sample(p, REAL, self._subject(p), "none") for p in list_images(d)]
        for d in spoof_dirs:
            for p in list_images(d):
                rel = p.relative_to(d).parts
                attack = rel[0] if len(rel) > 1 else "unknown"
                out.append(Sample(p, SPOOF, self._subject(p), attack))
        if not out:
            raise ConfigError(f"{self.root}: no images under real/ or spoof/")
        return out


@fastk.hookimpl
def fastk_register_datasets(registry):
    registry.add(FolderDataset)
