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

from fastk.face.geometry import GRID, mask_features
from fastk.trust.audit_classifier import LEAK_AUC, feature_audit

#: The outline's numbers are computed where the masks are written (:mod:`fastk.face.geometry`); importable here too.
__all__ = ["GRID", "audit_masks", "leak_warning", "mask_features"]


def audit_masks(samples: Sequence[Any], features: np.ndarray, recipe=None, *, folds: int = 5) -> dict[str, Any]:
    """The leak: out-of-fold AUC of ``features`` (one :func:`fastk.face.geometry.mask_features` row per sample) for the
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
