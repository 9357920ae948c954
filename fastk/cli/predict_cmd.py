"""``fastk predict CHECKPOINT IMAGE...``: a spoof score and a label per image, as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("predict")
@click.argument("checkpoint", type=click.Path(path_type=Path))
@click.argument("images", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--threshold", type=float, default=None, help="Default: the validation threshold stored with the model.")
def command(checkpoint, images, threshold) -> None:
    """Score IMAGE files; unreadable ones get an "error" instead of a score (one JSON list on stdout)."""
    from fastk.checkpoints import load_checkpoint
    from fastk.datasets import Sample
    from fastk.errors import FastkError
    from fastk.images import read_rgb
    from fastk.training import predict_scores

    backbone, model, meta = load_checkpoint(checkpoint)
    t = float(meta.get("threshold", 0.5) if threshold is None else threshold)
    results, usable = [], []
    for p in images:
        try:
            read_rgb(p)
            usable.append(p)
        except FastkError as err:
            results.append({"path": str(p), "error": str(err)})
    scores = predict_scores(backbone, model, [Sample(p) for p in usable]) if usable else []
    for p, s in zip(usable, scores):
        results.append({"path": str(p), "spoof_score": round(float(s), 6), "label": "spoof" if s >= t else "real",
                        "threshold": t})
    order = {str(p): i for i, p in enumerate(images)}
    click.echo(json.dumps(sorted(results, key=lambda r: order[r["path"]]), indent=2))
