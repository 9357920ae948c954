"""Keep only the chosen face areas: black out the rest (the paper), or crop to them (saves compute).

Blacking out keeps the image size, so it saves storage (JPEG compresses black well) but no compute;
the crop-to-ROI variant takes the tight box around the kept areas and resizes it, which is what
actually shrinks the model's input.
"""

from __future__ import annotations

from pathlib import Path

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

    from fastk.safepaths import UnsafePathError, child, safe_name

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


def write_masked_dataset(samples, out_dir, *, keep: list[str], detector, area_set, cache=None,
                         mode: str = "blackout", size: int | None = None, source_root=None,
                         show_progress: bool = True, jpeg_quality: int = 90) -> dict:
    """Write each sample with only ``keep`` areas visible (``mode`` = ``blackout`` or ``crop``).

    Files keep their names and relative folders (below ``source_root``, default: their common parent;
    see :func:`masked_layout`), so an existing split or label layout carries over; nothing is ever
    written outside ``out_dir`` or over a source. Images without a face are listed in
    ``skipped.csv``. Returns counts, the mean share of pixels kept, storage before and after (mean
    JPEG at ``jpeg_quality`` and PNG bytes per image), and which detector found the faces (with
    ``fallback:dlib,mediapipe`` this shows how many MediaPipe recovered). A lock file keeps a second
    writer out of ``out_dir``.

    Under ``torchrun`` each rank masks every N-th image and writes its files (``out_dir`` must be on a
    file system all ranks share); rank 0 writes ``skipped.csv`` and every rank returns the same summary,
    computed over all images in their order (:mod:`fastk.distributed`).
    """
    from fastk.distributed import main_holds
    from fastk.locks import FolderLock

    if mode not in ("blackout", "crop"):
        raise ValueError(f"mode must be 'blackout' or 'crop', not {mode!r}")
    with main_holds(lambda: FolderLock(out_dir, "fastk mask")):
        return _write(samples, out_dir, keep, detector, area_set, cache, mode, size, source_root, show_progress,
                      jpeg_quality)


def _write(samples, out_dir, keep, detector, area_set, cache, mode, size, source_root, show_progress,
           jpeg_quality) -> dict:
    import csv
    from collections import Counter

    from fastk.distributed import all_gather, world
    from fastk.landmark_cache import LandmarkCache
    from fastk.progress import progress_bar

    out = Path(out_dir)
    cache = cache or LandmarkCache()
    paths = [Path(s.path) for s in samples]
    layout = masked_layout(paths, out, source_root)
    w = world()
    mine: dict[int, dict] = {}
    with progress_bar(show_progress) as progress:
        task = progress.add_task(f"mask ({mode}: {', '.join(keep)})", total=len(w.shard(paths)))
        for i in w.shard(list(range(len(paths)))):
            progress.advance(task)
            mine[i] = _mask_one(paths[i], layout[str(paths[i])], keep, detector, area_set, cache, mode, size,
                                jpeg_quality)
    records = [r for part in all_gather(mine) for r in part.items()]
    done = [r for _, r in sorted(records, key=lambda item: item[0])]  # every image, in the samples' order
    if w.is_main:
        with open(out / "skipped.csv", "w", newline="") as f:
            csv.writer(f).writerows([["path", "reason"], *[[r["path"], r["skipped"]] for r in done if "skipped" in r]])
    written = [r for r in done if "skipped" not in r]
    return _summary(mode, keep, len(paths), written, Counter(r["detector"] for r in written), jpeg_quality)


def _mask_one(path: Path, dest: Path, keep, detector, area_set, cache, mode, size, jpeg_quality) -> dict:
    """Mask one image and write it to ``dest``; what the summary needs of it (or why it was skipped)."""
    from fastk.images import write_image
    from fastk.landmark_cache import read_and_detect

    found = read_and_detect(cache, detector, path)
    if isinstance(found, str):
        return {"path": str(path), "skipped": found}
    img, face = found
    keep_mask = area_set.union(area_set.masks(face.points68, img.shape), keep)
    result = black_out(img, keep_mask) if mode == "blackout" else crop_to_roi(img, keep_mask, size=size)
    write_image(dest, result)
    return {"path": str(path), "detector": face.detector, "kept": float(keep_mask.mean()),
            "before": encoded_bytes(img, jpeg_quality), "after": encoded_bytes(result, jpeg_quality)}


def _summary(mode, keep, n_paths: int, written: list[dict], found_by, jpeg_quality: int) -> dict:
    def mean(key, i):
        return float(np.mean([r[key][i] for r in written])) if written else None

    return {
        "mode": mode,
        "kept_areas": keep,
        "written": len(written),
        "skipped": n_paths - len(written),
        "no_face_rate": (n_paths - len(written)) / n_paths if n_paths else None,
        "faces_found_by": dict(found_by),
        "mean_pixels_kept": float(np.mean([r["kept"] for r in written])) if written else None,
        "jpeg_quality": jpeg_quality,
        "jpeg_bytes_mean_before": mean("before", 0),
        "jpeg_bytes_mean_after": mean("after", 0),
        "png_bytes_mean_before": mean("before", 1),
        "png_bytes_mean_after": mean("after", 1),
    }
