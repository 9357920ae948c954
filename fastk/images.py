"""Reading images the way every fastk step expects them: 8-bit RGB ``HxWx3`` numpy arrays.

Why one reader: FAS datasets mix grayscale, RGBA, 16-bit PNGs, CMYK JPEGs, phone photos stored
sideways with an EXIF Orientation tag, and truncated files. Each of those is either converted
(grayscale, RGBA, 16-bit, CMYK, EXIF orientation) or refused with an :class:`ImageReadError` naming
the file and the cause, so a batch can skip it and report why instead of crashing.

EXIF orientation: the pixels are decoded as stored (OpenCV's ``IMREAD_UNCHANGED`` keeps alpha and
16-bit depth but ignores orientation), then turned upright with the tag Pillow reads from the header.
OpenCV's own orientation handling covers JPEG, PNG and TIFF but not WebP (measured with OpenCV
4.11), so one code path serves every format but TIFF, whose decoder applies the tag even when told not to. Every step (explore, predict, train) reads through here,
so a sideways phone photo is upright everywhere.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fastk.errors import ImageReadError

#: Images larger than this many pixels are refused (a decompression bomb, or a scan no face model needs).
MAX_PIXELS = 64_000_000


def to_rgb8(array: np.ndarray, *, source: str = "<array>") -> np.ndarray:
    """Convert grayscale / RGBA / 16-bit / float arrays to contiguous 8-bit RGB."""
    a = np.asarray(array)
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    if a.ndim != 3 or a.shape[2] not in (1, 3, 4):
        raise ImageReadError(f"{source}: unsupported image shape {a.shape}")
    if a.shape[2] == 1:
        a = np.repeat(a, 3, axis=2)
    if a.shape[2] == 4:
        a = a[:, :, :3]
    if a.dtype == np.uint16:
        a = (a // 257).astype(np.uint8)
    elif a.dtype.kind == "f":
        scale = 255.0 if a.max(initial=0.0) <= 1.0 else 1.0
        a = np.clip(a * scale, 0, 255).astype(np.uint8)
    elif a.dtype != np.uint8:
        raise ImageReadError(f"{source}: unsupported pixel type {a.dtype}")
    if min(a.shape[:2]) < 8:
        raise ImageReadError(f"{source}: image too small ({a.shape[1]}x{a.shape[0]} px)")
    return np.ascontiguousarray(a)


def read_rgb(path: str | Path) -> np.ndarray:
    """Read an image file as 8-bit RGB, or raise :class:`ImageReadError` with a one-line reason.

    A path that names no file but a frame of a video beside it (``clip.avi.f000042.jpg``, see
    :mod:`fastk.video_frames`) reads as that frame.
    """
    import cv2

    p = Path(path)
    if not p.exists():
        from fastk.video_frames import parse_frame_path, read_frame

        frame = parse_frame_path(p)
        if frame is None:
            raise ImageReadError(f"{p}: file not found")
        img = read_frame(*frame)
        if img.shape[0] * img.shape[1] > MAX_PIXELS:
            raise ImageReadError(f"{frame[0]}: frame {frame[1]} too large ({img.shape[1]}x{img.shape[0]} px)")
        return to_rgb8(img, source=f"{frame[0]}: frame {frame[1]}")
    if p.is_dir():
        raise ImageReadError(f"{p}: is a directory, not an image")
    data = p.read_bytes()
    if not data:
        raise ImageReadError(f"{p}: empty file")
    buf = np.frombuffer(data, dtype=np.uint8)
    img = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED | cv2.IMREAD_IGNORE_ORIENTATION)
    if img is None:
        raise ImageReadError(f"{p}: not a readable image (unknown format or corrupt data)")
    if img.shape[0] * img.shape[1] > MAX_PIXELS:
        raise ImageReadError(f"{p}: image too large ({img.shape[1]}x{img.shape[0]} px)")
    if img.ndim == 3 and img.shape[2] == 3:
        img = img[:, :, ::-1]
    elif img.ndim == 3 and img.shape[2] == 4:
        img = img[:, :, [2, 1, 0, 3]]
    if _looks_truncated(data, p):
        raise ImageReadError(f"{p}: truncated file (image data ends early)")
    if not data.startswith((b"II*\x00", b"MM\x00*")):  # OpenCV's TIFF decoder applies the tag itself
        img = upright(img, exif_orientation(data))
    return to_rgb8(img, source=str(p))


def exif_orientation(data: bytes) -> int:
    """The EXIF Orientation tag (1-8) of encoded image bytes; 1 (as stored) when absent or unreadable."""
    import io

    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:  # Pillow comes with scikit-image and matplotlib; without it, trust the pixels
        return 1
    try:
        with Image.open(io.BytesIO(data)) as im:
            value = im.getexif().get(_ORIENTATION_TAG, 1)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, TypeError):
        return 1
    return int(value) if isinstance(value, int) and 1 <= value <= 8 else 1


_ORIENTATION_TAG = 0x0112


def upright(img: np.ndarray, orientation: int) -> np.ndarray:
    """Apply an EXIF orientation to stored pixels, so the result is what a photo viewer shows."""
    if orientation == 2:
        return img[:, ::-1]
    if orientation == 3:
        return img[::-1, ::-1]
    if orientation == 4:
        return img[::-1]
    if orientation == 5:
        return img.swapaxes(0, 1)
    if orientation == 6:
        return np.rot90(img, -1)
    if orientation == 7:
        return np.rot90(img, -1)[::-1]
    if orientation == 8:
        return np.rot90(img, 1)
    return img


def _looks_truncated(data: bytes, path: Path) -> bool:
    """OpenCV pads a truncated JPEG with grey and says nothing; a JPEG must end with EOI."""
    if data[:2] == b"\xff\xd8":
        return b"\xff\xd9" not in data[-64:]
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return b"IEND" not in data[-16:]
    return False


def write_image(path: str | Path, rgb: np.ndarray, *, jpeg_quality: int = 95) -> int:
    """Write an RGB array (JPEG or PNG by suffix); returns bytes written."""
    import cv2

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    params = [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality] if p.suffix.lower() in (".jpg", ".jpeg") else []
    ok, enc = cv2.imencode(p.suffix or ".png", np.ascontiguousarray(rgb[:, :, ::-1]), params)
    if not ok:
        raise ImageReadError(f"{p}: could not encode image")
    p.write_bytes(enc.tobytes())
    return len(enc)


IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}


def list_images(root: str | Path) -> list[Path]:
    """Image files below ``root`` (by suffix), sorted for determinism."""
    r = Path(root)
    if r.is_file():
        return [r]
    return sorted(p for p in r.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
