"""Plugin-manager factory and loading (after simonw/llm's ``plugins.py``).

Built-in plugins and third-party plugins arrive the same way: through the ``fastk`` entry-point group.
Two environment variables steer loading; both take entry-point names *or* distribution names
(``FASTK_BLOCK_PLUGINS=fastk-example-plugin`` blocks every entry point of that distribution):

* ``FASTK_BLOCK_PLUGINS=a,b`` skips ``a`` and ``b``;
* ``FASTK_LOAD_PLUGINS=a,b`` loads *only* those (an empty value loads none).

``FASTK_TRACE=1`` logs every hook call to stderr (pluggy's tracing), the registration hooks included.

A third-party plugin that cannot be used (it fails to import, implements a hook fastk does not have,
or a hook with the wrong arguments) is reported in one line on stderr, naming the entry point, its
distribution and the cause, and skipped: one broken package must not take ``fastk --help`` down.

Everything uses the lazily built process-wide system (:func:`plugin_system`); tests make fresh ones
(:func:`make_plugin_manager`; plugin authors: :mod:`fastk.testing`).
"""

from __future__ import annotations

import difflib
import importlib
import importlib.metadata
import os
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pluggy

from fastk import hookspecs
from fastk.plugin._entry_points import EntryPoint, canonical, distribution_of, fastk_entry_points
from fastk.plugin.registry import Registry, unknown_name

BLOCK_ENV = "FASTK_BLOCK_PLUGINS"
LOAD_ENV = "FASTK_LOAD_PLUGINS"
TRACE_ENV = "FASTK_TRACE"
#: The distribution whose entry points are the built-in plugins.
BUILTIN_DISTRIBUTION = "fastk"


@dataclass(frozen=True)
class Kind:
    """A plugin kind: its registration hook and base class (a ``"module:Class"`` path, imported lazily)."""

    name: str
    hook: str
    base: str

    def base_class(self) -> type:
        module, _, attr = self.base.partition(":")
        return getattr(importlib.import_module(module), attr)


def kinds_from(module: ModuleType) -> dict[str, Kind]:
    """Every plugin kind a hookspec module declares with :func:`fastk.hookspecs.registration`, in order."""
    kinds: dict[str, Kind] = {}
    for name, fn in vars(module).items():
        kind = getattr(fn, "fastk_kind", None)
        if kind is not None and name.startswith("fastk_"):
            kinds[kind] = Kind(kind, name, fn.fastk_base)
    return kinds


KINDS: dict[str, Kind] = kinds_from(hookspecs)


def _env_names(var: str) -> set[str] | None:
    value = os.environ.get(var)
    if value is None:
        return None
    return {canonical(v.strip()) for v in value.split(",") if v.strip()}


def warn(message: str) -> None:
    """One ``fastk: warning:`` line on stderr (plugin problems the user should see but that stop nothing)."""
    sys.stderr.write(f"fastk: warning: {' '.join(message.split())}\n")


def _chosen(ep: EntryPoint, blocked: set[str], only: set[str] | None) -> bool:
    names = {canonical(ep.name)}
    dist, _ = distribution_of(ep)
    if dist:
        names.add(canonical(dist))
    return not (names & blocked) and (only is None or bool(names & only))


class PluginManager(pluggy.PluginManager):
    """pluggy's manager for the ``fastk`` hooks, plus the distribution of each plugin loaded from an entry point."""

    def __init__(self) -> None:
        super().__init__("fastk")
        self.fastk_distributions: dict[str, tuple[str, str | None]] = {}  # plugin name -> (distribution, version)


def make_plugin_manager(
    *, load_entry_points: bool = True, plugins: Iterable[tuple[str, object]] = ()
) -> PluginManager:
    """A new plugin manager with fastk's hookspecs, entry points (minus blocked ones) and ``plugins``.

    ``plugins`` are the caller's own objects and are checked strictly: an unknown hook raises
    pluggy's ``PluginValidationError``; an installed entry point of the same name or module is left out.
    Entry points are checked one by one and skipped with a warning.
    """
    pm = PluginManager()
    pm.add_hookspecs(hookspecs)
    if os.environ.get(TRACE_ENV):
        # Before anything loads: registration hooks run while plugins load and must be traced too.
        pm.trace.root.setwriter(lambda msg: sys.stderr.write(f"[fastk trace] {msg}"))
        pm.enable_tracing()
    plugins = list(plugins)
    mine = {n for n, _ in plugins} | {p.__name__ for _, p in plugins if isinstance(p, ModuleType)}
    if load_entry_points:  # an installed entry point for one of ``plugins`` would register it twice
        load_plugins(pm, accept=lambda ep: ep.name not in mine and ep.value not in mine)
    for name, plugin in plugins:
        pm.register(plugin, name=name)
    pm.check_pending()
    return pm


