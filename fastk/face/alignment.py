"""Aligned framing: every face warped onto one canonical 68-point template at one fixed size.

Why: masking each image with its own landmarks (the paper's recipe) makes the *outline* of the mask a
feature. Wherever landmark geometry differs between live faces and attacks (a print magnified inside
the crop, curved paper, a screen at an angle, a detector failing differently on recaptures), the
shape, size and place of the kept areas tell the label with no face pixel at all: on the demo a
classifier on the binary mask alone reached AUC 0.95-0.98 (issue 26). Aligning first removes that:
each face is moved by a similarity transform (rotation, uniform scale, shift: no shape change) so its
68 landmarks best fit the template's, and every image of a masked variant is then blacked out with the
very same pixels (:func:`canonical_masks`), so the mask carries no per-image information.

The template is the mean dlib-68 shape of the shared London photos (``fastk/face/data/mean_face68.yaml``),
placed the way the demo frames a face: a square around the landmarks' extent with ``margin`` of it on
each side, a little more forehead than neck (:func:`fastk.demo.demo_set_render.face_crop_box`'s rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from fastk.errors import ConfigError

TEMPLATE_FILE = Path(__file__).parent / "data" / "mean_face68.yaml"
TEMPLATE = "mean_face68"
MARGIN = 0.15  # as the demo's tight crops (fastk.demo.demo_set_render.MARGINS["tight"])
SIZES = (32, 1024)  # smallest and largest aligned side fastk accepts


@lru_cache(maxsize=1)
def template_points() -> np.ndarray:
    """The template's 68 points (eye midpoint at 0, inter-ocular distance 1, y down)."""
    import yaml

    data = yaml.safe_load(TEMPLATE_FILE.read_text())
    return np.asarray(data["points"], dtype=np.float64)


@dataclass(frozen=True)
class Alignment:
    """Where the template sits in an aligned image: ``size`` px square, ``margin`` around the landmarks."""

    size: int
    margin: float = MARGIN

    def __post_init__(self) -> None:
        if not (isinstance(self.size, int) and SIZES[0] <= self.size <= SIZES[1]):
            raise ConfigError(f"alignment size must be an int in {SIZES[0]}..{SIZES[1]}, got {self.size!r}")
        if not 0 <= self.margin <= 1:
            raise ConfigError(f"alignment margin must be in [0, 1], got {self.margin!r}")

    def points(self) -> np.ndarray:
        """The template's 68 points in pixels of the aligned image (float64, ``(68, 2)``)."""
        t = template_points()
        (x0, y0), (x1, y1) = t.min(axis=0), t.max(axis=0)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2 - 0.1 * (y1 - y0)
        half = max(x1 - x0, y1 - y0) * (0.5 + self.margin)
        return (t - [cx - half, cy - half]) * (self.size / (2 * half))

    def matrix(self, points68: np.ndarray) -> np.ndarray:
        """The 2x3 similarity transform (least squares over all 68 points) from an image onto the template."""
        from skimage.transform import SimilarityTransform

        src = np.asarray(points68, dtype=np.float64)
        if src.shape != (68, 2) or not np.isfinite(src).all():
            raise ValueError(f"alignment needs 68 finite (x, y) landmarks, got shape {src.shape}")
        tf = SimilarityTransform.from_estimate(src, self.points())
        if not tf:  # degenerate points (all equal): no transform exists
            raise ValueError("landmarks are degenerate (no similarity transform fits them)")
        return np.asarray(tf.params[:2], dtype=np.float64)

    def warp(self, rgb: np.ndarray, points68: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(aligned image, its landmarks)``: ``rgb`` moved onto the template, ``size`` px square.

        A large reduction (a small face in a full frame) is first made with area averaging, which
        keeps what the pixels held (no aliasing), then the remaining similarity is resampled bicubically
        (sharper than bilinear: spoof cues live in the fine texture). Outside the image the border is
        mirrored, so no flat band whose width depends on the face's place enters the aligned image.
        """
        import cv2

        m0 = self.matrix(points68)
        m, img = m0, np.ascontiguousarray(rgb)
        scale = float(np.sqrt(abs(np.linalg.det(m[:, :2]))))
        if scale < 0.5:  # pre-shrink so the warp itself scales by about 1
            h, w = img.shape[:2]
            nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
            img = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA)
            m = m @ np.diag([w / nw, h / nh, 1.0])
        out = cv2.warpAffine(img, m, (self.size, self.size), flags=cv2.INTER_CUBIC,
                             borderMode=cv2.BORDER_REFLECT_101)
        moved = np.asarray(points68, dtype=np.float64) @ m0[:, :2].T + m0[:, 2]
        return out, moved.astype(np.float32)

    def record(self) -> dict[str, Any]:
        """What a checkpoint stores (``meta["alignment"]``) so inference aligns as training did."""
        return {"template": TEMPLATE, "size": self.size, "margin": self.margin}

    @classmethod
    def from_record(cls, record: Any) -> Alignment | None:
        """The alignment a checkpoint recorded; ``None`` when it records none."""
        if record is None:
            return None
        if not isinstance(record, dict) or record.get("template") != TEMPLATE:
            raise ConfigError(f"unknown alignment record {record!r} (this fastk aligns onto {TEMPLATE!r})")
        try:
            return cls(int(record["size"]), float(record.get("margin", MARGIN)))
        except (KeyError, TypeError, ValueError):
            raise ConfigError(f"alignment record without a valid size: {record!r}") from None


def canonical_masks(alignment: Alignment, area_set) -> dict[str, np.ndarray]:
    """Each area's mask on the template: the one mask every aligned image of a variant gets."""
    return area_set.masks(alignment.points(), (alignment.size, alignment.size))
