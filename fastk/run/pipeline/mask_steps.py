"""Masked datasets: the run's aligned copies (``masking: aligned``), and the variants: the selected
areas, their complement, or a crop to the selected areas' box."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from fastk.common.distributed import world
from fastk.common.jsonsafe import jsonable, write_json
from fastk.data.images import read_rgb
from fastk.face.alignment import canonical_masks
from fastk.face.areas import AreaSet
from fastk.face.landmark_cache import LandmarkCache
from fastk.face.masked_dataset import MaskRecipe, write_masked_dataset
from fastk.face.masking import masked_layout, roi_box
from fastk.run.pipeline.samples_io import common_root, moved, sample_to_json
from fastk.run.pipeline.steps import ALIGNED, Step
from fastk.run.runs import Layout
from fastk.trust.mask_audit import audit_masks


def step(p, variant: str) -> Step:
    return Step(f"mask_{variant}", lambda: run(p, variant), reads=(Layout.split_of(ALIGNED) if p.aligned else Layout.split,),
                writes=(Layout.masked(variant),), sharded=True)


def align_step(p) -> Step:
    """``align``: every usable image's face warped onto the template (what every model then trains on)."""
    return Step("align", lambda: _write(p, ALIGNED, p.source_splits(), mode="align"), reads=(Layout.split,),
                writes=(Layout.masked(ALIGNED),), sharded=True)


def recipe(p, variant: str):
    """The :class:`fastk.face.masked_dataset.MaskRecipe` of a retrain variant (what its checkpoint records)."""

    sel = p.run.result("select")
    keep = sel["complement"] if variant == "complement" else sel["keep"]
    mode = "crop" if variant == "crop" else "blackout"
    return MaskRecipe(mode, tuple(keep), AreaSet.load(p.config.explore.areas), p.alignment(), p.aligned,
                      crop_size(p) if variant == "crop" else None)


def run(p, variant: str) -> dict[str, Any]:
    r = recipe(p, variant)
    stats = _write(p, variant, p.splits(), mode=r.mode, keep=list(r.keep), size=r.size)
    stats.update({"variant": variant, "crop_size": r.size})
    return stats


def _write(p, name: str, splits, *, mode: str, keep: list[str] | None = None, size: int | None = None) -> dict[str, Any]:
    """Write ``masked/NAME`` from ``splits`` and its split file (paths moved to the written copies)."""

    everything = [s for part in splits.values() for s in part]
    root = common_root(everything)
    out = p.run.masked_dir(name)
    stats = write_masked_dataset(everything, out, keep=keep or [], detector=p.detector(),
                                 area_set=AreaSet.load(p.config.explore.areas), mode=mode, size=size,
                                 source_root=root, show_progress=p.show_progress, alignment=p.alignment(),
                                 prealigned=p.aligned and name != ALIGNED, audit=audit_masks)
    if not world().is_main:  # under torchrun: rank 0 writes the split file
        return stats
    layout = masked_layout([s.path for s in everything], out, root)
    remapped = {}
    for part_name, part in splits.items():
        remapped[part_name] = [sample_to_json(m, p.run) for m in (moved(s, layout[str(s.path)]) for s in part)
                               if m.path.exists()]
    write_json(p.run.split_file(name), remapped, indent=1)
    stats.update({"kept_areas": keep or [], "source_root": str(root)})
    return jsonable(stats)


def crop_size(p) -> int:
    """Input side for the crop variant: the same pixel density as the full model's input.

    The full model sees the whole image at ``input_size``; the crop keeps a box of (on average)
    ``f`` of the image's area, so the same density needs ``input_size * sqrt(f)`` pixels a side. With
    aligned faces the box is the template's, the same for every image.
    """
    if p.config.retrain.crop_size:
        return int(p.config.retrain.crop_size)

    keep = p.run.result("select")["keep"]
    areas = AreaSet.load(p.config.explore.areas)
    fractions = [_box_fraction(roi_box(areas.union(masks, keep)), shape) for masks, shape in _area_masks(p, areas)]
    side = p.config.backbone.input_size * math.sqrt(float(np.mean(fractions)) if fractions else 1.0)
    return int(max(32, round(side / 16) * 16))


def _box_fraction(box: tuple[int, int, int, int], shape: tuple[int, ...]) -> float:
    x0, y0, x1, y1 = box
    return (x1 - x0) * (y1 - y0) / (shape[0] * shape[1])


def _area_masks(p, areas: AreaSet):
    """The area masks crop_size measures: the template's (aligned), else those of up to 64 validation images."""

    alignment = p.alignment()
    if alignment is not None:
        yield canonical_masks(alignment, areas), (alignment.size, alignment.size)
        return

    detector, cache = p.detector(), LandmarkCache()
    for s in p.splits()["val"][:64]:
        img = read_rgb(s.path)
        face = cache.detect_file(detector, s.path, img)
        if face.ok and face.points68 is not None:  # the data step kept faces the run's detector finds
            yield areas.masks(face.points68, img.shape), img.shape
