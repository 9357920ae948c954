"""Explore trained models over a grid (models/seeds x CAM methods x landmark detectors x CAM targets).

Why a grid: one ranking comes from one trained model, one CAM method, one detector and one target,
and each of those changes it. Every cell is a normal exploration folder made by
:func:`fastk.explore.explore` (``cells/<model>__<cam>__<detector>__<target>/``), so a killed run
resumes cell by cell (a finished cell is kept: its ``cell.json`` records what made it) and any cell
can be opened with the tools that read explorations. Landmarks are computed once per detector and
image: every cell shares one :class:`~fastk.landmark_cache.LandmarkCache`.

The ``stability:`` configuration (a dict, e.g. a section of a run config) has these keys, all
optional (:class:`StabilityConfig`)::

    cams: [gradcam++, gradcam, layercam, xgradcam, hirescam]  # default; plus scorecam/ablationcam (slow_cams)
    slow_cams: auto        # auto: add scorecam/ablationcam when a timed probe on 2 images says the
                           # whole grid's cells of that method fit in slow_cam_seconds; yes; no
    slow_cam_seconds: 300  # the estimated time each slow method may add to the grid
    detectors: [dlib, mediapipe]
    targets: null          # null: the backbone's default target; a list of names; or [all]
    k: 4                   # the top-k size the verdict and P(in top k) are about
    n_boot: 200            # bootstrap resamples of the images, shared by every cell
    seed: 0
    max_images: null       # the first N samples only
    planted: null          # areas a planted-cue set hides its cue in: recovery per CAM method
    areas: paper
    batch_size: 16

The analysis of the finished cells is :func:`fastk.stability_analysis.analyse`.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

import fastk
from fastk.datasets import Sample
from fastk.errors import ConfigError

DEFAULT_CAMS = ("gradcam++", "gradcam", "layercam", "xgradcam", "hirescam")
SLOW_CAMS = ("scorecam", "ablationcam")
FACTORS = ("model", "cam", "detector", "target")


@dataclass
class StabilityConfig:
    """What the grid covers and how it is analysed (the ``stability:`` config dict; see module doc)."""

    cams: list[str] | None = None
    slow_cams: str = "auto"
    slow_cam_seconds: float = 300.0
    detectors: list[str] = field(default_factory=lambda: ["dlib", "mediapipe"])
    targets: list[str] | None = None
    k: int = 4
    n_boot: int = 200
    seed: int = 0
    max_images: int | None = None
    planted: list[str] | None = None
    areas: str = "paper"
    batch_size: int = 16

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, *, where: str = "stability") -> StabilityConfig:
        """Build from a config dict; an unknown key or a bad value fails naming ``where.key``."""
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        for key in ("cams", "detectors", "targets", "planted"):
            if isinstance(data.get(key), str):
                data[key] = [x.strip() for x in data[key].split(",") if x.strip()]
        cfg = cls(**data)
        if cfg.slow_cams not in ("auto", "yes", "no"):
            raise ConfigError(f"{where}.slow_cams: must be auto, yes or no, not {cfg.slow_cams!r}")
        for key in ("k", "n_boot"):
            if not isinstance(getattr(cfg, key), int) or getattr(cfg, key) < 1:
                raise ConfigError(f"{where}.{key}: must be a whole number >= 1, not {getattr(cfg, key)!r}")
        if not cfg.detectors:
            raise ConfigError(f"{where}.detectors: needs at least one landmark detector")
        return cfg

    @classmethod
    def coerce(cls, value: StabilityConfig | Mapping[str, Any] | None) -> StabilityConfig:
        return value if isinstance(value, cls) else cls.from_dict(value)

    def cam_methods(self) -> list[str]:
        """The CAM methods always in the grid (names checked against the registry)."""
        registry = fastk.get_registry("cam")
        names = list(self.cams) if self.cams else list(DEFAULT_CAMS)
        for name in names:
            registry.get(name)
        return names

    def slow_candidates(self) -> list[str]:
        """ScoreCAM/AblationCAM when the grid's CAM list is the default and slow methods are not refused."""
        if self.cams or self.slow_cams == "no":
            return []
        names = fastk.get_registry("cam").names()
        return [n for n in SLOW_CAMS if n in names]


@dataclass
class Cell:
    """One finished exploration of the grid, with the per-image rows the statistics resample."""

    name: str
    model: str
    cam: str
    detector: str
    target: str
    dir: Path
    per_image: dict[str, np.ndarray]  # image path -> area scores (areas in the area set's order)
    skipped: int = 0
    #: How ScoreCAM/AblationCAM were decided on for this grid (timed probe), shared by its cells.
    slow_cams: dict[str, Any] = field(default_factory=dict)

    def levels(self) -> dict[str, str]:
        return {f: getattr(self, f) for f in FACTORS}


