"""Built-in area selectors: ``top-k`` (the paper, k=4), ``bottom-k`` (its control), ``threshold``,
``cumulative`` and ``list``."""

from __future__ import annotations

from collections.abc import Mapping

import fastk
from fastk.errors import ConfigError
from fastk.selection import AreaSelector, ranked


def _number(selector: str, arg: str, kind: type):
    try:
        return kind(arg)
    except ValueError:
        raise ConfigError(f"selector {selector!r} needs a {kind.__name__} after ':', got {arg!r}") from None


class TopK(AreaSelector):
    """The ``k`` most important areas (paper: k = 4)."""

    name = "top-k"

    def __init__(self, k: int = 4):
        if k < 1:
            raise ConfigError(f"selector 'top-k' needs k >= 1, got {k}")
        self.k = k

    @classmethod
    def from_spec(cls, arg, **kwargs):
        return cls(_number(cls.name, arg, int), **kwargs)

    def describe(self) -> str:
        return f"{self.name}:{self.k}"

    def _select(self, importance: Mapping[str, float]) -> list[str]:
        return ranked(importance)[: self.k]


class BottomK(TopK):
    """The ``k`` least important areas (the paper's control keeps the bottom 6)."""

    name = "bottom-k"

    def __init__(self, k: int = 6):
        super().__init__(k)

    def _select(self, importance: Mapping[str, float]) -> list[str]:
        return ranked(importance)[::-1][: self.k]


class Threshold(AreaSelector):
    """Every area whose importance is at least ``t``."""

    name = "threshold"

    def __init__(self, t: float = 0.5):
        self.t = t

    @classmethod
    def from_spec(cls, arg, **kwargs):
        return cls(_number(cls.name, arg, float), **kwargs)

    def describe(self) -> str:
        return f"{self.name}:{self.t:g}"

    def _select(self, importance: Mapping[str, float]) -> list[str]:
        return [a for a in ranked(importance) if importance[a] >= self.t]


class Cumulative(AreaSelector):
    """The smallest set of top areas holding at least ``share`` (0-1] of the summed importance."""

    name = "cumulative"

    def __init__(self, share: float = 0.5):
        if not 0 < share <= 1:
            raise ConfigError(f"selector 'cumulative' needs a share in (0, 1], got {share}")
        self.share = share

    @classmethod
    def from_spec(cls, arg, **kwargs):
        return cls(_number(cls.name, arg, float), **kwargs)

    def describe(self) -> str:
        return f"{self.name}:{self.share:g}"

    def _select(self, importance: Mapping[str, float]) -> list[str]:
        total = sum(max(0.0, float(v)) for v in importance.values())
        keep, acc = [], 0.0
        for area in ranked(importance):
            keep.append(area)
            acc += max(0.0, float(importance[area]))
            if total <= 0 or acc >= self.share * total - 1e-12:
                break
        return keep


class ExplicitList(AreaSelector):
    """Exactly the named areas: ``list:left_eye,right_cheek``."""

    name = "list"

    def __init__(self, areas: list[str] | tuple[str, ...] = ()):
        self.areas = [a.strip() for a in areas if a.strip()]
        if not self.areas:
            raise ConfigError("selector 'list' needs area names, e.g. list:left_eye,right_cheek")

    @classmethod
    def from_spec(cls, arg, **kwargs):
        return cls(arg.split(","), **kwargs)

    def describe(self) -> str:
        return f"{self.name}:{','.join(self.areas)}"

    def _select(self, importance: Mapping[str, float]) -> list[str]:
        unknown = [a for a in self.areas if a not in importance]
        if unknown:
            raise ConfigError(
                f"selector 'list': unknown area(s) {', '.join(unknown)}; known: {', '.join(sorted(importance))}"
            )
        return list(self.areas)


@fastk.hookimpl
def fastk_register_area_selectors(registry):
    for cls in (TopK, BottomK, Threshold, Cumulative, ExplicitList):
        registry.add(cls)
