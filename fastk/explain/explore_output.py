"""What one exploration batch yields and how it reaches the folder: rows, skipped rows, overlays.

Why apart from :mod:`fastk.explain.explore`: under ``torchrun`` the rank that scores a batch is not the one
that writes it (:mod:`fastk.common.distributed`), so a batch's results travel as one :class:`Part` and are
written by :class:`Writer` on rank 0, in batch order; in one process the same two classes run back to
back. Overlays are counted per group on every rank from the same gathered parts, so all ranks agree
which groups still want examples and only those images travel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fastk.common.safepaths import child, safe_name
from fastk.data.datasets import Sample
from fastk.data.images import write_image
from fastk.explain.explore_files import RowAppender
from fastk.explain.figures import overlay


@dataclass
class Part:
    """One batch's results as a rank hands them to rank 0: rows, skipped rows, overlay candidates."""

    n: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    overlays: list[tuple] = field(default_factory=list)


class Writer:
    """Rows, skipped rows and overlays appended as parts arrive (files written on rank 0 only)."""

    def __init__(self, out: Path, columns: list[str], per_group: int, write: bool):
        self.rows = RowAppender(out / "per_image.csv", columns) if write else None
        self.skipped = RowAppender(out / "skipped.csv", ["path", "reason"]) if write else None
        self.overlays = Overlays(out / "overlays", per_group, write=write)

    def add(self, part: Part) -> None:
        if self.rows and self.skipped:
            for row in part.skipped:
                self.skipped.add(row)
            for row in part.rows:
                self.rows.add(row)
        for candidate in part.overlays:
            self.overlays.add(*candidate)

    def close(self) -> None:
        for f in (self.rows, self.skipped):
            if f:
                f.close()


class Overlays:
    """Heatmap overlays, up to ``per_group`` per group (real, each attack type), counted across resumes."""

    def __init__(self, folder: Path, per_group: int, *, write: bool = True):
        self.folder, self.per_group, self.write = folder, per_group, write
        self.done: dict[str, int] = {}
        for f in folder.glob("*.jpg") if folder.exists() else []:
            group = f.name.split("__")[0]
            self.done[group] = self.done.get(group, 0) + 1

    def wants(self, smp: Sample) -> bool:
        """Whether ``smp``'s group still lacks overlays (so its image is worth handing to rank 0)."""

        return self.done.get(safe_name(_overlay_group(smp)), 0) < self.per_group

    def add(self, smp: Sample, img: np.ndarray, heat: np.ndarray, polygons) -> None:
        """Count (and on the writing rank, save) the overlay if its group is not full; every rank
        counts the same gathered candidates, so all agree on which groups are full."""

        group = safe_name(_overlay_group(smp))
        n = self.done.get(group, 0)
        if n < self.per_group:
            if self.write:
                name = f"{group}__{n:03d}_{safe_name(Path(smp.path).stem)}.jpg"
                write_image(child(self.folder, name), overlay(img, heat, polygons))
            self.done[group] = n + 1


def _overlay_group(smp: Sample) -> str:
    """Overlays are kept per group (real, each attack type) so every group gets its examples."""
    if smp.label == 0:
        return "real"
    if smp.label == 1:
        return f"spoof-{smp.attack_type or 'unknown'}"
    return "image"