def model_labels(paths: Sequence[str | Path]) -> list[str]:
    """Short unique folder-safe labels for checkpoints: file stems, else parent folder names, else m0, m1..."""
    ps = [Path(p) for p in paths]
    for cand in ([p.stem for p in ps], [p.parent.name for p in ps], [f"{p.parent.name}-{p.stem}" for p in ps]):
        cand = [_safe(c) for c in cand]
        if all(cand) and len(set(cand)) == len(cand):
            return cand
    return [f"m{i}" for i in range(len(ps))]


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+-]+", "-", text).strip("-")


def cell_name(model: str, cam: str, detector: str, target: str) -> str:
    return "__".join(_safe(x) for x in (model, cam, detector, target))


def resolve_targets(backbone, model, targets: Sequence[str] | None) -> list[str]:
    """Target names for a model: the backbone's default, the named ones (checked), or ``all``."""
    available = sorted(backbone.cam_targets(model))
    if not targets:
        return [backbone.default_cam_target]
    if list(targets) == ["all"]:
        return available
    for t in targets:
        backbone.cam_target(model, t)  # one-line error listing the known targets
    return list(targets)


def run_grid(
    checkpoints: Mapping[str, str | Path],
    samples: Sequence[Sample],
    out_dir: str | Path,
    config: StabilityConfig | Mapping[str, Any] | None = None,
    *,
    cache=None,
    device: str | None = None,
    show_progress: bool = True,
) -> list[Cell]:
    """Explore every checkpoint (``{label: path}``) over the grid; returns the finished cells.

    Cells already finished with the same settings, checkpoint and images are kept, not redone.
    """
    from fastk.cam_memo import CamMemo
    from fastk.checkpoints import load_checkpoint
    from fastk.devices import default_device
    from fastk.explore import explore
    from fastk.landmark_cache import LandmarkCache
    from fastk.progress import progress_bar

    cfg = StabilityConfig.coerce(config)
    if not checkpoints:
        raise ConfigError("stability: needs at least one checkpoint")
    cams = cfg.cam_methods()
    slow = cfg.slow_candidates()
    for d in cfg.detectors:
        fastk.get_registry("landmarks").get(d)
    samples = list(samples)[: cfg.max_images] if cfg.max_images else list(samples)
    if not samples:
        raise ConfigError("stability: no images to explore")
    cache = cache or LandmarkCache()
    device = default_device(device)
    images_digest = hashlib.sha1("\n".join(str(s.path) for s in samples).encode()).hexdigest()
    wanted = {str(s.path) for s in samples}  # a cell resumed with other images keeps only these
    out = Path(out_dir)
    cells: list[Cell] = []
    loaded = {}
    for label, path in checkpoints.items():
        backbone, model, _ = load_checkpoint(path, device=device)
        loaded[label] = (backbone, model, resolve_targets(backbone, model, cfg.targets), _digest(path))
    probes = {}
    if slow:
        first = next(iter(loaded.values()))
        repeats = len(loaded) * len(cfg.detectors)  # cells per (method, target), targets timed one by one
        for name in slow:
            done = any((out / "cells").glob(f"*__{_safe(name)}__*/cell.json"))  # resume: keep what was decided
            if cfg.slow_cams == "yes" or done:
                probes[name] = {"included": True, "reason": "asked for" if cfg.slow_cams == "yes" else "cells exist"}
                continue
            sec, estimate = {}, 0.0
            for t in first[2]:  # stop timing once the budget is spent: a probe of a slow method is slow too
                sec[t] = _seconds_per_image(name, first[0], first[1], t, samples, device)
                estimate += sec[t] * len(samples) * repeats
                if estimate > cfg.slow_cam_seconds:
                    break
            probes[name] = {"included": estimate <= cfg.slow_cam_seconds, "seconds_per_image": sec,
                            "estimated_seconds": estimate, "budget_seconds": cfg.slow_cam_seconds}
        cams = cams + [n for n in slow if probes[n]["included"]]
    # model, then target, then method, then detector: a model's memo serves all its cells, then goes
    plan = [(label, cam, det, tgt) for label, (_, _, targets, _) in loaded.items()
            for tgt in targets for cam in cams for det in cfg.detectors]
    stamps = {cell: _stamp(cfg, *cell, loaded[cell[0]][3], len(samples), images_digest) for cell in plan}
    to_run = {cell for cell in plan if not _reusable(out / "cells" / cell_name(*cell) / "cell.json", stamps[cell][1], wanted)}
    memos = {}
    progress = progress_bar(show_progress)
    with progress:
        task = progress.add_task("stability grid", total=len(plan))
        for label, cam, det, tgt in plan:
            backbone, model, _, _ = loaded[label]
            name = cell_name(label, cam, det, tgt)
            cell_dir = out / "cells" / name
            progress.update(task, description=f"stability grid: {name}")
            settings, stamp = stamps[(label, cam, det, tgt)]
            if (label, cam, det, tgt) in to_run:
                if label not in memos:
                    memos.clear()  # the previous model's maps are no longer needed
                    memos[label] = CamMemo(sorted({c for (lb, c, _, _) in to_run if lb == label}))
                explore(samples, backbone, model, cell_dir, settings, cache=cache, show_progress=False,
                        extra_record={"stability_cell": {"model": label, "cam": cam, "detector": det, "target": tgt}},
                        memo=memos[label])
                (cell_dir / "cell.json").write_text(json.dumps(stamp, indent=2))
            cells.append(load_cell(cell_dir, label, cam, det, tgt, only=wanted))
            progress.advance(task)
    for cell in cells:
        cell.slow_cams = probes
    return cells


