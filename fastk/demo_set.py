"""The embedded demo set: real face photographs plus presentation attacks *simulated* from them.

Built from the shared real photos (``../shared/data/faces``: 212 photos of 103 consenting people,
CC BY 4.0; see :data:`fastk.faces.ATTRIBUTION`) and, where that set is absent, from the real faces
that installed packages ship. Each photo gives

* one **real** sample: a tight square face crop (box from the dlib landmarks), as FAS datasets ship;
* ``attacks_per_photo`` **simulated attack** samples (print, print with flattened features, screen
  replay; see :mod:`fastk.attacks`), made from the same crop, the attack type cycling per photo;

each with one lighting level (normal, high, low, or light from the image's right), drawn with a
seeded generator, then captured by a randomly drawn camera (:mod:`fastk.camera_model`: blur, noise,
Bayer demosaicing, white balance, tone, JPEG at a random quality), real and attack alike, so neither
re-encoding nor framing tells them apart. Every parameter drawn is recorded per image in the manifest's
``params`` column (JSON). Every sample keeps its subject id (splits must respect it), its source file
(every image is traceable to the real photograph it derives from) and the source's age, gender and
ethnicity.

``framing="tight"`` (default): the crop is the face, the replayed screen fills it (no bezel, no
background to learn). ``framing="context"``: a wider crop, and the replay screen sits inside the
scene with its bezel visible: the lesson of a shortcut that real face crops do not have.

**Planted-cue variant** (``planted=["right_cheek", "right_eye"]``): the attack artefacts are pasted
only inside the chosen face areas, the rest of the spoof image is the real crop. A correct pipeline
must then rank exactly those areas on top: the end-to-end check that exploration finds what is there.

In the planted variant all samples of one photo share one lighting and one camera (parameters, noise
and the exposure metered on the real frame), so real and spoof differ only inside the planted areas
(up to the blur and JPEG blocks at their edges), and the planted artefacts are coarse (halftone cells
of 3-4 px at the final size, a sharply resolved sub-pixel grid): a test of the explanation pipeline.

``disable`` names simulation steps to skip (attack steps of :data:`fastk.attacks.PRINT_STEPS` and
:data:`~fastk.attacks.REPLAY_STEPS`, camera steps of :data:`fastk.camera_model.CAMERA_STEPS`), for
``benchmarks/attack_ablation.py``. The set is deterministic for a given seed and cached under
``$FASTK_CACHE_DIR/demo/<settings hash>``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fastk.attacks import (
    ATTACK_TYPES,
    FRAMINGS,
    LIGHTINGS,
    PRINT_STEPS,
    REPLAY_STEPS,
    relight,
    simulate_attack,
)
from fastk.camera_model import CAMERA_STEPS, capture, draw_camera, encode_jpeg
from fastk.errors import ConfigError
from fastk.faces import ATTRIBUTION, package_faces, shared_faces_dir
from fastk.landmark_cache import default_cache_dir

VERSION = 4  # bump when the images a given setting produces change
WORK_SIDE = 256  # attacks and the camera are simulated at this crop size, then resized to ``side``
#: Margin around the landmarks' extent on each side (a share of it), per framing.
MARGINS = {"tight": 0.15, "context": 0.6}
STEPS = tuple(dict.fromkeys(PRINT_STEPS + REPLAY_STEPS + CAMERA_STEPS))
COLUMNS = ["path", "label", "subject", "attack_type", "lighting", "source_file", "collection", "expression", "age",
           "gender", "ethnicity", "simulated", "planted_areas", "framing", "params"]


def _sources() -> list[dict[str, Any]]:
    """Source photos with subject and demographic columns."""
    root = shared_faces_dir()
    if root is not None:
        with open(root / "manifest.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        return [{"file": root / r["file"], **{k: r.get(k, "") for k in ("subject", "collection", "expression", "age",
                                                                          "gender", "ethnicity")}} for r in rows]
    print("fastk: ../shared/data/faces not found; the demo set falls back to the 2 real faces shipped with "
          "scikit-image and matplotlib (too few subjects for a 6:2:2 split)", file=sys.stderr)
    folder = default_cache_dir() / "package-faces"
    folder.mkdir(parents=True, exist_ok=True)
    return [{"file": p, "subject": f"package_{p.stem}", "collection": "package", "expression": "", "age": "",
             "gender": "", "ethnicity": ""} for p in package_faces(folder)]


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


def settings_key(**settings: Any) -> str:
    blob = json.dumps({"version": VERSION, **settings}, sort_keys=True, default=str)
    return hashlib.sha1(blob.encode()).hexdigest()[:12]


def build_demo_set(
    out_dir: str | Path | None = None,
    *,
    side: int = 128,
    attacks: Sequence[str] = ATTACK_TYPES,
    attacks_per_photo: int = 1,
    lightings: Sequence[str] = LIGHTINGS,
    planted: Sequence[str] | None = None,
    max_subjects: int | None = None,
    seed: int = 0,
    framing: str = "tight",
    disable: Sequence[str] = (),
    show_progress: bool = False,
) -> Path:
    """Build (or reuse) the demo set; returns the folder holding ``manifest.csv``."""
    import cv2

    import fastk
    from fastk.areas import AreaSet
    from fastk.images import read_rgb
    from fastk.landmark_cache import LandmarkCache
    from fastk.progress import progress_bar

    bad = [a for a in attacks if a not in ATTACK_TYPES] + [x for x in lightings if x not in LIGHTINGS]
    if bad:
        raise ConfigError(f"demo set: unknown attack type or lighting {', '.join(bad)}; attacks: "
                          f"{', '.join(ATTACK_TYPES)}; lightings: {', '.join(LIGHTINGS)}")
    if framing not in FRAMINGS:
        raise ConfigError(f"demo set option 'framing': unknown value {framing!r}; known: {', '.join(FRAMINGS)}")
    unknown = [d for d in disable if d not in STEPS]
    if unknown:
        raise ConfigError(f"demo set option 'disable': unknown step {', '.join(unknown)}; known: {', '.join(STEPS)}")
    sources = _sources()
    shared = sources[0]["collection"] != "package"
    if max_subjects:
        keep = sorted({s["subject"] for s in sources})[:max_subjects]
        sources = [s for s in sources if s["subject"] in keep]
    settings = {"side": side, "attacks": list(attacks), "attacks_per_photo": attacks_per_photo,
                "lightings": list(lightings), "planted": sorted(planted) if planted else None,
                "max_subjects": max_subjects, "seed": seed, "shared": shared}
    if framing != "tight" or disable:  # absent keys keep the default set's cache key short and stable
        settings.update(framing=framing, disable=sorted(disable))
    out = Path(out_dir) if out_dir else default_cache_dir() / "demo" / settings_key(**settings)
    manifest = out / "manifest.csv"
    if manifest.exists():
        return out
    out.mkdir(parents=True, exist_ok=True)
    detector, cache = fastk.create("landmarks", "dlib"), LandmarkCache()
    areas = AreaSet.load("paper")
    if planted:
        for a in planted:
            areas[a]  # unknown area names fail here, with the list of known ones
    rng = np.random.default_rng(seed)
    rows = []
    with progress_bar(show_progress) as progress:
        task = progress.add_task(f"building demo set ({len(sources)} photos)", total=len(sources))
        for i, src in enumerate(sources):
            progress.advance(task)
            img = read_rgb(src["file"])
            face = cache.detect_file(detector, src["file"], img)
            if not face.ok:
                continue
            x0, y0, x1, y1 = face_crop_box(face.points68, img.shape, MARGINS[framing])
            crop = cv2.resize(img[y0:y1, x0:x1], (WORK_SIDE, WORK_SIDE), interpolation=cv2.INTER_AREA)
            crop = crop.astype(np.float32) / 255
            scale = WORK_SIDE / (x1 - x0)
            pts = (face.points68 - [x0, y0]) * [scale, WORK_SIDE / (y1 - y0)]
            stem = Path(src["file"]).stem
            base = {k: src[k] for k in ("subject", "collection", "expression", "age", "gender", "ethnicity")}
            base["source_file"] = str(Path(src["file"]).name)
            kinds = [("real", None)] + [("spoof", attacks[(i + k) % len(attacks)]) for k in range(attacks_per_photo)]
            photo_camera = draw_camera(np.random.default_rng(int(rng.integers(0, 2**31))))
            photo_lighting = lightings[int(rng.integers(0, len(lightings)))]
            meter = capture(relight(crop, photo_lighting), photo_camera, disable, return_meter=True)[1] if planted else None
            for _label, attack in kinds:
                sample_seed = int(rng.integers(0, 2**31))
                lighting = photo_lighting if planted else lightings[int(rng.integers(0, len(lightings)))]
                pic, attack_params = crop, {}
                if attack is not None:
                    pic, attack_params = simulate_attack(crop, attack, seed=sample_seed, points68=pts,
                                                         framing=framing, disable=disable,
                                                         overrides=_planted_overrides(sample_seed, side) if planted else None)
                    if planted:
                        pic = _paste_inside(crop, pic, areas.union(areas.masks(pts, crop.shape), list(planted)))
                # One camera, lighting and exposure per photo in the planted variant (real and spoof
                # differ only where planted).
                camera = photo_camera if planted else draw_camera(np.random.default_rng(sample_seed + 1))
                shot = capture(relight(pic, lighting), camera, disable, meter)
                small = cv2.resize(shot, (side, side), interpolation=cv2.INTER_AREA)
                folder = "real" if attack is None else f"spoof/{attack}"
                rel = f"{folder}/{stem}_{lighting}.jpg"
                (out / rel).parent.mkdir(parents=True, exist_ok=True)
                (out / rel).write_bytes(encode_jpeg(np.uint8(np.clip(small, 0, 1) * 255 + 0.5), camera, disable))
                params = {"seed": sample_seed, "lighting": lighting, "attack": attack_params, "camera": camera}
                rows.append({"path": rel, "label": 0 if attack is None else 1, "attack_type": attack or "none",
                             "lighting": lighting, "simulated": attack is not None,
                             "planted_areas": ",".join(planted) if (planted and attack) else "",
                             "framing": framing, "params": json.dumps(params, sort_keys=True), **base})
    with open(out / "manifest.tmp", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    (out / "README.txt").write_text(
        "fastk demo set: real face crops and presentation attacks SIMULATED from them "
        f"(fastk.attacks; settings {json.dumps(settings)}).\n{ATTRIBUTION}\n"
        "Studio photos make simulated attacks far easier to detect than real ones.\n")
    (out / "manifest.tmp").replace(manifest)  # written last: its presence means the set is complete
    return out


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


def read_manifest(root: Path) -> list[dict[str, str]]:
    with open(root / "manifest.csv", newline="") as f:
        return list(csv.DictReader(f))
