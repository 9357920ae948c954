"""``fastk bench``: how fast CAM methods, exploration and training run on this machine, as JSON.

Why a command and not a test: speed depends on the machine and on what else it is doing, so speed
targets belong in measurements that say where and when they were taken (:func:`environment_record`
and the load average before and after), never in a pass/fail unit test. Every figure is the median
of several repeats after a warm-up, on real face photos.
"""

from __future__ import annotations

import resource
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fastk import defaults
from fastk.explain.explore import ExploreSettings, explore
from fastk.face.landmark_cache import LandmarkCache
from fastk.model.checkpoints import load_checkpoint
from fastk.plugin.plugins import create


def _peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _median_seconds(fn, repeats: int, warmup: int = 1) -> tuple[float, list[float]]:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), times


def bench_cams(backbone_spec: str, options: dict[str, Any], images: list[np.ndarray], *, methods: Sequence[str],
               sizes: Sequence[int], batch_sizes: Sequence[int], repeats: int = 3,
               checkpoint: str | None = None) -> list[dict[str, Any]]:
    """Images per second of each CAM method at each input size and batch size."""
    import torch

    rows = []
    for size in sizes:
        if checkpoint:

            backbone, model, _ = load_checkpoint(checkpoint)
            if size != backbone.input_size:
                continue
        else:
            backbone = create("backbone", backbone_spec, input_size=size, **options)
            torch.manual_seed(0)
            model = backbone.build().eval()
        target = backbone.cam_target(model)
        for batch in batch_sizes:
            x = backbone.preprocess((images * (batch // len(images) + 1))[:batch])
            for name in methods:
                cam = create("cam", name, batch_size=max(8, batch))
                med, times = _median_seconds(lambda cam=cam, x=x: cam.compute(target, x), repeats)  # noqa: B023
                rows.append({"method": name, "input_size": size, "batch_size": batch, "seconds_per_batch": med,
                             "images_per_second": batch / med, "repeats": [round(t, 4) for t in times],
                             "peak_rss_mb": round(_peak_rss_mb(), 1)})
    return rows


def bench_explore(samples, backbone, model, *, landmarks: str = defaults.LANDMARKS, cam: str = defaults.CAM) -> dict[str, Any]:
    """Images per second of a whole ``explore`` (landmarks + CAM + area scores), cold and warm cache."""

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        cache = LandmarkCache(Path(tmp) / "cache")
        for label in ("cold_landmark_cache", "warm_landmark_cache"):
            settings = ExploreSettings(landmarks=landmarks, cam=cam, n_boot=100, overlays=0)
            t0 = time.perf_counter()
            result = explore(samples, backbone, model, Path(tmp) / label, settings, cache=cache, show_progress=False)
            seconds = time.perf_counter() - t0
            out[label] = {"images": result.processed, "seconds": seconds,
                          "images_per_second": result.processed / seconds if seconds else None}
    return {"landmarks": landmarks, "cam": cam, **out, "peak_rss_mb": round(_peak_rss_mb(), 1)}


def bench_training(backbone_spec: str, options: dict[str, Any], images: list[np.ndarray], labels: list[int], *,
                   sizes: Sequence[int], batch_size: int = 16, steps: int = 5) -> list[dict[str, Any]]:
    """Training images per second (forward, backward, optimiser step) at each input size."""
    import torch

    rows = []
    for size in sizes:
        backbone = create("backbone", backbone_spec, input_size=size, **options)
        torch.manual_seed(0)
        model = backbone.build().train()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
        reps = batch_size // len(images) + 1
        x = backbone.preprocess((images * reps)[:batch_size])
        y = torch.tensor((labels * reps)[:batch_size])

        def step(backbone=backbone, model=model, x=x, y=y, opt=opt):
            loss = backbone.training_loss(model, x, y)["total"]
            opt.zero_grad()
            loss.backward()
            opt.step()

        med, times = _median_seconds(step, steps)
        rows.append({"input_size": size, "batch_size": batch_size, "seconds_per_step": med,
                     "images_per_second": batch_size / med, "repeats": [round(t, 4) for t in times],
                     "peak_rss_mb": round(_peak_rss_mb(), 1)})
    return rows
