"""``fastk plugins``: which plugins are loaded, from which distribution, implementing which hooks."""

from __future__ import annotations

import click

from fastk.cli._common import console
from fastk.common.jsonsafe import dumps
from fastk.plugin.plugins import plugin_system


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (name, distribution, version, hooks).")
def command(as_json: bool) -> None:
    """List the installed plugins (built-in ones included: they load the same way)."""

    plugins = plugin_system().describe()
    if as_json:

        click.echo(dumps(plugins, indent=2))
        return
    from rich.table import Table

    table = Table("plugin", "distribution", "version", "hooks")
    for p in plugins:
        table.add_row(p["name"], p["distribution"] or "-", p["version"] or "-", "\n".join(p["hooks"]))
    console.print(table)
