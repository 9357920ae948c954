"""``fastk evaluate CHECKPOINT PATH``: all FAS metrics of a trained model on a dataset."""

from __future__ import annotations

import json
from pathlib import Path

import click

from fastk.cli._common import console, dataset_option, load_samples, metrics_table


@click.command("evaluate")
@click.argument("checkpoint", type=click.Path(path_type=Path))
@click.argument("path", required=False, type=click.Path(path_type=Path))
@dataset_option
@click.option("--threshold", type=float, default=None, help="Default: the validation threshold stored with the model.")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Write the metrics JSON here.")
def command(checkpoint, path, dataset, threshold, out) -> None:
    """Evaluate CHECKPOINT on the labelled images of PATH (or a dataset that needs no path)."""
    from fastk.training import evaluate_checkpoint

    samples = load_samples(dataset, path)
    metrics = evaluate_checkpoint(checkpoint, samples, threshold=threshold)
    if out:
        Path(out).write_text(json.dumps(metrics, indent=2))
    console.print(metrics_table({str(path or dataset): metrics}, f"{checkpoint}: threshold {metrics['threshold']:.4f}"))
    if metrics["apcer_per_attack"]:
        console.print("APCER per attack type: " + ", ".join(f"{a} {v:.3f}" for a, v in metrics["apcer_per_attack"].items()))
