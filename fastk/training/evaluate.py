"""Scoring and evaluating a trained model on samples, at a threshold chosen on validation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from fastk.datasets import Sample


def predict_scores(backbone, model, samples: list[Sample], *, batch_size: int = 64, device: str = "cpu") -> np.ndarray:
    """Spoof scores (higher = more likely spoof) for ``samples``, in order."""
    from fastk.training.trainer import load_tensors, scores

    x, _ = load_tensors(backbone, samples) if all(s.label >= 0 for s in samples) else _unlabelled(backbone, samples)
    return scores(backbone, model.to(device), x, batch_size, device)


def _unlabelled(backbone, samples):
    import cv2
    import torch

    from fastk.images import read_rgb

    s = backbone.input_size
    arr = np.stack([cv2.resize(read_rgb(p.path), (s, s), interpolation=cv2.INTER_AREA) for p in samples])
    return torch.from_numpy(arr).permute(0, 3, 1, 2).contiguous(), None


def evaluate_checkpoint(checkpoint: str | Path, samples: list[Sample], *, threshold: float | None = None,
                        device: str = "cpu", group_by: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    """All metrics of a checkpoint on ``samples``; ``threshold`` defaults to the one stored with it.

    ``group_by`` adds ``by[key][value]``: the same metrics on each group's samples (lighting, gender,
    ...), at the same threshold, so errors can be compared across groups.
    """
    from fastk.checkpoints import load_checkpoint
    from fastk.training.metrics import metrics_at

    backbone, model, meta = load_checkpoint(checkpoint, device=device)
    t = float(meta.get("threshold", 0.5) if threshold is None else threshold)
    s = predict_scores(backbone, model, samples, device=device)
    labels = np.array([x.label for x in samples])
    attacks = [x.attack_type for x in samples]
    result = metrics_at(labels, s, t, attacks)
    if group_by:
        result["by"] = {}
        for key in group_by:
            values = [x.group_value(key) for x in samples]
            groups = {}
            for v in sorted({v for v in values if v is not None}):
                idx = [i for i, w in enumerate(values) if w == v]
                groups[v] = metrics_at(labels[idx], s[idx], t, [attacks[i] for i in idx])
            result["by"][key] = groups
    return result
