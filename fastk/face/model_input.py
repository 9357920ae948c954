"""One input path: how an image becomes what a checkpoint's model sees, for scoring and explaining alike.

Why one path: ``fastk predict`` cropped a full-frame photo to the training framing while ``fastk
explore`` explained the whole squashed frame, so the explanation was of another input than the one
scored (their probabilities differed by 0.178 on real full-frame photos, issue 29). Every command
that feeds a checkpoint images prepares them here, from what the checkpoint recorded in its ``meta``:

* ``alignment`` (:mod:`fastk.face.alignment`): the face warped onto the template, as the training images were;
* else ``framing`` (:mod:`fastk.face.framing`): a full frame cropped to the training images' framing;
* then ``mask`` (a retrained variant, :class:`fastk.face.masked_dataset.MaskRecipe`): only its kept areas,
  blacked out or cropped as in training (on the template for aligned variants, from the face's own
  landmarks otherwise).

The landmarks come along, moved into the prepared image, so area importance is measured on the pixels
the model saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from fastk.face.alignment import Alignment, canonical_masks
from fastk.face.areas import AreaSet
from fastk.face.framing import framed, valid_framing
from fastk.face.landmarks import Face
from fastk.face.masking import black_out, crop_to_roi, roi_box

ALIGNED, MASKED = "aligned", "masked"


@dataclass(frozen=True)
class Prepared:
    """An image as the model sees it, its landmarks in it (None when faces were not checked), and how."""

    image: np.ndarray
    points68: np.ndarray | None
    how: str  # "aligned", "cropped", "as-is" (+ ", masked")
    why: str


def recorded_detector(meta: dict[str, Any] | None) -> str | None:
    """The landmark detector a checkpoint's images were aligned or framed with (None: not recorded)."""

    meta = meta if isinstance(meta, dict) else {}
    found = meta.get("alignment")
    alignment: dict[str, Any] = found if isinstance(found, dict) else {}
    for value in (alignment.get("detector"), (valid_framing(meta) or {}).get("detector"), meta.get("landmarks")):
        if isinstance(value, str) and value:
            return value
    return None


def describe(meta: dict[str, Any] | None) -> str:
    """One line: how this checkpoint's inputs are prepared (for the terminal)."""

    meta = meta if isinstance(meta, dict) else {}
    mask = meta.get("mask") if isinstance(meta.get("mask"), dict) else None
    kept = f"; only {', '.join(mask.get('keep', []))} kept ({mask.get('mode')})" if mask else ""
    if isinstance(meta.get("alignment"), dict):
        return f"faces aligned onto the template at {meta['alignment'].get('size')} px, as in training{kept}"
    if valid_framing(meta):
        return f"full frames cropped to the training framing where the face is smaller{kept}"
    return f"no training framing recorded; images used as they are{kept}"


def prepare(rgb: np.ndarray, face: Face | None, meta: dict[str, Any] | None) -> Prepared:
    """``rgb`` (with ``face``, found on it) as the checkpoint whose ``meta`` is given was trained on it."""

    meta = meta if isinstance(meta, dict) else {}
    if face is None or face.points68 is None:
        why = "faces not checked" if face is None else f"{face.detector} gave no dlib-68 points"
        return Prepared(rgb, None, "as-is", why)
    alignment = Alignment.from_record(meta.get("alignment"))
    if alignment is not None:
        img, pts = alignment.warp(rgb, face.points68)
        out = Prepared(img, pts, ALIGNED, f"face aligned onto the template at {alignment.size} px")
    else:
        img, how, why, (left, top) = framed(rgb, face, valid_framing(meta))
        out = Prepared(img, face.points68 - np.array([left, top], np.float32), how, why)
    return _masked(out, meta.get("mask"), alignment)


def _masked(p: Prepared, record: Any, alignment) -> Prepared:
    """``p`` with only the variant's kept areas, as its training images had them (no record: as is)."""
    if not isinstance(record, dict) or record.get("mode") not in ("blackout", "crop"):
        return p

    area_set = AreaSet.load(record["areas"])
    keep = list(record["keep"])
    if alignment is not None:
        masks = canonical_masks(alignment, area_set)
    elif p.points68 is not None:
        masks = area_set.masks(p.points68, p.image.shape)
    else:
        return p
    kept = area_set.union(masks, keep)
    if record["mode"] == "blackout":
        return Prepared(black_out(p.image, kept), p.points68, f"{p.how}, {MASKED}", f"{p.why}; kept {', '.join(keep)}")
    x0, y0, x1, y1 = roi_box(kept)
    img = crop_to_roi(p.image, kept, size=record.get("size"))
    scale = np.array([img.shape[1] / (x1 - x0), img.shape[0] / (y1 - y0)], np.float32)  # the box to the output
    pts = None if p.points68 is None else (p.points68 - np.array([x0, y0], np.float32)) * scale
    return Prepared(img, pts, f"{p.how}, {MASKED}", f"{p.why}; cropped to {', '.join(keep)}")
