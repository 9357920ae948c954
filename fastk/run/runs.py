"""A run folder: everything one ``fastk run`` makes, plus a manifest of which steps are finished.

Why a manifest: the loop trains four models and explores hundreds of images; a run killed at any
point must resume from the last finished step (``fastk run --resume runs/NAME``) without redoing or
losing finished work. A step's result is recorded only after its outputs are written, and the
manifest itself is replaced atomically.

Paths stored in the manifest and in the run's JSON files are relative to the run folder when they
point inside it (:meth:`RunFolder.rel`, read back with :meth:`RunFolder.resolve`) and absolute
otherwise, so a run resumes from any working directory and survives being moved.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastk.common.jsonsafe import write_json
from fastk.errors import ConfigError

MANIFEST = "manifest.json"
CHECKPOINT = "best.pt"  # what the trainer writes in its output folder


class Layout:
    """Where a run's files are, relative to its folder (``/`` ends a folder; globs allowed in arguments).

    The one place that knows the layout: :class:`RunFolder`'s accessors and the steps' declared
    ``reads``/``writes`` both read it, so the files a step says it makes are the ones it makes.
    """

    config = "config.json"
    split = "split.json"
    skipped = "skipped.csv"
    explore = "explore/"
    per_image = "explore/per_image.csv"
    area_importance = "explore/area_importance.json"
    asymmetry = "explore/asymmetry.json"
    sanity = "sanity/"
    sanity_json = "sanity/sanity.json"
    sanity_cascading = "sanity/sanity_cascading.png"
    stability = "stability/"
    stability_json = "stability/stability.json"
    faithfulness = "faithfulness/"
    faithfulness_json = "faithfulness/faithfulness.json"
    overlays = "explore/overlays/"
    importance_bar = "explore/importance.png"
    figures = "figures/"
    face_diagram = "figures/face_diagram.png"
    report_json = "report.json"
    report_html = "report.html"

    @staticmethod
    def model(name: str) -> str:
        """A trained model's folder (``full``, ``full-seed2``, a retrain variant)."""
        return f"models/{name}/"

    @staticmethod
    def checkpoint(name: str) -> str:
        return f"models/{name}/{CHECKPOINT}"

    @staticmethod
    def masked(variant: str) -> str:
        """A masked dataset's folder (``selected``, ``complement``, ``crop``)."""
        return f"masked/{variant}/"

    @staticmethod
    def split_of(variant: str | None = None) -> str:
        """The run's split file, or a masked dataset's."""
        return f"masked/{variant}/{Layout.split}" if variant else Layout.split


def resolve_stored(root: Path, stored: str | Path) -> Path:
    """A path stored in a run folder's files (split files, manifest) as a usable one: absolute as is,
    relative to ``root``; a path of an older run, relative to its first working directory, is used as
    is when it exists and the run-relative one does not."""
    p = Path(stored)
    if p.is_absolute():
        return p
    inside = root / p
    if not inside.exists() and p.exists():
        return p.absolute()
    return inside


class _RunPath:
    """A :class:`RunFolder` attribute naming one :class:`Layout` path inside the folder
    (``run.explore_dir`` is ``run.root / Layout.explore``): the layout says where, once."""

    def __init__(self, rel: str) -> None:
        self.rel = rel

    def __get__(self, run: RunFolder, owner: type | None = None) -> Path:
        return run.at(self.rel)


class RunFolder:
    def __init__(self, root: str | Path):
        self.root = Path(root).absolute()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ConfigError(f"{self.root}: cannot create run folder ({err.strerror})") from None
        self.path = self.root / MANIFEST
        self.reload()

    def reload(self) -> None:
        """Read the manifest again (under torchrun, rank 0 writes it and the other ranks read it)."""
        if self.path.exists():
            try:
                self.manifest = json.loads(self.path.read_text())
            except ValueError:
                raise ConfigError(f"{self.path}: corrupt run manifest (not JSON)") from None
        else:
            self.manifest = {"steps": {}, "created": time.strftime("%Y-%m-%d %H:%M:%S")}

    @classmethod
    def existing(cls, root: str | Path) -> RunFolder:
        p = Path(root)
        if not (p / MANIFEST).is_file():
            raise ConfigError(f"{p}: not a fastk run folder (no {MANIFEST})")
        return cls(p)

    # -- where things are (see Layout) ------------------------------------------------------------
    def at(self, rel: str) -> Path:
        """A :class:`Layout` path inside this run folder."""
        return self.root / rel

    config_file = _RunPath(Layout.config)
    skipped_file = _RunPath(Layout.skipped)
    explore_dir = _RunPath(Layout.explore)
    per_image_file = _RunPath(Layout.per_image)
    area_importance_file = _RunPath(Layout.area_importance)
    asymmetry_file = _RunPath(Layout.asymmetry)
    sanity_dir = _RunPath(Layout.sanity)
    sanity_file = _RunPath(Layout.sanity_json)
    stability_dir = _RunPath(Layout.stability)
    faithfulness_dir = _RunPath(Layout.faithfulness)
    report_json = _RunPath(Layout.report_json)
    report_html = _RunPath(Layout.report_html)

    def split_file(self, variant: str | None = None) -> Path:
        return self.at(Layout.split_of(variant))

    def model_dir(self, name: str) -> Path:
        return self.at(Layout.model(name))

    def masked_dir(self, variant: str) -> Path:
        return self.at(Layout.masked(variant))

    def checkpoint(self, step: str) -> Path:
        """The checkpoint a finished training step recorded (not necessarily in ``models/``)."""
        return self.resolve(self.result(step)["checkpoint"])

    # -- stored paths -------------------------------------------------------------------------------
    def rel(self, path: str | Path) -> str:
        """``path`` as stored: relative to the run folder when inside it, else absolute."""
        p = Path(path).absolute()
        try:
            return p.relative_to(self.root).as_posix()
        except ValueError:
            return str(p)

    def resolve(self, stored: str | Path) -> Path:
        """A stored path as a usable one (inverse of :meth:`rel`).

        Runs made before paths were stored this way hold paths relative to the first working
        directory; such a path is used as is when it exists and the run-relative one does not.
        """
        return resolve_stored(self.root, stored)

    def save(self) -> None:
        write_json(self.path, self.manifest, indent=2, default=str)

    def done(self, step: str) -> bool:
        return self.manifest["steps"].get(step, {}).get("status") == "done"

    def result(self, step: str) -> Any:
        try:
            return self.manifest["steps"][step]["result"]
        except (KeyError, TypeError):
            raise ConfigError(f"{self.path}: step {step!r} has no recorded result; resume the run to redo it") from None

    def step(self, name: str, fn: Callable[[], Any], *, on_skip: Callable[[str], None] | None = None) -> Any:
        """Run ``fn`` unless step ``name`` is already done; record its (JSON-safe) result and time."""
        if self.done(name):
            if on_skip:
                on_skip(name)
            return self.result(name)
        self.manifest["steps"][name] = {"status": "running", "started": time.strftime("%Y-%m-%d %H:%M:%S")}
        self.save()
        t0 = time.perf_counter()
        result = fn()
        self.manifest["steps"][name].update(
            status="done", seconds=round(time.perf_counter() - t0, 2), finished=time.strftime("%Y-%m-%d %H:%M:%S"),
            result=result,
        )
        self.save()
        return result
