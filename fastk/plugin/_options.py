"""Plugin options: which keyword options a plugin class accepts, and checking values against their types.

Why: plugin ``__init__`` methods pass ``**kwargs`` up to their base class, and a base class that stores
``**options`` would swallow a misspelt option (``encoderr``) and let the plugin fall back to its default
without a word. The accepted options are read from the ``__init__`` signatures along the class's MRO, so
a plugin with an explicit ``__init__`` declares its options by writing it. A class whose ``**kwargs`` go
somewhere the signatures cannot show (a model builder, a data generator) lists them in the class
attribute ``plugin_options`` (``{name: annotation}``; ``None`` means "anything", i.e. unchecked).
"""

from __future__ import annotations

import difflib
import inspect
import math
import os
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

_EMPTY = inspect.Parameter.empty


@dataclass(frozen=True)
class Option:
    """One keyword a plugin class accepts: its annotation (``None`` = unchecked) and default."""

    name: str
    annotation: Any = None
    default: Any = _EMPTY


def nearest(name: object, known: Iterable[str]) -> str | None:
    """The known name closest to a typo (``encoderr`` -> ``encoder``), or ``None``."""
    close = difflib.get_close_matches(str(name), list(known), n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(name: object, known: Iterable[str]) -> str:
    """``"; did you mean 'encoder'?"`` or ``""``."""
    close = nearest(name, known)
    return f"; did you mean {close!r}?" if close else ""


def _hints(func: Any) -> dict[str, Any]:
    try:
        return typing.get_type_hints(func)
    except (NameError, TypeError, AttributeError, SyntaxError):  # unevaluable annotation: left unchecked
        return {}


def declared_options(cls: type) -> dict[str, Option] | None:
    """The keyword options ``cls(...)`` accepts, or ``None`` when they cannot be known (unchecked).

    Walks the MRO: each ``__init__``'s named parameters count, and a ``**kwargs`` sends the walk on to
    the next class's ``__init__``. ``plugin_options`` found on the way add names (a base class that
    stores ``**options`` declares ``{}``: nothing beyond the named ones; ``None``: anything). A chain
    that ends in a ``**kwargs`` nobody declared is open (``None``): fastk never refuses an option it
    cannot see.
    """
    found: dict[str, Option] = {}
    declared_any, open_tail = False, False
    for klass in cls.__mro__:
        if klass is object:
            break
        own = vars(klass)
        if "plugin_options" in own:
            if own["plugin_options"] is None:
                return None
            declared_any = True
            for name, annotation in dict(own["plugin_options"]).items():
                found.setdefault(name, Option(name, annotation))
        init = own.get("__init__")
        if init is None:
            continue
        hints = _hints(init)
        params = list(inspect.signature(init).parameters.values())[1:]
        for p in params:
            if p.kind not in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
                continue
            if p.name not in found:
                found[p.name] = Option(p.name, hints.get(p.name), p.default)
            elif found[p.name].annotation is None and hints.get(p.name) is not None:  # a base class annotates it
                found[p.name] = Option(p.name, hints[p.name], found[p.name].default)
        open_tail = any(p.kind is p.VAR_KEYWORD for p in params)
        if not open_tail:
            break
    if open_tail and not declared_any:
        return None  # a **kwargs nobody declared: cannot be known, so not checked
    return found


def _origin(annotation: Any) -> tuple[Any, tuple[Any, ...]]:
    return typing.get_origin(annotation), typing.get_args(annotation)


def conforms(value: Any, annotation: Any) -> bool:
    """Whether ``value`` fits ``annotation`` (permissive for annotations it does not understand)."""
    if annotation is None or annotation is Any or annotation is _EMPTY:
        return True
    if annotation is type(None):
        return value is None
    origin, args = _origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(conforms(value, a) for a in args)
    if origin is typing.Literal:
        return value in args
    if annotation is bool:
        return isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if annotation is str:
        return isinstance(value, str)
    if isinstance(annotation, type) and issubclass(annotation, PurePath):
        return isinstance(value, (str, os.PathLike))
    container = origin or annotation
    if container in (list, tuple, set, frozenset, Sequence, typing.Sequence) or (
        isinstance(container, type) and issubclass(container, Sequence) and container is not str
    ):
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple, set, frozenset)):
            return False
        item = args[0] if args else None
        return all(conforms(v, item) for v in value)
    if container in (dict, Mapping, typing.Mapping) or (isinstance(container, type) and issubclass(container, Mapping)):
        return isinstance(value, Mapping)
    if isinstance(annotation, type):
        return isinstance(value, annotation)
    return True


_NOUNS = {"str": "a string", "int": "an integer", "float": "a number", "bool": "true or false", "dict": "a mapping",
          "list": "a list"}
_PLURALS = {"a string": "strings", "an integer": "integers", "a number": "numbers"}


def type_name(annotation: Any) -> str:
    """How a user would call the type (``a number``, ``a string or null``, ``a list of strings``)."""
    if annotation is None or annotation is Any:
        return "anything"
    if annotation is type(None):
        return "null"
    origin, args = _origin(annotation)
    if origin in (typing.Union, types.UnionType):
        names = [type_name(a) for a in args if a is not type(None)]
        return " or ".join(dict.fromkeys(names)) + (" or null" if type(None) in args else "")
    if origin is typing.Literal:
        return "one of " + ", ".join(map(str, args))
    if origin in (list, tuple, set, Sequence) and args:
        return f"a list of {_PLURALS.get(type_name(args[0]), 'items')}"
    if isinstance(annotation, type) and issubclass(annotation, PurePath):
        return "a path"
    if isinstance(annotation, type):
        return _NOUNS.get(annotation.__name__, f"a {annotation.__name__}")
    return str(annotation)


def given(value: Any) -> str:
    """How a given value is shown in a problem line: its YAML spelling and its type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def coerce_number(value: Any, annotation: Any) -> Any:
    """``"1e-3"`` -> ``0.001`` where a number is expected: YAML 1.1 reads ``1e-3`` (no dot) as a string."""
    if isinstance(value, str) and not conforms(value, annotation) and conforms(1.5, annotation):
        try:
            number = float(value)
        except ValueError:
            return value
        if math.isfinite(number):
            return number
    return value


def check_options(kind: str, spec: str, cls: type, options: Mapping[str, Any]) -> list[str]:
    """Problem lines for ``options`` given to plugin ``spec`` (unknown names, wrong types); ``[]`` if fine."""
    declared = declared_options(cls)
    if declared is None:
        return []
    problems = []
    for key, value in options.items():
        if not isinstance(key, str) or key not in declared:
            known = ", ".join(sorted(declared)) or "(none)"
            problems.append(f"{kind} {spec!r} has no option {key!r}{did_you_mean(key, declared)} (options: {known})")
        elif not conforms(value, declared[key].annotation):
            problems.append(f"{kind} {spec!r} option {key!r}: got {given(value)}; expected "
                            f"{type_name(declared[key].annotation)}")
    return problems
