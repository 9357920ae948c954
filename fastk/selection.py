"""Area-selection strategies: the base class plugins subclass.

A selector turns ``{area: importance}`` into the areas to keep (most important first). It is a plugin
kind because "which areas to keep" is a research question of its own: the paper keeps the top 4 and
uses the bottom 6 as a control; others want a threshold, a share of the total importance, or a list.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from fastk.errors import ConfigError


def ranked(importance: Mapping[str, float]) -> list[str]:
    """Areas from most to least important; ties broken by name so the order is reproducible. Areas
    without a score (NaN: never inside an image) come last, not wherever NaN's comparisons put them."""
    def key(a: str) -> tuple[bool, float, str]:
        v = float(importance[a])
        return (not math.isfinite(v), -v if math.isfinite(v) else 0.0, a)

    return sorted(importance, key=key)


class AreaSelector:
    """Base class of area-selection plugins. Subclasses set ``name`` and implement :meth:`_select`."""

    #: The name users type (``--select top-k:4``).
    name: ClassVar[str] = ""
    #: Whether the choice follows the importance; such a selector refuses importances that rank
    #: nothing (every area scored the same, e.g. all-zero CAMs) instead of keeping tie-break winners.
    needs_signal: ClassVar[bool] = True

    @classmethod
    def from_spec(cls, arg: str, **kwargs: Any) -> AreaSelector:
        """Build from the text after the colon in ``name:arg``."""
        raise ConfigError(f"selector {cls.name!r} takes no ':' argument (got {arg!r})")

    def describe(self) -> str:
        """The spec that recreates this selector (recorded in results)."""
        return self.name

    def _select(self, importance: Mapping[str, float]) -> list[str]:
        """The areas to keep, any order (``select`` sorts them by importance and refuses an empty list).

        ``importance`` maps every area name of the run's area set to its mean heat in [0, 1];
        :func:`ranked` gives them most important first. Raise :class:`fastk.errors.ConfigError` (one
        line naming the selector) for a request that cannot be met.
        """
        raise NotImplementedError

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
            from fastk.importance import no_signal

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
