"""Plugin-manager factory and loading (after simonw/llm's ``plugins.py``).

Built-in plugins and third-party plugins arrive the same way: through the ``fastk`` entry-point group.
Two environment variables steer loading:

* ``FASTK_BLOCK_PLUGINS=a,b`` skips the entry points named ``a`` and ``b``;
* ``FASTK_LOAD_PLUGINS=a,b`` loads *only* those (an empty value loads none).

``FASTK_TRACE=1`` logs every hook call to stderr (pluggy's tracing).
Tests build a fresh manager with :func:`make_plugin_manager`; everything else uses the lazily built
process-wide one from :func:`plugin_manager`.
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Iterable

import pluggy

from fastk import hookspecs
from fastk.registry import Registry

ENTRY_POINT_GROUP = "fastk"
BLOCK_ENV = "FASTK_BLOCK_PLUGINS"
LOAD_ENV = "FASTK_LOAD_PLUGINS"
TRACE_ENV = "FASTK_TRACE"


@dataclass(frozen=True)
class Kind:
    """A plugin kind: its registration hook, base class (as a dotted path, imported lazily)."""

    name: str
    hook: str
    base: str


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("landmarks", "fastk_register_landmark_detectors", "fastk.landmarks:LandmarkDetector"),
        Kind("cam", "fastk_register_cam_methods", "fastk.cam:CamMethod"),
        Kind("backbone", "fastk_register_backbones", "fastk.backbones:Backbone"),
        Kind("selector", "fastk_register_area_selectors", "fastk.selection:AreaSelector"),
        Kind("dataset", "fastk_register_datasets", "fastk.datasets:Dataset"),
    )
}


def _env_names(var: str) -> set[str] | None:
    value = os.environ.get(var)
    if value is None:
        return None
    return {v.strip() for v in value.split(",") if v.strip()}


def _import_dotted(path: str) -> Any:
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


def make_plugin_manager(
    *, load_entry_points: bool = True, plugins: Iterable[tuple[str, object]] = ()
) -> pluggy.PluginManager:
    """A new plugin manager with fastk's hookspecs, entry points (minus blocked ones) and ``plugins``."""
    pm = pluggy.PluginManager("fastk")
    pm.add_hookspecs(hookspecs)
    if os.environ.get(TRACE_ENV):
        pm.trace.root.setwriter(lambda msg: sys.stderr.write(f"[fastk trace] {msg}"))
        pm.enable_tracing()
    pm.fastk_distributions = {}  # plugin name -> (distribution name, version)
    if load_entry_points:
        _load_entry_points(pm)
    for name, plugin in plugins:
        pm.register(plugin, name=name)
    pm.check_pending()
    return pm


def _load_entry_points(pm: pluggy.PluginManager) -> None:
    """Register every ``fastk`` entry point not blocked by the environment.

    A plugin that fails to import is reported on stderr in one line and skipped: one broken
    third-party package must not take the whole tool down (its absence still shows in
    ``fastk plugins``).
    """
    blocked = _env_names(BLOCK_ENV) or set()
    only = _env_names(LOAD_ENV)
    seen: set[str] = set()
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in blocked or (only is not None and ep.name not in only) or ep.name in seen:
            continue
        seen.add(ep.name)
        try:
            plugin = ep.load()
        except Exception as err:  # noqa: BLE001 - any import failure of a plugin is reported the same way
            dist = ep.dist.metadata["Name"] if ep.dist else "?"
            sys.stderr.write(f"fastk: warning: plugin {ep.name!r} ({dist}) failed to load: {type(err).__name__}: {err}\n")
            continue
        pm.register(plugin, name=ep.name)
        if ep.dist is not None:
            pm.fastk_distributions[ep.name] = (ep.dist.metadata["Name"], ep.dist.version)


@dataclass
class PluginSystem:
    """A plugin manager plus the registries it fills, built on first use of each kind."""

    pm: pluggy.PluginManager
    _registries: dict[str, Registry] = field(default_factory=dict)

    def registry(self, kind: str) -> Registry:
        if kind not in KINDS:
            from fastk.errors import UnknownPluginError

            raise UnknownPluginError("plugin kind", kind, sorted(KINDS))
        if kind not in self._registries:
            spec = KINDS[kind]
            registry = Registry(kind, _import_dotted(spec.base))
            hook = getattr(self.pm.hook, spec.hook)
            # Call each implementation ourselves so the registry can record which plugin added what.
            for impl in reversed(hook.get_hookimpls()):
                registry._current_plugin = self.pm.get_name(impl.plugin) or repr(impl.plugin)
                impl.function(registry=registry)
            registry._current_plugin = "<direct>"
            self._registries[kind] = registry
        return self._registries[kind]

    def describe(self) -> list[dict[str, Any]]:
        """One dict per loaded plugin: name, distribution, version, hooks (for ``fastk plugins``)."""
        dists = getattr(self.pm, "fastk_distributions", {})
        out = []
        for plugin in self.pm.get_plugins():
            name = self.pm.get_name(plugin)
            hooks = sorted(h.name for h in self.pm.get_hookcallers(plugin) or [])
            dist, version = dists.get(name, (None, None))
            out.append({"name": name, "distribution": dist, "version": version, "hooks": hooks})
        return sorted(out, key=lambda d: d["name"] or "")


_system: PluginSystem | None = None


def plugin_system() -> PluginSystem:
    """The process-wide plugin system, loaded once, lazily."""
    global _system
    if _system is None:
        _system = PluginSystem(make_plugin_manager())
    return _system


def set_plugin_system(system: PluginSystem | None) -> None:
    """Replace (or with ``None`` reset) the process-wide plugin system; for tests and embedding."""
    global _system
    _system = system


def get_registry(kind: str) -> Registry:
    """The registry of one kind (``landmarks``, ``cam``, ``backbone``, ``selector``, ``dataset``)."""
    return plugin_system().registry(kind)
