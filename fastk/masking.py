"""Keep only the chosen face areas: black out the rest (the paper), or crop to them (saves compute).

Blacking out keeps the image size, so it saves storage (JPEG compresses black well) but no compute;
the crop-to-ROI variant takes the tight box around the kept areas and resizes it, which is what
actually shrinks the model's input.
"""

from __future__ import annotations

import numpy as np


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


def write_masked_dataset(samples, out_dir, *, keep: list[str], detector, area_set, cache=None,
                         mode: str = "blackout", size: int | None = None, source_root=None,
                         show_progress: bool = True) -> dict:
    """Write each sample with only ``keep`` areas visible (``mode`` = ``blackout`` or ``crop``).

    Files keep their names and relative folders (below ``source_root``, default: their common parent),
    so an existing split or label layout carries over. Images without a face are listed in
    ``skipped.csv``. Returns counts and the mean share of pixels kept.
    """
    import csv
    import os
    from pathlib import Path

    from fastk.errors import FastkError
    from fastk.images import read_rgb, write_image
    from fastk.landmark_cache import LandmarkCache
    from fastk.progress import progress_bar

    if mode not in ("blackout", "crop"):
        raise ValueError(f"mode must be 'blackout' or 'crop', not {mode!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cache = cache or LandmarkCache()
    paths = [Path(s.path) for s in samples]
    root = Path(source_root) if source_root else Path(os.path.commonpath([p.parent for p in paths]))
    written, kept_share, skipped = 0, [], []
    with open(out / "skipped.csv", "w", newline="") as f, progress_bar(show_progress) as progress:
        w = csv.writer(f)
        w.writerow(["path", "reason"])
        task = progress.add_task(f"mask ({mode}: {', '.join(keep)})", total=len(paths))
        for p in paths:
            progress.advance(task)
            try:
                img = read_rgb(p)
                face = cache.detect_file(detector, p, img)
            except FastkError as err:
                w.writerow([str(p), str(err)])
                skipped.append(str(p))
                continue
            if not face.ok:
                w.writerow([str(p), f"{p}: {face.reason}"])
                skipped.append(str(p))
                continue
            keep_mask = area_set.union(area_set.masks(face.points68, img.shape), keep)
            result = black_out(img, keep_mask) if mode == "blackout" else crop_to_roi(img, keep_mask, size=size)
            write_image(out / p.relative_to(root), result)
            kept_share.append(float(keep_mask.mean()))
            written += 1
    return {
        "mode": mode,
        "kept_areas": keep,
        "written": written,
        "skipped": len(skipped),
        "mean_pixels_kept": float(np.mean(kept_share)) if kept_share else None,
    }
