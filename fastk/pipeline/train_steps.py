"""Training steps: the full-face model, the same recipe with other seeds (for stability), the variants."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from fastk.jsonsafe import jsonable
from fastk.pipeline.steps import Step


def train(p, variant: str, splits, *, input_size: int | None = None, seed: int | None = None) -> dict[str, Any]:
    """Train into ``models/VARIANT`` with the run's recipe; the result with a run-relative checkpoint."""
    from fastk.training.trainer import TrainConfig
    from fastk.training.trainer import train as train_model

    tcfg = TrainConfig(**{"seed": p.cfg["seed"], **p.cfg["train"]})
    if seed is not None:
        tcfg = dataclasses.replace(tcfg, seed=seed)
    result = train_model(splits["train"], splits["val"], p.backbone(input_size), p.root / "models" / variant, tcfg,
                         device=p.device, show_progress=p.show_progress)
    out = jsonable(json.loads(json.dumps(dataclasses.asdict(result), default=str)))
    out["checkpoint"] = p.run.rel(out["checkpoint"])
    out["seed"] = tcfg.seed
    return out


def full_steps(p) -> list[Step]:
    """``train_full`` and, when stability is on, ``train_full_seedN`` for the extra seeds."""
    steps = [Step("train_full", lambda: train(p, "full", p.splits()), reads=("split.json",),
                  writes=("models/full/",))]
    for name in p.seed_steps():
        seed = int(name.removeprefix("train_full_seed"))
        steps.append(Step(name, lambda s=seed: train(p, f"full-seed{s}", p.splits(), seed=s), reads=("split.json",),
                          writes=(f"models/full-seed{seed}/",)))
    return steps


def variant_step(p, variant: str) -> Step:
    def run() -> dict[str, Any]:
        size = p.run.result(f"mask_{variant}")["crop_size"] if variant == "crop" else None
        return train(p, variant, p.splits(f"masked/{variant}"), input_size=size)

    return Step(f"train_{variant}", run, reads=(f"masked/{variant}/split.json",), writes=(f"models/{variant}/",))
