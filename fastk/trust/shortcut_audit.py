"""Shortcut audit: can image statistics or face geometry alone tell real photos from attacks?

``fastk run`` audits every labelled dataset in its data step (``report.json``'s ``dataset.shortcut_audit``,
a warning when a score is above 0.6), so whatever a model reaches on the data sits beside what no
face pixel was needed for.

Why: a simulator that leaves a trace outside the face (attacks re-encoded at another JPEG quality,
another size, a colour cast, larger files) hands the model a shortcut that no real attack has, and
the explanations then rank that trace. So does one that frames attacks differently: a print that
magnifies the face inside the crop makes face size and place a label (issue 26), which a masked
variant's outline then carries. The audit reads only such statistics from each file and trains a
plain classifier on them, split by subject (:mod:`fastk.trust.audit_classifier`); an AUC near 0.5 says they
carry no label, an AUC near 1 names a shortcut (the demo set's tests ask for <= 0.6).

Features per file: the JPEG quantisation tables as stored (PIL's ``quantization``; zeros for files
without them), width, height, file size, and a global colour histogram (8 bins per channel, shares);
with a landmark detector also the face's geometry in the image (:func:`fastk.face.geometry.geometry`: box size and
centre, inter-ocular distance, eye-line angle). Images where the detector finds no face are left out
of the geometry audit (a detector-based pipeline drops them too) and counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fastk.data.images import read_rgb
from fastk.face.geometry import GEOMETRY, geometry
from fastk.face.landmark_cache import LandmarkCache
from fastk.trust.audit_classifier import LEAK_AUC, feature_audit

BINS = 8
TABLE_SIZE = 64


def image_statistics(path: str | Path) -> np.ndarray:
    """The audit's file-statistics vector of one image file (see :func:`feature_names`)."""
    from PIL import Image

    p = Path(path)
    if not p.is_file():  # a video frame's path (fastk.data.video_frames): its pixels, no file of its own
        rgb = read_rgb(p)
        hist = [np.histogram(rgb[..., c], bins=BINS, range=(0, 256))[0] / rgb[..., c].size for c in range(3)]
        return np.concatenate([np.zeros(2 * TABLE_SIZE), [rgb.shape[1], rgb.shape[0], 0], *hist]).astype(np.float64)
    with Image.open(p) as im:
        tables = getattr(im, "quantization", None) or {}
        q = np.zeros(2 * TABLE_SIZE, np.float32)
        for i in (0, 1):
            if i in tables:
                q[i * TABLE_SIZE:(i + 1) * TABLE_SIZE] = np.asarray(tables[i], np.float32)[:TABLE_SIZE]
        rgb = np.asarray(im.convert("RGB"))
        w, h = im.size
    return np.concatenate([q, [w, h, p.stat().st_size], _histogram(rgb)])


def _histogram(rgb: np.ndarray) -> np.ndarray:
    """Shares of each channel's values in :data:`BINS` bins."""
    return np.concatenate([np.histogram(rgb[..., c], bins=BINS, range=(0, 256))[0] / rgb[..., c].size
                           for c in range(3)]).astype(np.float64)


def feature_names() -> list[str]:
    return ([f"q_luma_{i}" for i in range(TABLE_SIZE)] + [f"q_chroma_{i}" for i in range(TABLE_SIZE)]
            + ["width", "height", "file_size"] + [f"hist_{c}{b}" for c in "rgb" for b in range(BINS)])


def audit_features(paths: Sequence[str | Path]) -> np.ndarray:
    """One row of :func:`image_statistics` per file."""
    return np.stack([image_statistics(p) for p in paths])


def geometry_features(samples: Sequence[Any], detector, cache=None) -> tuple[np.ndarray, np.ndarray]:
    """``(rows of :func:`geometry`, found)``: NaN rows where ``detector`` finds no face (``found`` False)."""

    cache = cache or LandmarkCache()
    rows, found = [], []
    for s, face in zip(samples, cache.detect_each(detector, [s.path for s in samples])):
        ok = getattr(face, "ok", False) and face.points68 is not None
        rows.append(geometry(face.points68, read_rgb(s.path).shape) if ok else np.full(len(GEOMETRY), np.nan))
        found.append(ok)
    return np.array(rows).reshape(len(rows), len(GEOMETRY)), np.array(found, dtype=bool)


def shortcut_audit(samples: Sequence[Any], *, detector=None, cache=None, folds: int = 5) -> dict[str, Any]:
    """Audit a dataset's samples (real = label 0, attack = 1): the out-of-fold AUC of file statistics
    alone (``auc``, with ``ci`` and ``by_attack_type``) and, with a landmark ``detector``, of face
    geometry alone (``geometry``) and of both together (``combined``) on the images with a face."""
    rows = [s for s in samples if s.label in (0, 1)]
    y = np.array([s.label for s in rows])
    groups = [s.subject or str(s.path) for s in rows]
    kinds = [s.attack_type or "attack" for s in rows]
    stats = audit_features([s.path for s in rows])
    out: dict[str, Any] = {**feature_audit(stats, y, groups, kinds, folds=folds), "features": feature_names()}
    if detector is None:
        return out
    geo, found = geometry_features(rows, detector, cache)
    pick = np.flatnonzero(found)
    sub = ([groups[i] for i in pick], [kinds[i] for i in pick])
    out["geometry"] = {**feature_audit(geo[pick], y[pick], sub[0], sub[1], folds=folds),
                       "features": list(GEOMETRY), "detector": detector.name, "no_face": int((~found).sum())}
    out["combined"] = feature_audit(np.hstack([stats[pick], geo[pick]]), y[pick], sub[0], sub[1], folds=folds)
    return out


#: The audits that :func:`shortcut_audit` returns, in the order they are reported.
PARTS = {"file statistics": None, "face geometry": "geometry", "both": "combined"}
#: How a warning names each part.
SAID = {"file statistics": "the files' statistics", "face geometry": "the face's size and place",
        "both": "the files' statistics and the face's size and place together"}


def summary(audit: dict[str, Any]) -> dict[str, Any]:
    """The audit without its feature lists, as ``report.json`` keeps it: per part the AUC, its interval,
    per attack type, and whether it leaks."""
    out = {}
    for label, key in PARTS.items():
        part = audit if key is None else audit.get(key)
        if not part:
            continue
        out[label] = {"auc": part["auc"], "ci": part["ci"], "leak": part["leak"],
                      "by_attack_type": {k: v["auc"] for k, v in part.get("by_attack_type", {}).items()},
                      **({"no_face": part["no_face"], "detector": part["detector"]} if "no_face" in part else {})}
    return out


def shortcut_warnings(parts: dict[str, Any] | None) -> list[str]:
    """One line per part of a :func:`summary` whose AUC is above :data:`LEAK_AUC`."""
    lines = []
    for label, part in (parts or {}).items():
        if part.get("leak"):
            lo, hi = part["ci"]
            worst = max(part["by_attack_type"].items(), key=lambda kv: kv[1], default=None)
            lines.append(f"data: {SAID.get(label, label)} (no model, no face texture) tell real from attack with AUC "
                         f"{part['auc']:.3f} (95% CI {lo:.3f}-{hi:.3f}), above {LEAK_AUC}"
                         + (f"; most for {worst[0]} ({worst[1]:.3f})" if worst else "")
                         + ": part of any model's accuracy on this data can come from them")
    return lines
