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
``benchmarks/attack_ablation.py``. Deterministic for a seed; cached in ``$FASTK_CACHE_DIR/demo/<hash>``.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fastk import defaults
from fastk.areas import AreaSet
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
from fastk.demo_set_key import settings_key
from fastk.errors import ConfigError
from fastk.faces import ATTRIBUTION, package_faces, shared_faces_dir
from fastk.landmark_cache import default_cache_dir

WORK_SIDE = 256  # attacks and the camera are simulated at this crop size, then resized to ``side``
#: Margin around the landmarks' extent on each side (a share of it), per framing.
MARGINS = {"tight": 0.15, "context": 0.6}
STEPS = tuple(dict.fromkeys(PRINT_STEPS + REPLAY_STEPS + CAMERA_STEPS))
COLUMNS = ["path", "label", "subject", "attack_type", "lighting", "source_file", "collection", "expression", "age",
           "gender", "ethnicity", "simulated", "planted_areas", "framing", "params"]


def _sources(max_subjects: int | None = None) -> list[dict[str, Any]]:
    """Source photos with subject and demographic columns (of the first ``max_subjects`` subjects)."""
    root = shared_faces_dir()
    if root is not None:
        with open(root / "manifest.csv", newline="") as f:
            sources = [{"file": root / r["file"], **{k: r.get(k, "") for k in ("subject", "collection", "expression",
                        "age", "gender", "ethnicity")}} for r in csv.DictReader(f)]
    else:
        print("fastk: ../shared/data/faces not found; the demo set falls back to the 2 real faces shipped with "
              "scikit-image and matplotlib (too few subjects for a 6:2:2 split)", file=sys.stderr)
        folder = default_cache_dir() / "package-faces"
        folder.mkdir(parents=True, exist_ok=True)
        sources = [{"file": p, "subject": f"package_{p.stem}", "collection": "package", "expression": "", "age": "",
                    "gender": "", "ethnicity": ""} for p in package_faces(folder)]
    keep = sorted({s["subject"] for s in sources})[:max_subjects] if max_subjects else None
    return [s for s in sources if keep is None or s["subject"] in keep]


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


@dataclass(frozen=True)
class _Recipe:
    """The options every sample of one build shares, passed around as one value."""

    side: int
    attacks: Sequence[str]
    attacks_per_photo: int
    lightings: Sequence[str]
    planted: Sequence[str] | None
    framing: str
    disable: Sequence[str]


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
    _check_options(attacks, lightings, framing, disable)
    recipe = _Recipe(side, attacks, attacks_per_photo, lightings, planted, framing, disable)
    sources = _sources(max_subjects)
    settings = _cache_settings(recipe, max_subjects, seed, shared=sources[0]["collection"] != "package")
    out = Path(out_dir) if out_dir else default_cache_dir() / "demo" / settings_key(**settings)
    if not (out / "manifest.csv").exists():
        from filelock import FileLock

        out.mkdir(parents=True, exist_ok=True)
        # One builder at a time (torchrun's ranks all ask for the set at once): the others wait, then reuse it.
        with FileLock(str(out.with_name(out.name + ".build.lock"))):
            if not (out / "manifest.csv").exists():
                _build(recipe, sources, out, seed, settings, show_progress)
    return out


def _build(recipe: _Recipe, sources, out: Path, seed: int, settings: dict, show_progress: bool) -> None:
    """Write every sample, then ``manifest.csv`` last (its presence means the set is complete)."""
    rows = _make_samples(recipe, sources, out, seed, show_progress)
    with open(out / "manifest.tmp", "w", newline="") as f:
        csv.DictWriter(f, fieldnames=COLUMNS).writeheader()
        csv.DictWriter(f, fieldnames=COLUMNS).writerows(rows)
    (out / "README.txt").write_text(
        f"fastk demo set: real face crops and presentation attacks SIMULATED from them (fastk.attacks; settings "
        f"{json.dumps(settings)}).\n{ATTRIBUTION}\nStudio photos make simulated attacks far easier to detect than real ones.\n")
    (out / "manifest.tmp").replace(out / "manifest.csv")  # written last: its presence means the set is complete


def _check_options(attacks: Sequence[str], lightings: Sequence[str], framing: str, disable: Sequence[str]) -> None:
    """Fail before any work, naming the known values, when an option names something that does not exist."""
    bad = [a for a in attacks if a not in ATTACK_TYPES] + [x for x in lightings if x not in LIGHTINGS]
    if bad:
        raise ConfigError(f"demo set: unknown attack type or lighting {', '.join(bad)}; attacks: "
                          f"{', '.join(ATTACK_TYPES)}; lightings: {', '.join(LIGHTINGS)}")
    if framing not in FRAMINGS:
        raise ConfigError(f"demo set option 'framing': unknown value {framing!r}; known: {', '.join(FRAMINGS)}")
    unknown = [d for d in disable if d not in STEPS]
    if unknown:
        raise ConfigError(f"demo set option 'disable': unknown step {', '.join(unknown)}; known: {', '.join(STEPS)}")


def _cache_settings(recipe: _Recipe, max_subjects: int | None, seed: int, shared: bool) -> dict[str, Any]:
    """Everything the images depend on: hashed into the cache folder's name and written to README.txt."""
    settings: dict[str, Any] = {
        "side": recipe.side, "attacks": list(recipe.attacks), "attacks_per_photo": recipe.attacks_per_photo,
        "lightings": list(recipe.lightings), "planted": sorted(recipe.planted) if recipe.planted else None,
        "max_subjects": max_subjects, "seed": seed, "shared": shared}
    if recipe.framing != "tight" or recipe.disable:  # absent keys keep the default set's cache key short and stable
        settings.update(framing=recipe.framing, disable=sorted(recipe.disable))
    return settings


