"""The ``csv`` dataset: a manifest file with one row per image.

Required column: ``path`` (relative to the CSV's folder, or absolute) and ``label`` (``0``/``1`` or
``real``/``live``/``bonafide`` and ``spoof``/``attack``/``fake``). Optional: ``subject``,
``attack_type``, ``lighting``, ``device``; every other column goes into the sample's metadata, so
importance can be broken down by it (``explore.group_by``).

    fastk explore --dataset csv data/manifest.csv --checkpoint model.pt
"""

from __future__ import annotations

import csv
from pathlib import Path

import fastk
from fastk.datasets import REAL, SPOOF, UNKNOWN, Dataset, Sample
from fastk.errors import ConfigError

LABELS = {"0": REAL, "real": REAL, "live": REAL, "bonafide": REAL, "bona_fide": REAL, "genuine": REAL,
          "1": SPOOF, "spoof": SPOOF, "attack": SPOOF, "fake": SPOOF, "": UNKNOWN, "-1": UNKNOWN}
KNOWN = {"path", "label", "subject", "attack_type", "lighting"}


class CsvDataset(Dataset):
    """Images listed in a CSV manifest (path, label, subject, attack_type, lighting, device, ...)."""

    name = "csv"
    root: Path  # needs_root: the base class refuses a missing path

    def samples(self) -> list[Sample]:
        if not self.root.is_file():
            raise ConfigError(f"{self.root}: the csv dataset needs a CSV file")
        with open(self.root, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            missing = {"path", "label"} - set(reader.fieldnames or [])
            if missing:
                raise ConfigError(f"{self.root}: missing column(s) {', '.join(sorted(missing))}")
            rows = list(reader)
        out = []
        for i, r in enumerate(rows, start=2):
            label = LABELS.get(str(r["label"]).strip().lower())
            if label is None:
                raise ConfigError(f"{self.root}: line {i}: unknown label {r['label']!r} (use 0/1 or real/spoof)")
            if not (r["path"] or "").strip():  # a short row or an empty cell: not this folder
                raise ConfigError(f"{self.root}: line {i}: no path")
            path = self.root.parent / r["path"]
            attack = r.get("attack_type") or ("none" if label == REAL else "unknown" if label == SPOOF else None)
            meta = {k: v for k, v in r.items() if k not in KNOWN and v not in (None, "")}
            out.append(Sample(path, label, r.get("subject") or None, attack, r.get("lighting") or None, meta))
        return out


@fastk.hookimpl
def fastk_register_datasets(registry):
    registry.add(CsvDataset)
