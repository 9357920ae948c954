"""The ``csv`` dataset: a manifest file with one row per image.

Required column: ``path`` (relative to the CSV's folder, or absolute) and ``label`` (``0``/``1`` or
``real``/``live``/``bonafide`` and ``spoof``/``attack``/``fake``). Optional: ``subject``,
``attack_type``, ``lighting``, ``device``; every other column goes into the sample's metadata, so
importance can be broken down by it (``explore.group_by``). A row's missing trailing cells are empty.

Refused in one line naming the line: text that is not UTF-8, a column named twice, a row with more
fields than the header, an image listed twice or under two labels (:func:`fastk.data.datasets.refuse_repeats`).

    fastk explore --dataset csv data/manifest.csv --checkpoint model.pt
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import fastk
from fastk.common._user_files import read_utf8
from fastk.data.datasets import REAL, SPOOF, UNKNOWN, Dataset, Sample, refuse_repeats
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
        rows = self._rows()
        out, lines = [], []
        for line, r in rows:
            label = LABELS.get(str(r["label"]).strip().lower())
            if label is None:
                raise ConfigError(f"{self.root}: line {line}: unknown label {r['label']!r} (use 0/1 or real/spoof)")
            if not r["path"].strip():  # a short row or an empty cell: not this folder
                raise ConfigError(f"{self.root}: line {line}: no path")
            path = self.root.parent / r["path"]
            attack = r.get("attack_type") or ("none" if label == REAL else "unknown" if label == SPOOF else None)
            meta = {k: v for k, v in r.items() if k not in KNOWN and v != ""}
            out.append(Sample(path, label, r.get("subject") or None, attack, r.get("lighting") or None, meta))
            lines.append(f"line {line}")
        refuse_repeats(out, str(self.root), lines)
        return out

    def _rows(self) -> list[tuple[int, dict[str, str]]]:
        """Each row with its line number (as a mapping of the header's names); a row's missing trailing cells are empty.

        Refused in one line: text that is not UTF-8, a column named twice (which one would count?), and
        a row with more fields than the header (an unquoted comma would shift every value after it).
        """
        reader = csv.reader(io.StringIO(read_utf8(self.root), newline=""))
        rows = []
        try:
            header = next(reader, [])
            twice = sorted({name for name in header if header.count(name) > 1})
            if twice:
                raise ConfigError(f"{self.root}: column(s) {', '.join(map(repr, twice))} named more than once in the "
                                  "header; keep one of each")
            missing = {"path", "label"} - set(header)
            if missing:
                raise ConfigError(f"{self.root}: missing column(s) {', '.join(sorted(missing))}")
            for cells in reader:
                if not cells:
                    continue
                if len(cells) > len(header):
                    raise ConfigError(f"{self.root}: line {reader.line_num}: {len(cells)} fields, the header has "
                                      f"{len(header)} (quote a value that holds a comma)")
                rows.append((reader.line_num, dict(zip(header, cells + [""] * (len(header) - len(cells))))))
        except csv.Error as err:
            raise ConfigError(f"{self.root}: line {reader.line_num}: not valid CSV ({err})") from None
        return rows


@fastk.hookimpl
def fastk_register_datasets(registry):
    registry.add(CsvDataset)
