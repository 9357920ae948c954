"""Options shared by several commands, so each is spelt and documented once.

Numbers are checked where they are parsed (click's one ``Error: Invalid value for '--X'`` line, exit 2)
rather than deep in the work: ``--batch-size 0`` was a ZeroDivisionError after the data step, and
``--threshold nan`` silently called every image real.
"""

from __future__ import annotations

import math

import click
from rich.console import Console

import fastk
from fastk import defaults
from fastk.model.checkpoints import MAX_SIDE, MIN_SIDE, threshold_problem
from fastk.run._config_schema import SCHEMA

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


class FiniteFloatRange(click.FloatRange):
    """``click.FloatRange`` that also refuses NaN and infinity (NaN passes every ``<``/``>`` test)."""

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


class ThresholdType(click.ParamType):
    """A decision threshold: a number in [0, 1], the range of every spoof score (the same rule as a
    threshold stored in a checkpoint, :func:`fastk.model.checkpoints.threshold_problem`)."""

    name = "threshold"

    def convert(self, value, param, ctx):
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        problem = threshold_problem(number)
        if problem:
            self.fail(problem, param, ctx)
        return number


def _check_device(ctx, param, value: str | None) -> str | None:
    check = SCHEMA["device"].check  # the run configuration's rule
    problem = check(value) if check and value is not None else None
    if problem:
        raise click.BadParameter(f"{value!r}: {problem}", ctx, param)
    return value


threshold_option = click.option(
    "--threshold", type=ThresholdType(), default=None,
    help="Spoof if score >= THRESHOLD, in [0, 1] (default: the validation threshold stored with the model).",
)
device_option = click.option("--device", default=None, callback=_check_device,
                             help="cpu, cuda, cuda:N or mps (default: cuda when present).")
#: Square input sides: from the smallest the run's crop rule makes to the largest that fits memory.
side_type = click.IntRange(MIN_SIDE, MAX_SIDE)
batch_size_type = click.IntRange(1)


def metrics_table(metrics_by_name: dict, title: str):
    """A rich table of FAS metrics, one row per model or split."""
    from rich.table import Table

    cols = ["precision", "recall", "f1", "apcer", "bpcer", "acer", "hter", "eer", "auc"]
    table = Table("", *cols, title=title)
    for name, m in metrics_by_name.items():
        table.add_row(name, *["undefined" if m.get(c) is None else f"{m[c]:.3f}" for c in cols])
    return table


def load_samples(dataset: str, path, options: dict | None = None):
    """Samples of a dataset plugin, with or without a path, with the reader's ``options`` (--dataset-option)."""

    kwargs = {**(options or {}), **({"root": path} if path is not None else {})}
    return fastk.create("dataset", dataset, **kwargs).samples()
