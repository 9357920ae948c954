"""The one ``NAME:ARG`` parser of every plugin kind; each class declares what its ``ARG`` means.

Why one parser: every class used to read its own argument in a ``from_spec`` classmethod (thirteen
copies, each refusing mistakes in its own words, and whole kinds, CAM methods, taking none). Now a class
names the option(s) the text after the colon fills (``spec_arg``, see :class:`fastk.plugin.registry.Plugin`),
and the text becomes ordinary keyword options, converted to the types the class's ``__init__``
annotates and checked like any option (:mod:`fastk.plugin._options`). The rules:

1. ``spec_arg`` is one option that is not a list: the whole text is its value (``top-k:4`` is
   ``k=4``, ``timm:resnet18`` is ``model_name="resnet18"``; a path may hold commas and colons:
   ``folder:/data/a,b``), unless the text is only ``KEY=VALUE`` items of declared options (rule 2).
2. Otherwise the text is split at commas. ``KEY=VALUE`` items set that option (``scorecam:top=64``);
   the other items fill the ``spec_arg`` options in order (``oulu-npu:3,fold=2``, ``significant:0.01,bh``),
   and a list option takes every item left (``list:nose,lips``, ``fallback:dlib,mediapipe``).

An option given both after the colon and as a keyword option is refused: which one was meant?
"""

from __future__ import annotations

import inspect
import math
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import Any

from fastk.errors import ConfigError
from fastk.plugin._options import declared_options, type_name

_NONE_WORDS = ("null", "none", "~")
_BOOLS = {"true": True, "yes": True, "on": True, "1": True, "false": False, "no": False, "off": False, "0": False}


def spec_arg_names(cls: type) -> tuple[str, ...]:
    """The options the text after the colon fills, in order (``()``: only ``KEY=VALUE`` items)."""
    names = getattr(cls, "spec_arg", None)
    return () if names is None else (names,) if isinstance(names, str) else tuple(names)


def _members(annotation: Any) -> tuple[Any, ...]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return tuple(a for a in typing.get_args(annotation) if a is not type(None))
    return (annotation,)


def _list_item(annotation: Any) -> tuple[bool, Any]:
    """``(True, item type)`` when ``annotation`` is (or allows) a list or tuple, else ``(False, None)``."""
    for member in _members(annotation):
        origin = typing.get_origin(member) or member
        if isinstance(origin, type) and issubclass(origin, Sequence) and not issubclass(origin, str):
            args = typing.get_args(member)
            return True, args[0] if args else None
    return False, None


def is_path(annotation: Any) -> bool:
    """Whether ``annotation`` allows a path (messages then call the value "the path")."""
    return any(isinstance(m, type) and issubclass(m, PurePath) for m in _members(annotation))


def convert(text: str, annotation: Any) -> Any:
    """``text`` as a value of ``annotation`` (int, float, bool, str, path, literal, list of those).

    Raises ``ValueError`` when it is none of them. Unannotated options get YAML's reading of a
    scalar (``3``, ``0.5``, ``true``), as ``--option KEY=VALUE`` on the command line does.
    """
    if annotation is None or annotation is Any or annotation is inspect.Parameter.empty:
        import yaml

        try:
            return yaml.safe_load(text) if text else text
        except yaml.YAMLError:
            return text
    is_list, item = _list_item(annotation)
    if is_list:
        return [convert(t.strip(), item) for t in text.split(",") if t.strip()]
    if text.lower() in _NONE_WORDS and type(None) in typing.get_args(annotation):
        return None
    for member in _members(annotation):
        try:
            return _scalar(text, member)
        except ValueError:
            continue
    raise ValueError(text)


def _scalar(text: str, annotation: Any) -> Any:
    if typing.get_origin(annotation) is typing.Literal:
        for choice in typing.get_args(annotation):
            if str(choice) == text:
                return choice
        raise ValueError(text)
    if annotation is bool:
        if text.lower() not in _BOOLS:
            raise ValueError(text)
        return _BOOLS[text.lower()]
    if annotation in (int, float):
        number = annotation(text)
        if not math.isfinite(number):
            raise ValueError(text)
        return number
    if isinstance(annotation, type) and issubclass(annotation, PurePath):
        return annotation(text)
    return text  # str, or a type the text cannot be checked against here (the class checks it)


