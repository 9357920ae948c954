"""An area selector: keep the more important half of the areas (rounded up)."""

from collections.abc import Mapping

import fastk
from fastk.explain.selection import ranked


class TopHalf(fastk.AreaSelector):
    """The more important half of the areas, rounded up (5 of 10, 3 of 5)."""

    name = "template-top-half"

    def _select(self, importance: Mapping[str, float]) -> list[str]:
        order = ranked(importance)  # most important first, ties by name
        return order[: (len(order) + 1) // 2]
