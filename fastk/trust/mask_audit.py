"""The mask audit: does a masked variant's mask alone tell real from attack, and does its model read it?

Why: the paper's headline comparison retrains on the selected areas only. When each image is masked
with its own landmarks, the outline of the kept areas (their share of the image, their box, the
face's size and place) is a feature in itself: on the demo a logistic regression on the binary mask
alone, every face pixel thrown away, separated real from attack with AUC 0.95-0.98 (issue 26), and the
retrained models' accuracy was largely that outline. Two measurements, on every variant:

* **leak** (:func:`audit_masks`): the out-of-fold AUC of a plain classifier on the masks alone (the
  binary mask at 32x32 and its geometry), folds by subject, with a bootstrap interval and per attack
  type (:mod:`fastk.trust.audit_classifier`). Above 0.6 the outline carries the label.
* **use** (:func:`swap_test`): the retrained model scored on its test images with the masks swapped
  between images of opposite labels, of the same label, and with one fixed mask. If the opposite-label
  swap costs more AUC than the same-label swap (beyond the paired bootstrap's interval), the model
  reads the outline. Whether a leak is used depends on the data (on real recaptures a 0.75 leak was not
  used), so both are measured, every run.

With the ``aligned`` framing every image of a variant carries the very same mask: the leak is 0.5 by
construction (the audit says so, measured) and a swap changes no pixel.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fastk.trust.audit_classifier import LEAK_AUC, feature_audit

GRID = 32  # the binary mask's side in the audit's features


def mask_features(keep: np.ndarray, points68: np.ndarray, shape: tuple[int, ...], *, crop: bool = False) -> np.ndarray:
    """What the outline tells: the mask as written at 32x32 (the box's content for a crop), the kept
    share, the kept box (left, top, right, bottom, width, height as shares of the image) and the face's
    geometry (:func:`fastk.demo.shortcut_audit.geometry`)."""
    import cv2

    from fastk.demo.shortcut_audit import geometry
    from fastk.face.masking import roi_box

    h, w = keep.shape
    x0, y0, x1, y1 = roi_box(keep, margin=0.0) if keep.any() else (0, 0, w, h)
    shown = keep[y0:y1, x0:x1] if crop else keep
    small = cv2.resize(shown.astype(np.float32), (GRID, GRID), interpolation=cv2.INTER_AREA).ravel()
    box = [x0 / w, y0 / h, x1 / w, y1 / h, (x1 - x0) / w, (y1 - y0) / h]
    return np.concatenate([small, [keep.mean()], box, geometry(points68, shape)]).astype(np.float64)


def audit_masks(samples: Sequence[Any], features: np.ndarray, recipe=None, *, folds: int = 5) -> dict[str, Any]:
    """The leak: out-of-fold AUC of ``features`` (one :func:`mask_features` row per sample) for the
    samples' labels, folds by subject; ``{"applies": False, "why"}`` without labels of both classes."""
    y = np.array([getattr(s, "label", -1) for s in samples])
    rows = np.flatnonzero(np.isin(y, (0, 1)))
    if len(rows) == 0 or len(set(y[rows])) < 2:
        return {"applies": False, "why": "the masked images do not hold labelled real and attack images"}
    groups = [getattr(samples[i], "subject", None) or str(samples[i].path) for i in rows]
    kinds = [getattr(samples[i], "attack_type", None) or "attack" for i in rows]
    result = feature_audit(features[rows], y[rows], groups, kinds, folds=folds)
    same = bool(np.ptp(features[rows], axis=0).max(initial=0.0) == 0)
    return {"applies": True, "framing": getattr(recipe, "framing", None), "identical_masks": same,
            "features": f"binary mask at {GRID}x{GRID}, kept share, kept box, face box, inter-ocular distance, eye angle",
            **result}


def leak_warning(name: str, audit: dict[str, Any] | None) -> str | None:
    """One line when a variant's masks alone tell the label (AUC above :data:`LEAK_AUC`), else None."""
    if not audit or not audit.get("applies") or not audit.get("leak"):
        return None
    lo, hi = audit["ci"]
    return (f"variant {name!r}: the masks alone (no face pixel) tell real from attack with AUC {audit['auc']:.3f} "
            f"(95% CI {lo:.3f}-{hi:.3f}), above {LEAK_AUC}: its accuracy can be the mask's outline, not the areas' "
            f"content. Use `masking: aligned` (one mask for every image) to compare face content.")