def _make_samples(recipe: _Recipe, sources: list[dict[str, Any]], out: Path, seed: int,
                  show_progress: bool) -> list[dict[str, Any]]:
    """Write every photo's samples under ``out``; returns their manifest rows. One generator drives all
    draws, in photo order, so a seed gives the same set."""
    import fastk
    from fastk.images import read_rgb
    from fastk.landmark_cache import LandmarkCache
    from fastk.progress import progress_bar

    detector, cache = fastk.create("landmarks", defaults.LANDMARKS), LandmarkCache()
    areas = AreaSet.load(defaults.AREAS)
    for a in recipe.planted or ():
        areas[a]  # unknown area names fail here, with the list of known ones
    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []
    with progress_bar(show_progress) as progress:
        task = progress.add_task(f"building demo set ({len(sources)} photos)", total=len(sources))
        for i, src in enumerate(sources):
            progress.advance(task)
            img = read_rgb(src["file"])
            face = cache.detect_file(detector, src["file"], img)
            if face.ok and face.points68 is not None:  # dlib always gives its 68 points
                rows += _photo_samples(recipe, i, src, *_work_crop(img, face.points68, recipe.framing), areas, rng, out)
    return rows


def _work_crop(img: np.ndarray, points68: np.ndarray, framing: str) -> tuple[np.ndarray, np.ndarray]:
    """The face crop at ``WORK_SIDE`` px as floats in [0, 1], and the landmarks moved into it."""
    import cv2

    x0, y0, x1, y1 = face_crop_box(points68, img.shape, MARGINS[framing])
    crop = cv2.resize(img[y0:y1, x0:x1], (WORK_SIDE, WORK_SIDE), interpolation=cv2.INTER_AREA)
    pts = (points68 - [x0, y0]) * [WORK_SIDE / (x1 - x0), WORK_SIDE / (y1 - y0)]
    return crop.astype(np.float32) / 255, pts


@dataclass(frozen=True)
class _Photo:
    """One source photo as each sample made from it needs it."""

    crop: np.ndarray  # the face at WORK_SIDE px, floats in [0, 1]
    pts: np.ndarray  # its 68 landmarks in crop coordinates
    stem: str  # the source file's stem: names the sample files
    mask: np.ndarray | None  # planted variant: where the attack is pasted
    meter: dict[str, Any] | None  # planted variant: the exposure metered on the real frame


def _photo_samples(recipe: _Recipe, i: int, src: dict[str, Any], crop: np.ndarray, pts: np.ndarray, areas: AreaSet,
                   rng: np.random.Generator, out: Path) -> list[dict[str, Any]]:
    """One photo's real sample and its attacks (the type cycling with the photo's index ``i``)."""
    planted = recipe.planted
    base = {k: src[k] for k in ("subject", "collection", "expression", "age", "gender", "ethnicity")}
    base["source_file"] = str(Path(src["file"]).name)
    kinds = [None] + [recipe.attacks[(i + k) % len(recipe.attacks)] for k in range(recipe.attacks_per_photo)]
    photo_camera = draw_camera(np.random.default_rng(int(rng.integers(0, 2**31))))
    photo_lighting = recipe.lightings[int(rng.integers(0, len(recipe.lightings)))]
    meter = capture(relight(crop, photo_lighting), photo_camera, recipe.disable, return_meter=True)[1] if planted else None
    mask = areas.union(areas.masks(pts, crop.shape), list(planted)) if planted else None
    photo = _Photo(crop, pts, Path(src["file"]).stem, mask, meter)
    rows = []
    for attack in kinds:
        sample_seed = int(rng.integers(0, 2**31))
        lighting = photo_lighting if planted else recipe.lightings[int(rng.integers(0, len(recipe.lightings)))]
        # One camera, lighting and exposure per photo in the planted variant (real and spoof
        # differ only where planted).
        camera = photo_camera if planted else draw_camera(np.random.default_rng(sample_seed + 1))
        rel, attack_params = _write_sample(recipe, photo, out, attack, sample_seed, lighting, camera)
        params = {"seed": sample_seed, "lighting": lighting, "attack": attack_params, "camera": camera}
        rows.append({"path": rel, "label": 0 if attack is None else 1, "attack_type": attack or "none",
                     "lighting": lighting, "simulated": attack is not None,
                     "planted_areas": ",".join(planted) if (planted and attack) else "",
                     "framing": recipe.framing, "params": json.dumps(params, sort_keys=True), **base})
    return rows


def _write_sample(recipe: _Recipe, photo: _Photo, out: Path, attack: str | None, sample_seed: int, lighting: str,
                  camera: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Simulate, capture and write one sample (``attack`` None: the real one); returns its path, attack params."""
    import cv2

    attack_params: dict[str, Any] = {}
    pic = photo.crop
    if attack is not None:
        overrides = _planted_overrides(sample_seed, recipe.side) if recipe.planted else None
        pic, attack_params = simulate_attack(photo.crop, attack, seed=sample_seed, points68=photo.pts,
                                             framing=recipe.framing, disable=recipe.disable, overrides=overrides)
        if photo.mask is not None:
            pic = _paste_inside(photo.crop, pic, photo.mask)
    shot = capture(relight(pic, lighting), camera, recipe.disable, photo.meter)
    small = cv2.resize(shot, (recipe.side, recipe.side), interpolation=cv2.INTER_AREA)
    folder = "real" if attack is None else f"spoof/{attack}"
    rel = f"{folder}/{photo.stem}_{lighting}.jpg"
    (out / rel).parent.mkdir(parents=True, exist_ok=True)
    (out / rel).write_bytes(encode_jpeg((np.clip(small, 0, 1) * 255 + 0.5).astype(np.uint8), camera, recipe.disable))
    return rel, attack_params


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
