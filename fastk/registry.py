"""One generic registry type for every plugin kind (after timm's ``_registry.py`` and tox's typed registries).

The name lives on the class (``name = "gradcam++"``). A registry knows which plugin added each entry, so
``fastk plugins`` and error messages can say where a thing came from. Names may carry one argument after
a colon (``timm:resnet18``, ``top-k:4``): the registry looks up the part before the colon and hands the
rest to the class's ``from_spec``.

``create()`` checks the keyword options against what the class declares (:mod:`fastk._options`: its
``__init__`` signatures, or a ``plugin_options`` attribute), so a misspelt option fails with the nearest
known name instead of being swallowed by a ``**kwargs``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from fastk._options import check_options, declared_options, did_you_mean
from fastk.errors import ConfigError, DuplicatePluginError, UnknownPluginError

T = TypeVar("T")


@dataclass(frozen=True)
class Entry(Generic[T]):
    """One registered class and the plugin that registered it."""

    name: str
    cls: type[T]
    plugin: str


def split_spec(spec: str) -> tuple[str, str | None]:
    """``"top-k:4"`` -> ``("top-k", "4")``; ``"dlib"`` -> ``("dlib", None)``."""
    name, sep, arg = spec.partition(":")
    return name.strip(), (arg.strip() if sep else None)


class Registry(Generic[T]):
    """Classes of one plugin kind, addressed by their ``name`` attribute."""

    def __init__(self, kind: str, base: type | None = None):
        self.kind = kind
        self.base = base
        self._entries: dict[str, Entry[T]] = {}
        self._current_plugin = "<direct>"

    # -- registration -------------------------------------------------------------------------
    def add(self, cls: type[T], *, name: str | None = None) -> type[T]:
        """Register ``cls`` under ``name`` (default: ``cls.name``). Usable as a decorator."""
        key = name or getattr(cls, "name", None)
        if not key or not isinstance(key, str):
            raise DuplicatePluginError(
                f"{self.kind} class {cls.__module__}.{cls.__qualname__} has no 'name' attribute"
            )
        if ":" in key:
            raise DuplicatePluginError(f"{self.kind} name {key!r} may not contain ':'")
        if self.base is not None and not (isinstance(cls, type) and issubclass(cls, self.base)):
            raise DuplicatePluginError(
                f"{self.kind} {key!r} ({cls!r}) from plugin {self._current_plugin!r} "
                f"is not a subclass of {self.base.__module__}.{self.base.__qualname__}"
            )
        if key in self._entries:
            old = self._entries[key]
            raise DuplicatePluginError(
                f"{self.kind} {key!r} registered twice: {old.cls.__module__}.{old.cls.__qualname__} "
                f"(plugin {old.plugin!r}) and {cls.__module__}.{cls.__qualname__} "
                f"(plugin {self._current_plugin!r})"
            )
        self._entries[key] = Entry(key, cls, self._current_plugin)
        return cls

    # -- lookup -------------------------------------------------------------------------------
    def get(self, spec: str) -> type[T]:
        name, _ = split_spec(spec)
        try:
            return self._entries[name].cls
        except KeyError:
            raise UnknownPluginError(self.kind, name, self.names()) from None

    def entry(self, spec: str) -> Entry[T]:
        self.get(spec)
        return self._entries[split_spec(spec)[0]]

    def create(self, spec: str, /, **kwargs: Any) -> T:
        """Instantiate by name; ``name:arg`` passes ``arg`` to ``cls.from_spec(arg, **kwargs)``.

        Options the class does not declare, or of the wrong type, are refused here (one line, with
        the nearest known option), before the class can swallow them.
        """
        cls = self.get(spec)
        name, arg = split_spec(spec)
        problems = self.check_options(spec, kwargs)
        if problems:
            raise ConfigError(problems[0] if len(problems) == 1 else "; ".join(problems))
        if arg is not None:
            from_spec = getattr(cls, "from_spec", None)
            if from_spec is None:
                raise ConfigError(f"{self.kind} {name!r} takes no ':' argument (got {spec!r})")
            return from_spec(arg, **kwargs)
        return cls(**kwargs)

    def check_options(self, spec: str, options: dict[str, Any]) -> list[str]:
        """Problem lines for ``options`` given to ``spec`` (unknown names, wrong types); ``[]`` if fine."""
        return check_options(self.kind, split_spec(spec)[0], self.get(spec), options)

    def options(self, spec: str) -> list[str] | None:
        """The option names ``spec``'s class declares (``None``: it accepts anything)."""
        declared = declared_options(self.get(spec))
        return None if declared is None else sorted(declared)

    def suggest(self, name: str) -> str:
        """``"; did you mean 'gradcam++'?"`` for a misspelt plugin name, else ``""``."""
        return did_you_mean(split_spec(name)[0], self.names())

    def names(self, pattern: str | None = None) -> list[str]:
        """Sorted names, optionally filtered with a shell wildcard (``"*cam*"``)."""
        names = sorted(self._entries)
        if pattern:
            names = [n for n in names if fnmatch.fnmatch(n, pattern)]
        return names

    def __contains__(self, spec: object) -> bool:
        return isinstance(spec, str) and split_spec(spec)[0] in self._entries

    def __iter__(self) -> Iterator[Entry[T]]:
        return iter(self._entries[n] for n in self.names())

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {self.names()})"
