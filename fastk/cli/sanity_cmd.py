"""``fastk sanity CHECKPOINT PATH``: does the explanation change when the model's weights are random?"""

from __future__ import annotations

import json
from pathlib import Path

import click

from fastk.cli._common import areas_option, cam_option, console, dataset_option, landmarks_option


@click.command("sanity")
@click.argument("checkpoint", type=click.Path(path_type=Path))
@click.argument("path", required=False, type=click.Path(path_type=Path))
@dataset_option
@landmarks_option
@cam_option
@click.option("--cam-target", default=None)
@areas_option
@click.option("--max-images", type=int, default=64, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def command(checkpoint, path, dataset, landmarks, cam, cam_target, areas, max_images, as_json) -> None:
    """Model-randomisation check (Adebayo et al. 2018) of the area importance of CHECKPOINT on PATH."""
    from rich.table import Table

    from fastk.checkpoints import load_checkpoint
    from fastk.cli._common import load_samples
    from fastk.explore import ExploreSettings
    from fastk.sanity import randomisation_check

    backbone, model, _ = load_checkpoint(checkpoint)
    samples = load_samples(dataset, path)[:max_images]
    settings = ExploreSettings(landmarks=landmarks, cam=cam, cam_target=cam_target, areas=areas, overlays=0)
    result = randomisation_check(samples, backbone, model, settings)
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    table = Table("area", "trained", "random weights", title=f"Sanity check: {result['method']}")
    for area in sorted(result["trained"], key=lambda a: -result["trained"][a]):
        table.add_row(area, f"{result['trained'][area]:.3f}", f"{result['randomised'][area]:.3f}")
    console.print(table)
    ag = result["agreement"]
    verdict = "[green]passes[/]" if result["passes"] else "[red]FAILS[/]"
    console.print(f"ranking agreement with random weights: Spearman {ag['spearman']:.2f}; mean change of the per-image "
                  f"area scores {result['mean_abs_area_score_change']:.3f} ({result['images']} images): {verdict} "
                  f"({result['rule']})")
