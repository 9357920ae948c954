"""The checks behind :func:`fastk.run.config.validate`: the key table (:mod:`fastk.run._config_schema`), the
trainer's options, then the checks that need plugins.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastk.errors import FastkError
from fastk.model.training.trainer import TrainConfig
from fastk.plugin._options import coerce_number, conforms, declared_options, did_you_mean, given, type_name
from fastk.plugin.plugins import get_registry
from fastk.run._config_schema import SCHEMA, TRAIN_RANGES

__all__ = ["RESERVED", "SCHEMA", "TRAIN_RANGES", "check_keys", "check_plugin", "check_train", "get", "put",
           "type_problem"]

#: Keywords the run itself passes to a plugin (from another key), so they may not appear in options.
RESERVED = {"dataset": {"root": "dataset.path"}, "backbone": {"input_size": "backbone.input_size"}}


def get(cfg: Mapping[str, Any], dotted: str) -> Any:
    node: Any = cfg
    for part in dotted.split("."):
        node = node[part]
    return node


def put(cfg: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    node = cfg
    for part in parents:
        node = node[part]
    node[last] = value


def type_problem(value: Any, allowed: str) -> str:
    if isinstance(value, bool):
        shown = f"{str(value).lower()} (a boolean: YAML reads unquoted on/off/yes/no as true/false; quote text)"
    else:
        shown = given(value)
    return f"got {shown}; expected {allowed}"


def check_keys(cfg: dict[str, Any], report: Callable[[str, str], None]) -> set[str]:
    """Type and range of every :data:`SCHEMA` key (normalised in place); returns the keys that failed."""
    failed = set()
    for key, spec in SCHEMA.items():
        value = get(cfg, key)
        if spec.normalise:
            value = spec.normalise(value)
        value = coerce_number(value, spec.type)
        if spec.type == list[float] and isinstance(value, list):
            value = [coerce_number(v, float) for v in value]
        if not conforms(value, spec.type):
            report(key, type_problem(value, spec.allowed))
            failed.add(key)
            continue
        problem = spec.check(value) if spec.check else None
        if problem:
            report(key, f"got {given(value)}: {problem}; expected {spec.allowed}")
            failed.add(key)
            continue
        put(cfg, key, value)
    return failed


def check_train(train: dict[str, Any], report: Callable[[str, str], None]) -> None:
    """``train:`` keys against :class:`fastk.model.training.trainer.TrainConfig`'s fields and annotated types."""
    import typing

    hints = typing.get_type_hints(TrainConfig)
    for key in list(train):
        where = f"train.{key}"
        if not isinstance(key, str) or key not in hints:
            report(where, f"unknown training option{did_you_mean(key, hints)} (known: {', '.join(sorted(hints))})")
            continue
        value = coerce_number(train[key], hints[key])
        allowed = type_name(hints[key]) + (f" {TRAIN_RANGES[key][0]}" if key in TRAIN_RANGES else "")
        if not conforms(value, hints[key]):
            report(where, type_problem(value, allowed))
            continue
        problem = TRAIN_RANGES[key][1](value) if key in TRAIN_RANGES else None
        if problem:
            report(where, f"got {given(value)}: {problem}; expected {allowed}")
            continue
        train[key] = value


def check_plugin(kind: str, section: str, spec: str, options: dict[str, Any], extra: dict[str, Any],
                 report: Callable[[str, str], None], *, options_key: str | None = None) -> Any | None:
    """Name (with the nearest known one), options against the class's declared options, then the spec
    itself (``folder:abc``, ``top-k:x``) by creating the plugin; returns the instance or ``None``.

    ``options_key`` is where the options live when not at ``SECTION.options`` (``split.protocol_options``)."""

    registry = get_registry(kind)
    name_key = f"{section}.name" if section in ("dataset", "backbone") else section
    if spec not in registry:
        report(name_key, f"unknown {kind} {spec!r}{registry.suggest(spec)} (known: {', '.join(registry.names())})")
        return None
    declared = declared_options(registry.get(spec))
    ok = True
    for key, value in list(options.items()):
        where = f"{options_key or section + '.options'}.{key}"
        if key in RESERVED.get(kind, {}):
            report(where, f"is set by {RESERVED[kind][key]}; give it there")
            ok = False
        elif declared is not None and (not isinstance(key, str) or key not in declared):
            names = [k for k in sorted(declared) if k not in RESERVED.get(kind, {})]
            report(where, f"{kind} {spec!r} has no option {key!r}{did_you_mean(key, names)} "
                          f"(options: {', '.join(names) or '(none)'})")
            ok = False
        elif declared is not None:
            annotation = declared[key].annotation
            options[key] = coerce_number(value, annotation)
            if not conforms(options[key], annotation):
                report(where, type_problem(options[key], f"{type_name(annotation)} ({kind} {spec!r})"))
                ok = False
    if not ok:
        return None
    try:
        return registry.create(spec, **extra, **options)
    except FastkError as err:
        report(name_key, str(err))
    except (TypeError, ValueError) as err:  # a third-party constructor refusing a value
        report(name_key, f"{kind} {spec!r} refused its options: {err}")
    return None
