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


def encoded_bytes(rgb: np.ndarray, jpeg_quality: int = 90) -> tuple[int, int]:
    """Bytes of ``rgb`` as a JPEG at ``jpeg_quality`` and as a PNG: storage, measured the same way for all."""
    import cv2

    bgr = np.ascontiguousarray(rgb[:, :, ::-1])
    return (len(cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])[1]),
            len(cv2.imencode(".png", bgr)[1]))


def write_masked_dataset(samples, out_dir, *, keep: list[str], detector, area_set, cache=None,
                         mode: str = "blackout", size: int | None = None, source_root=None,
                         show_progress: bool = True, jpeg_quality: int = 90) -> dict:
    """Write each sample with only ``keep`` areas visible (``mode`` = ``blackout`` or ``crop``).

    Files keep their names and relative folders (below ``source_root``, default: their common parent),
    so an existing split or label layout carries over. Images without a face are listed in
    ``skipped.csv``. Returns counts, the mean share of pixels kept, storage before and after (mean
    JPEG at ``jpeg_quality`` and PNG bytes per image), and which detector found the faces (with
    ``fallback:dlib,mediapipe`` this shows how many MediaPipe recovered).
    """
    import csv
    import os
    from collections import Counter
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
    kept_share, skipped, found_by = [], [], Counter()
    before, after = [], []
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
                w.writerow([str(p), f"{p}: {face.reason} ({detector.name})"])
                skipped.append(str(p))
                continue
            found_by[face.detector] += 1
            keep_mask = area_set.union(area_set.masks(face.points68, img.shape), keep)
            result = black_out(img, keep_mask) if mode == "blackout" else crop_to_roi(img, keep_mask, size=size)
            write_image(out / p.relative_to(root), result)
            kept_share.append(float(keep_mask.mean()))
            before.append(encoded_bytes(img, jpeg_quality))
            after.append(encoded_bytes(result, jpeg_quality))

    def mean(values, i):
        return float(np.mean([v[i] for v in values])) if values else None

    return {
        "mode": mode,
        "kept_areas": keep,
        "written": len(kept_share),
        "skipped": len(skipped),
        "no_face_rate": len(skipped) / len(paths) if paths else None,
        "faces_found_by": dict(found_by),
        "mean_pixels_kept": float(np.mean(kept_share)) if kept_share else None,
        "jpeg_quality": jpeg_quality,
        "jpeg_bytes_mean_before": mean(before, 0),
        "jpeg_bytes_mean_after": mean(after, 0),
        "png_bytes_mean_before": mean(before, 1),
        "png_bytes_mean_after": mean(after, 1),
    }
