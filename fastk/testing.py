"""Testing a fastk plugin: a fresh plugin system holding your plugin, correct with the plugin installed.

Why not just register the plugin on a new manager: once the package is installed (``pip install -e .``),
its entry point loads the very same module, and pluggy refuses it a second time ("Plugin name already
registered"). :func:`plugin_system` loads fastk's built-in plugins from their entry points, skips any
entry point that points at a plugin under test, and registers the plugins under test strictly (a
misspelt hook fails the test instead of being skipped with a warning, as an installed plugin would be)::

    import fastk, fastk.testing, my_package.fastk_plugin as plugin

    with fastk.testing.plugin_system(plugin) as system:   # built-ins + my plugin
        assert "my-selector" in fastk.list_names("selector")
        assert system.provenance("selector", "my-selector")["plugin"] == "my_plugin"

With pytest, add ``pytest_plugins = ["fastk.testing"]`` to your ``conftest.py`` and use the
``fastk_plugins`` fixture: ``system = fastk_plugins(plugin)``, undone after the test.
The previous process-wide plugin system is restored afterwards in both cases.

A plugin's command-line commands are tested through :func:`cli`, the ``fastk`` click group with
fastk's commands and the plugins' (``fastk.cli.main`` is the console script, a function; the group
``fastk.cli.cli`` holds fastk's own commands only)::

    from click.testing import CliRunner

    with fastk.testing.plugin_system(plugin) as system:
        result = CliRunner().invoke(fastk.testing.cli(system), ["my-command", "--flag"])
    assert result.exit_code == 0, result.output
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Any

from fastk.cli import make_cli
from fastk.plugin import plugins as _plugins
from fastk.plugin.plugins import BUILTIN_DISTRIBUTION, EntryPoint, PluginSystem

if TYPE_CHECKING:  # pragma: no cover
    import click


def _as_plugin(obj: object) -> object:
    """Modules and instances are plugins as they are; a class is instantiated (its hooks are methods)."""
    return obj() if isinstance(obj, type) else obj


def _module_of(plugin: object) -> str | None:
    return plugin.__name__ if isinstance(plugin, ModuleType) else None


def _entry_point_for(plugin: object) -> EntryPoint | None:
    """The installed entry point that loads ``plugin`` (same module, or ``module:attr`` resolving to it)."""
    module = _module_of(plugin)
    for ep in _plugins.fastk_entry_points():
        if module is not None and ep.value == module:
            return ep
        if ep.attr and ep.module == getattr(type(plugin), "__module__", None):
            with contextlib.suppress(Exception):
                if ep.load() is plugin:
                    return ep
    return None


def _default_name(plugin: object) -> str:
    ep = _entry_point_for(plugin)
    if ep is not None:
        return ep.name
    module = _module_of(plugin)
    return module.rpartition(".")[2] if module else type(plugin).__name__


def make_plugin_system(
    *plugins: object,
    builtins: bool = True,
    installed: bool = False,
    names: dict[str, object] | None = None,
) -> PluginSystem:
    """A new :class:`~fastk.plugin.plugins.PluginSystem` with ``plugins`` registered (not made process-wide).

    :param plugins: modules, objects or classes (instantiated) holding ``@fastk.hookimpl`` functions;
        each is named after its installed entry point when it has one, else after its module or class.
    :param builtins: also load fastk's own built-in plugins (the ``fastk`` distribution's entry points).
    :param installed: also load every other installed ``fastk`` entry point (off by default, so a test
        does not depend on what else is installed).
    :param names: more plugins, by the name to register them under.

    Block and load lists (``FASTK_BLOCK_PLUGINS``...) are ignored: a test should not depend on the shell.
    """
    chosen = [(_default_name(p), p) for p in map(_as_plugin, plugins)]
    chosen += [(n, _as_plugin(p)) for n, p in (names or {}).items()]
    under_test = {id(p) for _, p in chosen}
    taken = {n for n, _ in chosen}
    modules = {_module_of(p) for _, p in chosen} - {None}

    def accept(ep: EntryPoint) -> bool:
        if ep.name in taken or ep.value in modules:
            return False  # the plugin under test, installed: it is registered below instead
        dist, _ = _plugins.distribution_of(ep)
        builtin = dist is not None and _plugins.canonical(dist) == BUILTIN_DISTRIBUTION
        return builtins if builtin else installed

    pm = _plugins.make_plugin_manager(load_entry_points=False)
    _plugins.load_plugins(pm, accept=accept, use_env=False)
    for plugin in list(pm.get_plugins()):  # an entry point of the form module:attr resolving to one under test
        if id(plugin) in under_test:
            pm.unregister(plugin)
    for name, plugin in chosen:
        pm.register(plugin, name=name)
    pm.check_pending()
    return PluginSystem(pm)


@contextlib.contextmanager
def plugin_system(
    *plugins: object, builtins: bool = True, installed: bool = False, names: dict[str, object] | None = None
) -> Iterator[PluginSystem]:
    """Make a fresh plugin system (see :func:`make_plugin_system`) process-wide for a block.

    ``fastk.create``, ``fastk.list_names`` and the CLI (through ``click.testing.CliRunner``) see it;
    the previous system comes back afterwards, even if the block fails.
    """
    previous = _plugins.current_plugin_system()
    system = make_plugin_system(*plugins, builtins=builtins, installed=installed, names=names)
    _plugins.set_plugin_system(system)
    try:
        yield system
    finally:
        _plugins.set_plugin_system(previous)


def cli(system: PluginSystem | None = None) -> click.Group:
    """The ``fastk`` command group as a user's shell runs it, for ``click.testing.CliRunner().invoke``:
    fastk's commands plus every command the plugins of ``system`` add (default: the process-wide
    system, which :func:`plugin_system` and the ``fastk_plugins`` fixture set). A new group each call."""

    return make_cli(system)


try:  # the pytest fixture, for ``pytest_plugins = ["fastk.testing"]``; fastk.testing works without pytest
    import pytest
except ImportError:  # pragma: no cover
    pytest = None  # type: ignore[assignment]

if pytest is not None:

    @pytest.fixture
    def fastk_plugins() -> Iterator[Callable[..., PluginSystem]]:
        """``fastk_plugins(*plugins, builtins=True, installed=False)`` -> a process-wide fresh plugin system.

        Each call replaces the previous one; the system from before the test is restored afterwards.
        """
        stack = contextlib.ExitStack()

        def make(*plugins: object, **options: Any) -> PluginSystem:
            return stack.enter_context(plugin_system(*plugins, **options))

        with stack:
            yield make
