"""``fastk report RUN``: re-render a run's report.html from its report.json."""

from __future__ import annotations

from pathlib import Path

import click

from fastk.cli._common import console
from fastk.report import rerender


@click.command("report")
@click.argument("run_dir", type=click.Path(path_type=Path))
def command(run_dir: Path) -> None:
    """Re-render RUN_DIR/report.html from RUN_DIR/report.json (no recomputation)."""

    console.print(f"Report: {rerender(run_dir)}")
