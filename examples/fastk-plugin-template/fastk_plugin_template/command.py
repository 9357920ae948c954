"""A command: ``fastk template-count DATASET`` counts a dataset's samples per label and attack type.

Commands are click commands added to the ``fastk`` group; keep heavy imports inside the body so
``fastk --help`` stays fast. Test one with ``fastk.testing.cli()`` (tests/test_command.py).
"""

from collections import Counter

import click

import fastk


@click.command("template-count")
@click.argument("dataset")
@click.option("--dataset-option", "options", multiple=True, metavar="KEY=VALUE", help="Dataset reader option.")
def count(dataset: str, options: tuple[str, ...]) -> None:
    """Count the samples of DATASET (a dataset spec: folder:PATH, template-list:FILE, ...)."""
    pairs = dict(o.split("=", 1) for o in options)
    samples = fastk.create("dataset", dataset, **pairs).samples()
    if not samples:
        raise fastk.ConfigError(f"dataset {dataset!r} has no samples")  # one line, exit status 2
    counts = Counter(("real" if s.label == fastk.REAL else "spoof", s.attack_type or "-") for s in samples)
    for (label, attack), n in sorted(counts.items()):
        click.echo(f"{label}\t{attack}\t{n}")
