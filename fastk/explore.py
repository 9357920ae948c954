"""Explore a model: landmarks + CAM + area importance over a set of images.

Writes, into one output folder:

* ``explore.json``: the settings, which plugin (and distribution) supplied each part, and the
  fingerprint of everything that changes the numbers (model weights, images, settings, plugin
  versions, the detector's cache key); resuming into a folder with another fingerprint is refused;
* ``per_image.csv``: one row per image with its area scores and spoof probability, appended as the
  work goes, so an interrupted run resumes where it stopped and loses nothing;
* ``skipped.csv``: images that were not used, each with a one-line reason;
* ``area_importance.json``: Eq. 2 over all images and per group, with bootstrap 95% CIs;
* ``importance.png`` (bar chart) and ``overlays/`` (heatmaps on faces with the area outlines; names
  built from data are sanitised, see :mod:`fastk.safepaths`).

A lock file (:mod:`fastk.locks`) keeps a second writer out of the folder while one runs.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import fastk
from fastk.areas import AreaSet
from fastk.cam import resize_maps
from fastk.cam_memo import CamMemo
from fastk.datasets import Sample
from fastk.errors import ConfigError, FastkError
from fastk.figures import importance_bar_chart, overlay
from fastk.images import read_rgb, write_image
from fastk.importance import area_scores, summarize, summarize_by
from fastk.jsonsafe import jsonable
from fastk.landmark_cache import LandmarkCache
from fastk.progress import progress_bar

BASE_COLUMNS = ["path", "label", "subject", "attack_type", "lighting", "detector", "faces_found", "spoof_probability"]
#: Settings that cannot change any number (the CAM runs in eval mode, so batches are independent).
COSMETIC = {"batch_size"}
FINGERPRINT_LABELS = {"model": "model weights", "samples": "images (paths, labels or file contents)",
                      "settings": "settings", "backbone": "backbone", "cam_target": "CAM target",
                      "areas": "face areas", "plugins": "plugin distributions or versions", "detector": "landmark detector"}


@dataclass
class ExploreSettings:
    """Everything that changes the numbers; a resumed run must use the same."""

    landmarks: str = "dlib"
    cam: str = "gradcam++"
    cam_target: str | None = None
    target_layer: str | None = None
    areas: str = "paper"
    batch_size: int = 16
    n_boot: int = 1000
    seed: int = 0
    overlays: int = 12  # per group: real, and each attack type
    group_by: list[str] = field(default_factory=lambda: ["label", "attack_type", "lighting"])


@dataclass
class ExploreResult:
    out_dir: Path
    summary: dict[str, Any]
    processed: int
    skipped: list[tuple[str, str]]

    @property
    def importance(self) -> dict[str, dict[str, float]]:
        return self.summary["overall"]


def _read_rows(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


class _Appender:
    """A CSV file that gets its header once and a flushed row per call (crash-safe progress)."""

    def __init__(self, path: Path, columns: Sequence[str]):
        self.path, self.columns = path, list(columns)
        new = not path.exists() or path.stat().st_size == 0
        self.f = open(path, "a", newline="")
        self.w = csv.DictWriter(self.f, fieldnames=self.columns, extrasaction="ignore")
        if new:
            self.w.writeheader()

    def add(self, row: dict[str, Any]) -> None:
        self.w.writerow(row)
        self.f.flush()

    def close(self) -> None:
        self.f.close()


def _number(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def explore(
    samples: Sequence[Sample],
    backbone,
    model,
    out_dir: str | Path,
    settings: ExploreSettings | None = None,
    *,
    cache: LandmarkCache | None = None,
    show_progress: bool = True,
    extra_record: dict[str, Any] | None = None,
    memo: CamMemo | None = None,
) -> ExploreResult:
    """Run landmarks + CAM + area importance over ``samples``; resumable; returns the summary.

    ``memo`` (one per model) keeps maps and probabilities across explorations of the same model, e.g.
    the cells of a stability grid; the results are the same with or without it.
    """
    from fastk.locks import FolderLock

    out = Path(out_dir)
    with FolderLock(out, "fastk explore"):
        return _explore(samples, backbone, model, out, settings or ExploreSettings(), cache, show_progress,
                        extra_record, memo)


def _explore(samples, backbone, model, out: Path, s: ExploreSettings, cache, show_progress: bool,
             extra_record: dict[str, Any] | None, memo: CamMemo | None) -> ExploreResult:
    import torch

    from fastk.fingerprint import json_hash, plugin_identity, samples_hash, state_dict_hash
    from fastk.safepaths import child, safe_name

    area_set = AreaSet.load(s.areas)
    detector = fastk.create("landmarks", s.landmarks)
    cam = fastk.create("cam", s.cam, batch_size=max(8, s.batch_size))
    target = backbone.cam_target(model, s.cam_target, s.target_layer)
    cache = cache or LandmarkCache()

    record = {
        "settings": asdict(s),
        "backbone": backbone.config(),
        "cam_target": target.record(),
        "plugins": {
            "landmarks": plugin_identity("landmarks", s.landmarks),
            "cam": plugin_identity("cam", s.cam),
            "backbone": plugin_identity("backbone", backbone.spec),
        },
        "areas": {"name": area_set.name, "source": area_set.source, "names": area_set.names},
        "label_convention": "0 = real (bona fide), 1 = spoof (attack)",
        **(extra_record or {}),
    }
    record["fingerprint"] = {
        "model": state_dict_hash(model.state_dict()),
        "samples": samples_hash(samples),
        "settings": {k: v for k, v in asdict(s).items() if k not in COSMETIC},
        "backbone": record["backbone"],
        "cam_target": record["cam_target"],
        "areas": json_hash([area_set.scheme, [(a.name, list(a.indices)) for a in area_set.areas]]),
        "plugins": {k: f"{v['distribution']}=={v['version']}" for k, v in record["plugins"].items()},
        "detector": cache.detector_key(detector),
    }
    _check_resume(out / "explore.json", record)
    (out / "explore.json").write_text(json.dumps(record, indent=2, default=str))

    per_image_path, skipped_path = out / "per_image.csv", out / "skipped.csv"
    done = {r["path"] for r in _read_rows(per_image_path)} | {r["path"] for r in _read_rows(skipped_path)}
    todo = [smp for smp in samples if str(smp.path) not in done]
    meta_keys = sorted({k for smp in samples for k in smp.meta})
    columns = BASE_COLUMNS + [f"meta_{k}" for k in meta_keys] + area_set.names
    rows_out = _Appender(per_image_path, columns)
    skipped_out = _Appender(skipped_path, ["path", "reason"])
    overlay_dir = out / "overlays"
    overlays_done: dict[str, int] = {}
    for f in overlay_dir.glob("*.jpg") if overlay_dir.exists() else []:
        group = f.name.split("__")[0]
        overlays_done[group] = overlays_done.get(group, 0) + 1
    device = next(model.parameters()).device
    model.eval()

    progress = progress_bar(show_progress)
    try:
        with progress:
            task = progress.add_task(f"explore ({s.landmarks} + {s.cam})", total=len(todo))
            for start in range(0, len(todo), s.batch_size):
                batch = todo[start : start + s.batch_size]
                usable = []
                for smp in batch:
                    try:
                        img = read_rgb(smp.path)
                        face = cache.detect_file(detector, smp.path, img)
                    except FastkError as err:
                        skipped_out.add({"path": str(smp.path), "reason": str(err)})
                        continue
                    if not face.ok:
                        skipped_out.add({"path": str(smp.path), "reason": f"{smp.path}: {face.reason} ({s.landmarks})"})
                        continue
                    usable.append((smp, img, face))
                if usable:
                    inputs = backbone.preprocess([img for _, img, _ in usable]).to(device)
                    if memo is None:
                        maps = cam.compute(target, inputs)
                        with torch.no_grad():
                            probs = backbone.spoof_probability(model, inputs).cpu().numpy()
                    else:
                        keys = [str(smp.path) for smp, _, _ in usable]
                        maps = memo.maps(s.cam, target, inputs, keys)
                        probs = memo.probabilities(backbone, model, inputs, keys)
                    for (smp, img, face), m, p in zip(usable, maps, probs):
                        heat = resize_maps(m, img.shape[:2])
                        masks = area_set.masks(face.points68, img.shape)
                        row = {**smp.record(), "detector": face.detector, "faces_found": face.faces_found,
                               "spoof_probability": round(float(p), 6)}
                        row.update({a: round(v, 6) for a, v in area_scores(heat, masks).items()})
                        rows_out.add(row)
                        group = safe_name(_overlay_group(smp))
                        n = overlays_done.get(group, 0)
                        if n < s.overlays:
                            name = f"{group}__{n:03d}_{safe_name(Path(smp.path).stem)}.jpg"
                            write_image(child(overlay_dir, name), overlay(img, heat, area_set.polygons(face.points68)))
                            overlays_done[group] = n + 1
                progress.advance(task, len(batch))
    finally:
        rows_out.close()
        skipped_out.close()

    return finish(out, area_set.names, s, record)


def _overlay_group(smp: Sample) -> str:
    """Overlays are kept per group (real, each attack type) so every group gets its examples."""
    if smp.label == 0:
        return "real"
    if smp.label == 1:
        return f"spoof-{smp.attack_type or 'unknown'}"
    return "image"


def read_area_rows(path: Path, areas: list[str]) -> list[dict[str, Any]]:
    """The rows of an exploration's ``per_image.csv``, area columns as floats (NaN where empty)."""
    rows = _read_rows(Path(path))
    for r in rows:
        for a in areas:
            r[a] = _number(r.get(a))
    return rows


