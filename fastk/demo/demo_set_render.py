"""One source photo's demo samples: the draws (made in photo order) apart from the rendering (any order).

Why two halves: one seeded generator drives every draw of the demo set, so the draws must be made
photo after photo; the rendering (attack simulation, camera, JPEG) only needs its photo's draws, so
worker threads can render several photos at once (:func:`fastk.common.threads.ordered_map`) and still write
exactly the images a serial build does. See :mod:`fastk.demo.demo_set` for what the samples are.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fastk.data.images import read_rgb
from fastk.demo.attacks import relight, simulate_attack
from fastk.demo.camera_model import capture, draw_camera, encode_jpeg
from fastk.face.areas import AreaSet

WORK_SIDE = 256  # the final crop's side at the resolution attacks and the camera are simulated at
#: Margin around the landmarks' extent on each side (a share of it), per framing.
MARGINS = {"tight": 0.15, "context": 0.6}
#: With tight framing the scene is simulated on a wider crop (this much more margin), so the final crop,
#: placed by the landmarks found on the captured image, has room to move: a print magnifies the face
#: inside the sheet. The context framing keeps its scene as drawn (its point is the replay's bezel).
EXTRA_MARGIN = {"tight": 0.35, "context": 0.0}


@dataclass(frozen=True)
class Recipe:
    """The options every sample of one build shares, passed around as one value."""

    side: int
    attacks: Sequence[str]
    attacks_per_photo: int
    lightings: Sequence[str]
    planted: Sequence[str] | None
    framing: str
    disable: Sequence[str]
    reals_per_photo: int = 1
    session: bool = False  # one camera and one lighting for all samples of a photo (see draw_photo)


@dataclass(frozen=True)
class SampleDraw:
    """What the generator decided for one sample: ``attack`` None is the photo's real sample."""

    attack: str | None
    seed: int
    lighting: str
    camera: dict[str, Any]


@dataclass(frozen=True)
class PhotoDraws:
    """One photo's draws: its source row and landmarks, the planted variant's shared camera, its samples."""

    src: dict[str, Any]
    points68: np.ndarray  # in the source photo's pixels
    camera: dict[str, Any]  # planted variant: every sample's camera (drawn, unused, otherwise)
    lighting: str  # planted variant: every sample's lighting
    samples: list[SampleDraw]


def draw_photo(recipe: Recipe, i: int, src: dict[str, Any], points68: np.ndarray,
               rng: np.random.Generator) -> PhotoDraws:
    """Photo ``i``'s draws from the build's generator (the attack type cycles with ``i``).

    ``recipe.session``: every sample of the photo is captured in one session, by one camera under one
    lighting (each with its own sensor noise), as FAS datasets record a subject's live and attack
    videos with one device in one room; a real face and its attacks then differ by the attack, not by
    the camera. The planted variant also shares the exposure metered on the real frame.
    """
    planted = recipe.planted
    shared = bool(planted) or recipe.session
    kinds = [None] * recipe.reals_per_photo + [recipe.attacks[(i + k) % len(recipe.attacks)]
                                               for k in range(recipe.attacks_per_photo)]
    photo_camera = draw_camera(np.random.default_rng(int(rng.integers(0, 2**31))))
    photo_lighting = recipe.lightings[int(rng.integers(0, len(recipe.lightings)))]
    samples = []
    for attack in kinds:
        seed = int(rng.integers(0, 2**31))
        lighting = photo_lighting if shared else recipe.lightings[int(rng.integers(0, len(recipe.lightings)))]
        if planted:  # real and spoof differ only where planted: one camera, its noise too
            camera = photo_camera
        elif shared:
            camera = {**photo_camera, "noise_seed": int(np.random.default_rng(seed + 1).integers(0, 2**31))}
        else:
            camera = draw_camera(np.random.default_rng(seed + 1))
        samples.append(SampleDraw(attack, seed, lighting, camera))
    return PhotoDraws(src, points68, photo_camera, photo_lighting, samples)


