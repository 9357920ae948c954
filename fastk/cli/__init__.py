"""The ``fastk`` command-line tool: a click group, one module per command, plus plugins' commands.

Commands are thin: parse options, call the library, print with rich. Heavy imports (torch) happen
inside command bodies so ``fastk --help`` stays fast. A :class:`fastk.errors.FastkError` (a user error:
bad file, unknown plugin name, ...) is printed as one line and exits with status 2, no traceback.
"""

from __future__ import annotations

import sys

import click

from fastk import __version__
from fastk.errors import FastkError


class FastkGroup(click.Group):
    """Turns user errors into one line instead of a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except FastkError as err:
            from rich.console import Console

            Console(stderr=True, highlight=False, soft_wrap=True).print(f"[bold red]fastk: error:[/] {err}", markup=True)
            sys.exit(2)


@click.group(cls=FastkGroup)
@click.version_option(__version__, prog_name="fastk")
def cli() -> None:
    """Face anti-spoofing with explainable, area-aware efficiency.

    Explore which face areas an FAS model relies on (landmarks + CAM + area importance), keep only
    those areas, and retrain. Every part is a plugin: see `fastk plugins` and `fastk list KIND`.
    """


def _add_core_commands(group: click.Group) -> None:
    """Every ``fastk/cli/*_cmd.py`` module contributes its ``command`` (one module per command)."""
    import importlib
    import pkgutil

    import fastk.cli as package

    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.endswith("_cmd"):
            group.add_command(importlib.import_module(f"fastk.cli.{info.name}").command)


def _add_plugin_commands(group: click.Group) -> None:
    from fastk.plugins import plugin_system

    plugin_system().pm.hook.fastk_register_commands(cli=group)


_add_core_commands(cli)
_commands_loaded = False


def main() -> None:
    """Console-script entry point: load plugins' commands, then run."""
    global _commands_loaded
    if not _commands_loaded:
        try:
            _add_plugin_commands(cli)
        except FastkError as err:
            click.echo(f"fastk: error: {err}", err=True)
            sys.exit(2)
        _commands_loaded = True
    cli(prog_name="fastk")
