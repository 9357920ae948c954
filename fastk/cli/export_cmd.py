"""``fastk export CHECKPOINT OUT.onnx``: ONNX export, checked against PyTorch on real face images."""

from __future__ import annotations

from pathlib import Path

import click

from fastk.cli._common import console
from fastk.common.jsonsafe import dumps
from fastk.data.faces import shared_faces_dir
from fastk.data.images import list_images, read_rgb
from fastk.model.training.onnx_export import export_onnx


@click.command("export")
@click.argument("checkpoint", type=click.Path(path_type=Path))
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--check", "check_dir", type=click.Path(path_type=Path), default=None,
              help="Images to compare ONNX Runtime's scores with PyTorch's (default: the shared face photos).")
def command(checkpoint, out, check_dir) -> None:
    """Export CHECKPOINT to ONNX (input: image tensor in [-1, 1]; output: spoof score)."""

    shared = shared_faces_dir()
    folder = check_dir or (shared / "images" if shared else None)
    images = [read_rgb(p) for p in list_images(folder)[:8]] if folder else None
    result = export_onnx(checkpoint, out, check_images=images)
    console.print(dumps(result, indent=2))
