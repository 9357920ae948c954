"""Run configuration: defaults, YAML files (safe loader), and command-line overrides, in that order.

Every option of ``fastk run`` can live in a YAML file in ``configs/`` (``paper.yaml`` reproduces the
paper's settings, ``demo.yaml`` is the fast CPU demo); flags given on the command line win. The
resolved configuration is saved in the run folder, so a run can always be repeated. Unknown keys are
refused with the file and key named: a misspelt option must not be silently ignored.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from fastk.errors import ConfigError

DEFAULTS: dict[str, Any] = {
    "name": "run",
    "seed": 0,
    "device": None,  # cpu / cuda; default: cuda when present
    "dataset": {"name": "demo", "path": None, "options": {}},
    "split": {"ratios": [0.6, 0.2, 0.2], "stratify": True},
    "backbone": {"name": "lgsc", "input_size": 112, "options": {}},
    "train": {},  # passed to the trainer's config (epochs, batch_size, lr, ...)
    "explore": {
        "landmarks": "dlib",
        "cam": "gradcam++",
        "cam_target": None,
        "target_layer": None,
        "areas": "paper",
        "split": "val",  # which split the importance is measured on ("on" would be YAML for True)
        "batch_size": 16,
        "overlays": 24,
        "n_boot": 1000,
        "group_by": ["label", "attack_type", "lighting"],  # any sample metadata key works too
    },
    "select": "top-k:4",
    "retrain": {"variants": ["selected", "complement", "crop"], "crop_size": None, "jpeg_quality": 90},
}


def deep_merge(base: dict[str, Any], override: dict[str, Any], *, source: str, path: str = "") -> dict[str, Any]:
    """``base`` updated by ``override``; keys unknown to ``base`` are errors (except free-form dicts)."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        where = f"{path}{key}"
        if key not in out:
            known = ", ".join(sorted(out))
            raise ConfigError(f"{source}: unknown option {where!r}; known here: {known}")
        free_form = where in ("train", "dataset.options", "backbone.options")
        if isinstance(out[key], dict) and out[key] and isinstance(value, dict) and not free_form:
            out[key] = deep_merge(out[key], value, source=source, path=f"{where}.")
        elif free_form and isinstance(value, dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def load_yaml(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: config file not found")
    try:
        data = yaml.safe_load(p.read_text()) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"{p}: not valid YAML ({str(err).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: expected a mapping of options at the top level")
    return data


def set_dotted(config: dict[str, Any], dotted: str, value: Any) -> None:
    """``set_dotted(cfg, "explore.cam", "scorecam")``."""
    node = config
    *parents, last = dotted.split(".")
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value


def resolve(config_file: str | Path | None = None, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Defaults <- YAML file <- ``overrides`` (dotted keys, ``None`` values ignored)."""
    cfg = copy.deepcopy(DEFAULTS)
    if config_file is not None:
        cfg = deep_merge(cfg, load_yaml(config_file), source=str(config_file))
    nested: dict[str, Any] = {}
    for key, value in (overrides or {}).items():
        if value is not None:
            set_dotted(nested, key, value)
    return deep_merge(cfg, nested, source="command line")
