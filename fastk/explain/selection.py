"""Area-selection strategies: the base class plugins subclass.

A selector turns ``{area: importance}`` into the areas to keep (most important first). It is a plugin
kind because "which areas to keep" is a research question of its own: the paper keeps the top 4 and
uses the bottom 6 as a control; others want a threshold, a share of the total importance, or a list.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from fastk.errors import ConfigError
from fastk.explain.importance import no_signal
from fastk.plugin.registry import Plugin


def ranked(importance: Mapping[str, float]) -> list[str]:
    """Areas from most to least important; ties broken by name so the order is reproducible. Areas
    without a score (NaN: never inside an image) come last, not wherever NaN's comparisons put them."""
    def key(a: str) -> tuple[bool, float, str]:
        v = float(importance[a])
        return (not math.isfinite(v), -v if math.isfinite(v) else 0.0, a)

    return sorted(importance, key=key)


class AreaSelector(Plugin):
    """Base class of area-selection plugins. Subclasses set ``name`` and implement :meth:`_select`.

    A selector that can choose from more than one importance per area overrides
    :meth:`select_from_stability` or :meth:`select_from_rows`; :func:`fastk.trust.stability_analysis.select_areas`
    hands each selector what it chooses from (:meth:`chooses_from`). How many top areas the run's
    stability verdict counts for it: :meth:`verdict_k`.
    """

    #: The name users type (``--select top-k:4``).
    name: ClassVar[str] = ""
    #: Whether the choice follows the importance; such a selector refuses importances that rank
    #: nothing (every area scored the same, e.g. all-zero CAMs) instead of keeping tie-break winners.
    needs_signal: ClassVar[bool] = True

    def describe(self) -> str:
        """The spec that recreates this selector (recorded in results)."""
        return self.name

    @abc.abstractmethod
    def _select(self, importance: Mapping[str, float]) -> list[str]:
        """The areas to keep, any order (``select`` sorts them by importance and refuses an empty list).

        ``importance`` maps every area name of the run's area set to its mean heat in [0, 1];
        :func:`ranked` gives them most important first. Raise :class:`fastk.errors.ConfigError` (one
        line naming the selector) for a request that cannot be met.
        """

    @classmethod
    def chooses_from(cls) -> str:
        """``"stability"`` when the class overrides :meth:`select_from_stability`, ``"rows"`` when it
        overrides :meth:`select_from_rows`, else ``"importance"`` (:meth:`select`). A run hands a selector
        that input when it has one, else the importances."""
        for wants, method in (("stability", "select_from_stability"), ("rows", "select_from_rows")):
            if getattr(cls, method) is not getattr(AreaSelector, method):
                return wants
        return "importance"

    def verdict_k(self) -> int | None:
        """How many top areas the stability verdict should count for this selector (its P(in the top
        k)), or ``None``: the run's ``stability.k`` or 4. ``top-k:K`` returns K; a selector whose own
        count means something else (pairs of areas, a share) leaves it ``None`` or returns the area count.
        """
        return None

    def select_from_stability(self, result: Mapping[str, Any]) -> list[str]:
        """The areas to keep from a ``stability.json`` result; override it to choose from one.

        ``result["rank"][area]`` holds each area's rank distribution over the stability grid;
        :func:`fastk.trust.stability_analysis.p_in_top` turns it into P(area in the top k). The base refuses.
        """
        raise ConfigError(f"selector {self.describe()!r} does not choose from a stability result")

    def select_from_rows(self, rows: Any, areas: Sequence[str]) -> list[str]:
        """The areas to keep from per-image area scores; override it to choose from them. ``rows`` are
        ``{area: score}`` mappings (``per_image.csv`` rows) or an images x areas array. The base refuses."""
        raise ConfigError(f"selector {self.describe()!r} does not choose from per-image rows")

    def validate(self, area_names: Sequence[str], *, complement: bool = False) -> None:
        """Refuse, before any work, a selector that cannot work on these areas (one-line ConfigError).

        Called by ``fastk run`` with the area set's names before training, and by :meth:`select`.
        ``complement=True`` means the run also retrains on the areas this selector drops, which must
        then not be empty (an empty complement is a model trained on all-black images). The base
        checks only that there are areas; subclasses refine (``top-k:99`` with 10 areas, unknown names).
        """
        if not area_names:
            raise ConfigError(f"selector {self.describe()!r}: the area set has no areas")

    def select(self, importance: Mapping[str, float]) -> list[str]:
        """The areas to keep, most important first; never empty."""
        if not importance:
            raise ConfigError(f"selector {self.describe()!r}: no area importances to select from")
        self.validate(list(importance))
        keep = self._select(importance)  # first: a selector's own refusal (no per-image rows) says more
        if self.needs_signal:

            flat = no_signal(importance)
            if flat:
                raise ConfigError(f"selector {self.describe()!r}: {flat}, so there is no ranking to select from "
                                  "(the model's heatmaps say nothing about the areas); check the model and CAM "
                                  "method, or name the areas with list:AREA,AREA")
        if not keep:
            raise ConfigError(f"selector {self.describe()!r} kept no area")
        order = ranked(importance)
        return sorted(keep, key=order.index)

    def complement(self, importance: Mapping[str, float]) -> list[str]:
        """The areas this selector drops (the paper's control keeps exactly these); may be empty."""
        keep = set(self.select(importance))
        return [a for a in ranked(importance) if a not in keep]
