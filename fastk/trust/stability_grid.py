"""Explore trained models over a grid (models/seeds x CAM methods x landmark detectors x CAM targets).

Why a grid: one ranking comes from one trained model, one CAM method, one detector and one target,
and each of those changes it. Every cell is a normal exploration folder made by
:func:`fastk.explain.explore.explore` (``cells/<model>__<cam>__<detector>__<target>/``), so a killed run
resumes cell by cell (a finished cell is kept: its ``cell.json`` records what made it) and any cell
can be opened with the tools that read explorations. Landmarks are computed once per detector and
image: every cell shares one :class:`~fastk.face.landmark_cache.LandmarkCache`.

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
    max_images: null       # at most N images, label-balanced, seeded (fastk.trust.check_subset)
    planted: null          # areas a planted-cue set hides its cue in: recovery per CAM method
    areas: paper
    batch_size: 16

The analysis of the finished cells is :func:`fastk.trust.stability_analysis.analyse`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fastk.common.devices import default_device
from fastk.common.fingerprint import file_digest
from fastk.common.jsonsafe import write_json
from fastk.common.progress import progress_bar
from fastk.data.datasets import Sample
from fastk.errors import ConfigError
from fastk.explain.cam_memo import CamMemo
from fastk.explain.explore import explore
from fastk.face.landmark_cache import LandmarkCache
from fastk.model.checkpoints import load_checkpoint
from fastk.plugin.plugins import get_registry
from fastk.trust.check_subset import stratified_subset
from fastk.trust.slow_cam_probe import probe_slow_cams
from fastk.trust.stability_cells import (
    FACTORS,
    Cell,
    cell_areas,
    cell_name,
    cell_stamp,
    load_cell,
    model_labels,
    reusable,
)
from fastk.trust.stability_config import DEFAULT_CAMS, SLOW_CAMS, StabilityConfig

#: Names other modules import from here (cells live in :mod:`fastk.trust.stability_cells`, the
#: configuration in :mod:`fastk.trust.stability_config`).
__all__ = ["DEFAULT_CAMS", "FACTORS", "SLOW_CAMS", "Cell", "StabilityConfig", "cell_areas", "load_cell",
           "model_labels", "resolve_targets", "run_grid"]


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
    where: str = "stability",
    one_class: bool = False,
) -> list[Cell]:
    """Explore every checkpoint (``{label: path}``) over the grid; returns the finished cells.

    Cells already finished with the same settings, checkpoint and images are kept, not redone. The
    images: at most ``max_images``, label-balanced, drawn with the grid's seed
    (:func:`fastk.trust.check_subset.stratified_subset`); one class is refused naming ``where`` unless
    ``one_class`` (a deliberate one-class analysis, e.g. planted-cue recovery on attacks).
    """

    cfg = StabilityConfig.coerce(config)
    if not checkpoints:
        raise ConfigError("stability: needs at least one checkpoint")
    cams = cfg.cam_methods()
    slow = cfg.slow_candidates()
    for d in cfg.detectors:
        get_registry("landmarks").get(d)
    samples, _ = stratified_subset(samples, cfg.max_images, cfg.seed, where=where, one_class=one_class)
    device = default_device(device)
    out = Path(out_dir)
    loaded = _load_models(checkpoints, cfg, device)
    probes = probe_slow_cams(slow, cfg, loaded, samples, out, device) if slow else {}
    cams = cams + [n for n in slow if probes[n]["included"]]
    # model, then target, then method, then detector: a model's memo serves all its cells, then goes
    plan = [(label, cam, det, tgt) for label, (_, _, targets, _) in loaded.items()
            for tgt in targets for cam in cams for det in cfg.detectors]
    cells = _explore_plan(plan, loaded, samples, out, cfg, cache or LandmarkCache(), show_progress)
    for cell in cells:
        cell.slow_cams = probes
    return cells


def _load_models(checkpoints: Mapping[str, str | Path], cfg: StabilityConfig, device: str) -> dict[str, tuple]:
    """``{label: (backbone, model, target names, checkpoint digest)}``."""

    loaded = {}
    for label, path in checkpoints.items():
        backbone, model, _ = load_checkpoint(path, device=device)
        loaded[label] = (backbone, model, resolve_targets(backbone, model, cfg.targets), file_digest(path))
    return loaded


def _explore_plan(plan: list[tuple[str, str, str, str]], loaded: Mapping[str, tuple], samples: list[Sample],
                  out: Path, cfg: StabilityConfig, cache, show_progress: bool) -> list[Cell]:
    """Explore the cells of ``plan`` not already finished, each model's with one :class:`CamMemo`."""

    images_digest = hashlib.sha1("\n".join(str(s.path) for s in samples).encode()).hexdigest()
    wanted = {str(s.path) for s in samples}  # a cell resumed with other images keeps only these
    stamps = {cell: cell_stamp(cfg, *cell, loaded[cell[0]][3], len(samples), images_digest) for cell in plan}
    to_run = {cell for cell in plan if not reusable(out / "cells" / cell_name(*cell) / "cell.json", stamps[cell][1], wanted)}
    memo, memo_of = CamMemo(), None  # the current model's maps; the plan is ordered by model
    cells: list[Cell] = []
    progress = progress_bar(show_progress)
    with progress:
        task = progress.add_task("stability grid", total=len(plan))
        for cell in plan:
            label, cam, det, tgt = cell
            cell_dir = out / "cells" / cell_name(*cell)
            progress.update(task, description=f"stability grid: {cell_name(*cell)}")
            if cell in to_run:
                if memo_of != label:  # a new model: the previous one's maps are no longer needed
                    memo, memo_of = CamMemo(sorted({c for (lb, c, _, _) in to_run if lb == label})), label
                settings, stamp = stamps[cell]
                explore(samples, loaded[label][0], loaded[label][1], cell_dir, settings, cache=cache,
                        show_progress=False, memo=memo, figures=False,
                        extra_record={"stability_cell": {"model": label, "cam": cam, "detector": det, "target": tgt}})
                write_json(cell_dir / "cell.json", stamp, indent=2)
            cells.append(load_cell(cell_dir, label, cam, det, tgt, only=wanted))
            progress.advance(task)
    return cells
