"""Scoring and evaluating a trained model on samples, at a threshold chosen on validation.

Every image is checked before it is scored (:mod:`fastk.face.face_check`): unreadable files, and with a
landmark detector images without a face, are skipped and listed instead of stopping the batch or
being scored silently. With a detector, each image is also framed the way the model's training
images were (:mod:`fastk.face.framing`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fastk.data.datasets import Sample
from fastk.data.images import read_rgb
from fastk.errors import ImageReadError
from fastk.face.face_check import UNREADABLE, Checked, check_faces, require_usable
from fastk.face.model_input import prepare
from fastk.model.checkpoints import load_checkpoint
from fastk.model.training.metrics import metrics_at
from fastk.model.training.trainer import scores


def predict_scores(backbone, model, samples: list[Sample], *, batch_size: int = 64, device: str = "cpu") -> np.ndarray:
    """Spoof scores (higher = more likely spoof) for ``samples``, in order, images used as they are."""

    x = _stack(backbone, (read_rgb(s.path) for s in samples), len(samples))
    return _scores(backbone, model, x, batch_size, device)


@dataclass
class Scored:
    """What :func:`score_samples` made of a batch: scored samples in order, and the skipped ones."""

    samples: list[Sample] = field(default_factory=list)
    scores: np.ndarray = field(default_factory=lambda: np.zeros(0))
    framing: list[str] = field(default_factory=list)  # "aligned" / "cropped" / "as-is" (", masked") per sample
    framing_notes: list[str] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    detector: str | None = None

    def framing_counts(self) -> dict[str, int]:
        return {k: self.framing.count(k) for k in sorted(set(self.framing) | {"cropped", "as-is"})}


def score_samples(backbone, model, meta: dict[str, Any], samples: list[Sample], *, detector=None, cache=None,
                  batch_size: int = 64, device: str = "cpu", show_progress: bool = False) -> Scored:
    """Check, prepare (:func:`fastk.face.model_input.prepare`) and score ``samples``; never raises for a bad
    image (it is listed in ``skipped``).

    ``detector`` (a landmark-detector plugin) turns on the face check and the preparation (alignment,
    framing, masking as the checkpoint's ``meta`` records); without it every readable image is scored
    as it is.
    """

    checked = check_faces(samples, detector, cache, show_progress=show_progress)
    out = Scored(skipped=list(checked.skipped), detector=None if detector is None else detector.name)
    images: list[np.ndarray] = []
    parts = []  # scored batch by batch, so memory does not grow with the number of images
    for s, face in checked.usable:
        try:
            rgb = read_rgb(s.path)
        except ImageReadError as err:  # changed on disk since the check
            out.skipped.append({"path": str(s.path), "kind": UNREADABLE, "reason": str(err)})
            continue
        prepared = prepare(rgb, face, meta)
        images.append(prepared.image)
        out.samples.append(s)
        out.framing.append(prepared.how)
        out.framing_notes.append(prepared.why)
        if len(images) == batch_size:
            parts.append(_scores(backbone, model, _stack(backbone, images, len(images)), batch_size, device))
            images = []
    if images:
        parts.append(_scores(backbone, model, _stack(backbone, images, len(images)), batch_size, device))
    if parts:
        out.scores = np.concatenate(parts)
    return out


def score_images(backbone, model, images: list[np.ndarray], *, batch_size: int = 64, device: str = "cpu") -> np.ndarray:
    """Spoof scores of RGB arrays prepared already, resized to the model's input as training resized them."""
    return _scores(backbone, model, _stack(backbone, images, len(images)), batch_size, device)


def _stack(backbone, images, n: int):
    """Images resized to the backbone's square input, as the trainer does, in a uint8 (N, 3, S, S) tensor."""
    import cv2
    import torch

    s = backbone.input_size
    out = np.empty((n, s, s, 3), np.uint8)
    for i, img in enumerate(images):
        out[i] = cv2.resize(img, (s, s), interpolation=cv2.INTER_AREA)
    return torch.from_numpy(out).permute(0, 3, 1, 2).contiguous()


def _scores(backbone, model, x, batch_size: int, device: str) -> np.ndarray:
    if len(x) == 0:
        return np.zeros(0)
    return scores(backbone, model.to(device), x, batch_size, device)


def evaluate_checkpoint(checkpoint: str | Path, samples: list[Sample], *, threshold: float | None = None,
                        device: str = "cpu", group_by: list[str] | tuple[str, ...] = (), detector=None,
                        cache=None, source: str = "evaluation set", show_progress: bool = False) -> dict[str, Any]:
    """All metrics of a checkpoint on ``samples``; ``threshold`` defaults to the one stored with it.

    Images are checked and framed by :func:`score_samples` (``detector``, ``cache``); the metrics
    come from :func:`metrics_of`. Raises a one-line error naming ``source`` only when no image is usable.
    """

    backbone, model, meta = load_checkpoint(checkpoint, device=device)
    t = float(meta.get("threshold", 0.5) if threshold is None else threshold)
    scored = score_samples(backbone, model, meta, samples, detector=detector, cache=cache, device=device,
                           show_progress=show_progress)
    return metrics_of(scored, t, group_by=group_by, source=source)


def metrics_of(scored: Scored, threshold: float, *, group_by: list[str] | tuple[str, ...] = (),
               source: str = "evaluation set") -> dict[str, Any]:
    """Every metric of a scored batch at ``threshold``, plus what was skipped and how images were framed.

    ``group_by`` adds ``by[key][value]``: the same metrics on each group's samples (lighting, gender,
    ...), at the same threshold, so errors can be compared across groups. ``skipped`` lists the
    images left out (``n_skipped`` counts them); ``framing`` counts images cropped to the training
    framing and used as they are.
    """

    require_usable(Checked(usable=[(s, None) for s in scored.samples], skipped=scored.skipped), source)
    labels = np.array([x.label for x in scored.samples])
    attacks = [x.attack_type for x in scored.samples]
    s = scored.scores
    result = metrics_at(labels, s, threshold, attacks)
    result["n_skipped"] = len(scored.skipped)
    result["skipped"] = scored.skipped
    result["framing"] = {**scored.framing_counts(), "detector": scored.detector}
    if group_by:
        result["by"] = {}
        for key in group_by:
            values = [x.group_value(key) for x in scored.samples]
            groups = {}
            for v in sorted({v for v in values if v is not None}):
                idx = [i for i, w in enumerate(values) if w == v]
                groups[v] = metrics_at(labels[idx], s[idx], threshold, [attacks[i] for i in idx])
            result["by"][key] = groups
    return result
