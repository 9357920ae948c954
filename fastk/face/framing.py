"""Framing: show a model faces framed the way its training images framed them.

Why: every backbone squashes its input to a fixed square. A model trained on tight face crops
(where the face box fills most of the image) that is then shown a full-frame phone photo (a small
face in a large scene) sees a face a fraction of the size it learnt on, plus background it never
saw. Reported in issue 14 on real phone captures: AUC 0.71 on raw frames against 0.79 on face crops.

So training records, in the checkpoint's ``meta["framing"]`` (written by
:func:`fastk.model.checkpoints.record_framing`), where the detected face box sits in the training
images (median width and height of the box as a share of the image's, and the box centre), and
prediction crops an image whose face is clearly smaller than that (by more than :data:`TOLERANCE`) to
a window that puts the face box at the same relative size and place. An image framed like the
training images, or with a larger face, is used as it is. Nothing is padded: a window that would
leave the image is shifted inside it, or cut to it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fastk.data.images import read_rgb
from fastk.errors import ImageReadError
from fastk.face.landmarks import Face

#: A face box this many times smaller (geometric mean over width and height) than in training is cropped.
TOLERANCE = 1.3
CROPPED, AS_IS = "cropped", "as-is"
KEYS = ("face_width", "face_height", "centre_x", "centre_y")


def face_geometry(face: Face, shape: tuple[int, ...]) -> dict[str, float]:
    """The face box as shares of the image: width, height, and the centre's x and y."""
    h, w = shape[:2]
    x0, y0, x1, y1 = face.box
    return {"face_width": (x1 - x0) / w, "face_height": (y1 - y0) / h,
            "centre_x": (x0 + x1) / 2 / w, "centre_y": (y0 + y1) / 2 / h}


def framing_stats(samples, detector, cache) -> dict[str, Any]:
    """How the training images frame their faces: what ``fastk train`` stores as ``meta["framing"]``.

    Medians over the samples in which ``detector`` finds a face (through ``cache``, a
    :class:`fastk.face.landmark_cache.LandmarkCache`); ``{}`` when it finds none. Cached detections make
    this cheap after the face check; each image is decoded once more for its upright size.
    """

    rows = []
    for s in samples:
        try:
            face = cache.detect_file(detector, s.path)
            if face.ok:
                rows.append(face_geometry(face, read_rgb(s.path).shape))
        except ImageReadError:
            continue
    if not rows:
        return {}
    stats: dict[str, Any] = {k: round(float(np.median([r[k] for r in rows])), 4) for k in KEYS}
    widths = np.array([r["face_width"] for r in rows])
    stats.update({"face_width_p10": round(float(np.percentile(widths, 10)), 4),
                  "face_width_p90": round(float(np.percentile(widths, 90)), 4),
                  "images": len(rows), "detector": detector.name, "tolerance": TOLERANCE})
    return stats


def valid_framing(meta: dict[str, Any]) -> dict[str, Any] | None:
    """The checkpoint's framing record, or ``None`` when it has none (or one fastk cannot use)."""
    f = meta.get("framing") if isinstance(meta, dict) else None
    if not isinstance(f, dict):
        return None
    try:
        ok = all(0 < float(f[k]) <= 1.5 for k in ("face_width", "face_height")) and all(
            -0.5 <= float(f[k]) <= 1.5 for k in ("centre_x", "centre_y"))
    except (KeyError, TypeError, ValueError):
        return None
    return f if ok else None


def frame(rgb: np.ndarray, face: Face | None, framing: dict[str, Any] | None) -> tuple[np.ndarray, str, str]:
    """``(image, "cropped" | "as-is", why)``: ``rgb`` cropped to the training framing when it differs.

    ``framing`` is a checkpoint's ``meta["framing"]`` (see :func:`framing_stats`); with none, or no
    face, the image is used as it is and ``why`` says so.
    """
    return framed(rgb, face, framing)[:3]


def framed(rgb: np.ndarray, face: Face | None, framing: dict[str, Any] | None
           ) -> tuple[np.ndarray, str, str, tuple[int, int]]:
    """:func:`frame`, and the window's top-left corner in ``rgb`` (to move landmarks into the crop)."""
    if face is None:
        return rgb, AS_IS, "faces not checked", (0, 0)
    if framing is None:
        return rgb, AS_IS, "the checkpoint records no training framing", (0, 0)
    smaller = smaller_than_training(face, rgb.shape, framing)
    tol = float(framing.get("tolerance", TOLERANCE))
    if smaller <= tol:
        if smaller < 1 / tol:
            return rgb, AS_IS, f"face {1 / smaller:.1f}x larger than in training; used as is", (0, 0)
        return rgb, AS_IS, "framed like the training images", (0, 0)
    left, top, right, bottom = crop_window(face, rgb.shape, framing)
    return (np.ascontiguousarray(rgb[top:bottom, left:right]), CROPPED,
            f"face {smaller:.1f}x smaller than in training; cropped to {right - left}x{bottom - top} px", (left, top))


def smaller_than_training(face: Face, shape: tuple[int, ...], framing: dict[str, Any]) -> float:
    """How many times smaller the face box is than in training (geometric mean of width and height)."""
    g = face_geometry(face, shape)
    return float(np.sqrt(framing["face_width"] / max(g["face_width"], 1e-6)
                         * framing["face_height"] / max(g["face_height"], 1e-6)))


def crop_window(face: Face, shape: tuple[int, ...], framing: dict[str, Any]) -> tuple[int, int, int, int]:
    """``(left, top, right, bottom)``: the window that frames ``face`` as the training images did."""
    h, w = shape[:2]
    x0, y0, x1, y1 = face.box
    win_w = (x1 - x0) / framing["face_width"]
    win_h = (y1 - y0) / framing["face_height"]
    left = _place((x0 + x1) / 2 - framing["centre_x"] * win_w, win_w, w)
    top = _place((y0 + y1) / 2 - framing["centre_y"] * win_h, win_h, h)
    return left, top, min(w, left + max(1, round(win_w))), min(h, top + max(1, round(win_h)))


def _place(start: float, size: float, limit: int) -> int:
    """The window's first pixel, shifted so the window stays inside ``[0, limit)`` where it fits."""
    if size >= limit:
        return 0
    # rounded, the window (at least one pixel) must still fit: a 0.3 px window at 7.7 would round to 8
    return int(min(round(min(max(start, 0.0), limit - size)), limit - max(1, round(size))))
