"""``fastk evaluate CHECKPOINT PATH``: all FAS metrics of a trained model on a dataset."""

from __future__ import annotations

from pathlib import Path

import click

import fastk
from fastk import defaults
from fastk.cli._checked_inputs import dataset_options_option, face_check_option, key_values, load_dataset, print_skipped
from fastk.cli._common import console, dataset_option, metrics_table, threshold_option
from fastk.common.jsonsafe import write_json
from fastk.common.locks import FolderLock
from fastk.common.outputs import write_text
from fastk.face.face_check import write_skipped
from fastk.face.model_input import describe, recorded_detector
from fastk.model.checkpoints import load_checkpoint
from fastk.model.training.evaluate import metrics_of, score_samples
from fastk.model.training.metrics import describe_undefined


@click.command("evaluate")
@click.argument("checkpoint", type=click.Path(path_type=Path))
@click.argument("path", required=False, type=click.Path(path_type=Path))
@dataset_option
@dataset_options_option
@threshold_option
@click.option("--landmarks", default=None,
              help="Landmark detector for the face check and framing (default: the one the model's "
                   "training framing was measured with, else dlib).")
@face_check_option
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Write the metrics JSON here (strict JSON), with skipped.csv and scores.csv beside it; "
                   "that folder is locked, and refused if another command's output is in it.")
def command(checkpoint, path, dataset, dataset_options, threshold, landmarks, face_check, out) -> None:
    """Evaluate CHECKPOINT on the labelled images of PATH (or a dataset that needs no path).

    Unreadable images and images without a face are skipped, counted and listed (skipped.csv beside
    --out); each image is prepared as the training images were (aligned onto the template, or a full
    frame cropped to the training framing; a retrained variant's areas kept).
    """
    import contextlib

    # Its folder: one writer at a time, and never another command's (skipped.csv would replace theirs).
    with FolderLock(Path(out).parent, "fastk evaluate") if out else contextlib.nullcontext():
        _evaluate(checkpoint, path, dataset, dataset_options, threshold, landmarks, face_check, out)


def _evaluate(checkpoint, path, dataset, dataset_options, threshold, landmarks, face_check, out) -> None:
    from rich.markup import escape

    samples, source = load_dataset(dataset, path, key_values(dataset_options, "--dataset-option"))
    backbone, model, meta = load_checkpoint(checkpoint)
    detector = fastk.create("landmarks", landmarks or recorded_detector(meta) or defaults.LANDMARKS) if face_check else None
    t = float(meta.get("threshold", 0.5) if threshold is None else threshold)
    scored = score_samples(backbone, model, meta, samples, detector=detector, show_progress=True)
    metrics = metrics_of(scored, t, source=f"dataset {source}")
    skipped_csv = _write(Path(out), metrics, scored, t) if out else None
    console.print(metrics_table({str(path or dataset): metrics},
                                escape(f"{checkpoint}: threshold {metrics['threshold']:.4f}, "
                                       f"{len(scored.samples)} images, positive class = spoof")))
    for line in describe_undefined(metrics):
        console.print(line, markup=False)
    if metrics["n_unlabelled"]:
        where = f"; scores in {out.parent / 'scores.csv'}" if out else "; --out writes them to scores.csv"
        console.print(f"{metrics['n_unlabelled']} unlabelled image(s) left out of the metrics{where}", markup=False)
    if metrics["apcer_per_attack"]:
        console.print("APCER per attack type: " + ", ".join(f"{a} {v:.3f}" for a, v in metrics["apcer_per_attack"].items()),
                      markup=False)
    print_skipped(console, scored.skipped, skipped_csv)
    if detector is not None:
        counts = ", ".join(f"{n} {how}" for how, n in scored.framing_counts().items() if n)
        console.print(f"{checkpoint}: {describe(meta)} ({counts or 'no image'})", markup=False)


def _write(out: Path, metrics: dict, scored, t: float) -> Path | None:
    """The metrics JSON, skipped.csv and scores.csv (one row per scored image); returns skipped.csv."""
    import csv
    import io

    write_json(out, metrics, indent=2)
    skipped_csv = write_skipped(out.parent / "skipped.csv", scored.skipped)
    text = io.StringIO(newline="")
    w = csv.writer(text)
    w.writerow(["path", "label", "attack_type", "spoof_score", "called", "framing"])
    for smp, s, how in zip(scored.samples, scored.scores, scored.framing):
        w.writerow([smp.path, smp.label, smp.attack_type, f"{s:.6f}", "spoof" if s >= t else "real", how])
    write_text(out.parent / "scores.csv", text.getvalue())  # a full disk is one line naming the file
    return skipped_csv
