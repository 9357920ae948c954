"""The ``faces`` dataset: the shared real face photographs (all label real), with their manifest.

Reads ``../shared/data/faces`` (or ``$FASTK_FACES_DIR``): subject, collection, expression, age, gender
and ethnicity come from ``manifest.csv``. Where the set is absent, the real faces shipped by
scikit-image and matplotlib are used, with a message. Attribution: :data:`fastk.data.faces.ATTRIBUTION`.
"""

from __future__ import annotations

import csv

import fastk
from fastk.data.datasets import REAL, Dataset, Sample
from fastk.data.faces import ATTRIBUTION, package_faces, shared_faces_dir, warn_fallback
from fastk.face.landmark_cache import default_cache_dir

META_COLUMNS = ("collection", "expression", "age", "gender", "ethnicity")


class FacesDataset(Dataset):
    """The shared real face photographs (all real), with subject and demographics."""

    name = "faces"
    attribution = ATTRIBUTION
    needs_root = False

    def samples(self) -> list[Sample]:
        root = self.root or shared_faces_dir()
        if root is None:
            warn_fallback()
            folder = default_cache_dir() / "package-faces"
            folder.mkdir(parents=True, exist_ok=True)
            return [Sample(p, REAL, p.stem, "none", meta={"collection": "package"}) for p in package_faces(folder)]
        with open(root / "manifest.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        return [
            Sample(
                root / r["file"],
                REAL,
                r["subject"],
                "none",
                meta={k: r[k] for k in META_COLUMNS if r.get(k)},
            )
            for r in rows
        ]


@fastk.hookimpl
def fastk_register_datasets(registry):
    registry.add(FacesDataset)
