"""Options shared by several commands, so each is spelt and documented once."""

from __future__ import annotations

import click
from rich.console import Console

from fastk import defaults

console = Console(highlight=False, soft_wrap=True)  # a file path must stay on one line

landmarks_option = click.option(
    "--landmarks", default=defaults.LANDMARKS, show_default=True, help="Landmark detector (see `fastk list landmarks`)."
)
cam_option = click.option(
    "--cam", default=defaults.CAM, show_default=True, help="CAM method (see `fastk list cam`)."
)
areas_option = click.option(
    "--areas", default=defaults.AREAS, show_default=True,
    help="Area set: a built-in name (paper) or a YAML file (see configs/areas/).",
)
select_option = click.option(
    "--select", "select", default="top-k:4", show_default=True,
    help="Area selector, NAME[:ARG] (top-k:4, bottom-k:6, threshold:0.5, cumulative:0.6, list:a,b).",
)
dataset_option = click.option(
    "--dataset", default="folder", show_default=True, help="Dataset reader for PATH (see `fastk list dataset`)."
)


def metrics_table(metrics_by_name: dict, title: str):
    """A rich table of FAS metrics, one row per model or split."""
    from rich.table import Table

    cols = ["precision", "recall", "f1", "apcer", "bpcer", "acer", "hter", "eer", "auc"]
    table = Table("", *cols, title=title)
    for name, m in metrics_by_name.items():
        table.add_row(name, *["undefined" if m.get(c) is None else f"{m[c]:.3f}" for c in cols])
    return table


def load_samples(dataset: str, path):
    """Samples of a dataset plugin, with or without a path."""
    import fastk

    ds = fastk.create("dataset", dataset, root=path) if path is not None else fastk.create("dataset", dataset)
    return ds.samples()
