"""A disk cache of landmark results, so a second CAM method, selector or run never re-detects faces.

Keyed by the image file's content hash (a video frame's: the video's plus the frame index) plus the
detector's :meth:`cache_key` (name, ``version``, plugin distribution and version, model-file hashes
and settings), so a renamed file still hits and a changed detector, model file or setting misses. One small JSON file per entry, written atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from fastk.common.fingerprint import file_digest
from fastk.common.jsonsafe import dumps, write_json
from fastk.common.threads import ordered_map
from fastk.data.images import read_rgb
from fastk.data.video_frames import parse_frame_path
from fastk.errors import FastkError
from fastk.face.landmarks import Face, LandmarkDetector, NoFace

CACHE_ENV = "FASTK_CACHE_DIR"
#: Version of the image reader the cached points were computed on (bump when read_rgb changes pixels).
READER = "read_rgb-2-exif"


def default_cache_dir() -> Path:
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else Path.home() / ".cache" / "fastk"


def _file_digest(path: Path) -> str:
    return file_digest(path)


def _encode(result: Face | NoFace) -> dict:
    if not result.ok:
        return {"ok": False, "detector": result.detector, "reason": result.reason}
    return {
        "ok": True,
        "detector": result.detector,
        "scheme": result.scheme,
        "box": list(result.box),
        "points": result.points.round(2).tolist(),
        "points68": None if result.points68 is None else result.points68.round(2).tolist(),
        "faces_found": result.faces_found,
    }


def _decode(d: dict) -> Face | NoFace:
    if not d["ok"]:
        return NoFace(d["detector"], d["reason"])
    p68 = d.get("points68")
    return Face(
        d["detector"],
        d["scheme"],
        tuple(d["box"]),
        np.asarray(d["points"], dtype=np.float32),
        None if p68 is None else np.asarray(p68, dtype=np.float32),
        d["faces_found"],
    )


class LandmarkCache:
    """Landmarks per (file content, detector settings); ``hits``/``misses`` count use."""

    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root is not None else default_cache_dir() / "landmarks"
        self.hits = 0
        self.misses = 0
        self._keys: dict[int, tuple[LandmarkDetector, str]] = {}
        self._lock = threading.Lock()  # counts and keys stay right when worker threads share the cache

    def detector_key(self, detector: LandmarkDetector) -> str:
        """``detector.cache_key()``, computed once per detector object (it hashes model files)."""
        with self._lock:
            known = self._keys.get(id(detector))
            if known is None or known[0] is not detector:
                known = self._keys[id(detector)] = (detector, detector.cache_key())
        return known[1]

    def _count(self, hit: bool) -> None:
        with self._lock:
            if hit:
                self.hits += 1
            else:
                self.misses += 1

    def _entry(self, path: Path, detector: LandmarkDetector) -> Path:
        # READER: how files become pixels (read_rgb); entries made before EXIF orientation was honoured
        # hold points of the unrotated image and must miss.
        key = hashlib.sha1(f"{_file_digest(path)}|{READER}|{self.detector_key(detector)}".encode()).hexdigest()
        return self.root / key[:2] / f"{key}.json"

    def detect_file(
        self, detector: LandmarkDetector, path: str | Path, image: np.ndarray | None = None
    ) -> Face | NoFace:
        """Cached ``detector.detect(read_rgb(path))``; unreadable images raise :class:`ImageReadError`."""
        p = Path(path)
        if not p.is_file() and parse_frame_path(p) is None:
            read_rgb(p)  # raises the one-line error for a missing file or a folder
        entry = self._entry(p, detector)
        if entry.exists():
            try:
                result = _decode(json.loads(entry.read_text()))
                self._count(hit=True)
                return result
            except (ValueError, KeyError, TypeError):
                pass  # a corrupt entry is recomputed
        self._count(hit=False)
        encoded = _encode(detector.detect(read_rgb(p) if image is None else image))
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            write_json(entry, encoded)  # atomic: two processes (or threads, given one file twice) may fill one entry
        except OSError as err:  # a read-only cache must not stop the work
            raise FastkError(f"{self.root}: cannot write landmark cache ({err.strerror})") from err
        # what a later hit reads (points rounded to 0.01 px), so a first run and a resumed one agree
        return _decode(json.loads(dumps(encoded)))

    def detect_each(self, detector: LandmarkDetector, paths: Iterable[str | Path]) -> Iterator[Face | NoFace | FastkError]:
        """:meth:`detect_file` of each path, in order; a :class:`FastkError` raised for a path (an
        unreadable image, an unwritable cache) in place of its result, for the caller to judge.

        On worker threads (:mod:`fastk.common.threads`) when ``detector.thread_safe``, cached or not (a hit
        hashes the file, which also takes time): finding the faces of the demo set's source photos and
        samples was most of the demo's data step, all of it on one core. The results are a serial
        loop's (each image is detected on its own, results in order); only the hit/miss counts can
        differ, when two paths hold the same content.
        """

        def one(path: str | Path) -> Face | NoFace | FastkError:
            try:
                return self.detect_file(detector, path)
            except FastkError as err:
                return err

        return ordered_map(one, paths, threads=None if detector.thread_safe else 1)


def read_and_detect(cache: LandmarkCache, detector: LandmarkDetector, path: str | Path, *,
                    label: str | None = None) -> tuple[np.ndarray, Face] | str:
    """The image and its face, or the one-line reason it cannot be used (unreadable, no face found).

    Why one helper: exploring, masking and the faithfulness check all skip an image the same way and
    must say why in the same words (``<path>: no face found (dlib)``, ``label`` naming the detector as
    the user typed it), in their ``skipped.csv``.
    """
    try:
        image = read_rgb(path)
        face = cache.detect_file(detector, path, image)
    except FastkError as err:
        return str(err)
    if not face.ok:
        return f"{path}: {face.reason} ({label or detector.name})"
    return image, face
