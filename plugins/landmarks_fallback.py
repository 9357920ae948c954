"""``fallback:dlib,mediapipe``: try landmark detectors in order, keep the first face found.

The paper lost about 20% of its images to dlib (frontal-only). Falling back to MediaPipe recovers
many of them while keeping dlib's points wherever dlib succeeds; every result still says which
detector produced it (``Face.detector``), so the gain can be reported.
"""

from __future__ import annotations

import fastk
from fastk.errors import ConfigError
from fastk.face.landmarks import Candidate, Face, LandmarkDetector, NoFace


class FallbackDetector(LandmarkDetector):
    """Tries detectors in order (fallback:dlib,mediapipe) and keeps the first face found."""

    name = "fallback"
    scheme = "dlib68"
    spec_arg = "detectors"
    spec_help = "two or more detector names, e.g. fallback:dlib,mediapipe"

    def __init__(self, detectors: list[str] | tuple[str, ...] = ("dlib", "mediapipe"), **kwargs):
        super().__init__(**kwargs)
        if len(detectors) < 2 or "fallback" in detectors:
            raise ConfigError("fallback needs two or more other detectors, e.g. fallback:dlib,mediapipe")
        self.children = [fastk.create("landmarks", d) for d in detectors]

    def cache_key(self) -> str:
        return f"fallback|v={self.version}(" + ";".join(c.cache_key() for c in self.children) + ")"

    def _find_faces(self, rgb) -> list[Candidate]:
        """The first child's face as one dlib-68 candidate (what :meth:`detect` keeps, under the child's name)."""
        found = self.detect(rgb)
        return [Candidate(found.box, found.points68)] if found.ok and found.points68 is not None else []

    def detect(self, image) -> Face | NoFace:
        tried = []
        for child in self.children:
            result = child.detect(image)
            if result.ok and result.points68 is not None:
                return result
            tried.append(child.name)
        return NoFace(self.name, f"no face found ({', '.join(tried)})")


@fastk.hookimpl
def fastk_register_landmark_detectors(registry):
    registry.add(FallbackDetector)
