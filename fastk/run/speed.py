"""Speed figures that mean something: FLOPs per image, and short interleaved timings.

Why not the wall time of whole trainings: on a shared CPU the same demo run once reported the crop
model 9x *slower* than the full model, the opposite of the truth, because other work ran during one
training and not the other. A figure that flips with machine load is not a result. So fastk reports:

* a machine-independent cost: FLOPs per image of one inference and of one training step (forward +
  backward), counted by ``torch.utils.flop_counter`` at the model's input size;
* a short, isolated timing on one torch thread (:data:`TIMING_THREADS`): every model is timed on the
  same real images, after a warm-up, in several *interleaved* rounds (model A, B, C, then B, C, A, ...), so load that comes and goes hits
  every model alike; each model's median and spread over the rounds, and its time relative to the
  reference model *within each round* (the median of those ratios), which is what survives load. Models
  run in channels-last layout, as fastk trains them (1 warm-up + 5 rounds: the step took 92 s of the
  demo's 15-minute budget at 2 + 7 rounds in contiguous layout on the Intel Xeon of 2026-12-03).

Whole-run wall times stay in the report for what they are (how long this run took here).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from fastk.common.environment import environment_record
from fastk.common.fast_inference import channels_last, nhwc
from fastk.explain.cam import eval_mode


@dataclass
class Timed:
    """A model to time: its backbone adapter, the model, and a batch of real images it accepts."""

    backbone: Any
    model: Any
    images: list  # RGB uint8 arrays
    labels: list[int]


def flops_per_image(backbone, model, *, training: bool = False) -> float:
    """FLOPs of one image through ``model`` at its input size (inference, or forward + backward)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    device = next(model.parameters()).device
    s = backbone.input_size
    x = torch.zeros(2 if training else 1, 3, s, s, device=device)
    with FlopCounterMode(display=False) as counter:
        if training:  # on a copy: a training-mode forward moves BatchNorm's running statistics
            copy = _training_copy(model)
            copy_loss = backbone.training_loss(copy, x, torch.tensor([0, 1], device=device))["total"]
            copy_loss.backward()
        else:
            with eval_mode(model), torch.no_grad():
                backbone.spoof_score(model, x)
    return counter.get_total_flops() / len(x)


#: Torch threads the interleaved timings run on. One: on a loaded machine a multi-threaded step waits for
#: its slowest thread, which hits small models harder, so the demo's crop model's time ratio lay 28-107%
#: from its FLOPs ratio with 2 or 4 busy processes beside it on 2 threads, and at most 14% on one thread,
#: idle or loaded (benchmarks/speed_under_load.json).
TIMING_THREADS = 1


#: Inference passes per model and round, of which the fastest counts: a pass is short (~0.1 s), so one
#: preemption by another process can double it; the minimum of a few is what the model costs.
INFERENCE_REPEATS = 3


def _inference_seconds(t: Timed, x) -> float:
    import torch

    best = float("inf")
    with eval_mode(t.model), channels_last(t.model), torch.inference_mode():
        for _ in range(INFERENCE_REPEATS):
            start = time.perf_counter()
            t.backbone.spoof_score(t.model, x)
            best = min(best, time.perf_counter() - start)
    return best


def _training_copy(model):
    """A train-mode copy in channels-last layout, as fastk trains (fastk.model.training._setup.build_model):
    timing a training step must not change the model's weights or statistics."""
    import copy

    import torch

    return copy.deepcopy(model).train().to(memory_format=torch.channels_last)


def _train_step_seconds(backbone, train_copy, x, y) -> float:
    """One forward + backward of the training loss on ``train_copy`` (no optimiser step)."""
    start = time.perf_counter()
    backbone.training_loss(train_copy, x, y)["total"].backward()
    seconds = time.perf_counter() - start
    train_copy.zero_grad(set_to_none=True)
    return seconds


