"""``fastk explore PATH``: per-image CSV, per-area JSON, heatmap overlays, importance bar chart."""

from __future__ import annotations

from pathlib import Path

import click

import fastk
from fastk.cli._checked_inputs import dataset_options_option, key_values, load_dataset
from fastk.cli._common import (
    areas_option,
    batch_size_type,
    cam_option,
    console,
    dataset_option,
    device_option,
    landmarks_option,
)
from fastk.common.distributed import device as rank_device
from fastk.errors import ConfigError
from fastk.explain.explore import ExploreSettings, explore
from fastk.explain.importance import importance_vector, no_signal
from fastk.model.checkpoints import load_checkpoint


@click.command("explore")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@dataset_option
@dataset_options_option
@click.option("--checkpoint", type=click.Path(path_type=Path), help="A fastk checkpoint (model to explain).")
@click.option("--backbone", default=None, help="Explain an untrained backbone instead, e.g. timm:resnet18.")
@landmarks_option
@cam_option
@click.option("--cam-target", default=None, help="Which output to explain (backbone-specific; default: its own).")
@click.option("--target-layer", default=None, help="Layer to explain at (default: the backbone's last conv block).")
@areas_option
@click.option("--group-by", "group_by", multiple=True,
              help="Break importance down by this column (repeatable; default: label, attack_type, lighting; "
                   "any metadata column such as gender works).")
@click.option("--batch-size", type=batch_size_type, default=16, show_default=True)
@click.option("--overlays", type=click.IntRange(0), default=12, show_default=True, help="Heatmap overlays to save per group (real, each attack type).")
@click.option("--out", type=click.Path(path_type=Path), default=Path("runs/explore"), show_default=True)
@device_option
def command(path, dataset, dataset_options, checkpoint, backbone, landmarks, cam, cam_target, target_layer, areas,
            group_by, batch_size, overlays, out, device) -> None:
    """Explain a model on the images in PATH and score each face area (Eq. 2 of the paper).

    Each image is prepared as `fastk predict` prepares it for the checkpoint (aligned onto the template,
    or cropped to the training framing, and masked for a retrained variant): the maps explain the input
    the model scores. per_image.csv's "framing" column says how each image was prepared.
    """

    if (checkpoint is None) == (backbone is None):
        raise ConfigError("give exactly one of --checkpoint FILE or --backbone NAME")
    # Check every plugin name before any slow work starts.
    fastk.get_registry("landmarks").get(landmarks)
    fastk.get_registry("cam").get(cam)
    if backbone is not None:
        fastk.get_registry("backbone").get(backbone)

    device = rank_device(device)  # under torchrun with GPUs: this rank's own
    samples, _ = load_dataset(dataset, path, key_values(dataset_options, "--dataset-option"))
    if checkpoint is not None:

        bb, model, meta = load_checkpoint(checkpoint, device=device)
    else:
        meta = None
        bb = fastk.create("backbone", backbone)
        model = bb.build().to(device).eval()
        console.print(f"[yellow]note:[/] {backbone} is untrained: its heatmaps explain random weights")
    settings = ExploreSettings(landmarks=landmarks, cam=cam, cam_target=cam_target, target_layer=target_layer,
                               areas=areas, batch_size=batch_size, overlays=overlays)
    if group_by:
        settings.group_by = list(group_by)
    result = explore(samples, bb, model, out, settings, input_meta=meta)
    _print_summary(result)


def _print_summary(result) -> None:
    """The ranking, or, when every area scored the same (all-zero maps), that there is none: a table
    "most important first" would then show an order made by the tie-break alone."""
    from rich.table import Table

    flat = no_signal(importance_vector(result.importance))
    title = f"Area importance: {flat}; no ranking" if flat else "Area importance (most important first)"
    table = Table("area", "importance", "95% CI", "n", title=title)
    for area in result.summary["ranking"]:
        v = result.importance[area]
        table.add_row(area, f"{v['importance']:.3f}", f"{v['ci_low']:.3f}-{v['ci_high']:.3f}", str(v["n"]))
    console.print(table)
    console.print(f"{result.processed} images used, {len(result.skipped)} skipped; results in {result.out_dir}/")
