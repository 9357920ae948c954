"""The demo set's cache key: what the images depend on (settings, and the code that draws them).

Why the code is in the key: a set cached by an older simulator must never be served. ``VERSION``
alone relied on a manual bump and was once forgotten (a camera-model change reused the old images
under the same key; every image differed from a fresh build).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

VERSION = 5  # bump when the images a given setting produces change
#: The modules whose code decides the images: their source is hashed into the cache key, so a changed
#: simulator never serves a set built by an older one (VERSION alone was once forgotten: a camera-model
#: change reused the old images). tests/test_demo_set.py checks every fastk import of these is listed.
#: (dlib's points place the crops, so the landmark code is listed too.)
IMAGE_SOURCES = ("fastk.demo.demo_set", "fastk.demo.demo_set_render", "fastk.demo.attacks", "fastk.demo.attack_replay",
                 "fastk.demo._media", "fastk.demo.camera_model", "fastk.face.areas", "fastk.face.landmarks",
                 "fastk_plugins.landmarks_dlib")


def code_digest() -> str:
    """SHA-1 of the source of :data:`IMAGE_SOURCES` (what the images depend on besides the settings)."""
    import importlib.util

    h = hashlib.sha1()
    for name in IMAGE_SOURCES:
        spec = importlib.util.find_spec(name)
        h.update(Path(spec.origin).read_bytes() if spec and spec.origin else name.encode())
    return h.hexdigest()


def settings_key(**settings: Any) -> str:
    blob = json.dumps({"version": VERSION, "code": code_digest(), **settings}, sort_keys=True, default=str)
    return hashlib.sha1(blob.encode()).hexdigest()[:12]
