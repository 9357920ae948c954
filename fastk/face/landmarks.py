"""Landmark detectors: the base class plugins subclass, and the results they return.

The base class runs the part every detector shares, so a plugin only implements :meth:`_find_faces`:

1. find every face (the plugin's job), keep the largest and say how many there were;
2. when none is found, try again with the image padded in its mean colour: FAS datasets ship tight
   face crops where the face fills the frame, and detectors need some context around the face;
3. map points back to the un-padded image, and into the dlib-68 layout the face areas use.

A failed detection is a :class:`NoFace` value, not an exception: one face-less image must not end a
batch of thousands (the paper lost about 20% of its images to dlib).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

import numpy as np

from fastk.common.fingerprint import file_digest
from fastk.data.images import to_rgb8
from fastk.plugin.plugins import plugin_system
from fastk.plugin.registry import Plugin

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels


@dataclass(frozen=True)
class Face:
    """The largest face in an image.

    ``points`` are in the detector's own ``scheme``; ``points68`` in dlib's 68-point layout (0-based:
    jaw 0-16, brows 17-26, nose 27-35, eyes 36-47, lips 48-67) when the detector can provide it.
    """

    detector: str
    scheme: str
    box: Box
    points: np.ndarray
    points68: np.ndarray | None
    faces_found: int = 1

    @property
    def ok(self) -> Literal[True]:
        """Always true (``NoFace.ok`` is false): test ``result.ok`` instead of the type."""
        return True

    @property
    def note(self) -> str:
        """``"3 faces found, used the largest"`` when there were several, else ``""``."""
        return f"{self.faces_found} faces found, used the largest" if self.faces_found > 1 else ""

    def eye_centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Centres of the image-left and image-right eye (mean of the six dlib eye points)."""
        if self.points68 is None:
            raise ValueError(f"detector {self.detector!r} gave no dlib-68 points")
        return self.points68[36:42].mean(axis=0), self.points68[42:48].mean(axis=0)


@dataclass(frozen=True)
class NoFace:
    """No usable face: ``reason`` says why (one line, for ``skipped.csv`` and the terminal)."""

    detector: str
    reason: str = "no face found"
    faces_found: int = 0
    ok: ClassVar[Literal[False]] = False


@dataclass(frozen=True)
class Candidate:
    """A face found by a plugin, in the coordinates of the image it was given.

    What :meth:`LandmarkDetector._find_faces` returns, one per face. ``box`` is ``(x0, y0, x1, y1)``
    in pixels of the image ``_find_faces`` received (the padded copy on the second try: the base maps
    boxes and points back), x to the right and y down from the top-left corner, ``x1``/``y1`` the far
    edges (``x1 - x0`` is the width); it may reach past the image border. ``points`` is an ``(N, 2)``
    array of ``(x, y)`` in the same coordinates, in the detector's ``scheme`` order. ``score`` is the
    detector's confidence; the largest box wins, ``score`` only breaks ties.
    """

    box: Box
    points: np.ndarray
    score: float = 0.0

    @property
    def area(self) -> float:
        """Box area in square pixels (0 for an empty box); how the largest face is chosen."""
        x0, y0, x1, y1 = self.box
        return max(0.0, x1 - x0) * max(0.0, y1 - y0)


