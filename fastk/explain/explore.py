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
  built from data are sanitised, see :mod:`fastk.common.safepaths`).

A lock file (:mod:`fastk.common.locks`) keeps a second writer out of the folder while one runs.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from fastk.common.distributed import all_gather, decided_by_main, main_holds, world
from fastk.common.fingerprint import json_hash, samples_hash, state_dict_hash
from fastk.common.jsonsafe import write_json
from fastk.common.locks import FolderLock
from fastk.common.progress import progress_bar
from fastk.data.datasets import Sample
from fastk.explain.cam import resize_maps
from fastk.explain.cam_memo import CamMemo
from fastk.explain.explore_files import BASE_COLUMNS, check_resume, finish, read_area_rows, read_rows
from fastk.explain.explore_output import Overlays, Part, Writer
from fastk.explain.explore_settings import ExploreResult, ExploreSettings
from fastk.explain.face_heat import heat_on_face
from fastk.explain.importance import area_scores
from fastk.face.areas import AreaSet
from fastk.face.landmark_cache import LandmarkCache, read_and_detect
from fastk.face.model_input import prepare
from fastk.plugin.plugins import create, plugin_identity

#: The folder's readers live in :mod:`fastk.explain.explore_files`; these are importable from here too.
__all__ = ["BASE_COLUMNS", "ExploreResult", "ExploreSettings", "explore", "finish", "read_area_rows"]

#: Settings that cannot change any number (the CAM runs in eval mode, so batches are independent).
COSMETIC = {"batch_size"}


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
    figures: bool = True,
    input_meta: dict[str, Any] | None = None,
) -> ExploreResult:
    """Run landmarks + CAM + area importance over ``samples``; resumable; returns the summary.

    ``memo`` (one per model) keeps maps and probabilities across explorations of the same model, e.g.
    the cells of a stability grid; the results are the same with or without it. ``figures`` False
    leaves out the bar chart (numbers and overlays are unchanged). ``input_meta`` (a checkpoint's
    ``meta``) prepares each image as ``fastk predict`` does for that checkpoint (aligned, framed,
    masked: :func:`fastk.face.model_input.prepare`), so the map explains the input the model scores; None
    uses the images as they are (a run's own images, prepared already).

    Under ``torchrun`` every rank explores its share of the batches and rank 0 writes the rows in
    batch order, so the folder holds what one process writes (:mod:`fastk.common.distributed`).
    """

    out = Path(out_dir)
    with main_holds(lambda: FolderLock(out, "fastk explore")):
        return _explore(samples, backbone, model, out, settings or ExploreSettings(), cache, show_progress,
                        extra_record, memo, figures, input_meta)


def _explore(samples, backbone, model, out: Path, s: ExploreSettings, cache, show_progress: bool,
             extra_record: dict[str, Any] | None, memo: CamMemo | None, figures: bool,
             input_meta: dict[str, Any] | None) -> ExploreResult:
    area_set = AreaSet.load(s.areas)
    detector = create("landmarks", s.landmarks)
    target = backbone.cam_target(model, s.cam_target, s.target_layer)
    cache = cache or LandmarkCache()
    record = _record(samples, backbone, model, s, area_set, target, cache.detector_key(detector),
                     {**(extra_record or {}), "input": _input_record(input_meta)})
    todo = [samples[i] for i in decided_by_main(lambda: _start(out, record, samples))]
    meta_keys = sorted({k for smp in samples for k in smp.meta})
    w = world()
    writer = Writer(out, BASE_COLUMNS + [f"meta_{k}" for k in meta_keys] + area_set.names, s.overlays, w.is_main)
    scorer = _BatchScorer(backbone, model, target, s, memo)
    model.eval()
    batches = [todo[i : i + s.batch_size] for i in range(0, len(todo), s.batch_size)]
    mine = _detected(w.shard(batches), detector, cache, s.landmarks, input_meta)
    progress = progress_bar(show_progress and w.is_main)
    try:
        with progress:
            task = progress.add_task(f"explore ({s.landmarks} + {s.cam})", total=len(todo))
            for _ in range(w.rounds(len(batches))):  # a round: one batch per rank, gathered in batch order
                for part in all_gather(_scored(next(mine, None), scorer, area_set, writer.overlays)):
                    writer.add(part)
                    progress.advance(task, part.n)
    finally:
        mine.close()
        writer.close()
    return decided_by_main(lambda: finish(out, area_set.names, s, record, figures=figures))


def _start(out: Path, record: dict[str, Any], samples: Sequence[Sample]) -> list[int]:
    """Refuse a folder holding another exploration, write ``explore.json``, and return the indices of
    the samples still to do (those in neither ``per_image.csv`` nor ``skipped.csv``)."""
    check_resume(out / "explore.json", record)
    write_json(out / "explore.json", record, indent=2, default=str)
    done = {r["path"] for r in read_rows(out / "per_image.csv")} | {r["path"] for r in read_rows(out / "skipped.csv")}
    return [i for i, smp in enumerate(samples) if str(smp.path) not in done]