def parse(kind: str, cls: type, name: str, arg: str) -> dict[str, Any]:
    """The keyword options that ``NAME:ARG`` stands for (see the module doc); one-line errors."""
    positional = spec_arg_names(cls)
    declared = declared_options(cls) or {}

    def annotation(key: str) -> Any:
        return declared[key].annotation if key in declared else None

    help_text = getattr(cls, "spec_help", None) or (type_name(annotation(positional[0])) if positional else "")
    noun, _, example = help_text.partition(", e.g. ")
    if not arg and positional:
        raise ConfigError(f"{kind} '{name}:' needs {noun} after ':' ({f'e.g. {example}; ' if example else ''}"
                          "or drop the ':')")
    if len(positional) == 1 and not _list_item(annotation(positional[0]))[0] and not _options_only(arg, declared):
        try:
            return {positional[0]: convert(arg, annotation(positional[0]))}
        except ValueError:
            raise ConfigError(f"{kind} {name!r} needs {noun} after ':', got {arg!r}"
                              f"{f' (e.g. {example})' if example else ''}") from None
    return _items(kind, name, arg, positional, annotation, help_text, sorted(declared))


def _options_only(arg: str, declared: Mapping[str, Any]) -> bool:
    """Whether ``arg`` is only ``KEY=VALUE`` items of declared options (``saliency:power=2``): rule 2 then
    reads it even for a class whose ``spec_arg`` would take the whole text."""
    items = [item.partition("=") for item in arg.split(",")]
    return all(sep and key.strip() in declared for key, sep, _ in items)


def _items(kind: str, name: str, arg: str, positional: tuple[str, ...], annotation: Any, help_text: str,
           known: list[str]) -> dict[str, Any]:
    """Rule 2 of the module doc: ``KEY=VALUE`` items and positional items filling ``positional``."""
    spec = f"{name}:{arg}"
    out: dict[str, Any] = {}
    left = list(positional)
    for item in (i.strip() for i in arg.split(",")):
        key, sep, value = item.partition("=")
        try:
            if sep and key.strip().isidentifier():
                key = key.strip()
                if key in out:
                    raise ConfigError(f"{kind} {spec!r}: {key} is given twice after ':'")
                out[key] = convert(value.strip(), annotation(key))
                left = [k for k in left if k != key]
            elif not left:
                raise _no_argument(kind, name, spec, positional, help_text, known)
            elif _list_item(annotation(left[0]))[0]:  # a list option takes every item left
                out.setdefault(left[0], []).extend(convert(item, annotation(left[0])))
            else:
                target = left.pop(0)
                out[target] = convert(item, annotation(target))
        except ValueError:
            if sep and key.isidentifier():
                raise ConfigError(f"{kind} {spec!r}: option {key!r} needs {type_name(annotation(key))}, "
                                  f"got {value.strip()!r}") from None
            raise ConfigError(f"{kind} {spec!r}: expected {help_text}") from None
    return out


def _no_argument(kind: str, name: str, spec: str, positional: tuple[str, ...], help_text: str,
                 known: list[str]) -> ConfigError:
    if positional:
        return ConfigError(f"{kind} {spec!r}: expected {help_text}")
    hint = f"; options go after ':' as KEY=VALUE ({', '.join(known)})" if known else ""
    return ConfigError(f"{kind} {name!r} takes no ':' argument (got {spec!r}){hint}")


def merge(kind: str, cls: type, spec: str, parsed: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """``given`` keyword options plus those parsed from the spec; one given both ways is refused."""
    declared = declared_options(cls) or {}
    for key in parsed:
        if given.get(key) is not None:
            noun = "path" if key in declared and is_path(declared[key].annotation) else key.replace("_", " ")
            raise ConfigError(f"{kind} {spec!r}: the {noun} is given twice (after ':' and as an option); "
                              "give it once")
    return {**given, **parsed}


def format_value(value: Any) -> str:
    """How an option's value is written after the colon (``list:nose,lips``): the inverse of :func:`convert`."""
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value))
    return str(value)
