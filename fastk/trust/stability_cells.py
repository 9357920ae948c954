"""The cells of a stability grid: their names, what made each (``cell.json``), reuse, and loading.

Why a module of its own: the grid (:mod:`fastk.trust.stability_grid`) makes cells and the analysis
(:mod:`fastk.trust.stability_analysis`) and the selectors read them; both need the same names and the same
reading of a cell folder, and neither needs the other's machinery.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fastk.explain.explore_files import read_area_rows, read_rows
from fastk.explain.explore_settings import ExploreSettings

if TYPE_CHECKING:  # pragma: no cover
    from fastk.explain.explore_settings import ExploreSettings
    from fastk.trust.stability_config import StabilityConfig

#: The factors a cell is one level of each of.
FACTORS = ("model", "cam", "detector", "target")


@dataclass
class Cell:
    """One finished exploration of the grid, with the per-image rows the statistics resample."""

    name: str
    model: str
    cam: str
    detector: str
    target: str
    dir: Path
    per_image: dict[str, np.ndarray]  # image path -> area scores (areas in the area set's order)
    skipped: int = 0
    #: How ScoreCAM/AblationCAM were decided on for this grid (timed probe), shared by its cells.
    slow_cams: dict[str, Any] = field(default_factory=dict)

    def levels(self) -> dict[str, str]:
        return {f: getattr(self, f) for f in FACTORS}


def model_labels(paths: Sequence[str | Path]) -> list[str]:
    """Short unique folder-safe labels for checkpoints: file stems, else parent folder names, else m0, m1..."""
    ps = [Path(p) for p in paths]
    for cand in ([p.stem for p in ps], [p.parent.name for p in ps], [f"{p.parent.name}-{p.stem}" for p in ps]):
        cand = [_safe(c) for c in cand]
        if all(cand) and len(set(cand)) == len(cand):
            return cand
    return [f"m{i}" for i in range(len(ps))]


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+-]+", "-", text).strip("-")


def cell_name(model: str, cam: str, detector: str, target: str) -> str:
    return "__".join(_safe(x) for x in (model, cam, detector, target))


def cell_stamp(cfg: StabilityConfig, label: str, cam: str, det: str, tgt: str, ckpt_digest: str, n_images: int,
           images_digest: str) -> tuple[ExploreSettings, dict[str, Any]]:
    """A cell's exploration settings, and the stamp (``cell.json``) that says what made it."""

    settings = ExploreSettings(landmarks=det, cam=cam, cam_target=tgt, areas=cfg.areas, batch_size=cfg.batch_size,
                               n_boot=100, seed=cfg.seed, overlays=0, group_by=["label"])
    return settings, {"settings": asdict(settings), "checkpoint_sha1": ckpt_digest, "images": n_images,
                      "images_sha1": images_digest}


def reusable(marker: Path, stamp: dict[str, Any], wanted: set[str]) -> bool:
    """A finished cell serves when made with the same settings and model, on these images or more."""
    if not marker.is_file():
        return False
    old = json.loads(marker.read_text())
    if old == stamp:
        return True
    same = all(old.get(k) == stamp[k] for k in ("settings", "checkpoint_sha1"))
    if not same:
        return False
    done = {r["path"] for name in ("per_image.csv", "skipped.csv") for r in read_rows(marker.parent / name)}
    return wanted <= done


def load_cell(cell_dir: str | Path, model: str, cam: str, detector: str, target: str, *,
              only: set[str] | None = None) -> Cell:
    """A finished cell's per-image area scores (``per_image.csv``) in the area set's order
    (only the images in ``only`` when given)."""
    d = Path(cell_dir)
    record = json.loads((d / "explore.json").read_text())
    areas = record["areas"]["names"]
    per_image = {r["path"]: np.array([r[a] for a in areas]) for r in read_area_rows(d / "per_image.csv", areas)
                 if only is None or r["path"] in only}
    skipped = len(read_rows(d / "skipped.csv"))
    return Cell(cell_name(model, cam, detector, target), model, cam, detector, target, d, per_image, skipped)


def cell_areas(cell: Cell) -> list[str]:
    return json.loads((cell.dir / "explore.json").read_text())["areas"]["names"]