def _stamp(cfg: StabilityConfig, label: str, cam: str, det: str, tgt: str, ckpt_digest: str, n_images: int,
           images_digest: str):
    """A cell's exploration settings, and the stamp (``cell.json``) that says what made it."""
    from fastk.explore import ExploreSettings

    settings = ExploreSettings(landmarks=det, cam=cam, cam_target=tgt, areas=cfg.areas, batch_size=cfg.batch_size,
                               n_boot=100, seed=cfg.seed, overlays=0, group_by=["label"])
    return settings, {"settings": asdict(settings), "checkpoint_sha1": ckpt_digest, "images": n_images,
                      "images_sha1": images_digest}


def _reusable(marker: Path, stamp: dict[str, Any], wanted: set[str]) -> bool:
    """A finished cell serves when made with the same settings and model, on these images or more."""
    if not marker.is_file():
        return False
    old = json.loads(marker.read_text())
    if old == stamp:
        return True
    same = all(old.get(k) == stamp[k] for k in ("settings", "checkpoint_sha1"))
    if not same:
        return False
    done = set()
    for name in ("per_image.csv", "skipped.csv"):
        if (marker.parent / name).is_file():
            with open(marker.parent / name, newline="") as f:
                done |= {r["path"] for r in csv.DictReader(f)}
    return wanted <= done


def _seconds_per_image(cam_name: str, backbone, model, target_name: str, samples: Sequence[Sample],
                       device: str) -> float:
    """Wall-clock seconds per image of one CAM method, timed on one image (first-call costs included:
    an overestimate, on the safe side)."""
    import time

    from fastk.errors import FastkError
    from fastk.images import read_rgb

    images = []
    for s in samples:
        try:
            images.append(read_rgb(s.path))
        except FastkError:
            continue
        break
    if not images:
        return float("inf")
    cam = fastk.create("cam", cam_name, batch_size=32)
    target = backbone.cam_target(model, target_name)
    x = backbone.preprocess(images).to(device)
    t0 = time.perf_counter()
    cam.compute(target, x)
    return (time.perf_counter() - t0) / len(images)


def _digest(path: str | Path) -> str:
    h = hashlib.sha1()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_cell(cell_dir: str | Path, model: str, cam: str, detector: str, target: str, *,
              only: set[str] | None = None) -> Cell:
    """A finished cell's per-image area scores (``per_image.csv``) in the area set's order
    (only the images in ``only`` when given)."""
    d = Path(cell_dir)
    record = json.loads((d / "explore.json").read_text())
    areas = record["areas"]["names"]
    per_image = {}
    with open(d / "per_image.csv", newline="") as f:
        for r in csv.DictReader(f):
            if only is None or r["path"] in only:
                per_image[r["path"]] = np.array([_num(r.get(a)) for a in areas])
    skipped = 0
    if (d / "skipped.csv").exists():
        with open(d / "skipped.csv", newline="") as f:
            skipped = sum(1 for _ in csv.DictReader(f))
    return Cell(cell_name(model, cam, detector, target), model, cam, detector, target, d, per_image, skipped)


def cell_areas(cell: Cell) -> list[str]:
    return json.loads((cell.dir / "explore.json").read_text())["areas"]["names"]


def _num(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")

