"""An example third-party fastk plugin (see docs/writing-a-plugin.md).

``symmetric-top-k:K`` keeps the K most important areas *and their mirror images* (left_eye brings
right_eye). Why someone would want it: the paper's ranking put the right cheek far above the left
(0.78 vs 0.08) because of one-sided lighting; a symmetric selection keeps such a capture bias from
deciding what the retrained model may see.

It also adds a command, ``fastk mirror-pairs``, that shows which areas the selector keeps together,
and ships an area set, ``--areas fastk_example_plugin:areas/eyes-and-mouth.yaml`` (docs/areas.md).
"""

import click

import fastk


def mirror(area: str) -> str:
    if area.startswith("left_"):
        return "right_" + area[len("left_"):]
    if area.startswith("right_"):
        return "left_" + area[len("right_"):]
    return area


class SymmetricTopK(fastk.AreaSelector):
    """Top-k areas plus their left/right mirror images."""

    name = "symmetric-top-k"
    spec_arg = "k"  # symmetric-top-k:3 is k=3 (an int: __init__ says so)

    def __init__(self, k: int = 4):
        self.k = k

    def describe(self) -> str:
        return f"{self.name}:{self.k}"

    def verdict_k(self) -> None:
        """``k`` counts pairs, not areas: the stability verdict keeps the run's own top-k."""
        return None

    def _select(self, importance):
        keep = []
        for area in fastk.ranked(importance)[: self.k]:
            for a in (area, mirror(area)):
                if a in importance and a not in keep:
                    keep.append(a)
        return keep


@fastk.hookimpl
def fastk_register_area_selectors(registry):
    registry.add(SymmetricTopK)


@fastk.hookimpl
def fastk_register_commands(cli):
    @cli.command("mirror-pairs")
    @click.option("--areas", default="paper", show_default=True, help="Area set: a name, a YAML file or PACKAGE:FILE.")
    def mirror_pairs(areas):
        """Each area of an area set and its mirror image: what symmetric-top-k keeps together."""
        from fastk.face.areas import AreaSet

        names = AreaSet.load(areas).names
        for area in names:
            click.echo(f"{area}\t{mirror(area) if mirror(area) in names else '-'}")
