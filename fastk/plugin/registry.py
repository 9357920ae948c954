"""One generic registry type for every plugin kind (after timm's ``_registry.py`` and tox's typed registries),
and :class:`Plugin`, the root of every kind's base class.

The name lives on the class (``name = "gradcam++"``). A registry knows which plugin added each entry, so
``fastk plugins`` and error messages can say where a thing came from. Names may carry an argument after
a colon (``timm:resnet18``, ``top-k:4``): the registry looks up the part before the colon, and the class
says which option(s) the rest fills (``spec_arg``; the one parser: :mod:`fastk.plugin._spec`).

``create()`` checks the keyword options against what the class declares (:mod:`fastk.plugin._options`: its
``__init__`` signatures, or a ``plugin_options`` attribute), so a misspelt option fails with the nearest
known name instead of being swallowed by a ``**kwargs``. A class that misses a method its kind needs
(an abstract method of the base class) is refused when it is registered, naming the method.
"""

from __future__ import annotations

import abc
import fnmatch
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from fastk.errors import ConfigError, DuplicatePluginError, UnknownPluginError
from fastk.plugin import _spec
from fastk.plugin._options import check_options, declared_options, did_you_mean

T = TypeVar("T")


class Plugin(abc.ABC):  # noqa: B024 - each kind's base class names its abstract methods
    """The root of every plugin kind's base class: what the registry reads from a plugin class.

    Why abstract: a plugin class that lacks a method its kind needs is refused when its plugin
    registers it (one line naming the method), not when a run first calls the method, hours in.
    """

    #: The name users type; each kind's base class documents where (``--cam gradcam++``).
    name: ClassVar[str] = ""
    #: The option(s) that the text after the colon in ``NAME:ARG`` fills: with ``spec_arg = "k"``,
    #: ``top-k:4`` is ``top-k`` with ``k=4``; a tuple fills several in order (``oulu-npu:3,fold=2``).
    #: ``None``: only ``KEY=VALUE`` options may follow the colon (``scorecam:top=64``). The text is
    #: converted to the types ``__init__`` annotates (rules: :mod:`fastk.plugin._spec`).
    spec_arg: ClassVar[str | tuple[str, ...] | None] = None
    #: What the text after the colon is, as error messages say it, optionally with an example after
    #: ``", e.g. "`` (``"a timm model name, e.g. timm:resnet18"``); ``None``: the ``spec_arg`` option's
    #: type (``"an integer"``).
    spec_help: ClassVar[str | None] = None

    @classmethod
    def from_spec(cls, arg: str, **kwargs: Any) -> Any:
        """Deprecated, kept for one release: ``fastk.create(kind, "NAME:ARG")`` reads ``ARG`` through
        :attr:`spec_arg`. Builds ``cls`` from the text after the colon by the same rules."""
        warnings.warn(f"{cls.__qualname__}.from_spec is deprecated: use fastk.create(kind, 'NAME:ARG')",
                      DeprecationWarning, stacklevel=2)
        spec = f"{cls.name}:{arg}"
        return cls(**_spec.merge("plugin", cls, spec, _spec.parse("plugin", cls, cls.name, arg), kwargs))


_DEPRECATED_FROM_SPEC = vars(Plugin)["from_spec"].__func__


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


def unknown_name(kind: str, name: str, known: list[str]) -> UnknownPluginError:
    """The error for a name nobody registered: the known names, and the nearest one for a typo
    (on the command line as in a config file: ``--cam gradcam+`` says ``did you mean 'gradcam++'?``)."""
    err = UnknownPluginError(kind, name, known)
    hint = did_you_mean(name, known)
    if hint:
        err.args = (f"{err.args[0]}{hint}",)
    return err


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
        missing = sorted(getattr(cls, "__abstractmethods__", ()))
        if missing:
            base = f"{self.base.__module__}.{self.base.__qualname__}" if self.base else "its base class"
            raise DuplicatePluginError(
                f"{self.kind} {key!r} ({cls.__module__}.{cls.__qualname__}) from plugin {self._current_plugin!r} "
                f"does not implement {', '.join(missing)}, which {base} requires"
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
            raise unknown_name(self.kind, name, self.names()) from None

    def entry(self, spec: str) -> Entry[T]:
        self.get(spec)
        return self._entries[split_spec(spec)[0]]

    def create(self, spec: str, /, **kwargs: Any) -> T:
        """Instantiate by name: ``cls(**options)``, where ``NAME:ARG`` adds the option(s) the class's
        ``spec_arg`` names (``top-k:4`` is ``k=4``; the rules: :mod:`fastk.plugin._spec`).

        Options the class does not declare, or of the wrong type, are refused here (one line, with
        the nearest known option), before the class can swallow them. A class that still defines the
        old ``from_spec(arg, **kwargs)`` classmethod gets the argument that way (deprecated).
        """
        cls = self.get(spec)
        name, arg = split_spec(spec)
        own = getattr(cls, "from_spec", None)
        if arg is not None and own is not None and getattr(own, "__func__", None) is not _DEPRECATED_FROM_SPEC:
            return self._from_spec(cls, spec, arg, kwargs)  # the class's own parser (deprecated)
        options = kwargs if arg is None else _spec.merge(self.kind, cls, spec, _spec.parse(self.kind, cls, name, arg),
                                                         kwargs)
        self._refuse_bad_options(name, cls, options)
        return cls(**options)

    def _refuse_bad_options(self, name: str, cls: type, options: dict[str, Any]) -> None:
        problems = check_options(self.kind, name, cls, options)
        if problems:
            raise ConfigError(problems[0] if len(problems) == 1 else "; ".join(problems))

    def _from_spec(self, cls: type, spec: str, arg: str, kwargs: dict[str, Any]) -> T:
        """The deprecated path: a plugin's own ``from_spec`` classmethod (kept working for one release)."""
        warnings.warn(f"{cls.__module__}.{cls.__qualname__}.from_spec is deprecated (used for {spec!r}): name the "
                      "option that the text after ':' fills in the class attribute spec_arg (see fastk.plugin._spec)",
                      DeprecationWarning, stacklevel=3)
        self._refuse_bad_options(split_spec(spec)[0], cls, kwargs)
        return cls.from_spec(arg, **kwargs)  # type: ignore[attr-defined]

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
