"""The ``fastk`` entry points installed in this environment, and the distribution each comes from.

Why a module of its own: loading (:mod:`fastk.plugin.plugins`) and the test helpers (:mod:`fastk.testing`) both
read the installed entry points, and naming a distribution the way PEP 503 compares names must be
done the same way everywhere.
"""

from __future__ import annotations

import importlib.metadata
import re

ENTRY_POINT_GROUP = "fastk"

EntryPoint = importlib.metadata.EntryPoint


def canonical(name: str) -> str:
    """A distribution or entry-point name as PEP 503 compares them (``Fastk_Example.plugin`` -> ``fastk-example-plugin``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def distribution_of(ep: EntryPoint) -> tuple[str | None, str | None]:
    """``(name, version)`` of the distribution that declares an entry point (``(None, None)`` if unknown)."""
    dist = getattr(ep, "dist", None)
    if dist is None:
        return None, None
    return dist.metadata["Name"], dist.version


def fastk_entry_points() -> list[EntryPoint]:
    """Every entry point in the ``fastk`` group, first one per name (as Python's import order finds them)."""
    seen: set[str] = set()
    out = []
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.name not in seen:
            seen.add(ep.name)
            out.append(ep)
    return out
