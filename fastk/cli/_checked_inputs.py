"""What ``fastk evaluate`` and ``fastk train`` share: dataset options, the face-check options, and
reporting what was skipped, so both commands spell and print them the same way."""

from __future__ import annotations

from pathlib import Path

import click

import fastk
from fastk.errors import ConfigError
from fastk.face.face_check import count_kinds

dataset_options_option = click.option(
    "--dataset-option", "dataset_options", multiple=True, metavar="KEY=VALUE",
    help="Dataset reader option (repeatable), e.g. subject_from_name=true for the folder reader.",
)
face_check_option = click.option(
    "--face-check/--no-face-check", default=True, show_default=True,
    help="Skip and list images without a face (and frame faces as in training); --no-face-check uses "
         "every readable image as it is (e.g. masked images a detector cannot read).",
)


def key_values(pairs, flag: str) -> dict:
    """``("k=v", ...)`` to a dict, values read as YAML scalars (``true``, ``3``, ``a,b``)."""
    import yaml

    out = {}
    for o in pairs:
        key, sep, value = o.partition("=")
        if not sep or not key:
            raise ConfigError(f"{flag} needs KEY=VALUE, got {o!r}")
        out[key] = yaml.safe_load(value)
    return out


def load_dataset(dataset: str, path, options: dict):
    """``(samples, description)`` of a dataset plugin, with or without a path."""

    kwargs = dict(options)
    if path is not None:
        kwargs["root"] = path
    ds = fastk.create("dataset", dataset, **kwargs)
    return ds.samples(), ds.describe()


def print_skipped(console, skipped: list[dict], csv_path: Path | None, *, limit: int = 10) -> None:
    """A count in the terminal, and where the full list is (or the first ``limit`` reasons)."""

    if not skipped:
        return
    where = f": listed in {csv_path}" if csv_path else ""
    console.print(f"skipped {len(skipped)} image(s) ({count_kinds(skipped)}){where}", markup=False)
    if csv_path is None:
        for row in skipped[:limit]:
            console.print(f"  {row['reason']}", markup=False)
        if len(skipped) > limit:
            console.print(f"  ... and {len(skipped) - limit} more (--out writes them all to skipped.csv)", markup=False)
