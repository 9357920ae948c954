"""Built-in area selectors: ``top-k`` (the paper, k=4), ``bottom-k`` (its control), ``threshold``,
``cumulative`` and ``list``."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import fastk
from fastk.errors import ConfigError
from fastk.explain.selection import AreaSelector, ranked
from fastk.plugin._options import did_you_mean


def _empty_complement(selector: str, n: int, fix: str) -> ConfigError:
    return ConfigError(f"selector {selector!r} keeps all {n} areas, so the 'complement' variant would train on "
                       f"all-black images; {fix}, or drop 'complement' from retrain.variants")


class TopK(AreaSelector):
    """The ``k`` most important areas (paper: k = 4)."""

    name = "top-k"
    spec_arg = "k"

    def __init__(self, k: int = 4):
        if k < 1:
            raise ConfigError(f"selector {self.name!r} needs k >= 1, got {k}")
        self.k = k

    def describe(self) -> str:
        return f"{self.name}:{self.k}"

    def verdict_k(self) -> int:
        """The stability verdict counts the top ``k``: the areas this selector keeps."""
        return self.k

    def validate(self, area_names: Sequence[str], *, complement: bool = False) -> None:
        super().validate(area_names, complement=complement)
        n = len(area_names)
        if self.k > n:
            raise ConfigError(f"selector {self.describe()!r} keeps {self.k} areas but the area set has only {n}; "
                              f"use k from 1 to {n - 1 if complement else n}")
        if complement and self.k == n:
            raise _empty_complement(self.describe(), n, f"use k < {n}")

    def _select(self, importance: Mapping[str, float]) -> list[str]:
        return ranked(importance)[: self.k]


class BottomK(TopK):
    """The ``k`` least important areas (the paper's control keeps the bottom 6)."""

    name = "bottom-k"

    def __init__(self, k: int = 6):
        super().__init__(k)

    def _select(self, importance: Mapping[str, float]) -> list[str]:
        order = ranked(importance)  # areas without a score last: they are unknown, not unimportant
        scored = [a for a in order if math.isfinite(float(importance[a]))]
        return (scored[::-1] + order[len(scored):])[: self.k]


class Threshold(AreaSelector):
    """Every area whose importance is at least ``t``."""

    name = "threshold"
    spec_arg = "t"

    def __init__(self, t: float = 0.5):
        self.t = t

    def describe(self) -> str:
        return f"{self.name}:{self.t:g}"

    def validate(self, area_names: Sequence[str], *, complement: bool = False) -> None:
        """Importance is mean heat, in [0, 1]: above 1 keeps nothing, at or below 0 keeps everything."""
        super().validate(area_names, complement=complement)
        if self.t > 1:
            raise ConfigError(f"selector {self.describe()!r} keeps no area: area importance is mean heat, in [0, 1]")
        if complement and self.t <= 0:
            raise _empty_complement(self.describe(), len(area_names), "use a threshold above 0")

    def _select(self, importance: Mapping[str, float]) -> list[str]:
        return [a for a in ranked(importance) if importance[a] >= self.t]


class Cumulative(AreaSelector):
    """The smallest set of top areas holding at least ``share`` (0-1] of the summed importance."""

    name = "cumulative"
    spec_arg = "share"

    def __init__(self, share: float = 0.5):
        if not 0 < share <= 1:
            raise ConfigError(f"selector 'cumulative' needs a share in (0, 1], got {share}")
        self.share = share

    def describe(self) -> str:
        return f"{self.name}:{self.share:g}"

    def validate(self, area_names: Sequence[str], *, complement: bool = False) -> None:
        super().validate(area_names, complement=complement)
        if complement and self.share >= 1:
            raise _empty_complement(self.describe(), len(area_names), "use a share below 1")

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
    spec_arg = "areas"
    spec_help = "area names, e.g. list:left_eye,right_cheek"
    needs_signal = False  # the user named the areas: no ranking is needed to keep them

    def __init__(self, areas: list[str] | tuple[str, ...] = ()):
        self.areas = list(dict.fromkeys(a.strip() for a in areas if a.strip()))
        if not self.areas:
            raise ConfigError("selector 'list' needs area names, e.g. list:left_eye,right_cheek")

    def describe(self) -> str:
        return f"{self.name}:{','.join(self.areas)}"

    def validate(self, area_names: Sequence[str], *, complement: bool = False) -> None:
        super().validate(area_names, complement=complement)
        unknown = [a for a in self.areas if a not in area_names]
        if unknown:
            hint = did_you_mean(unknown[0], area_names)
            raise ConfigError(f"selector 'list': unknown area(s) {', '.join(unknown)}{hint} "
                              f"(known: {', '.join(area_names)})")
        if complement and set(self.areas) >= set(area_names):
            raise _empty_complement(self.describe(), len(area_names), "leave at least one area out")

    def _select(self, importance: Mapping[str, float]) -> list[str]:
        return list(self.areas)


@fastk.hookimpl
def fastk_register_area_selectors(registry):
    for cls in (TopK, BottomK, Threshold, Cumulative, ExplicitList):
        registry.add(cls)
