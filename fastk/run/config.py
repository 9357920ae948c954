"""Run configuration: defaults, YAML files (safe loader), and command-line overrides, in that order.

Every option of ``fastk run`` can live in a YAML file in ``configs/`` (``paper.yaml`` reproduces the
paper's settings, ``demo.yaml`` is the fast CPU demo); flags given on the command line win. The
resolved configuration is saved in the run folder, so a run can always be repeated.

Everything is checked before any work starts (:func:`validate`; every key is listed in
docs/configuration.md): unknown keys (with the nearest known one), types, ranges, plugin names and
each plugin's declared options, and the selector against the area set. All problems are reported at
once, one line each, naming where the value came from, the key, what was given and what is allowed:
a misspelt or mistyped option must not be silently ignored, nor fail after an hour of training.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastk.common._user_files import load_yaml_file
from fastk.errors import ConfigError
from fastk.face.areas import AreaSet
from fastk.plugin._options import given, nearest
from fastk.run import _config_checks as checks
from fastk.run.run_config import RunConfig

#: Every key with its default, derived from the dataclasses of :mod:`fastk.run.run_config` (where the
#: defaults are written, once); ``train: {}`` because the trainer's options default in ``TrainConfig``.
DEFAULTS: dict[str, Any] = RunConfig().to_dict()

#: Mappings whose keys are checked against a plugin or the trainer, not against DEFAULTS.
FREE_FORM = ("train", "dataset.options", "backbone.options", "split.protocol_options")


class _Problems:
    """Collects one line per problem, each naming where the value came from (file or command line)."""

    def __init__(self, source: str, origins: Mapping[str, str] | None = None):
        self.source, self.origins = source, dict(origins or {})
        self.lines: list[str] = []

    def origin(self, key: str) -> str:
        parts = key.split(".")
        for n in range(len(parts), 0, -1):
            if ".".join(parts[:n]) in self.origins:
                return self.origins[".".join(parts[:n])]
        return self.source

    def __call__(self, key: str, problem: str) -> None:
        line = f"{self.origin(key)}: {key}: {problem}"
        # One line per problem even when a key, a value or a path holds a line break.
        self.lines.append("\\n".join(line.splitlines()))

    def raise_if_any(self) -> None:
        if self.lines:
            err = ConfigError("\n".join(self.lines))
            err.problems = list(self.lines)
            raise err


def _merge(base: dict[str, Any], override: Mapping[Any, Any], source: str, problems: _Problems, path: str = ""
           ) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in override.items():
        where = f"{path}{key}"
        if not isinstance(key, str) or key not in out:
            known = sorted(out)
            close = nearest(key, known)
            hint = f"; did you mean {path + close!r}?" if close else ""
            problems.origins[where] = source
            problems(where, f"unknown option{hint} (known here: {', '.join(known)})")
            continue
        problems.origins[where] = source
        if where in FREE_FORM:
            if not isinstance(value, Mapping):
                problems(where, f"got {given(value)}; expected a mapping of options")
                continue
            out[key] = {**out[key], **copy.deepcopy(dict(value))}
            for sub in value:
                problems.origins[f"{where}.{sub}"] = source
        elif isinstance(out[key], dict):
            if not isinstance(value, Mapping):
                problems(where, f"got {given(value)}; expected a mapping with keys {', '.join(sorted(out[key]))}")
                continue
            out[key] = _merge(out[key], value, source, problems, f"{where}.")
        else:
            out[key] = copy.deepcopy(value)
    return out


def deep_merge(base: dict[str, Any], override: dict[str, Any], *, source: str, path: str = "") -> dict[str, Any]:
    """``base`` updated by ``override``; keys unknown to ``base`` are errors (except free-form dicts)."""
    problems = _Problems(source)
    out = _merge(base, override, source, problems, path)
    problems.raise_if_any()
    return out


def load_yaml(path: str | Path) -> dict[str, Any]:
    """A config file's mapping; a key given twice or a document nested too deep is refused naming the line."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: config file not found")
    data = load_yaml_file(p) or {}
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
    """Defaults <- YAML file <- ``overrides`` (dotted keys, ``None`` values ignored), validated."""
    problems = _Problems("defaults")
    cfg = copy.deepcopy(DEFAULTS)
    if config_file is not None:
        cfg = _merge(cfg, load_yaml(config_file), str(config_file), problems)
    nested: dict[str, Any] = {}
    for key, value in (overrides or {}).items():
        if value is not None:
            set_dotted(nested, key, value)
    cfg = _merge(cfg, nested, "command line", problems)
    return _check(cfg, problems)


