"""Whether ScoreCAM and AblationCAM join a stability grid: a timed probe against a time budget.

Why: the two methods run many forward passes per image (minutes per cell on a CPU for some targets),
so ``slow_cams: auto`` times each on one image and adds it only when the estimated cost of all its
cells fits ``slow_cam_seconds``. A resumed grid keeps what was decided (its cells exist).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastk.data.datasets import Sample
from fastk.data.images import read_rgb
from fastk.errors import FastkError
from fastk.plugin.plugins import create
from fastk.trust.stability_cells import _safe

if TYPE_CHECKING:  # pragma: no cover
    from fastk.trust.stability_config import StabilityConfig


def probe_slow_cams(slow: Sequence[str], cfg: StabilityConfig, loaded: Mapping[str, tuple], samples: Sequence[Sample],
                    out: Path, device: str) -> dict[str, dict[str, Any]]:
    """For each slow method: included or not, with the seconds per image and the estimate behind it.

    ``loaded`` maps model labels to ``(backbone, model, targets, digest)``; the first model is timed.
    """
    probes: dict[str, dict[str, Any]] = {}
    backbone, model, targets, _ = next(iter(loaded.values()))
    repeats = len(loaded) * len(cfg.detectors)  # cells per (method, target), targets timed one by one
    for name in slow:
        done = any((out / "cells").glob(f"*__{_safe(name)}__*/cell.json"))  # resume: keep what was decided
        if cfg.slow_cams == "yes" or done:
            probes[name] = {"included": True, "reason": "asked for" if cfg.slow_cams == "yes" else "cells exist"}
            continue
        sec, estimate = {}, 0.0
        for t in targets:  # stop timing once the budget is spent: a probe of a slow method is slow too
            sec[t] = seconds_per_image(name, backbone, model, t, samples, device)
            estimate += sec[t] * len(samples) * repeats
            if estimate > cfg.slow_cam_seconds:
                break
        probes[name] = {"included": estimate <= cfg.slow_cam_seconds, "seconds_per_image": sec,
                        "estimated_seconds": estimate, "budget_seconds": cfg.slow_cam_seconds}
    return probes


def seconds_per_image(cam_name: str, backbone, model, target_name: str, samples: Sequence[Sample],
                       device: str) -> float:
    """Wall-clock seconds per image of one CAM method, timed on one image (first-call costs included:
    an overestimate, on the safe side)."""
    import time

    images = []
    for s in samples:
        try:
            images.append(read_rgb(s.path))
        except FastkError:
            continue
        break
    if not images:
        return float("inf")
    cam = create("cam", cam_name, batch_size=32)
    target = backbone.cam_target(model, target_name)
    x = backbone.preprocess(images).to(device)
    t0 = time.perf_counter()
    cam.compute(target, x)
    return (time.perf_counter() - t0) / len(images)
