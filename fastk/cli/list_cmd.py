"""``fastk list KIND [PATTERN]``: the names a plugin kind offers (what ``--cam`` etc. accept), and which
plugin, distribution and version provide each."""

from __future__ import annotations

import click

from fastk.cli._common import console
from fastk.plugins import KINDS


@click.command("list")
@click.argument("kind", type=click.Choice(sorted(KINDS)))
@click.argument("pattern", required=False)
@click.option("--json", "as_json", is_flag=True,
              help="Print JSON (name, plugin, distribution, version, class, summary, capabilities).")
def command(kind: str, pattern: str | None, as_json: bool) -> None:
    """List registered names of KIND, optionally filtered by a wildcard PATTERN (e.g. '*cam*')."""
    from fastk.plugins import plugin_system

    system = plugin_system()
    registry = system.registry(kind)
    rows = []
    for name in registry.names(pattern):
        entry = registry.entry(name)
        doc = (entry.cls.__doc__ or "").strip().splitlines()
        row = {**system.provenance(kind, name), "summary": doc[0] if doc else ""}
        for attr in ("cost", "deterministic", "scheme"):
            if hasattr(entry.cls, attr):
                row[attr] = getattr(entry.cls, attr)
        rows.append(row)
    if as_json:
        from fastk.jsonsafe import dumps

        click.echo(dumps(rows, indent=2))
        return
    from rich.table import Table

    extra = [k for k in ("scheme", "cost", "deterministic") if rows and k in rows[0]]
    table = Table("name", *extra, "plugin", "distribution", "summary", title=f"{kind} ({len(rows)})")
    for r in rows:
        dist = f"{r['distribution']} {r['version'] or ''}".strip() if r["distribution"] else "-"
        table.add_row(r["name"], *[str(r[k]) for k in extra], r["plugin"], dist, r["summary"])
    console.print(table)
