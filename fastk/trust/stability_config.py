"""What a stability grid covers and how it is analysed: :class:`StabilityConfig` (the ``stability:``
config dict; its keys are listed in :mod:`fastk.trust.stability_grid`). A module of its own so that the
grid's cells, the slow-method probe and the run configuration read it without importing the grid."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from fastk import defaults
from fastk.errors import ConfigError
from fastk.plugin.plugins import get_registry

DEFAULT_CAMS = ("gradcam++", "gradcam", "layercam", "xgradcam", "hirescam")
SLOW_CAMS = ("scorecam", "ablationcam")


@dataclass
class StabilityConfig:
    """What the grid covers and how it is analysed (the ``stability:`` config dict; see module doc)."""

    cams: list[str] | None = None
    slow_cams: str = "auto"
    slow_cam_seconds: float = 300.0
    detectors: list[str] = field(default_factory=lambda: ["dlib", "mediapipe"])
    targets: list[str] | None = None
    k: int = 4
    n_boot: int = 200
    seed: int = 0
    max_images: int | None = None
    planted: list[str] | None = None
    areas: str = defaults.AREAS
    batch_size: int = 16

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, *, where: str = "stability") -> StabilityConfig:
        """Build from a config dict; an unknown key or a bad value fails naming ``where.key``."""
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        for key in ("cams", "detectors", "targets", "planted"):
            if isinstance(data.get(key), str):
                data[key] = [x.strip() for x in data[key].split(",") if x.strip()]
        cfg = cls(**data)
        if cfg.slow_cams not in ("auto", "yes", "no"):
            raise ConfigError(f"{where}.slow_cams: must be auto, yes or no, not {cfg.slow_cams!r}")
        for key in ("k", "n_boot"):
            if not isinstance(getattr(cfg, key), int) or getattr(cfg, key) < 1:
                raise ConfigError(f"{where}.{key}: must be a whole number >= 1, not {getattr(cfg, key)!r}")
        if not cfg.detectors:
            raise ConfigError(f"{where}.detectors: needs at least one landmark detector")
        return cfg

    @classmethod
    def coerce(cls, value: StabilityConfig | Mapping[str, Any] | None) -> StabilityConfig:
        return value if isinstance(value, StabilityConfig) else cls.from_dict(value)

    def cam_methods(self) -> list[str]:
        """The CAM methods always in the grid (names checked against the registry)."""
        registry = get_registry("cam")
        names = list(self.cams) if self.cams else list(DEFAULT_CAMS)
        for name in names:
            registry.get(name)
        return names

    def slow_candidates(self) -> list[str]:
        """ScoreCAM/AblationCAM when the grid's CAM list is the default and slow methods are not refused."""
        if self.cams or self.slow_cams == "no":
            return []
        names = get_registry("cam").names()
        return [n for n in SLOW_CAMS if n in names]