def _scored(detected: tuple[list, list, list] | None, scorer: _BatchScorer, area_set: AreaSet,
            overlays: Overlays) -> Part:
    """The rows of one detected batch (an empty part when this rank has no batch in the round)."""
    if detected is None:
        return Part()
    batch, usable, skipped = detected
    part = Part(len(batch), skipped=skipped)
    if not usable:
        return part
    maps, probs = scorer.score(usable)
    for (smp, img, face, how), m, p in zip(usable, maps, probs):
        heat = resize_maps(m, img.shape[:2])
        masks = area_set.masks(face.points68, img.shape)
        row = {**smp.record(), "detector": face.detector, "faces_found": face.faces_found, "framing": how,
               "spoof_probability": round(float(p), 6)}
        row.update({a: round(v, 6) for a, v in area_scores(heat, masks).items()})
        row.update(heat_on_face(heat, face.points68))
        part.rows.append(row)
        if overlays.wants(smp):
            part.overlays.append((smp, img, heat, area_set.polygons(face.points68)))
    return part


def _record(samples, backbone, model, s: ExploreSettings, area_set: AreaSet, target, detector_key,
            extra_record: dict[str, Any] | None) -> dict[str, Any]:
    """``explore.json``: settings, which plugin made each part, and the fingerprint of the numbers."""

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
        "detector": detector_key,
        "input": record["input"],
    }
    return record


def _input_record(meta: dict[str, Any] | None) -> dict[str, Any] | None:
    """How images are prepared for the model (what :func:`fastk.face.model_input.prepare` reads of ``meta``)."""
    if meta is None:
        return None
    return {k: meta.get(k) for k in ("alignment", "framing", "mask")}


def _detected(batches: list, detector, cache: LandmarkCache, landmarks: str,
              meta: dict[str, Any] | None) -> Generator[tuple[list, list, list], None, None]:
    """``(batch, usable, skipped rows)`` per batch, in order; the next batch's images are read and their
    landmarks found in a worker thread while the caller computes the CAMs of the current one.

    Why a thread: landmark detection was a quarter of explore's CPU time and ran while the CAM waited.
    dlib holds the GIL while it detects (measured: two threads detect no faster than one), but torch
    releases it inside its kernels, so the two still overlap; results and their order are unchanged
    (one worker, batches in order; the cache is only touched by the worker).
    """
    from concurrent.futures import ThreadPoolExecutor

    if not batches:
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="fastk-landmarks") as pool:
        pending = pool.submit(_usable, batches[0], detector, cache, landmarks, meta)
        for i, batch in enumerate(batches):
            usable, skipped = pending.result()
            if i + 1 < len(batches):
                pending = pool.submit(_usable, batches[i + 1], detector, cache, landmarks, meta)
            yield batch, usable, skipped


def _usable(batch: Sequence[Sample], detector, cache: LandmarkCache, landmarks: str,
            meta: dict[str, Any] | None) -> tuple[list, list]:
    """``(sample, image, face, how)`` of the batch's images with a usable face (each image decoded once,
    for the detector and the CAM alike; prepared for the model as ``meta`` says, the face's landmarks
    moved with it), and the ``skipped.csv`` rows of the others."""
    from dataclasses import replace

    usable, skipped = [], []
    for smp in batch:
        found = read_and_detect(cache, detector, smp.path, label=landmarks)
        if isinstance(found, str):
            skipped.append({"path": str(smp.path), "reason": found})
            continue
        if meta is None:
            usable.append((smp, *found, "as-is"))
            continue
        prepared = prepare(found[0], found[1], meta)
        usable.append((smp, prepared.image, replace(found[1], points68=prepared.points68), prepared.how))
    return usable, skipped


class _BatchScorer:
    """CAM maps and spoof probabilities of a batch, through the model's memo when there is one."""

    def __init__(self, backbone, model, target, s: ExploreSettings, memo: CamMemo | None):
        self.backbone, self.model, self.target, self.s, self.memo = backbone, model, target, s, memo
        self.cam = create("cam", s.cam, batch_size=max(8, s.batch_size))  # unused with a memo
        self.device = next(model.parameters()).device

    def score(self, usable: list) -> tuple[np.ndarray, np.ndarray]:
        import torch

        inputs = self.backbone.preprocess([item[1] for item in usable]).to(self.device)
        if self.memo is not None:
            keys = [str(item[0].path) for item in usable]
            return (self.memo.maps(self.s.cam, self.target, inputs, keys),
                    self.memo.probabilities(self.backbone, self.model, inputs, keys))
        maps, outputs = self.cam.compute_outputs(self.target, inputs)
        probs = None if outputs is None else self.backbone.probability_from_outputs(self.target, outputs)
        if probs is None:  # the CAM pass's outputs do not give it (e.g. LGSC's cue-score target)
            with torch.no_grad():
                probs = self.backbone.spoof_probability(self.model, inputs)
        return maps, probs.detach().cpu().numpy()
