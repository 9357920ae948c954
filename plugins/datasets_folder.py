"""The ``folder`` dataset: a tree of images, labelled by folder names.

Layout (folder names compared case-insensitively, ``-``/``_``/spaces and a plural ``s`` ignored)::

    ROOT/real/...                     label 0 (real); also live/, bonafide/, genuine/ (Real/, lives/, bona-fide/ ...)
    ROOT/spoof/<attack_type>/...      label 1 with that attack type; also attack/, fake/, spoofing/, impostor/
    ROOT/spoof/...                    label 1, attack type "unknown"

A folder with neither ``real`` nor ``spoof`` inside is read as unlabelled images (label -1), which is
enough for exploring a model's heatmaps. In a labelled tree, images anywhere else (a ``misc/`` folder,
files directly in ROOT) are refused in one line naming them, not left out without a word; hidden
folders (``.thumbnails/``) are not read. A file listed twice (a symlink in ``spoof/`` to a photo in
``real/``) is refused too (:func:`fastk.data.datasets.refuse_repeats`). Subject ids are not in this layout;
a file name prefix up to the first ``_`` is used as the subject when ``subject_from_name=True``.
"""

from __future__ import annotations

from pathlib import Path

import fastk
from fastk.data.datasets import REAL, SPOOF, UNKNOWN, Dataset, Sample, folder_label, refuse_repeats
from fastk.data.images import list_images
from fastk.errors import ConfigError


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
        children = sorted(c for c in self.root.iterdir() if c.is_dir() and not c.name.startswith("."))
        labelled = {c: folder_label(c.name) for c in children}
        if not any(v is not None for v in labelled.values()):
            return [Sample(p, UNKNOWN, self._subject(p)) for p in list_images(self.root)]
        self._refuse_unlabelled([c for c, v in labelled.items() if v is None])
        out = []
        for d in (c for c, v in labelled.items() if v == REAL):
            out += [Sample(p, REAL, self._subject(p), "none") for p in list_images(d)]
        for d in (c for c, v in labelled.items() if v == SPOOF):
            for p in list_images(d):
                rel = p.relative_to(d).parts
                attack = rel[0] if len(rel) > 1 else "unknown"
                out.append(Sample(p, SPOOF, self._subject(p), attack))
        if not out:
            raise ConfigError(f"{self.root}: no images under real/ or spoof/")
        refuse_repeats(out, str(self.root))
        return out

    def _refuse_unlabelled(self, others: list[Path]) -> None:
        """Images beside real/ and spoof/ have no label: name them rather than drop them."""
        loose = list_images(self.root, recursive=False)
        found = [f"{d.name}/ ({n} images)" for d in others if (n := len(list_images(d)))]
        found += [f"{len(loose)} image(s) directly in the folder (first: {loose[0].name})"] if loose else []
        if found:
            raise ConfigError(f"{self.root}: images outside the real and spoof folders would be left out: "
                              f"{', '.join(found)}; move them into real/ or spoof/<attack type>/, or out of {self.root}")


@fastk.hookimpl
def fastk_register_datasets(registry):
    registry.add(FolderDataset)
