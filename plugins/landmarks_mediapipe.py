"""MediaPipe FaceMesh (478 points with iris refinement): the alternative to dlib that copes with pose.

Uses the legacy ``mediapipe.solutions.face_mesh`` API of mediapipe 0.10.21, the last release whose
wheel ships the FaceMesh model (nothing is downloaded). The 478 native points are mapped into dlib's
68-point layout with ``mediapipe_to_dlib68.yaml`` beside this file, so the paper's areas apply
unchanged; how that table was made is in its header and in ``docs/landmarks.md``.
"""

from __future__ import annotations

import contextlib
import os
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml

import fastk
from fastk.errors import FastkError
from fastk.face.landmarks import Candidate, LandmarkDetector

# MediaPipe's C++ core logs several lines per process to stderr; keep the terminal for fastk's output.
os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@contextlib.contextmanager
def _quiet_native_stderr():
    """Send file descriptor 2 to /dev/null for the duration (absl logs bypass Python's sys.stderr)."""
    try:
        saved = os.dup(2)
    except OSError:  # no real stderr (some embedded interpreters): nothing to silence
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)

MAPPING_FILE = Path(__file__).with_name("mediapipe_to_dlib68.yaml")


@lru_cache(maxsize=1)
def dlib68_mapping() -> list[list[int]]:
    """For each dlib-68 point, the MediaPipe indices whose mean stands for it."""
    data = yaml.safe_load(MAPPING_FILE.read_text())
    mapping = data["dlib68_from_mediapipe"]
    if len(mapping) != 68:
        raise FastkError(f"{MAPPING_FILE}: expected 68 entries, found {len(mapping)}")
    return [list(m) for m in mapping]


class MediaPipeDetector(LandmarkDetector):
    """FaceMesh in static-image mode; up to ``max_faces`` faces, the largest kept."""

    name = "mediapipe"
    scheme = "mediapipe478"

    def __init__(self, *, max_faces: int = 4, min_confidence: float = 0.5, **kwargs):
        super().__init__(**kwargs)
        self.max_faces = max_faces
        self.min_confidence = min_confidence
        self._mesh = None
        self._first_call = True
        self._lock = threading.Lock()  # FaceMesh graphs are not re-entrant

    def model_files(self) -> list[Path]:
        """The dlib-68 mapping table and the FaceMesh/face-detection models inside the mediapipe wheel."""
        import importlib.util

        files = [MAPPING_FILE]
        spec = importlib.util.find_spec("mediapipe")
        if spec is not None and spec.submodule_search_locations:
            root = Path(list(spec.submodule_search_locations)[0]) / "modules"
            files += sorted(root.glob("face_landmark/*.tflite")) + sorted(root.glob("face_detection/*.tflite"))
        return files

    def cache_key(self) -> str:
        import importlib.metadata

        try:
            lib = importlib.metadata.version("mediapipe")
        except importlib.metadata.PackageNotFoundError:
            lib = None
        return f"{super().cache_key()}|faces={self.max_faces}|conf={self.min_confidence}|lib=mediapipe=={lib}"

    def _face_mesh(self):
        if self._mesh is None:
            try:
                from mediapipe.python.solutions import face_mesh
            except ImportError as err:
                raise FastkError(
                    "the mediapipe detector needs mediapipe 0.10.21 (pip install 'fastk[mediapipe]'): "
                    f"{err}"
                ) from None
            with _quiet_native_stderr():
                self._mesh = face_mesh.FaceMesh(
                    static_image_mode=True,
                    max_num_faces=self.max_faces,
                    refine_landmarks=True,
                    min_detection_confidence=self.min_confidence,
                )
            self._first_call = True
        return self._mesh

    def _find_faces(self, rgb: np.ndarray) -> list[Candidate]:
        small, scale = self.downscaled(rgb)
        with self._lock:
            mesh = self._face_mesh()
            if self._first_call:  # the graph logs its set-up on the first image
                with _quiet_native_stderr():
                    result = mesh.process(np.ascontiguousarray(small))
                self._first_call = False
            else:
                result = mesh.process(np.ascontiguousarray(small))
        h, w = small.shape[:2]
        out = []
        for face in result.multi_face_landmarks or []:
            pts = np.array([(p.x * w, p.y * h) for p in face.landmark], dtype=np.float32) / scale
            x0, y0 = pts.min(axis=0)
            x1, y1 = pts.max(axis=0)
            out.append(Candidate((float(x0), float(y0), float(x1), float(y1)), pts))
        return out

    def to_dlib68(self, points: np.ndarray) -> np.ndarray:
        return np.stack([points[idx].mean(axis=0) for idx in dlib68_mapping()]).astype(np.float32)

    def eye_centres_native(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Iris centres (468: subject's right = image left, 473: image right)."""
        return points[468], points[473]

    def close(self) -> None:
        if self._mesh is not None:
            self._mesh.close()
            self._mesh = None


@fastk.hookimpl
def fastk_register_landmark_detectors(registry):
    registry.add(MediaPipeDetector)
