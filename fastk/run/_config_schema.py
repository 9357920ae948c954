"""The table of run-configuration keys :mod:`fastk.run._config_checks` checks: type, allowed values, range.

Why a table: every key's type, range and allowed values live in one place, which the checks, the
error lines and docs/configuration.md (tested against it) all read, so they cannot drift apart.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from fastk.common.safepaths import plain_name
from fastk.errors import FastkError
from fastk.model.checkpoints import MAX_SIDE, MIN_SIDE
from fastk.plugin._options import did_you_mean
from fastk.run.run_config import VARIANTS
from fastk.trust.imputation import REMOVALS

SEED_MAX = 2**32 - 1  # numpy's legacy seeding and many CUDA paths take 32-bit seeds
N_BOOT_MAX = 100_000  # the bootstrap holds n_boot x images indices in memory


@dataclass(frozen=True)
class Key:
    """One leaf of the run configuration: its type, what the error line says is allowed, and checks."""

    type: Any
    allowed: str
    check: Callable[[Any], str | None] | None = None  # on a well-typed value: a problem, or None
    normalise: Callable[[Any], Any] | None = None  # before the type check (``group_by: x`` -> ``[x]``)


def _finite(v: float) -> bool:
    return not isinstance(v, float) or math.isfinite(v)  # ints are exact (and may be too big for a float)


def _range(lo: float | None = None, hi: float | None = None, *, lo_open: bool = False) -> Callable[[Any], str | None]:
    def check(v: Any) -> str | None:
        if v is None:
            return None
        if not _finite(v):
            return "must be a finite number"
        if lo is not None and (v <= lo if lo_open else v < lo):
            return f"must be {'>' if lo_open else '>='} {lo:g}" + (f" and <= {hi:g}" if hi is not None else "")
        if hi is not None and v > hi:
            return f"must be <= {hi:g}"
        return None

    return check


def _name(v: str) -> str | None:
    # the rule the run folder itself is made with

    try:
        plain_name(v, "run name")
    except FastkError:
        return "not a plain folder name"
    return None


def _device(v: str | None) -> str | None:
    if v is not None and not re.fullmatch(r"cpu|mps|cuda(:\d+)?", v):
        return f"unknown device{did_you_mean(v, ['cpu', 'cuda', 'mps'])}"
    return device_problem(v) if v is not None else None


def device_problem(device: str) -> str | None:
    """Why ``device`` cannot run here, or ``None``: checked with the configuration, because a run asked
    for a GPU it does not have only fails after its data step."""
    import torch

    kind, _, index = device.partition(":")
    if kind == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count <= int(index or 0):
            return f"this machine has {count or 'no'} CUDA device{'' if count == 1 else 's'} (use cpu, or null)"
    if kind == "mps" and not torch.backends.mps.is_available():
        return "MPS (Apple GPU) is not available on this machine (use cpu, or null)"
    return None


def _ratios(v: list[float]) -> str | None:
    if len(v) != 3:
        return f"needs 3 numbers (train, val, test), got {len(v)}"
    if not all(_finite(r) and r > 0 for r in v):
        return "every ratio must be a positive number"
    total = sum(v)
    if abs(total - 1) > 1e-6:
        return f"must sum to 1 (they sum to {format(float(total), 'g') if total < 1e300 else 'more than 1e300'})"
    return None


def _variants(v: list[str]) -> str | None:
    bad = [x for x in v if x not in VARIANTS]
    if bad:
        return f"unknown variant {bad[0]!r}{did_you_mean(bad[0], VARIANTS)} (allowed: {', '.join(VARIANTS)})"
    if len(set(v)) != len(v):
        return "lists a variant twice"
    return None


def _group_keys(v: list[str]) -> str | None:
    return "needs non-empty column names" if any(not k.strip() for k in v) else None


def _one_list(v: Any) -> Any:
    """A lone string is a one-element list (``group_by: attack_type``), never its characters."""
    return [v] if isinstance(v, str) else v


def _path_str(v: Any) -> Any:
    return str(v) if isinstance(v, Path) else v


def _nonempty(v: str) -> str | None:
    return "must not be empty" if not v.strip() else None


def _nonempty_list(v: list[str]) -> str | None:
    return "the list is empty" if not v else None


def _removals(v: list[str]) -> str | None:
    bad = [m for m in v if m not in REMOVALS]
    if bad or not v:
        return f"unknown removal method(s) {', '.join(map(repr, bad)) or '(none)'}"
    return None


SPLITS = ("train", "val", "test")
SPEC = "a plugin name NAME[:ARG] (a string)"

SCHEMA: dict[str, Key] = {
    "name": Key(str, "a run folder name: letters, digits, '.', '_', '-', not starting with '.' (no '/' or '..')",
                _name),
    "seed": Key(int, f"an integer from 0 to {SEED_MAX}", _range(0, SEED_MAX)),
    "device": Key(str | None, "cpu, cuda, cuda:N, mps or null (null: cuda when present)", _device),
    "dataset.name": Key(str, f"{SPEC}, see `fastk list dataset`", _nonempty),
    "dataset.path": Key(str | None, "a path (string) or null", normalise=_path_str),
    "dataset.options": Key(dict, "a mapping of the dataset reader's options"),
    "split.ratios": Key(list[float], "three positive numbers summing to 1, e.g. [0.6, 0.2, 0.2]", _ratios),
    "split.stratify": Key(bool, "true or false"),
    "split.protocol": Key(str | None, "a protocol NAME[:ARG] (a string) or null (split by subject), e.g. "
                          "oulu-npu:1; see `fastk list protocol`", lambda v: None if v is None else _nonempty(v)),
    "split.protocol_options": Key(dict, "a mapping of the protocol's options"),
    "backbone.name": Key(str, f"{SPEC}, e.g. lgsc or timm:resnet18", _nonempty),
    "backbone.input_size": Key(int, f"an integer from {MIN_SIDE} to {MAX_SIDE} (pixels)", _range(MIN_SIDE, MAX_SIDE)),
    "backbone.options": Key(dict, "a mapping of the backbone's options"),
    "masking": Key(Literal[("aligned", "landmark")], "aligned (faces warped onto one template, one mask for every "
                   "image) or landmark (the paper's: each image as given, masked by its own landmarks)"),
    "train": Key(dict, "a mapping of training options (fastk.model.training.trainer.TrainConfig fields)"),
    "explore.landmarks": Key(str, f"{SPEC}, see `fastk list landmarks`", _nonempty),
    "explore.cam": Key(str, f"{SPEC}, see `fastk list cam`", _nonempty),
    "explore.cam_target": Key(str | None, "a CAM target of the backbone (e.g. spoof-logit) or null"),
    "explore.target_layer": Key(str | None, "a dotted layer name of the model or null"),
    "explore.areas": Key(str, "an area set name (paper) or a YAML file", _nonempty, _path_str),
    "explore.split": Key(Literal[SPLITS], "one of train, val, test"),
    "explore.batch_size": Key(int, "an integer >= 1", _range(1)),
    "explore.overlays": Key(int, "an integer >= 0", _range(0)),
    "explore.n_boot": Key(int, f"an integer from 0 to {N_BOOT_MAX}", _range(0, N_BOOT_MAX)),
    "explore.group_by": Key(list[str], "a list of column names (a lone name is a one-element list)", _group_keys,
                            _one_list),
    "sanity.draws": Key(int, "an integer from 1 to 100 (random initialisations)", _range(1, 100)),
    "sanity.cascading": Key(bool, "true or false"),
    "sanity.max_images": Key(int | None, "an integer >= 2 (a real and an attack image at least) or null (all images "
                             "of the explored split)", _range(2)),
    "stability.enabled": Key(bool, "true or false"),
    "stability.seeds": Key(int, "an integer from 1 to 50 (full models trained, the run's own included)",
                           _range(1, 50)),
    "stability.cams": Key(list[str] | None, "a list of CAM methods or null (the default list)", None, _one_list),
    "stability.slow_cams": Key(Literal[("auto", "yes", "no")], "one of auto, yes, no"),
    "stability.slow_cam_seconds": Key(float, "a number of seconds > 0", _range(0, lo_open=True)),
    "stability.detectors": Key(list[str], "a non-empty list of landmark detectors", _nonempty_list, _one_list),
    "stability.targets": Key(list[str] | None, "a list of the backbone's CAM targets or null (all)", None, _one_list),
    "stability.k": Key(int | None, "an integer >= 1 or null (the selector's k, else 4)", _range(1)),
    "stability.n_boot": Key(int, f"an integer from 1 to {N_BOOT_MAX}", _range(1, N_BOOT_MAX)),
    "stability.max_images": Key(int | None, "an integer >= 2 or null (all images)", _range(2)),
    "select": Key(str, "an area selector NAME[:ARG] (a string), e.g. top-k:4; see `fastk list selector`",
                  _nonempty),
    "faithfulness.enabled": Key(bool, "true or false"),
    "faithfulness.methods": Key(list[str], "a non-empty list from: road, blackout", _removals, _one_list),
    "faithfulness.n_random": Key(int, "an integer from 1 to 1000 (random area sets)", _range(1, 1000)),
    "faithfulness.max_images": Key(int | None, "an integer >= 2 or null (all images)", _range(2)),
    "retrain.variants": Key(list[str], "a list from: selected, complement, crop", _variants, _one_list),
    "retrain.crop_size": Key(int | None, f"an integer from {MIN_SIDE} to {MAX_SIDE} (pixels) or null (same pixel "
                             "density)", _range(MIN_SIDE, MAX_SIDE)),
    "retrain.jpeg_quality": Key(int, "an integer from 1 to 100", _range(1, 100)),
}

#: Ranges of the trainer's options (their types come from TrainConfig's annotations).
TRAIN_RANGES: dict[str, tuple[str, Callable[[Any], str | None]]] = {
    "epochs": (">= 1", _range(1)),
    "batch_size": (">= 1", _range(1)),
    "eval_batch_size": (">= 1", _range(1)),
    "lr": ("> 0", _range(0, lo_open=True)),
    "weight_decay": (">= 0", _range(0)),
    "warmup_epochs": (">= 0", _range(0)),
    "patience": (">= 0", _range(0)),
    "min_epochs": (">= 0", _range(0)),
    "seed": (f"0 to {SEED_MAX}", _range(0, SEED_MAX)),
    "bn_momentum": ("in (0, 1] or null", _range(0, 1, lo_open=True)),
    "workers": (">= 0", _range(0)),
    "patch": ("16 to 1024 or null", _range(16, 1024)),
    "colour": ("0 to 0.5", _range(0, 0.5)),
}
