"""``fastk predict CHECKPOINT IMAGE...``: a spoof score and a label per image, as JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

import fastk
from fastk import defaults
from fastk.cli._common import threshold_option
from fastk.common.jsonsafe import dumps
from fastk.data.datasets import Sample
from fastk.face.model_input import recorded_detector
from fastk.model.checkpoints import load_checkpoint
from fastk.model.training.evaluate import score_samples


@click.command("predict")
@click.argument("checkpoint", type=click.Path(path_type=Path))
@click.argument("images", nargs=-1, required=True, type=click.Path(path_type=Path))
@threshold_option
@click.option("--landmarks", default=None,
              help="Landmark detector for the face check and framing (default: the one the model's "
                   "training framing was measured with, else dlib).")
@click.option("--face-check/--no-face-check", default=True, show_default=True,
              help="Skip images without a face and crop full frames to the training framing; "
                   "--no-face-check scores every readable image as it is (e.g. masked images).")
def command(checkpoint, images, threshold, landmarks, face_check) -> None:
    """Score IMAGE files (one JSON list on stdout).

    An unreadable image, or one without a face, gets an "error" instead of a score. Each score says
    how the image was prepared: "aligned" onto the template, "cropped" to the face the way the training
    images framed it, or "as-is" (", masked" for a retrained variant).
    """

    backbone, model, meta = load_checkpoint(checkpoint)
    t = float(meta.get("threshold", 0.5) if threshold is None else threshold)
    detector = None
    if face_check:
        detector = fastk.create("landmarks", landmarks or recorded_detector(meta) or defaults.LANDMARKS)
    scored = score_samples(backbone, model, meta, [Sample(p) for p in images], detector=detector)
    results: list[dict[str, Any]] = [{"path": row["path"], "error": row["reason"], "skipped": row["kind"]}
                                     for row in scored.skipped]
    for smp, s, how, why in zip(scored.samples, scored.scores, scored.framing, scored.framing_notes):
        results.append({"path": str(smp.path), "spoof_score": round(float(s), 6), "label": "spoof" if s >= t else "real",
                        "threshold": t, "framing": how, "framing_note": why})
    order = {str(p): i for i, p in enumerate(images)}
    click.echo(dumps(sorted(results, key=lambda r: order[r["path"]]), indent=2))