def interleaved_timing(models: Mapping[str, Timed], *, reference: str, rounds: int = 5,
                       warmup: int = 1, threads: int | None = TIMING_THREADS) -> dict[str, Any]:
    """Per model: median and spread of seconds per image for inference and a training step, over
    ``rounds`` interleaved rounds, and the median per-round ratio to ``reference``; on ``threads`` torch
    threads (None: as configured), restored afterwards."""
    import torch

    names = list(models)
    if reference not in models:
        raise ValueError(f"reference {reference!r} is not one of {names}")
    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        out = _timed_rounds(models, names, reference, rounds, warmup)
    finally:
        torch.set_num_threads(before)
    out["timing_threads"] = threads or before
    return out


def _timed_rounds(models: Mapping[str, Timed], names: list[str], reference: str, rounds: int,
                  warmup: int) -> dict[str, Any]:
    import torch

    inputs, copies = {}, {}
    for name, t in models.items():
        device = next(t.model.parameters()).device
        inputs[name] = (nhwc(t.backbone.preprocess(t.images).to(device)), torch.tensor(t.labels, device=device))
        copies[name] = _training_copy(t.model)
    per_round: dict[str, dict[str, list[float]]] = {n: {"inference": [], "train_step": []} for n in names}
    for r in range(warmup + rounds):
        order = names[r % len(names):] + names[: r % len(names)]
        for name in order:
            x, y = inputs[name]
            inf = _inference_seconds(models[name], x) / len(x)
            step = _train_step_seconds(models[name].backbone, copies[name], x, y) / len(x)
            if r >= warmup:
                per_round[name]["inference"].append(inf)
                per_round[name]["train_step"].append(step)
    out: dict[str, Any] = {"rounds": rounds, "warmup_rounds": warmup, "reference": reference, "models": {}}
    for name in names:
        entry: dict[str, Any] = {}
        for kind in ("inference", "train_step"):
            v = np.array(per_round[name][kind])
            ref = np.array(per_round[reference][kind])
            entry[f"{kind}_ms_per_image"] = float(np.median(v) * 1000)
            entry[f"{kind}_ms_spread"] = [float(np.percentile(v, 25) * 1000), float(np.percentile(v, 75) * 1000)]
            entry[f"{kind}_time_vs_reference"] = float(np.median(v / ref))
        entry["batch"] = len(models[name].images)
        out["models"][name] = entry
    return out


def speed_report(models: Mapping[str, Timed], *, reference: str, rounds: int = 5) -> dict[str, Any]:
    """FLOPs and interleaved timings of every model, plus how far the two views agree per model."""

    timing = interleaved_timing(models, reference=reference, rounds=rounds)
    flops = {n: {"inference_flops_per_image": flops_per_image(t.backbone, t.model),
                 "train_step_flops_per_image": flops_per_image(t.backbone, t.model, training=True),
                 "input_size": t.backbone.input_size} for n, t in models.items()}
    ref_flops = flops[reference]
    for name, f in flops.items():
        f["inference_flops_vs_reference"] = f["inference_flops_per_image"] / ref_flops["inference_flops_per_image"]
        f["train_step_flops_vs_reference"] = f["train_step_flops_per_image"] / ref_flops["train_step_flops_per_image"]
        t = timing["models"][name]
        t.update(f)
    env = environment_record()
    return {**timing, "load_average": env["load_average"], "run_torch_threads": env["torch_threads"],
            "method": "FLOPs from torch.utils.flop_counter at the input size; timings: batch of real test images, "
                      f"{timing['timing_threads']} torch thread(s), fastest of {INFERENCE_REPEATS} inference passes per round, "
                      f"{timing['warmup_rounds']} warm-up + {rounds} interleaved rounds, median (IQR) per image; "
                      "ratios are medians of per-round ratios to the reference model"}


def pick_batch(samples: Sequence, n: int = 16) -> list:
    """Up to ``n`` samples with both classes represented when possible (LGSC's loss needs both)."""
    real = [s for s in samples if s.label == 0]
    spoof = [s for s in samples if s.label == 1]
    half = n // 2
    chosen = real[:half] + spoof[: n - min(half, len(real))]
    return chosen[:n] if len(chosen) >= 2 else list(samples[:n])
