"""The embedded demo set: real face photographs plus presentation attacks *simulated* from them.

Built from the shared real photos (``../shared/data/faces``: 212 photos of 103 consenting people,
CC BY 4.0; see :data:`fastk.data.faces.ATTRIBUTION`) and, where that set is absent, from the real faces
that installed packages ship. Each photo gives

* one **real** sample: a tight square face crop (box from the dlib landmarks), as FAS datasets ship;
* ``reals_per_photo`` real samples when above 1: the same crop re-captured under other draws of
  lighting and camera (so the real class grows with the attacks and stays balanced);
* ``attacks_per_photo`` **simulated attack** samples (print, print with flattened features, screen
  replay; see :mod:`fastk.demo.attacks`), made from the same crop, the attack type cycling per photo;

each with one lighting level (normal, high, low, or light from the image's right), drawn with a
seeded generator (with ``session``, one lighting and one camera for all samples of a photo, as a
dataset's capture session), then captured by a randomly drawn camera (:mod:`fastk.demo.camera_model`: blur, noise,
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

``disable`` names simulation steps to skip (attack steps of :data:`fastk.demo.attacks.PRINT_STEPS` and
:data:`~fastk.demo.attacks.REPLAY_STEPS`, camera steps of :data:`fastk.demo.camera_model.CAMERA_STEPS`), for
``benchmarks/attack_ablation.py``. Deterministic for a seed; cached in ``$FASTK_CACHE_DIR/demo/<hash>``.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fastk import defaults
from fastk.common.progress import progress_bar
from fastk.common.threads import ordered_map
from fastk.data.faces import ATTRIBUTION, package_faces, shared_faces_dir
from fastk.demo.attacks import ATTACK_TYPES, FRAMINGS, LIGHTINGS, PRINT_STEPS, REPLAY_STEPS
from fastk.demo.camera_model import CAMERA_STEPS
from fastk.demo.demo_set_key import settings_key
from fastk.demo.demo_set_render import Recipe, draw_photo, render_photo
from fastk.errors import ConfigError
from fastk.face.areas import AreaSet
from fastk.face.landmark_cache import LandmarkCache, default_cache_dir
from fastk.plugin.plugins import create

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


def build_demo_set(
    out_dir: str | Path | None = None,
    *,
    side: int = 128,
    attacks: Sequence[str] = ATTACK_TYPES,
    attacks_per_photo: int = 1,
    reals_per_photo: int = 1,
    session: bool = False,
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
    recipe = Recipe(side, attacks, attacks_per_photo, lightings, planted, framing, disable, reals_per_photo, session)
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


def _build(recipe: Recipe, sources, out: Path, seed: int, settings: dict, show_progress: bool) -> None:
    """Write every sample, then ``manifest.csv`` last (its presence means the set is complete)."""
    rows = _make_samples(recipe, sources, out, seed, show_progress)
    with open(out / "manifest.tmp", "w", newline="") as f:
        csv.DictWriter(f, fieldnames=COLUMNS).writeheader()
        csv.DictWriter(f, fieldnames=COLUMNS).writerows(rows)
    (out / "README.txt").write_text(
        f"fastk demo set: real face crops and presentation attacks SIMULATED from them (fastk.demo.attacks; settings "
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


def _cache_settings(recipe: Recipe, max_subjects: int | None, seed: int, shared: bool) -> dict[str, Any]:
    """Everything the images depend on: hashed into the cache folder's name and written to README.txt."""
    settings: dict[str, Any] = {
        "side": recipe.side, "attacks": list(recipe.attacks), "attacks_per_photo": recipe.attacks_per_photo,
        "lightings": list(recipe.lightings), "planted": sorted(recipe.planted) if recipe.planted else None,
        "max_subjects": max_subjects, "seed": seed, "shared": shared}
    if recipe.reals_per_photo != 1:
        settings["reals_per_photo"] = recipe.reals_per_photo
    if recipe.session:
        settings["session"] = True
    if recipe.framing != "tight" or recipe.disable:  # absent keys keep the default set's cache key short and stable
        settings.update(framing=recipe.framing, disable=sorted(recipe.disable))
    return settings


def _make_samples(recipe: Recipe, sources: list[dict[str, Any]], out: Path, seed: int,
                  show_progress: bool) -> list[dict[str, Any]]:
    """Write every photo's samples under ``out``; returns their manifest rows. One generator drives all
    draws, in photo order, so a seed gives the same set; faces are found and photos rendered on worker
    threads (:mod:`fastk.common.threads`), which changes no image."""

    detector, cache = create("landmarks", defaults.LANDMARKS), LandmarkCache()
    areas = AreaSet.load(defaults.AREAS)
    for a in recipe.planted or ():
        areas[a]  # unknown area names fail here, with the list of known ones
    rng = np.random.default_rng(seed)
    with progress_bar(show_progress) as progress:
        task = progress.add_task(f"finding faces in {len(sources)} photos", total=len(sources))
        faces = []
        for face in cache.detect_each(detector, [src["file"] for src in sources]):
            progress.advance(task)
            if isinstance(face, Exception):
                raise face
            faces.append(face)
        draws = [draw_photo(recipe, i, src, face.points68, rng) for i, (src, face) in enumerate(zip(sources, faces))
                 if face.ok and face.points68 is not None]  # dlib always gives its 68 points
        task = progress.add_task(f"building demo set ({len(draws)} photos)", total=len(draws))
        rows: list[dict[str, Any]] = []
        for photo_rows in ordered_map(lambda d: render_photo(recipe, d, areas, out, detector), draws):
            progress.advance(task)
            rows += photo_rows
    return rows


def read_manifest(root: Path) -> list[dict[str, str]]:
    with open(root / "manifest.csv", newline="") as f:
        return list(csv.DictReader(f))
