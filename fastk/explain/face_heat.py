"""How much of a CAM map lies on the face: a shortcut check for every exploration.

Why: a model that separates attacks by what surrounds the face (a replay screen's bezel, the
background, the crop's border) explains itself with heat off the face, and every area ranking it
yields says nothing about faces. The share of the heat inside the face (the convex hull of the 68
landmarks: eyebrows to chin, ear to ear), next to the share of the pixels the face covers, says
whether the explanation is on the face at all: a map that ignores the face has a heat share well
below its pixel share. ``explore`` writes both per image (``face_heat_share``, ``face_pixel_share``)
and their means per group into ``area_importance.json`` (``on_face``); the report shows them per
attack type, for the run's model and (:func:`over_cells`) over the stability grid's seeds, CAM
methods and detectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fastk.explain.importance import as_float

COLUMNS = ("face_heat_share", "face_pixel_share")


def face_hull_mask(points68: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Boolean ``(H, W)`` mask of the convex hull of the landmarks."""
    import cv2

    mask = np.zeros(shape[:2], dtype=np.uint8)
    hull = cv2.convexHull(np.round(np.asarray(points68, dtype=np.float64)).astype(np.int32))
    cv2.fillConvexPoly(mask, hull, (1,))
    return mask.astype(bool)


def heat_on_face(heat: np.ndarray, points68: np.ndarray) -> dict[str, float | None]:
    """Share of the map's heat inside the face hull, and share of the pixels the hull covers (heat share
    None for an all-zero map: an empty cell in ``per_image.csv``, not the text "nan")."""
    face = face_hull_mask(points68, heat.shape)
    total = float(np.asarray(heat, dtype=np.float64).sum())
    return {
        "face_heat_share": round(float(heat[face].sum()) / total, 6) if total > 0 else None,
        "face_pixel_share": round(float(face.mean()), 6),
    }


def on_face(rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Mean heat and pixel shares over all rows, real faces, and each attack type (rows of
    ``per_image.csv``; rows without the columns, from an older exploration, are left out)."""
    groups: dict[str, list[dict[str, Any]]] = {"all": list(rows)}
    for r in rows:
        label = str(r.get("label"))
        name = "real" if label == "0" else f"spoof:{r.get('attack_type') or 'unknown'}" if label == "1" else "unlabelled"
        groups.setdefault(name, []).append(r)
    out = {}
    for name, members in groups.items():
        pairs = [(as_float(r.get(COLUMNS[0])), as_float(r.get(COLUMNS[1]))) for r in members]
        pairs = [p for p in pairs if np.isfinite(p[0]) and np.isfinite(p[1])]
        if pairs:
            heat, pixels = np.array(pairs).T
            out[name] = {"heat_share": float(heat.mean()), "pixel_share": float(pixels.mean()), "n": len(pairs)}
    return out


def ratio(group: dict[str, Any]) -> float | None:
    """Heat share over pixel share of one ``on_face`` group: 1 = heat spread evenly, above 1 = on the
    face; None when the group covers no pixels or its heat share is not finite."""
    pixels, heat = group.get("pixel_share"), group.get("heat_share")
    if not pixels or heat is None or not np.isfinite(heat):
        return None
    return float(heat) / float(pixels)


def cell_ratios(cell_dir: str | Path) -> dict[str, float]:
    """Each group's :func:`ratio` in one exploration folder's ``area_importance.json`` (empty when the
    file or its ``on_face`` is missing; groups without a ratio left out)."""
    import json

    path = Path(cell_dir) / "area_importance.json"
    groups = (json.loads(path.read_text()).get("on_face") or {}) if path.is_file() else {}
    return {name: r for name, g in groups.items() if (r := ratio(g)) is not None}


def over_cells(cells: Sequence[Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """Per CAM target and real/attack type, the heat-to-pixel ratio (heat share / pixel share) over the
    cells of a stability grid: median, range, and the median per CAM method.

    Why: one model's ratio is noise: on the demo, training seeds of one recipe differ by more than the
    effects looked for (docs/attacks.md); only the spread over seeds, methods and detectors says
    whether a recipe's explanations sit on the face. Cells without ``on_face`` (explored before it
    existed) and groups covering no pixels are left out; a group missing from some cells counts the
    cells it is in."""
    import statistics

    found: dict[str, dict[str, list[tuple[str, float]]]] = {}
    for cell in cells:
        for name, r in cell_ratios(cell.dir).items():
            found.setdefault(cell.target, {}).setdefault(name, []).append((cell.cam, r))
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for target, by_group in found.items():
        out[target] = {}
        for name, pairs in by_group.items():
            ratios = [r for _, r in pairs]
            cams = dict.fromkeys(c for c, _ in pairs)  # in the grid's order
            out[target][name] = {
                "median": statistics.median(ratios), "min": min(ratios), "max": max(ratios), "cells": len(ratios),
                "by_cam": {c: statistics.median([r for cc, r in pairs if cc == c]) for c in cams}}
    return out


def ratio_spread(folders: Sequence[str | Path]) -> dict[str, dict[str, Any]]:
    """Per real/attack type, the :func:`ratio` over exploration folders (e.g. the sanity check's
    random-weight draws): median, range and how many folders had the group.

    Why: the ratio is not zero-based: the CAM's grid, padding and where faces sit in the crop move it
    even for a model that learned nothing. The same architecture with random weights, explored on the
    same images, gives that baseline; only a trained ratio above it is the model's own look at the face.
    """
    import statistics

    found: dict[str, list[float]] = {}
    for folder in folders:
        for name, r in cell_ratios(folder).items():
            found.setdefault(name, []).append(r)
    return {name: {"median": statistics.median(v), "min": min(v), "max": max(v), "n": len(v)}
            for name, v in found.items()}
