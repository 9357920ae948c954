"""``fastk bench``: CAM methods x input size x batch size, explore and training throughput, as JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

import fastk
from fastk import defaults
from fastk.cli._common import console, load_samples
from fastk.common.environment import environment_record
from fastk.common.jsonsafe import write_json
from fastk.data.images import read_rgb
from fastk.errors import ConfigError
from fastk.model.checkpoints import load_checkpoint
from fastk.run.bench import bench_cams, bench_explore, bench_training
from fastk.run.speed import pick_batch


def _ints(text: str) -> list[int]:
    try:
        return [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ConfigError(f"expected comma-separated whole numbers, got {text!r}") from None


@click.command("bench")
@click.option("--backbone", default="lgsc", show_default=True, help="Backbone to time (untrained weights).")
@click.option("--option", "options", multiple=True, help="Backbone option KEY=VALUE (e.g. encoder=resnet10t).")
@click.option("--checkpoint", type=click.Path(path_type=Path), help="Time a trained model instead (its input size).")
@click.option("--cam", "cams", default="gradcam++,gradcam,layercam,scorecam,ablationcam", show_default=True,
              help="Comma-separated CAM methods.")
@click.option("--sizes", default="112,224", show_default=True, help="Comma-separated input sizes.")
@click.option("--batch-sizes", default="8,32", show_default=True, help="Comma-separated CAM batch sizes.")
@click.option("--dataset", default=defaults.DATASET, show_default=True, help="Dataset of real face images (real and spoof).")
@click.option("--data", "data_path", type=click.Path(path_type=Path), default=None, help="Its path, if it needs one.")
@click.option("--images", "n_images", default=32, show_default=True, help="How many images explore and training use.")
@click.option("--repeats", default=3, show_default=True)
@click.option("--out", type=click.Path(path_type=Path), default=Path("bench.json"), show_default=True)
def command(backbone, options, checkpoint, cams, sizes, batch_sizes, dataset, data_path, n_images, repeats, out) -> None:
    """Measure speed on this machine and write it as JSON (with the machine and its load)."""
    import os
    import sys

    import yaml

    opts = {}
    for o in options:
        key, sep, value = o.partition("=")
        if not sep:
            raise ConfigError(f"--option needs KEY=VALUE, got {o!r}")
        opts[key] = yaml.safe_load(value)
    methods = [m.strip() for m in cams.split(",") if m.strip()]
    for m in methods:
        fastk.get_registry("cam").get(m)
    samples = pick_batch(load_samples(dataset, data_path), n_images)
    images, labels = [read_rgb(s.path) for s in samples], [s.label for s in samples]
    load_before = os.getloadavg()
    result: dict[str, Any] = {"command": "fastk bench " + " ".join(sys.argv[1:]), "environment": environment_record()}
    with console.status("timing CAM methods"):
        result["cam"] = bench_cams(backbone, opts, images[:8], methods=methods, sizes=_ints(sizes),
                                   batch_sizes=_ints(batch_sizes), repeats=repeats,
                                   checkpoint=str(checkpoint) if checkpoint else None)
    if checkpoint:

        bb, model, _ = load_checkpoint(checkpoint)
    else:
        bb = fastk.create("backbone", backbone, input_size=_ints(sizes)[0], **opts)
        model = bb.build().eval()
    with console.status("timing explore"):
        result["explore"] = bench_explore(samples, bb, model)
    with console.status("timing training steps"):
        result["training"] = bench_training(backbone, opts, images[:16], labels[:16], sizes=_ints(sizes))
    result["load_average_before_after"] = [list(load_before), list(os.getloadavg())]
    write_json(out, result, indent=2)
    from rich.table import Table

    table = Table("method", "input", "batch", "images/s", title="CAM throughput (median of repeats)")
    for r in result["cam"]:
        table.add_row(r["method"], str(r["input_size"]), str(r["batch_size"]), f"{r['images_per_second']:.1f}")
    console.print(table)
    ex = result["explore"]
    console.print(f"explore ({ex['landmarks']} + {ex['cam']}): {ex['cold_landmark_cache']['images_per_second']:.1f} "
                  f"images/s cold, {ex['warm_landmark_cache']['images_per_second']:.1f} warm")
    for r in result["training"]:
        console.print(f"training at {r['input_size']} px: {r['images_per_second']:.1f} images/s")
    console.print(f"results: {out}")
