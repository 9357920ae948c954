"""Selectors that know the ranking's uncertainty: ``stable-top-k:K`` and ``significant``.

Both need more than one importance vector, and say so by overriding the base class's method for it
(:meth:`fastk.explain.selection.AreaSelector.chooses_from`; :func:`fastk.trust.stability_analysis.select_areas` hands
each what it chooses from):

* ``stable-top-k:K`` has ``select_from_stability(result)``: the K areas with the highest
  P(in the top K) over a stability grid (cells x image resamples; ties by mean rank). Given a plain
  ``{area: value}`` mapping it keeps the K highest values, so ``select(p_in_top(result, K))`` works too.
* ``significant[:ALPHA[,holm|bh]]`` has ``select_from_rows(rows, areas)``: the areas whose per-image
  score is significantly above the per-image median area (one-sided Wilcoxon signed-rank test over
  images, Holm or Benjamini-Hochberg correction over the areas; default 0.05, Holm). It cannot
  choose from one importance vector and fails with a one-line message if asked to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

import fastk
from fastk.errors import ConfigError
from fastk.explain.selection import AreaSelector

from .selectors import TopK


class StableTopK(TopK):
    """The ``k`` areas most often among the top ``k`` over a stability grid (a plain importance
    mapping is read like ``top-k``'s)."""

    name = "stable-top-k"

    def validate(self, area_names: Sequence[str], *, complement: bool = False) -> None:
        if self.k >= len(area_names):
            raise ConfigError(f"selector {self.describe()!r}: k must be below the number of areas "
                              f"({len(area_names)}): P(in the top k) is 1 for every area otherwise")
        super().validate(area_names, complement=complement)

    def select_from_stability(self, result: Mapping[str, Any]) -> list[str]:
        """The ``k`` areas with the highest P(in top k) in a ``stability.json`` result."""
        from fastk.trust.stability_analysis import p_in_top

        p = p_in_top(result, self.k)
        self.validate(list(p))
        mean_rank = {a: v["mean_rank"] for a, v in result["rank"].items()}
        return sorted(p, key=lambda a: (-p[a], mean_rank[a], a))[: self.k]


class Significant(AreaSelector):
    """Areas significantly above the median area over images (paired test, corrected)."""

    name = "significant"
    spec_arg = ("alpha", "correction")
    spec_help = "ALPHA[,holm|bh], e.g. significant:0.01,bh"

    def __init__(self, alpha: float = 0.05, correction: str = "holm"):
        if not 0 < alpha < 1:
            raise ConfigError(f"selector 'significant' needs 0 < alpha < 1, got {alpha}")
        if correction not in ("holm", "bh"):
            raise ConfigError(f"selector 'significant': correction must be holm or bh, not {correction!r}")
        self.alpha, self.correction = alpha, correction

    def describe(self) -> str:
        return f"{self.name}:{self.alpha:g},{self.correction}"

    def _select(self, importance: Mapping[str, float]) -> list[str]:
        raise ConfigError(f"selector {self.describe()!r} needs per-image area scores (an exploration's "
                          "per_image.csv), not one importance per area")

    def test(self, rows, areas: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The per-area test results (median difference, p, adjusted p, significant)."""
        from fastk.explain.ranking_stats import significant_areas

        return significant_areas(_matrix(rows, areas), areas, alpha=self.alpha, correction=self.correction)

    def select_from_rows(self, rows, areas: Sequence[str]) -> list[str]:
        """Significant areas, largest median difference first. ``rows``: per-image mappings
        ``{area: score}`` (e.g. ``per_image.csv`` rows) or an images x areas array."""
        self.validate(list(areas))
        res = self.test(rows, areas)
        keep = sorted((a for a in areas if res[a]["significant"]), key=lambda a: (-res[a]["median_difference"], a))
        if not keep:
            raise ConfigError(f"selector {self.describe()!r}: no area is significantly above the median area "
                              f"over {max(v['n'] for v in res.values())} images")
        return keep


def _matrix(rows, areas: Sequence[str]) -> np.ndarray:
    if isinstance(rows, np.ndarray):
        x = rows.astype(np.float64)
    else:
        x = np.array([[_num(r.get(a)) for a in areas] for r in rows], dtype=np.float64)
    x = x.reshape(-1, len(areas))
    if len(x) < 2:
        raise ConfigError(f"selector 'significant' needs per-image scores of at least 2 images, got {len(x)}")
    return x


def _num(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


@fastk.hookimpl
def fastk_register_area_selectors(registry):
    for cls in (StableTopK, Significant):
        registry.add(cls)
