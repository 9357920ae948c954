"""Masked datasets: the selected areas, their complement, or a crop to the selected areas' box."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from fastk.areas import AreaSet
from fastk.distributed import world
from fastk.jsonsafe import jsonable, write_json
from fastk.pipeline.samples_io import common_root, moved, sample_to_json
from fastk.pipeline.steps import Step
from fastk.runs import Layout


def step(p, variant: str) -> Step:
    return Step(f"mask_{variant}", lambda: run(p, variant), reads=(Layout.split,),
                writes=(Layout.masked(variant),), sharded=True)


def run(p, variant: str) -> dict[str, Any]:
    from fastk.masking import masked_layout, write_masked_dataset

    sel = p.run.result("select")
    keep = sel["complement"] if variant == "complement" else sel["keep"]
    splits = p.splits()
    everything = [s for part in splits.values() for s in part]
    root = common_root(everything)
    mode = "crop" if variant == "crop" else "blackout"
    size = crop_size(p) if variant == "crop" else None
    out = p.run.masked_dir(variant)
    stats = write_masked_dataset(everything, out, keep=keep, detector=p.detector(),
                                 area_set=AreaSet.load(p.config.explore.areas), mode=mode, size=size,
                                 source_root=root, show_progress=p.show_progress)
    if not world().is_main:  # under torchrun: rank 0 writes the split file
        return stats
    layout = masked_layout([s.path for s in everything], out, root)
    remapped = {}
    for name, part in splits.items():
        remapped[name] = [sample_to_json(m, p.run) for m in (moved(s, layout[str(s.path)]) for s in part)
                          if m.path.exists()]
    write_json(p.run.split_file(variant), remapped, indent=1)
    stats.update({"variant": variant, "kept_areas": keep, "crop_size": size, "source_root": str(root)})
    return jsonable(stats)


def crop_size(p) -> int:
    """Input side for the crop variant: the same pixel density as the full model's input.

    The full model sees the whole image at ``input_size``; the crop keeps a box of (on average)
    ``f`` of the image's area, so the same density needs ``input_size * sqrt(f)`` pixels a side.
    """
    if p.config.retrain.crop_size:
        return int(p.config.retrain.crop_size)
    from fastk.images import read_rgb
    from fastk.landmark_cache import LandmarkCache
    from fastk.masking import roi_box

    keep = p.run.result("select")["keep"]
    areas, detector, cache = AreaSet.load(p.config.explore.areas), p.detector(), LandmarkCache()
    fractions = []
    for s in p.splits()["val"][:64]:
        img = read_rgb(s.path)
        face = cache.detect_file(detector, s.path, img)
        if not face.ok or face.points68 is None:  # the data step kept faces the run's detector finds
            continue
        x0, y0, x1, y1 = roi_box(areas.union(areas.masks(face.points68, img.shape), keep))
        fractions.append((x1 - x0) * (y1 - y0) / (img.shape[0] * img.shape[1]))
    side = p.config.backbone.input_size * math.sqrt(float(np.mean(fractions)) if fractions else 1.0)
    return int(max(32, round(side / 16) * 16))