def load_plugins(
    pm: PluginManager, *, accept: Callable[[EntryPoint], bool] | None = None, use_env: bool = True
) -> list[str]:
    """Register the ``fastk`` entry points that ``accept`` (default: all) and the environment allow.

    Returns the names registered. ``use_env=False`` ignores ``FASTK_BLOCK_PLUGINS``/``FASTK_LOAD_PLUGINS``
    (:mod:`fastk.testing` uses it so a test does not depend on the shell it runs in).
    """
    blocked = (_env_names(BLOCK_ENV) if use_env else None) or set()
    only = _env_names(LOAD_ENV) if use_env else None
    loaded = []
    for ep in fastk_entry_points():
        if not _chosen(ep, blocked, only) or (accept is not None and not accept(ep)):
            continue
        dist, version = distribution_of(ep)
        where = f"plugin {ep.name!r} ({dist or 'unknown distribution'}{' ' + version if version else ''})"
        try:
            plugin = ep.load()
        except Exception as err:  # noqa: BLE001 - any import failure of a plugin is reported the same way
            warn(f"{where} failed to load, skipped: {type(err).__name__}: {err}")
            continue
        if register_checked(pm, ep.name, plugin, where):
            loaded.append(ep.name)
            if dist is not None:
                pm.fastk_distributions[ep.name] = (dist, version)
    return loaded


