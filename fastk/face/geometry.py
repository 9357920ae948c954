"""Where a face and its mask sit in an image, as numbers a plain classifier can read.

Why here, below the audits that read them: the shortcut audit (:mod:`fastk.trust.shortcut_audit`) asks
whether face geometry alone tells real from attack, and the mask audit (:mod:`fastk.trust.mask_audit`)
whether a masked variant's outline does; the masked dataset's writer computes the outline's numbers
for each image as it writes it.
"""

from __future__ import annotations

import numpy as np

from fastk.face.masking import roi_box

GEOMETRY = ("face_width", "face_height", "centre_x", "centre_y", "inter_ocular", "eye_angle")
GRID = 32  # the binary mask's side in the mask audit's features


def geometry(points68: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Where and how large the face is, as shares of the image (:data:`GEOMETRY`): the landmarks' box
    width, height and centre, the eye centres' distance, and the eye line's angle in degrees."""
    h, w = shape[:2]
    pts = np.asarray(points68, dtype=np.float64)
    (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    left, right = pts[36:42].mean(axis=0), pts[42:48].mean(axis=0)
    dx, dy = right - left
    return np.array([(x1 - x0) / w, (y1 - y0) / h, (x0 + x1) / 2 / w, (y0 + y1) / 2 / h,
                     np.hypot(dx, dy) / w, np.degrees(np.arctan2(dy, dx))])


def mask_features(keep: np.ndarray, points68: np.ndarray, shape: tuple[int, ...], *, crop: bool = False) -> np.ndarray:
    """What the outline tells: the mask as written at 32x32 (the box's content for a crop), the kept
    share, the kept box (left, top, right, bottom, width, height as shares of the image) and the face's
    geometry (:func:`geometry`)."""
    import cv2

    h, w = keep.shape
    x0, y0, x1, y1 = roi_box(keep, margin=0.0) if keep.any() else (0, 0, w, h)
    shown = keep[y0:y1, x0:x1] if crop else keep
    small = cv2.resize(shown.astype(np.float32), (GRID, GRID), interpolation=cv2.INTER_AREA).ravel()
    box = [x0 / w, y0 / h, x1 / w, y1 / h, (x1 - x0) / w, (y1 - y0) / h]
    return np.concatenate([small, [keep.mean()], box, geometry(points68, shape)]).astype(np.float64)
