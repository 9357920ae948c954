"""Training steps: the full-face model, the same recipe with other seeds (for stability), the variants."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

from fastk.common.distributed import world
from fastk.common.jsonsafe import jsonable
from fastk.face.framing import framing_stats
from fastk.face.landmark_cache import LandmarkCache
from fastk.model.checkpoints import load_checkpoint, save_checkpoint
from fastk.model.training.trainer import train as train_model
from fastk.run.pipeline.mask_steps import recipe
from fastk.run.pipeline.steps import Step, train_step
from fastk.run.run_config import VARIANTS
from fastk.run.runs import Layout


def train(p, variant: str, splits, *, input_size: int | None = None, seed: int | None = None) -> dict[str, Any]:
    """Train into ``models/VARIANT`` with the run's recipe; the result with a run-relative checkpoint."""

    # a copy: the trainer gets its own recipe, never the run's shared one
    tcfg = dataclasses.replace(p.config.train, **({} if seed is None else {"seed": seed}))
    result = train_model(splits["train"], splits["val"], p.backbone(input_size), p.run.model_dir(variant), tcfg,
                         device=p.device, show_progress=p.show_progress)

    if world().is_main:
        record_input(p, variant, result.checkpoint)
    out = jsonable(json.loads(json.dumps(dataclasses.asdict(result), default=str)))
    out["checkpoint"] = p.run.rel(out["checkpoint"])
    out["seed"] = tcfg.seed
    return out


def record_input(p, variant: str, checkpoint) -> dict[str, Any]:
    """Store in the checkpoint how its images were prepared, so ``predict``/``evaluate``/``explore``
    prepare theirs alike (:mod:`fastk.face.model_input`): the alignment (``masking: aligned``) or the framing
    of the dataset's images (``landmark``), and a variant's mask. Why: checkpoints of ``fastk run``
    recorded none, so a full-frame photo was scored squashed, not cropped (issue 26)."""

    extra: dict[str, Any] = {"landmarks": p.config.explore.landmarks}
    alignment = p.alignment()
    if alignment is not None:
        extra["alignment"] = {**alignment.record(), "detector": p.config.explore.landmarks}
    else:
        extra["framing"] = framing_stats(p.source_splits()["train"], p.detector(), LandmarkCache())
    if variant in VARIANTS:
        extra["mask"] = recipe(p, variant).record()
    backbone, model, meta = load_checkpoint(checkpoint)
    save_checkpoint(checkpoint, backbone, model, {**meta, **extra})
    return extra


def full_steps(p) -> list[Step]:
    """``train_full`` and, when stability is on, ``train_full_seedN`` for the extra seeds."""
    steps = [Step(train_step("full"), lambda: train(p, "full", p.splits()), reads=(Layout.split,),
                  writes=(Layout.model("full"),), sharded=True)]
    for name in p.seed_steps():
        seed = int(name.removeprefix("train_full_seed"))
        steps.append(Step(name, _seed_run(p, seed), reads=(Layout.split,), writes=(Layout.model(f"full-seed{seed}"),),
                          sharded=True))
    return steps


def _seed_run(p, seed: int) -> Callable[[], dict[str, Any]]:
    return lambda: train(p, f"full-seed{seed}", p.splits(), seed=seed)


def variant_step(p, variant: str) -> Step:
    def run() -> dict[str, Any]:
        size = p.run.result(f"mask_{variant}")["crop_size"] if variant == "crop" else None
        return train(p, variant, p.splits(variant), input_size=size)

    return Step(train_step(variant), run, reads=(Layout.split_of(variant),), writes=(Layout.model(variant),),
                sharded=True)
