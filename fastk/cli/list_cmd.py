"""``fastk list KIND [PATTERN]``: the names a plugin kind offers (what ``--cam`` etc. accept), and which
plugin, distribution and version provide each.

Readable at any width: a terminal wide enough gets a table, a narrow one each name with its summary
below it, and a pipe or file one tab-separated line per name, nothing cut (a table in a pipe was cut
to 80 columns, its summaries wrapped mid-word or ended in an ellipsis).
"""

from __future__ import annotations

import re
from typing import Any

import click

from fastk.cli._common import console
from fastk.common.jsonsafe import dumps
from fastk.plugin.plugins import KINDS, plugin_system

#: Narrower terminals get one entry per block instead of a table.
TABLE_MIN_WIDTH = 100
_CAPABILITIES = ("scheme", "cost", "deterministic")


@click.command("list")
@click.argument("kind", type=click.Choice(sorted(KINDS)))
@click.argument("pattern", required=False)
@click.option("--json", "as_json", is_flag=True,
              help="Print JSON (name, plugin, distribution, version, class, summary, capabilities).")
def command(kind: str, pattern: str | None, as_json: bool) -> None:
    """List registered names of KIND, optionally filtered by a wildcard PATTERN (e.g. '*cam*')."""
    rows = list_rows(kind, pattern)
    if as_json:

        click.echo(dumps(rows, indent=2))
    elif not console.is_terminal:
        for r in rows:
            click.echo("\t".join([r["name"], *[str(r[k]) for k in _extra(rows)], r["plugin"], _dist(r), r["summary"]]))
    elif console.width < TABLE_MIN_WIDTH:
        _print_blocks(kind, rows)
    else:
        _print_table(kind, rows)


def list_rows(kind: str, pattern: str | None = None) -> list[dict[str, Any]]:
    """One dict per registered name: :func:`fastk.provenance`'s fields, the summary, the capabilities."""

    system = plugin_system()
    registry = system.registry(kind)
    rows = []
    for name in registry.names(pattern):
        cls = registry.entry(name).cls
        row = {**system.provenance(kind, name), "summary": summary(cls.__doc__)}
        row.update({attr: getattr(cls, attr) for attr in _CAPABILITIES if hasattr(cls, attr)})
        rows.append(row)
    return rows


def summary(doc: str | None) -> str:
    """A docstring's first paragraph on one line, without reST's double backticks (the first *line*
    alone cut sentences in half: "The k areas most often among the top k over a stability grid (a plain")."""
    first = re.split(r"\n\s*\n", (doc or "").strip(), maxsplit=1)[0]
    return " ".join(first.replace("``", "`").split())


def _extra(rows: list[dict[str, Any]]) -> list[str]:
    return [k for k in _CAPABILITIES if rows and k in rows[0]]


def _dist(row: dict[str, Any]) -> str:
    return f"{row['distribution']} {row['version'] or ''}".strip() if row["distribution"] else "-"


def _print_table(kind: str, rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    extra = _extra(rows)
    table = Table("name", *extra, "plugin", "distribution", "summary", title=f"{kind} ({len(rows)})")
    table.columns[-1].overflow = "fold"  # wrapped, never cut with an ellipsis
    for r in rows:
        table.add_row(r["name"], *[str(r[k]) for k in extra], r["plugin"], _dist(r), r["summary"])
    console.print(table)


def _print_blocks(kind: str, rows: list[dict[str, Any]]) -> None:
    from rich.text import Text

    console.print(Text(f"{kind} ({len(rows)})", style="bold"))
    for r in rows:
        details = ", ".join([*(f"{k} {r[k]}" for k in _extra(rows)), f"plugin {r['plugin']}", _dist(r)])
        line = Text(r["name"], style="bold")
        line.append(f"  ({details})")
        console.print(line)
        console.print(Text(f"    {r['summary']}"), soft_wrap=False)
