"""``fastk compare A B [C...]``: how much area rankings agree across CAM methods, seeds, detectors."""

from __future__ import annotations

from pathlib import Path

import click

from fastk.cli._common import console
from fastk.common.jsonsafe import dumps
from fastk.trust.stability import compare


@click.command("compare")
@click.argument("explorations", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-k", "k", default=4, show_default=True, help="Top-k size for the Jaccard agreement.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def command(explorations, k, as_json) -> None:
    """Compare area rankings of several explore outputs (area_importance.json files or their folders)."""
    from rich.table import Table

    result = compare(list(explorations), k=k)
    if as_json:

        click.echo(dumps(result, indent=2))
        return
    table = Table("A", "B", "Spearman", "Kendall", f"top-{k} Jaccard", f"top-{k} feature agr.", "rank agr.",
                  title="Area-ranking agreement (agreement measures: Krishna et al. 2022)")
    fmt = lambda v: "-" if v is None or v != v else f"{v:.2f}"  # noqa: E731 - NaN/None print as '-'
    for p in result["pairs"]:
        table.add_row(p["a"], p["b"], fmt(p["spearman"]), fmt(p["kendall"]), fmt(p[f"top{k}_jaccard"]),
                      fmt(p["feature_agreement"]), fmt(p["rank_agreement"]))
    console.print(table)
    for label, ranking in result["rankings"].items():
        console.print(f"{label}: {', '.join(ranking[:k])}")
