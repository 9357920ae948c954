"""Face areas as data: named polygons over dlib-68 landmark indices, and their masks.

The paper's 10 areas (Table 1) ship as ``fastk/face/data/areas/paper.yaml``; a user's own set is a YAML
file of the same form (see ``configs/areas/``; the format: docs/areas.md), and a plugin package ships
its sets as package files, named ``PACKAGE:FILE`` (``--areas my_plugin:areas/eyes.yaml``). Left/right follow the paper: *image* left/right with
dlib's numbering, so ``left_eye`` is dlib points 37-42 (1-based), the eye on the image's left.
Every detector that can express its points in the dlib-68 layout gets the same areas.
"""

from __future__ import annotations

import importlib.resources
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fastk import defaults
from fastk.common._user_files import load_yaml_file
from fastk.errors import ConfigError

DATA_DIR = Path(__file__).parent / "data" / "areas"
#: ``PACKAGE:FILE``: a dotted module name (two letters or more: ``C:`` is a Windows drive), a colon, a file.
PACKAGE_FILE = re.compile(r"(?P<package>[A-Za-z_]\w+(?:\.[A-Za-z_]\w*)*):(?P<file>[^:]+)")


@dataclass(frozen=True)
class Area:
    name: str
    indices: tuple[int, ...]  # 0-based dlib-68 indices, in polygon order


@dataclass(frozen=True)
class AreaSet:
    """An ordered set of face areas over one landmark scheme."""

    name: str
    areas: tuple[Area, ...]
    scheme: str = "dlib68"
    source: str = ""

    @property
    def names(self) -> list[str]:
        return [a.name for a in self.areas]

    def __getitem__(self, name: str) -> Area:
        for a in self.areas:
            if a.name == name:
                return a
        raise ConfigError(f"unknown area {name!r} in area set {self.name!r}; known: {', '.join(self.names)}")

    # -- loading --------------------------------------------------------------------------------
    @classmethod
    def load(cls, name_or_path: str | Path = defaults.AREAS) -> AreaSet:
        """A built-in set by name (``paper``), a YAML file path, or ``PACKAGE:FILE``: a YAML file that
        an installed Python package ships (a plugin package's area sets; docs/areas.md)."""
        p = Path(name_or_path)
        packaged = PACKAGE_FILE.fullmatch(str(name_or_path))
        if packaged and not p.exists():
            return cls._load_packaged(packaged["package"], packaged["file"])
        if not p.suffix:
            p = DATA_DIR / f"{name_or_path}.yaml"
            if not p.exists():
                known = sorted(f.stem for f in DATA_DIR.glob("*.yaml"))
                raise ConfigError(f"unknown area set {str(name_or_path)!r}; known: {', '.join(known)}")
        if not p.is_file():
            raise ConfigError(f"{p}: area file not found")
        return cls.from_dict(load_yaml_file(p), source=str(p))

    @classmethod
    def _load_packaged(cls, package: str, file: str) -> AreaSet:
        """``PACKAGE:FILE`` read with :mod:`importlib.resources` (so it works for any installed package)."""
        spec = f"{package}:{file}"
        try:
            resource = importlib.resources.files(package).joinpath(file)
        except (ModuleNotFoundError, TypeError):  # TypeError: a module, not a package
            raise ConfigError(f"area set {spec!r}: no installed Python package {package!r} (PACKAGE:FILE names "
                              "a YAML file inside a package)") from None
        if not resource.is_file():
            raise ConfigError(f"area set {spec!r}: package {package!r} has no file {file!r}")
        with importlib.resources.as_file(resource) as path:
            return cls.from_dict(load_yaml_file(path), source=spec)

    @classmethod
    def from_dict(cls, data: object, *, source: str = "<dict>") -> AreaSet:
        if not isinstance(data, dict) or not isinstance(data.get("areas"), dict) or not data["areas"]:
            raise ConfigError(f"{source}: expected a mapping with a non-empty 'areas' mapping")
        base = data.get("indexing", 0)
        if base not in (0, 1):
            raise ConfigError(f"{source}: 'indexing' must be 0 or 1, got {base!r}")
        scheme = data.get("scheme", "dlib68")
        n_points = {"dlib68": 68}.get(scheme)
        areas = []
        for name, idx in data["areas"].items():
            if not isinstance(idx, list) or len(idx) < 3 or not all(isinstance(i, int) for i in idx):
                raise ConfigError(f"{source}: area {name!r} needs a list of at least 3 landmark indices")
            zero = tuple(i - base for i in idx)
            if n_points and not all(0 <= i < n_points for i in zero):
                raise ConfigError(f"{source}: area {name!r} has an index outside {scheme} ({idx})")
            areas.append(Area(str(name), zero))
        return cls(str(data.get("name", Path(source).stem)), tuple(areas), scheme, source)

    # -- geometry -------------------------------------------------------------------------------
    def polygons(self, points68: np.ndarray) -> dict[str, np.ndarray]:
        pts = np.asarray(points68, dtype=np.float32)
        return {a.name: pts[list(a.indices)] for a in self.areas}

    def masks(self, points68: np.ndarray, shape: tuple[int, ...]) -> dict[str, np.ndarray]:
        """Boolean masks at image resolution: ``True`` inside each area's polygon."""
        import cv2

        h, w = shape[:2]
        out = {}
        for name, poly in self.polygons(points68).items():
            m = np.zeros((h, w), np.uint8)
            # Sub-pixel precision (shift=4) so small areas at low resolution keep their shape.
            cv2.fillPoly(m, [np.round(poly * 16).astype(np.int32)], (1,), lineType=cv2.LINE_8, shift=4)
            out[name] = m.astype(bool)
        return out

    def union(self, masks: dict[str, np.ndarray], keep: list[str]) -> np.ndarray:
        for k in keep:
            self[k]
        first = next(iter(masks.values()))
        out = np.zeros_like(first, dtype=bool)
        for k in keep:
            out |= masks[k]
        return out
