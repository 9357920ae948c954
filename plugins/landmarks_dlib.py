"""dlib's HOG frontal face detector + 68-point shape predictor (the paper's landmark model; the default).

The 68-point model ships in the ``face-recognition-models`` package. We locate the file without
importing that package: its ``__init__`` needs ``pkg_resources``, which setuptools >= 81 removed.
"""

from __future__ import annotations

import importlib.util
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

import fastk
from fastk.errors import FastkError
from fastk.face.landmarks import Candidate, LandmarkDetector

MODEL_PACKAGE = "face_recognition_models"
MODEL_FILE = "models/shape_predictor_68_face_landmarks.dat"


def shape_predictor_path() -> Path:
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FastkError(
            f"dlib landmarks need the {MODEL_PACKAGE!r} package (pip install face-recognition-models)"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / MODEL_FILE
    if not path.is_file():
        raise FastkError(f"{path}: dlib 68-point model missing from {MODEL_PACKAGE}")
    return path


def _version(dist: str) -> str | None:
    import importlib.metadata

    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


_loading = threading.Lock()  # worker threads asking at once load the ~100 MB file once


@lru_cache(maxsize=1)
def _load_predictor():
    """Load once per process and share between threads: the file is ~100 MB and takes ~1 s to read, and
    dlib's ``shape_predictor`` only reads its trees when it fits points (a ``const`` call)."""
    import dlib

    return dlib.shape_predictor(str(shape_predictor_path()))


def _predictor():
    with _loading:
        return _load_predictor()


_per_thread = threading.local()


def _face_finder():
    """This thread's HOG detector: dlib's ``object_detector`` loads each image into its scanner's
    members, so two threads must not share one (each thread makes its own, once)."""
    import dlib

    if not hasattr(_per_thread, "finder"):
        _per_thread.finder = dlib.get_frontal_face_detector()
    return _per_thread.finder


class DlibDetector(LandmarkDetector):
    """HOG face boxes on a downscaled copy, then the 68 points on the full-resolution image.

    ``upsample`` is the HOG detector's pyramid upsampling; 1 finds smaller faces but also more false
    positives (on ``skimage.data.astronaut()`` the mission patch), which the largest-face rule absorbs.
    The shape predictor must get dlib's own detector boxes (dlib issue 823), which is what happens here.
    """

    name = "dlib"
    scheme = "dlib68"
    thread_safe = True  # one HOG detector per thread, the predictor shared (see _face_finder)

    def __init__(self, *, upsample: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.upsample = upsample

    def model_files(self) -> list[Path]:
        return [shape_predictor_path()]

    def cache_key(self) -> str:
        return f"{super().cache_key()}|upsample={self.upsample}|lib={_version('dlib-bin') or _version('dlib')}"

    def _find_faces(self, rgb: np.ndarray) -> list[Candidate]:
        import dlib

        predictor = _predictor()
        small, scale = self.downscaled(rgb)
        rects, scores, _ = _face_finder().run(small, self.upsample, 0.0)
        out = []
        for rect, score in zip(rects, scores):
            full = dlib.rectangle(
                round(rect.left() / scale),
                round(rect.top() / scale),
                round(rect.right() / scale),
                round(rect.bottom() / scale),
            )
            shape = predictor(rgb, full)
            pts = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)
            box = (float(full.left()), float(full.top()), float(full.right()), float(full.bottom()))
            out.append(Candidate(box, pts, float(score)))
        return out


@fastk.hookimpl
def fastk_register_landmark_detectors(registry):
    registry.add(DlibDetector)