def validate(cfg: Any, source: str = "config") -> dict[str, Any]:
    """Check a whole run configuration (a saved ``config.json`` too) and return it normalised.

    Missing keys take their defaults; ``group_by: attack_type`` becomes ``[attack_type]``; a number
    YAML read as text (``lr: 1e-3``) becomes a number. Raises one :class:`ConfigError` with one line
    per problem (also in its ``problems`` attribute).
    """
    if not isinstance(cfg, Mapping):
        raise ConfigError(f"{source}: expected a mapping of options, got {given(cfg)}")
    problems = _Problems(source)
    merged = _merge(copy.deepcopy(DEFAULTS), cfg, source, problems)
    return _check(merged, problems)


#: Keys whose value for a run folder from before they existed is not today's default (those runs
#: masked each image by its own landmarks), so such a run resumes as it started.
BEFORE_KEY: dict[str, Any] = {"masking": "landmark"}


def before_keys(saved: Mapping[str, Any]) -> dict[str, Any]:
    """The :data:`BEFORE_KEY` values a saved configuration lacks."""
    return {k: v for k, v in BEFORE_KEY.items() if k not in saved}


def load_saved(path: str | Path) -> dict[str, Any]:
    """A run folder's saved ``config.json``, validated (what ``fastk run --resume`` needs)."""
    import json

    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{p}: not found (not a fastk run folder?)") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ConfigError(f"{p}: not valid JSON ({err})") from None
    return validate({**before_keys(data), **data} if isinstance(data, Mapping) else data, str(p))


def _check(cfg: dict[str, Any], problems: _Problems) -> dict[str, Any]:
    failed = checks.check_keys(cfg, problems)
    checks.check_train(cfg["train"], problems)
    ds, bb, ex = cfg["dataset"], cfg["backbone"], cfg["explore"]
    if not failed & {"dataset.name", "dataset.path", "dataset.options"}:
        extra = {"root": ds["path"]} if ds["path"] else {}
        checks.check_plugin("dataset", "dataset", ds["name"], ds["options"], extra, problems)
    if not failed & {"backbone.name", "backbone.input_size", "backbone.options"}:
        checks.check_plugin("backbone", "backbone", bb["name"], bb["options"], {"input_size": bb["input_size"]},
                            problems)
    sp = cfg["split"]
    if sp["protocol"] is not None and not failed & {"split.protocol", "split.protocol_options"}:
        checks.check_plugin("protocol", "split.protocol", sp["protocol"], sp["protocol_options"], {}, problems,
                            options_key="split.protocol_options")
    for key in ("landmarks", "cam"):
        if f"explore.{key}" not in failed:
            checks.check_plugin(key, f"explore.{key}", ex[key], {}, {}, problems)
    st = cfg["stability"]
    for key, kind in (("cams", "cam"), ("detectors", "landmarks")):
        if f"stability.{key}" not in failed:
            for i, spec in enumerate(st[key] or []):
                checks.check_plugin(kind, f"stability.{key}[{i}]", spec, {}, {}, problems)
    names = None
    if "explore.areas" not in failed:

        try:
            names = AreaSet.load(ex["areas"]).names
        except ConfigError as err:
            problems("explore.areas", str(err))
        except (OSError, ValueError) as err:  # a name the file system refuses (NUL byte, too long, ...)
            problems("explore.areas", f"cannot be read as an area set file ({err})")
    if "select" not in failed:
        selector = checks.check_plugin("selector", "select", cfg["select"], {}, {}, problems)
        if selector is not None and names is not None and "retrain.variants" not in failed:
            try:
                selector.validate(names, complement="complement" in cfg["retrain"]["variants"])
            except ConfigError as err:
                problems("select", f"{err} (area set {ex['areas']!r})")
    problems.raise_if_any()
    return cfg
