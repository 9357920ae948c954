"""Keep only the chosen face areas: black out the rest (the paper), or crop to them (saves compute).

The pixel operations and where a masked dataset's files go; writing one is :mod:`fastk.face.masked_dataset`.

Blacking out keeps the image size, so it saves storage (JPEG compresses black well) but no compute;
the crop-to-ROI variant takes the tight box around the kept areas and resizes it, which is what
actually shrinks the model's input.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fastk.common.safepaths import UnsafePathError, child, safe_name


def black_out(image: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """``image`` with every pixel outside the boolean ``keep`` mask set to black."""
    if keep.shape != image.shape[:2]:
        raise ValueError(f"mask {keep.shape} does not match image {image.shape[:2]}")
    out = image.copy()
    out[~keep] = 0
    return out


def roi_box(keep: np.ndarray, margin: float = 0.05) -> tuple[int, int, int, int]:
    """Tight ``(x0, y0, x1, y1)`` box around ``keep`` plus ``margin`` of its size on each side."""
    ys, xs = np.nonzero(keep)
    if len(xs) == 0:
        raise ValueError("the kept areas are empty")
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    mx, my = int(round((x1 - x0) * margin)), int(round((y1 - y0) * margin))
    h, w = keep.shape
    return max(0, x0 - mx), max(0, y0 - my), min(w, x1 + mx), min(h, y1 + my)


def crop_to_roi(
    image: np.ndarray, keep: np.ndarray, *, size: int | None = None, margin: float = 0.05, blackout: bool = True
) -> np.ndarray:
    """The box around the kept areas (optionally blacked out outside them), resized to ``size`` square."""
    import cv2

    src = black_out(image, keep) if blackout else image
    x0, y0, x1, y1 = roi_box(keep, margin)
    crop = src[y0:y1, x0:x1]
    if size:
        crop = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(crop)


def encoded_bytes(rgb: np.ndarray, jpeg_quality: int = 90) -> tuple[int, int]:
    """Bytes of ``rgb`` as a JPEG at ``jpeg_quality`` and as a PNG: storage, measured the same way for all."""
    import cv2

    bgr = np.ascontiguousarray(rgb[:, :, ::-1])
    return (len(cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])[1]),
            len(cv2.imencode(".png", bgr)[1]))


#: Files the writers put at the top of a masked dataset; an image may not take their names.
RESERVED = frozenset({"skipped.csv", "mask.json", "split.json", ".fastk.lock", ".fastk.lock.json"})
OUTSIDE = "_outside"


def masked_layout(paths, out_dir, source_root=None) -> dict[str, Path]:
    """Where each source image goes below ``out_dir``: ``{str(source path): output path}``.

    Paths are resolved first, so ``a/../b.png`` cannot climb. Images below ``source_root`` (default:
    the common folder of all resolved sources) keep their relative folders, so a split or label layout
    carries over; any other image (``../outside/victim.png``, an absolute path elsewhere) goes to
    ``_outside/`` under a sanitised name. Clashes (two sources, one name; a reserved file name) get a
    ``-2``, ``-3`` suffix. Refuses, before anything is written, to map any output onto a source image
    or outside ``out_dir`` (also through a symlinked subfolder).
    """
    import os
    from pathlib import PurePath

    out = Path(out_dir)
    sources = {str(p): Path(p).resolve() for p in paths}
    if not sources:
        return {}
    root = (Path(source_root).resolve() if source_root
            else Path(os.path.commonpath([str(r.parent) for r in sources.values()])))
    taken: dict[str, Path] = {}  # case-folded relative path -> resolved source
    layout: dict[str, Path] = {}
    for given, real in sources.items():
        try:
            rel = PurePath(real.relative_to(root).as_posix())
        except ValueError:
            rel = PurePath(OUTSIDE, safe_name("_".join(real.parent.parts[1:])), safe_name(real.name))
        candidate, n = rel, 1
        while True:
            key = candidate.as_posix().casefold()
            if taken.get(key, real) == real and not (len(candidate.parts) == 1 and key in RESERVED):
                break
            n += 1
            candidate = rel.with_name(f"{rel.stem}-{n}{rel.suffix}")
        taken[key] = real
        layout[given] = child(out, candidate)
    source_set = set(sources.values())
    for dest in layout.values():
        if dest.resolve() in source_set:
            raise UnsafePathError(f"{out}: writing {dest} would overwrite a source image; choose an --out folder "
                                  "that holds none of the input images")
    return layout
