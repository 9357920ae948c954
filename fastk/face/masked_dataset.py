"""Write a dataset with only some face areas kept, or its faces aligned: what ``fastk mask`` and ``fastk run`` do.

Two framings (:class:`MaskRecipe`):

* ``landmark`` (the paper's recipe): each image is masked with its own landmarks, as it is;
* ``aligned`` (fastk's default): each face is first warped onto the canonical template
  (:mod:`fastk.face.alignment`) and every image gets the template's mask, the very same pixels, so the
  mask carries no per-image information. Images that are aligned already (``fastk run`` aligns once,
  in its ``align`` step, and masks the aligned copies) need no landmarks at all.

Every masked variant is audited as it is written (:mod:`fastk.trust.mask_audit`): how well the masks alone
(their outline, size and place) tell real from attack.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fastk.common.distributed import all_gather, main_holds, world
from fastk.common.locks import FolderLock
from fastk.common.progress import progress_bar
from fastk.data.images import read_rgb, write_image
from fastk.errors import ImageReadError
from fastk.face.alignment import Alignment, canonical_masks
from fastk.face.areas import AreaSet
from fastk.face.geometry import mask_features
from fastk.face.landmark_cache import LandmarkCache, read_and_detect
from fastk.face.masking import black_out, crop_to_roi, encoded_bytes, masked_layout

MODES = ("blackout", "crop", "align")


@dataclass(frozen=True)
class MaskRecipe:
    """What is done to every image: ``mode`` ``blackout`` / ``crop`` (keep ``keep``) or ``align`` (the
    aligned face, nothing blacked out); ``alignment`` warps each face onto the template first
    (``prealigned``: the images are aligned copies already); ``size``: the crop's output side."""

    mode: str
    keep: tuple[str, ...]
    area_set: AreaSet
    alignment: Alignment | None = None
    prealigned: bool = False
    size: int | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if (self.mode == "align" or self.prealigned) and self.alignment is None:
            raise ValueError(f"mode {self.mode!r} with prealigned={self.prealigned} needs an alignment")

    @property
    def framing(self) -> str:
        return "aligned" if self.alignment is not None else "landmark"

    def canonical_keep(self) -> np.ndarray | None:
        """The one mask of every image (aligned framing), else None (each image its own)."""
        if self.alignment is None or self.mode == "align":
            return None
        return self.area_set.union(canonical_masks(self.alignment, self.area_set), list(self.keep))

    def record(self) -> dict[str, Any]:
        """What a checkpoint trained on this variant stores, so inference prepares images alike."""
        return {"mode": self.mode, "keep": list(self.keep), "areas": self.area_set.source or self.area_set.name,
                "framing": self.framing, "size": self.size}


def write_masked_dataset(samples, out_dir, *, keep: list[str], detector, area_set, cache=None,
                         mode: str = "blackout", size: int | None = None, source_root=None,
                         show_progress: bool = True, jpeg_quality: int = 90, alignment: Alignment | None = None,
                         prealigned: bool = False, audit: Callable[..., dict] | None = None) -> dict:
    """Write each sample with only ``keep`` areas visible (``mode`` = ``blackout`` or ``crop``), or
    aligned (``align``; see :class:`MaskRecipe` for ``alignment`` and ``prealigned``).

    Files keep their names and relative folders (below ``source_root``, default: their common parent;
    see :func:`fastk.face.masking.masked_layout`), so an existing split or label layout carries over; nothing
    is ever written outside ``out_dir`` or over a source. Images without a face are listed in
    ``skipped.csv``. Returns counts, the mean share of pixels kept, storage before and after (mean
    JPEG at ``jpeg_quality`` and PNG bytes per image), which detector found the faces, and, given an
    ``audit``, the mask audit (``mask_audit``): ``audit(samples, features, recipe)`` on the written
    samples and their outline's numbers (:func:`fastk.face.geometry.mask_features`). ``fastk mask`` and
    ``fastk run`` pass :func:`fastk.trust.mask_audit.audit_masks`, which sits in a layer above this one.
    A lock file keeps a second writer out.

    Under ``torchrun`` each rank masks every N-th image and writes its files (``out_dir`` must be on a
    file system all ranks share); rank 0 writes ``skipped.csv`` and every rank returns the same summary,
    computed over all images in their order (:mod:`fastk.common.distributed`).
    """

    recipe = MaskRecipe(mode, tuple(keep), area_set, alignment, prealigned, size)
    with main_holds(lambda: FolderLock(out_dir, "fastk mask")):
        summary, kept = _write(samples, Path(out_dir), recipe, detector, cache, source_root, show_progress, jpeg_quality)
    if audit is not None and recipe.mode != "align":
        summary["mask_audit"] = audit([s for s, _ in kept], np.stack([r["features"] for _, r in kept])
                                      if kept else np.zeros((0, 1)), recipe)
    return summary


