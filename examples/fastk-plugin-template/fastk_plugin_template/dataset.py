"""A dataset: a text file listing images and labels (``path label [subject]`` per line).

The file is the dataset's path (``--dataset template-list:FILE``, or ``dataset.path`` in a run
config); the base class checks it exists and stores it as ``self.root``. Relative image paths are
relative to the list file.
"""

from pathlib import Path

import fastk
from fastk.data.datasets import REAL, SPOOF
from fastk.errors import ConfigError

LABELS = {"real": REAL, "0": REAL, "spoof": SPOOF, "1": SPOOF}


class ImageList(fastk.Dataset):
    """Images and labels listed in a text file: ``path real|spoof [subject]`` per line."""

    name = "template-list"

    def samples(self) -> list[fastk.Sample]:
        out = []
        for n, line in enumerate(self.root.read_text().splitlines(), start=1):
            fields = line.split()
            if not fields or fields[0].startswith("#"):
                continue
            if len(fields) < 2 or fields[1] not in LABELS:
                raise ConfigError(f"{self.root}:{n}: expected 'path real|spoof [subject]', got {line!r}")
            path = Path(fields[0])
            path = path if path.is_absolute() else self.root.parent / path
            subject = fields[2] if len(fields) > 2 else path.stem
            label = LABELS[fields[1]]
            out.append(fastk.Sample(path, label, subject, "none" if label == REAL else "unknown"))
        return out