def finish(out: Path, areas: list[str], s: ExploreSettings, record: dict[str, Any]) -> ExploreResult:
    """Summaries and figures from ``per_image.csv`` (also what a resumed run ends with)."""
    rows = read_area_rows(out / "per_image.csv", areas)
    skipped = [(r["path"], r["reason"]) for r in _read_rows(out / "skipped.csv")]
    if not rows:
        raise FastkError(f"{out}: no image had a usable face ({len(skipped)} skipped; see skipped.csv)")
    summary = {
        "overall": summarize(rows, areas, n_boot=s.n_boot, seed=s.seed),
        "by": {
            key: summarize_by(rows, areas, key if key in BASE_COLUMNS else f"meta_{key}", n_boot=s.n_boot, seed=s.seed)
            for key in s.group_by
        },
        "ranking": sorted(areas, key=lambda a: -np.nan_to_num(np.nanmean([r[a] for r in rows]), nan=-1)),
        "images_used": len(rows),
        "images_skipped": len(skipped),
        **record,
    }
    summary["by"]["label"] = {
        {"0": "real", "1": "spoof", "-1": "unlabelled"}.get(k, k): v for k, v in summary["by"].get("label", {}).items()
    }
    (out / "area_importance.json").write_text(json.dumps(jsonable(summary), indent=2))
    target = record["cam_target"]["target"]
    importance_bar_chart(
        summary["overall"],
        out / "importance.png",
        title=f"Area importance ({record['settings']['cam']} on {target}, {record['settings']['landmarks']} areas)",
        note=f"{len(rows)} images; {len(skipped)} skipped",
    )
    return ExploreResult(out, summary, len(rows), skipped)


def _check_resume(path: Path, record: dict[str, Any]) -> None:
    """Refuse to add rows to a folder whose rows came from another model, images, settings or plugins."""
    from fastk.fingerprint import mismatch

    if not path.exists():
        return
    try:
        old = json.loads(path.read_text())
    except (OSError, ValueError):
        raise ConfigError(f"{path}: unreadable (not JSON); use a new --out folder, or delete it to start fresh") from None
    old_fp = old.get("fingerprint") if isinstance(old, dict) else None
    new_fp = record["fingerprint"]
    detail = {}
    if isinstance(old_fp, dict) and isinstance(old_fp.get("settings"), dict):
        a, b = old_fp["settings"], new_fp["settings"]
        detail["settings"] = ", ".join(f"{k}: {a.get(k)!r} -> {b.get(k)!r}" for k in sorted(set(a) | set(b))
                                       if a.get(k) != b.get(k))
    message = mismatch(path.parent, "a run", old_fp, new_fp, FINGERPRINT_LABELS, detail)
    if message:
        raise ConfigError(message)
