"""Which images of a batch hold a usable face, and why the others were left out.

Why here and not in each command: ``predict``, ``evaluate`` and ``train`` must agree on what they
refuse. An image with no face (noise, a photo of a cup of coffee, an 8x8 thumbnail) would otherwise
be scored or trained on silently, and an unreadable file would stop a batch of thousands. Each
skipped image gets one line (``path: reason``) for the terminal and ``skipped.csv``.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from fastk.common.progress import progress_bar
from fastk.data.datasets import Sample
from fastk.data.images import read_rgb
from fastk.errors import FastkError, ImageReadError
from fastk.face.landmark_cache import LandmarkCache
from fastk.face.landmarks import Face

#: ``kind`` of a skipped image, for counts in the terminal.
UNREADABLE, NO_FACE = "unreadable", "no face"


@dataclass
class Checked:
    """``usable`` samples with their face (``None`` when faces were not checked), and ``skipped`` rows."""

    usable: list[tuple[Sample, Face | None]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)

    @property
    def samples(self) -> list[Sample]:
        return [s for s, _ in self.usable]

    def counts(self) -> str:
        return count_kinds(self.skipped)


def count_kinds(skipped: list[dict[str, str]]) -> str:
    """``"2 no face, 1 unreadable"`` (empty when nothing was skipped)."""
    c = Counter(row["kind"] for row in skipped)
    return ", ".join(f"{n} {kind}" for kind, n in sorted(c.items()))


def check_faces(samples: list[Sample], detector=None, cache=None, *, show_progress: bool = False) -> Checked:
    """Split ``samples`` into those with a usable face and the skipped ones (no face, unreadable).

    ``detector=None`` checks only that each file reads (for inputs that are not faces by design,
    such as masked datasets); ``cache`` is a :class:`fastk.face.landmark_cache.LandmarkCache`.
    """

    if detector is not None and cache is None:

        cache = LandmarkCache()
    out = Checked()
    what = f"finding faces ({detector.name})" if detector is not None else "reading images"
    with progress_bar(show_progress and bool(samples)) as progress:
        task = progress.add_task(f"{what} in {len(samples)} images", total=len(samples))
        found = cache.detect_each(detector, [s.path for s in samples]) if detector is not None else map(_read, samples)
        for s, face in zip(samples, found):
            progress.advance(task)
            if isinstance(face, ImageReadError):
                out.skipped.append({"path": str(s.path), "kind": UNREADABLE, "reason": str(face)})
                continue
            if isinstance(face, FastkError):  # not the image's fault (an unwritable cache): stop
                raise face
            if face is not None and not face.ok:
                out.skipped.append({"path": str(s.path), "kind": NO_FACE,
                                    "reason": f"{s.path}: {face.reason} ({detector.name})"})
                continue
            out.usable.append((s, face))
    return out


def _read(sample: Sample) -> ImageReadError | None:
    """Only that the file reads: the error, or None (no face was looked for)."""

    try:
        read_rgb(sample.path)
    except ImageReadError as err:
        return err
    return None


def require_usable(checked: Checked, source: str) -> None:
    """Only "nothing usable left" stops a batch: one line with the counts and the first reason."""
    if checked.usable:
        return
    if not checked.skipped:
        raise FastkError(f"{source}: no images")
    raise FastkError(f"{source}: no usable image ({checked.counts()}); first: {checked.skipped[0]['reason']}")


def write_skipped(path: str | Path, skipped: list[dict[str, str]]) -> Path:
    """``skipped.csv``: path, kind (no face / unreadable), reason; written even when empty."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with open(p, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["path", "kind", "reason"])
        w.writeheader()
        w.writerows(skipped)
    return p
