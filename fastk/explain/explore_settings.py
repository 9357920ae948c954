"""What an exploration takes and gives: :class:`ExploreSettings` and :class:`ExploreResult`. Types only, so
the exploration folder's readers (:mod:`fastk.explain.explore_files`), the stability grid's cells and the
run configuration read them without importing the exploration itself (:mod:`fastk.explain.explore`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastk import defaults


@dataclass
class ExploreSettings:
    """Everything that changes the numbers; a resumed run must use the same."""

    landmarks: str = defaults.LANDMARKS
    cam: str = defaults.CAM
    cam_target: str | None = None
    target_layer: str | None = None
    areas: str = defaults.AREAS
    batch_size: int = 16
    n_boot: int = 1000
    seed: int = 0
    overlays: int = 12  # per group: real, and each attack type
    group_by: list[str] = field(default_factory=lambda: ["label", "attack_type", "lighting"])


@dataclass
class ExploreResult:
    out_dir: Path
    summary: dict[str, Any]
    processed: int
    skipped: list[tuple[str, str]]

    @property
    def importance(self) -> dict[str, dict[str, float]]:
        return self.summary["overall"]
