"""Where a stability grid's inputs come from: a run's split file, a run's models, a planted-cue set."""

from __future__ import annotations

import json
from pathlib import Path

from fastk.data.datasets import Sample
from fastk.errors import ConfigError
from fastk.plugin.plugins import create
from fastk.run.pipeline.samples_io import read_split_file
from fastk.run.runs import Layout, RunFolder


def planted_areas(dataset) -> list[str] | None:
    """The areas a planted-cue dataset hid its cue in (its ``planted`` option), else None."""
    options = getattr(dataset, "options", None) or {}
    planted = options.get("planted")
    return list(planted) if planted else None


def read_split(path: str | Path, part: str = "val") -> list[Sample]:
    """One part (``train``, ``val``, ``test``) of a split file (see :func:`read_split_file`)."""

    data = read_split_file(path)
    if part not in data:
        raise ConfigError(f"{path}: no split {part!r}; has: {', '.join(data) or 'none'}")
    return data[part]


def run_checkpoints(run_dir: str | Path) -> list[Path]:
    """The full-face model(s) of a ``fastk run`` folder: every finished ``train_full*`` step's checkpoint."""

    run = RunFolder.existing(run_dir)
    found = [run.resolve(s["result"]["checkpoint"]) for name, s in sorted(run.manifest["steps"].items())
             if name.startswith("train_full") and s.get("status") == "done" and "checkpoint" in (s.get("result") or {})]
    if not found:
        raise ConfigError(f"{run_dir}: no finished full-model training step (train_full) in its manifest")
    return found


def run_dataset_planted(run_dir: str | Path) -> list[str] | None:
    """The planted areas of a run's dataset (its ``config.json``), e.g. ``demo:planted``; else None."""

    p = Path(run_dir) / Layout.config  # a reader: RunFolder() would create the folder
    if not p.is_file():
        return None
    ds = json.loads(p.read_text()).get("dataset") or {}
    try:
        return planted_areas(create("dataset", ds["name"], **(ds.get("options") or {})))
    except (KeyError, TypeError, ConfigError):
        return None