def _write(samples, out: Path, recipe: MaskRecipe, detector, cache, source_root, show_progress,
           jpeg_quality) -> tuple[dict, list[tuple[Any, dict]]]:
    """The summary, and each written sample with its record (in the samples' order)."""

    cache = cache or LandmarkCache()
    paths = [Path(s.path) for s in samples]
    layout = masked_layout(paths, out, source_root)
    fixed = recipe.canonical_keep()
    w = world()
    mine: dict[int, dict] = {}
    what = "align" if recipe.mode == "align" else f"{recipe.mode}: {', '.join(recipe.keep)}"
    with progress_bar(show_progress) as progress:
        task = progress.add_task(f"mask ({what})", total=len(w.shard(paths)))
        for i in w.shard(list(range(len(paths)))):
            progress.advance(task)
            mine[i] = _mask_one(paths[i], layout[str(paths[i])], recipe, fixed, detector, cache, jpeg_quality)
    records = [r for part in all_gather(mine) for r in part.items()]
    done = [r for _, r in sorted(records, key=lambda item: item[0])]  # every image, in the samples' order
    if w.is_main:
        with open(out / "skipped.csv", "w", newline="") as f:
            csv.writer(f).writerows([["path", "reason"], *[[r["path"], r["skipped"]] for r in done if "skipped" in r]])
    written = [r for r in done if "skipped" not in r]
    summary = _summary(recipe, len(paths), written, Counter(r["detector"] for r in written), jpeg_quality)
    return summary, [(s, r) for s, r in zip(samples, done) if "skipped" not in r]


def _prepared(path: Path, recipe: MaskRecipe, fixed, detector, cache) -> tuple[np.ndarray, np.ndarray, np.ndarray, str] | str:
    """``(image, the points that placed its mask, the keep mask, who placed it)`` as the recipe frames it, or
    why not. With alignment the mask is the template's, so its points are the template's too: the audit
    reads the geometry of the mask, which is the same for every image."""

    if recipe.prealigned:
        assert recipe.alignment is not None and fixed is not None
        try:
            return read_rgb(path), recipe.alignment.points().astype(np.float32), fixed, "aligned copy"
        except ImageReadError as err:
            return str(err)
    found = read_and_detect(cache, detector, path)
    if isinstance(found, str):
        return found
    img, face = found
    if face.points68 is None:
        return f"{path}: {face.detector} gave no dlib-68 points (the areas need them)"
    pts = face.points68
    if recipe.alignment is not None:
        img, _ = recipe.alignment.warp(img, pts)
        pts = recipe.alignment.points().astype(np.float32)  # the mask's points: the template's, for every image
    keep = fixed if fixed is not None else recipe.area_set.union(recipe.area_set.masks(pts, img.shape), list(recipe.keep))
    return img, pts, keep, face.detector


def _mask_one(path: Path, dest: Path, recipe: MaskRecipe, fixed, detector, cache, jpeg_quality) -> dict:
    """Mask one image and write it to ``dest``; what the summary and the audit need of it (or why it was skipped)."""

    found = _prepared(path, recipe, fixed, detector, cache)
    if isinstance(found, str):
        return {"path": str(path), "skipped": found}
    img, pts, keep, who = found
    if recipe.mode == "align":
        result = img
    elif recipe.mode == "blackout":
        result = black_out(img, keep)
    else:
        result = crop_to_roi(img, keep, size=recipe.size)
    write_image(dest, result)
    return {"path": str(path), "detector": who, "kept": float(keep.mean()) if recipe.mode != "align" else 1.0,
            "before": encoded_bytes(img, jpeg_quality), "after": encoded_bytes(result, jpeg_quality),
            "features": mask_features(keep, pts, img.shape, crop=recipe.mode == "crop") if recipe.mode != "align" else None}


def _summary(recipe: MaskRecipe, n_paths: int, written: list[dict], found_by, jpeg_quality: int) -> dict:
    def mean(key, i):
        return float(np.mean([r[key][i] for r in written])) if written else None

    return {
        "mode": recipe.mode,
        "kept_areas": list(recipe.keep),
        "framing": recipe.framing,
        "written": len(written),
        "skipped": n_paths - len(written),
        "no_face_rate": (n_paths - len(written)) / n_paths if n_paths else None,
        "faces_found_by": dict(found_by),
        "mean_pixels_kept": float(np.mean([r["kept"] for r in written])) if written else None,
        "jpeg_quality": jpeg_quality,
        "jpeg_bytes_mean_before": mean("before", 0),
        "jpeg_bytes_mean_after": mean("after", 0),
        "png_bytes_mean_before": mean("before", 1),
        "png_bytes_mean_after": mean("after", 1),
    }
