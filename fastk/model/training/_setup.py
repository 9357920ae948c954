"""What a training builds before its first step: seeds, the model, the optimiser and its schedule.

Why apart from :mod:`fastk.model.training.trainer`: the epoch loop is the trainer's job; these are fixed
choices (AdamW, warm-up then cosine to 5%, BatchNorm momentum) a reader looks up, not the loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import torch

    from fastk.model.backbones import Backbone
    from fastk.model.train_settings import TrainConfig


def set_deterministic(seed: int, on: bool) -> None:
    import random

    import torch

    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
    if on:
        torch.use_deterministic_algorithms(True, warn_only=True)


def build_model(backbone: Backbone, cfg: TrainConfig, device: str) -> torch.nn.Module:
    """The backbone's model on ``device`` in channels-last layout, its BatchNorm momentum set from ``cfg``.

    Why channels-last: CPU convolutions (oneDNN) run the demo LGSC faster in it, with the same arithmetic
    up to float rounding: a training epoch on the demo split 10.8 s against 12.8 s (one step of 32 images
    at 112 px: 1.17 s against 1.78 s) on the Intel Xeon of 2026-12-03; benchmarks/training_speed.py times
    both layouts. Checkpoints are saved contiguous.
    """
    import torch

    model = backbone.build().to(device).to(memory_format=torch.channels_last)
    if cfg.bn_momentum is not None:
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.momentum = cfg.bn_momentum
    return model


def optimiser(model: torch.nn.Module, cfg: TrainConfig,
               steps_per_epoch: int) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler]:
    """AdamW with a per-step schedule: linear warm-up, then cosine to 5% of the peak."""
    import torch

    total_steps = steps_per_epoch * cfg.epochs
    warmup = max(1, int(cfg.warmup_epochs * steps_per_epoch))
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)

    def lr_at(step: int) -> float:
        if step < warmup:
            return float((step + 1) / warmup)
        t = (step - warmup) / max(1, total_steps - warmup)
        return float(0.05 + 0.95 * 0.5 * (1 + np.cos(np.pi * min(1.0, t))))

    return opt, torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