class LandmarkDetector(Plugin):
    """Base class of landmark-detector plugins. Subclasses set ``name``/``scheme``, implement ``_find_faces``.

    Results are cached on disk (:mod:`fastk.face.landmark_cache`) under the image's content hash plus
    :meth:`cache_key`, so the key must change whenever the detector could give other points. The
    base key holds the name, ``version``, the plugin's distribution name and version (from package
    metadata), the settings below and a content hash of every file :meth:`model_files` lists.
    Plugin authors: bump ``version`` whenever a code change can change results, list model files in
    :meth:`model_files`, and extend :meth:`cache_key` with every setting your ``__init__`` takes.
    """

    #: The name users type (``--landmarks dlib``).
    name: ClassVar[str] = ""
    #: Bump when a code change can change the points found (invalidates cached landmarks).
    version: ClassVar[str] = "1"
    #: Layout of the native points (``"dlib68"``, ``"mediapipe478"``).
    scheme: ClassVar[str] = ""
    #: Margin added on every side for the second try, as a fraction of the longer image side.
    pad_fraction: float = 0.25
    #: Detection runs on a copy whose longer side is at most this (detection dominates the cost).
    detect_max_side: int = 640
    #: True when one detector object may run :meth:`detect` in several threads at once; fastk then
    #: finds the faces of a batch on worker threads
    #: (:meth:`fastk.face.landmark_cache.LandmarkCache.detect_each`). Leave False when the library's objects
    #: keep per-call state (dlib's HOG scanner, MediaPipe's graphs) and you do not give each thread its
    #: own. Inherited: a subclass that adds such state must set it back to False.
    thread_safe: ClassVar[bool] = False

    def __init__(self, *, pad_fraction: float | None = None, detect_max_side: int | None = None):
        if pad_fraction is not None:
            self.pad_fraction = pad_fraction
        if detect_max_side is not None:
            self.detect_max_side = detect_max_side

    # -- what a plugin implements --------------------------------------------------------------
    @abc.abstractmethod
    def _find_faces(self, rgb: np.ndarray) -> list[Candidate]:
        """Every face in ``rgb`` (8-bit RGB, already padded), in its pixel coordinates."""

    def to_dlib68(self, points: np.ndarray) -> np.ndarray | None:
        """The native points in dlib's 68-point layout; ``None`` when there is no such mapping."""
        return points if self.scheme == "dlib68" else None

    def model_files(self) -> list[Path]:
        """Files the detector's results depend on (model weights, mapping tables); hashed into the key."""
        return []

    # -- shared pipeline ------------------------------------------------------------------------
    def cache_key(self) -> str:
        """Identifies detector code, model and settings, so cached results are reused only when they match."""

        models = ",".join(f"{p.name}:{file_digest(p)[:16]}" for p in self.model_files())
        return (f"{self.name}|v={self.version}|dist={_distribution(type(self))}|{self.scheme}"
                f"|pad={self.pad_fraction}|max={self.detect_max_side}|models={models}")

    def detect(self, image: np.ndarray) -> Face | NoFace:
        """The largest face in an RGB image, or :class:`NoFace`."""
        import cv2

        rgb = to_rgb8(image)
        h, w = rgb.shape[:2]
        pad = 0
        candidates = self._find_faces(rgb)
        if not candidates and self.pad_fraction > 0:
            # Second try with a margin: tight crops (the face fills the frame) defeat detectors that
            # need context around the face. Not done first because padding shrinks small faces.
            pad = int(round(self.pad_fraction * max(h, w)))
            fill = [int(v) for v in rgb.reshape(-1, 3).mean(axis=0)]
            padded = cv2.copyMakeBorder(rgb, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=fill)
            candidates = self._find_faces(padded)
        if not candidates:
            return NoFace(self.name)
        best = max(candidates, key=lambda c: (c.area, c.score))
        points = np.asarray(best.points, dtype=np.float32) - pad
        x0, y0, x1, y1 = best.box
        box = (
            max(0.0, x0 - pad),
            max(0.0, y0 - pad),
            min(float(w), x1 - pad),
            min(float(h), y1 - pad),
        )
        p68 = self.to_dlib68(points)
        return Face(self.name, self.scheme, box, points, p68, faces_found=len(candidates))

    def downscaled(self, rgb: np.ndarray) -> tuple[np.ndarray, float]:
        """A copy with longer side <= ``detect_max_side`` and the factor to map its coordinates back.

        For ``_find_faces``: detect on the small copy (``small, s = self.downscaled(rgb)``), then divide
        the box by ``s`` and fit the points on the full image; ``s`` is 1.0 (and ``rgb`` itself
        returned) when the image is small enough.
        """
        import cv2

        h, w = rgb.shape[:2]
        scale = min(1.0, self.detect_max_side / max(h, w))
        if scale >= 1.0:
            return rgb, 1.0
        # never 0 px: an elongated image's short side must not round away (OpenCV refuses an empty size)
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        return small, scale


def _distribution(cls: type[LandmarkDetector]) -> str:
    """``name==version`` of the distribution whose plugin registered ``cls`` (:func:`fastk.provenance`),
    ``plugin:NAME`` when it has none, ``?:module`` when ``cls`` is not the registered class or a subclass."""

    system = plugin_system()
    registry = system.registry("landmarks")
    if cls.name in registry and issubclass(cls, registry.get(cls.name)):
        where = system.provenance("landmarks", cls.name)
        return f"{where['distribution']}=={where['version']}" if where["distribution"] else f"plugin:{where['plugin']}"
    return f"?:{cls.__module__}"