def register_checked(pm: pluggy.PluginManager, name: str, plugin: object, where: str) -> bool:
    """Register one plugin, or warn (naming ``where`` and the hook) and leave the manager as it was."""
    try:
        pm.register(plugin, name=name)
    except pluggy.PluginValidationError as err:  # a known hook with arguments fastk never passes
        warn(f"{where} skipped: {_bad_arguments(pm, str(err))}")
        return False
    except ValueError as err:  # the same module under two entry-point names
        warn(f"{where} skipped: {str(err).splitlines()[0]}")
        return False
    unknown = [h.name for h in pm.get_hookcallers(plugin) or [] if not h.has_spec()
               and any(i.plugin is plugin and not i.optionalhook for i in h.get_hookimpls())]
    if unknown:
        pm.unregister(plugin)
        hooks = sorted(n for n in vars(hookspecs) if n.startswith("fastk_"))
        close = difflib.get_close_matches(unknown[0], hooks, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        warn(f"{where} skipped: {unknown[0]!r} is not a fastk hook{hint}")
        return False
    return True


def _bad_arguments(pm: pluggy.PluginManager, message: str) -> str:
    """pluggy's multi-line validation message as one line: the hook, the extra arguments, what fastk passes."""
    hook, args = re.search(r"for hook '(\w+)'", message), re.search(r"Argument\(s\) (\{.*?\})", message)
    if not (hook and args):
        return message
    passes = ", ".join(getattr(pm.hook, hook.group(1)).spec.argnames)
    return f"hook {hook.group(1)!r} takes argument(s) {args.group(1)} that fastk does not pass (it passes: {passes})"


@dataclass
class PluginSystem:
    """A plugin manager plus the registries it fills, built on first use of each kind."""

    pm: pluggy.PluginManager
    kinds: dict[str, Kind] = field(default_factory=lambda: dict(KINDS))
    _registries: dict[str, Registry] = field(default_factory=dict)

    def registry(self, kind: str) -> Registry:
        if kind not in self.kinds:
            raise unknown_name("plugin kind", kind, sorted(self.kinds))
        if kind not in self._registries:
            spec = self.kinds[kind]
            registry: Registry[Any] = Registry(kind, spec.base_class())
            hook = getattr(self.pm.hook, spec.hook)
            everyone = [i.plugin for i in hook.get_hookimpls()]
            # One call per plugin (through pluggy, so FASTK_TRACE sees it) so the registry can
            # record which plugin added what. pluggy's own call order: the last registered first.
            trace = self.pm.trace.root.get("hook")  # writes only when FASTK_TRACE set a writer
            for impl in reversed(hook.get_hookimpls()):
                registry._current_plugin = self.pm.get_name(impl.plugin) or repr(impl.plugin)
                trace(f"{spec.hook}: plugin {registry._current_plugin!r}")
                others = [p for p in everyone if p is not impl.plugin]
                self.pm.subset_hook_caller(spec.hook, remove_plugins=others)(registry=registry)
            registry._current_plugin = "<direct>"
            self._registries[kind] = registry
        return self._registries[kind]

    def distribution(self, plugin: str) -> tuple[str | None, str | None]:
        """``(name, version)`` of the distribution that provides a loaded plugin, when known.

        A plugin registered directly (a test, :mod:`fastk.testing`) counts as its distribution's when an
        installed entry point names the same module.
        """
        dists = getattr(self.pm, "fastk_distributions", {})
        if plugin in dists:
            return dists[plugin]
        obj = self.pm.get_plugin(plugin)
        module = getattr(obj, "__name__", None) if isinstance(obj, ModuleType) else None
        for ep in fastk_entry_points() if module else ():
            if ep.value == module:
                return distribution_of(ep)
        return None, None

    def describe(self) -> list[dict[str, Any]]:
        """One dict per loaded plugin: name, distribution, version, hooks (for ``fastk plugins``)."""
        out = []
        for plugin in self.pm.get_plugins():
            name = self.pm.get_name(plugin)
            hooks = sorted(h.name for h in self.pm.get_hookcallers(plugin) or [])
            dist, version = self.distribution(name) if name else (None, None)
            out.append({"name": name, "distribution": dist, "version": version, "hooks": hooks})
        return sorted(out, key=lambda d: d["name"] or "")

    def provenance(self, kind: str, spec: str) -> dict[str, Any]:
        """Where the class behind ``spec`` comes from; see :func:`provenance`."""
        entry = self.registry(kind).entry(spec)
        dist, version = self.distribution(entry.plugin)
        return {"name": entry.name, "plugin": entry.plugin, "distribution": dist, "version": version,
                "class": f"{entry.cls.__module__}.{entry.cls.__qualname__}"}


_system: PluginSystem | None = None


def plugin_system() -> PluginSystem:
    """The process-wide plugin system, loaded once, lazily."""
    global _system
    if _system is None:
        _system = PluginSystem(make_plugin_manager())
    return _system


def current_plugin_system() -> PluginSystem | None:
    """The process-wide plugin system if one is built (does not load plugins); for save/restore."""
    return _system


def set_plugin_system(system: PluginSystem | None) -> None:
    """Replace (or with ``None`` reset) the process-wide plugin system; for tests and embedding."""
    global _system
    _system = system


def get_registry(kind: str) -> Registry:
    """The registry of one kind (``landmarks``, ``cam``, ``backbone``, ``selector``, ``dataset``, ``protocol``)."""
    return plugin_system().registry(kind)


def create(kind: str, spec: str, /, **kwargs: Any) -> Any:
    """The plugin class registered as ``spec``, instantiated (what :func:`fastk.create` does, for the core,
    which sits below the public surface and imports from here)."""
    return get_registry(kind).create(spec, **kwargs)


def provenance(kind: str, spec: str) -> dict[str, Any]:
    """``{"name", "plugin", "distribution", "version", "class"}`` of the class behind ``spec``.

    For result files: which installed package (and version) made a result, not only which class.
    ``spec`` may carry an argument (``top-k:4``); ``name`` is the registered name (``top-k``).
    """
    return plugin_system().provenance(kind, spec)


def plugin_identity(kind: str, spec: str) -> dict[str, Any]:
    """:func:`provenance` with ``name`` the spec as given (``top-k:4``): a part of a result's fingerprint,
    so upgrading the package behind a plugin invalidates what it produced."""
    return {**provenance(kind, spec), "name": spec}