def face_crop_box(points68: np.ndarray, shape: tuple[int, ...], margin: float = 0.3) -> tuple[int, int, int, int]:
    """A square box around the landmarks, ``margin`` of their extent added on each side, inside the image."""
    x0, y0 = points68.min(axis=0)
    x1, y1 = points68.max(axis=0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2 - 0.1 * (y1 - y0)  # a little more forehead than neck
    half = max(x1 - x0, y1 - y0) * (0.5 + margin)
    h, w = shape[:2]
    half = min(half, cx, cy, w - cx, h - cy) if min(cx, cy, w - cx, h - cy) > 0.3 * half else half
    box = [round(cx - half), round(cy - half), round(cx + half), round(cy + half)]
    return max(0, box[0]), max(0, box[1]), min(w, box[2]), min(h, box[3])


def work_side(framing: str) -> int:
    """Side of the simulated scene: the wide crop at the scale that makes the final crop ``WORK_SIDE``."""
    m = MARGINS[framing]
    return int(round(WORK_SIDE * (0.5 + m + EXTRA_MARGIN[framing]) / (0.5 + m) / 2)) * 2


def work_crop(img: np.ndarray, points68: np.ndarray, framing: str) -> tuple[np.ndarray, np.ndarray]:
    """The scene crop (:data:`EXTRA_MARGIN` beyond the framing's) as floats in [0, 1], and the landmarks
    moved into it."""
    import cv2

    side = work_side(framing)
    x0, y0, x1, y1 = face_crop_box(points68, img.shape, MARGINS[framing] + EXTRA_MARGIN[framing])
    crop = cv2.resize(img[y0:y1, x0:x1], (side, side), interpolation=cv2.INTER_AREA)
    pts = (points68 - [x0, y0]) * [side / (x1 - x0), side / (y1 - y0)]
    return crop.astype(np.float32) / 255, pts


def frame_capture(shot: np.ndarray, fallback_pts: np.ndarray, framing: str,
                  detector) -> tuple[tuple[int, int, int, int], str]:
    """Where to crop a captured scene: the framing's box around the landmarks ``detector`` finds on the
    capture itself, as a detector-based crop of a real capture is made. Why: boxes placed from the
    source photo's landmarks left the face larger in prints (the sheet is sampled inside its curve and
    slant), so face size and place told the label (issue 26). ``(box, how)``; with no face found on
    the capture the source landmarks place the box, and ``how`` says so. The context framing keeps the
    whole scene (the bezel around a replayed screen is what it shows)."""
    if not EXTRA_MARGIN[framing]:
        return (0, 0, shot.shape[1], shot.shape[0]), "the whole scene (context framing)"
    face = detector.detect((np.clip(shot, 0, 1) * 255 + 0.5).astype(np.uint8))
    if face.ok and face.points68 is not None:
        return face_crop_box(face.points68, shot.shape, MARGINS[framing]), "detected"
    return face_crop_box(fallback_pts, shot.shape, MARGINS[framing]), "source landmarks (no face found)"


@dataclass(frozen=True)
class _Photo:
    """One source photo as each sample made from it needs it."""

    crop: np.ndarray  # the wide scene crop (work_side px), floats in [0, 1]
    pts: np.ndarray  # its 68 landmarks in crop coordinates
    stem: str  # the source file's stem: names the sample files
    mask: np.ndarray | None  # planted variant: where the attack is pasted
    meter: dict[str, Any] | None  # planted variant: the exposure metered on the real frame


def render_photo(recipe: Recipe, draws: PhotoDraws, areas: AreaSet, out: Path, detector) -> list[dict[str, Any]]:
    """Write one photo's real sample and its attacks under ``out``; returns their manifest rows.
    ``detector`` finds the face on each capture, which places its crop (:func:`frame_capture`)."""

    planted, src = recipe.planted, draws.src
    crop, pts = work_crop(read_rgb(src["file"]), draws.points68, recipe.framing)
    meter = capture(relight(crop, draws.lighting), draws.camera, recipe.disable, return_meter=True)[1] if planted else None
    mask = areas.union(areas.masks(pts, crop.shape), list(planted)) if planted else None
    photo = _Photo(crop, pts, Path(src["file"]).stem, mask, meter)
    base = {k: src[k] for k in ("subject", "collection", "expression", "age", "gender", "ethnicity")}
    base["source_file"] = str(Path(src["file"]).name)
    rows, box = [], None
    for n, d in enumerate(draws.samples):
        # planted variant: every sample of the photo in the real capture's box, so they differ only where planted
        rel, attack_params, box, how = _write_sample(recipe, photo, out, d, n, detector, box if planted else None)
        params = {"seed": d.seed, "lighting": d.lighting, "attack": attack_params, "camera": d.camera,
                  "crop_box": list(box), "framed_by": how}
        rows.append({"path": rel, "label": 0 if d.attack is None else 1, "attack_type": d.attack or "none",
                     "lighting": d.lighting, "simulated": d.attack is not None,
                     "planted_areas": ",".join(planted) if (planted and d.attack) else "",
                     "framing": recipe.framing, "params": json.dumps(params, sort_keys=True), **base})
    return rows


def _write_sample(recipe: Recipe, photo: _Photo, out: Path, d: SampleDraw, n: int, detector,
                  box: tuple[int, int, int, int] | None) -> tuple[str, dict[str, Any], tuple[int, int, int, int], str]:
    """Simulate, capture, frame (in ``box``, or one found on the capture) and write sample ``n`` of a
    photo; returns its path, the attack's parameters, the crop box and how it was placed."""
    import cv2

    attack_params: dict[str, Any] = {}
    pic = photo.crop
    if d.attack is not None:
        overrides = _planted_overrides(d.seed, recipe.side) if recipe.planted else None
        pic, attack_params = simulate_attack(photo.crop, d.attack, seed=d.seed, points68=photo.pts,
                                             framing=recipe.framing, disable=recipe.disable, overrides=overrides)
        if photo.mask is not None:
            pic = _paste_inside(photo.crop, pic, photo.mask)
    shot = capture(relight(pic, d.lighting), d.camera, recipe.disable, photo.meter)
    how = "the real capture's box"
    if box is None:
        box, how = frame_capture(shot, photo.pts, recipe.framing, detector)
    x0, y0, x1, y1 = box
    small = cv2.resize(shot[y0:y1, x0:x1], (recipe.side, recipe.side), interpolation=cv2.INTER_AREA)
    folder = "real" if d.attack is None else f"spoof/{d.attack}"
    several = recipe.reals_per_photo > 1 or recipe.attacks_per_photo > len(recipe.attacks)
    rel = f"{folder}/{photo.stem}_{d.lighting}{f'_{n}' if several else ''}.jpg"  # _n: no two renders share a name
    (out / rel).parent.mkdir(parents=True, exist_ok=True)
    (out / rel).write_bytes(encode_jpeg((np.clip(small, 0, 1) * 255 + 0.5).astype(np.uint8), d.camera, recipe.disable))
    return rel, attack_params, box, how


def _planted_overrides(seed: int, side: int) -> dict[str, float]:
    """Coarse artefacts for the planted check: halftone cells of 3-4 px and a sharply resolved
    sub-pixel grid at the FINAL size, so the cue survives the downscale. The planted variant tests the
    explanation pipeline (does it find what is there), not realism."""
    rng = np.random.default_rng(seed + 2)
    return {"period_px": float(rng.uniform(3.0, 4.0)) * WORK_SIDE / side, "lens_blur": 0.2, "ink_spread": 0.3,
            "pitch": float(rng.uniform(1.15, 1.35)), "grid_angle": float(rng.uniform(-6, 6))}


def _paste_inside(real: np.ndarray, attack: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The attack's pixels inside ``mask`` (feathered by 2 px), the real crop elsewhere (floats)."""
    import cv2

    alpha = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 2.0)[..., None]
    return (real * (1 - alpha) + attack * alpha).astype(np.float32)
