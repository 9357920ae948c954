"""Reading images the way every fastk step expects them: 8-bit RGB ``HxWx3`` numpy arrays.

Why one reader: FAS datasets mix grayscale, RGBA, 16-bit PNGs, CMYK JPEGs, phone photos stored
sideways with an EXIF Orientation tag, and truncated files. Each of those is either converted
(grayscale, RGBA, 16-bit, CMYK, EXIF orientation) or refused with an :class:`ImageReadError` naming
the file and the cause, so a batch can skip it and report why instead of crashing.

Hostile files are refused before they cost anything: a FIFO or a device is refused before it is
opened (reading one blocks or never ends), and the size the header declares is checked before the
pixels are decoded (:mod:`fastk.data._image_header`), so a decompression bomb costs a header read, not
gigabytes. Whatever a decoder raises on corrupt data becomes an :class:`ImageReadError` too.

EXIF orientation: the pixels are decoded as stored (OpenCV's ``IMREAD_UNCHANGED`` keeps alpha and
16-bit depth but ignores orientation), then turned upright with the tag Pillow reads from the header.
OpenCV's own orientation handling covers JPEG, PNG and TIFF but not WebP (measured with OpenCV
4.11), so one code path serves every format but TIFF, whose decoder applies the tag even when told not to. Every step (explore, predict, train) reads through here,
so a sideways phone photo is upright everywhere.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np

from fastk.data._image_header import read_header
from fastk.data.video_frames import parse_frame_path, read_frame
from fastk.errors import ImageReadError

#: Images larger than this many pixels are refused (a decompression bomb, or a scan no face model needs).
MAX_PIXELS = 64_000_000
#: Images more elongated than this are refused: the detectors look for faces on a copy at most 640 px
#: long (:attr:`fastk.face.landmarks.LandmarkDetector.detect_max_side`), whose short side is then under
#: 40 px, below the smallest face dlib's HOG window finds even upsampled; an 8 x 20000 strip would
#: shrink to nothing there.
MAX_ASPECT = 16
#: Images with a side shorter than this are refused (no face detector finds anything in them).
MIN_SIDE = 8
#: Files larger than this are refused unread: 64 MP of uncompressed 16-bit RGBA is 512 MiB.
MAX_FILE_BYTES = 512 * 2**20
#: Formats recognised but not read: OpenCV has no decoder for them here (convert them to PNG or JPEG).
UNREAD_FORMATS = ("GIF", "AVIF", "HEIF", "JPEG XL")


def check_size(width: int, height: int, source: str) -> None:
    """Refuse a size no face detector can use, in one line; done on the header's size before decoding."""
    if width * height > MAX_PIXELS:
        raise ImageReadError(f"{source}: image too large ({width}x{height} px); at most {MAX_PIXELS // 10**6} "
                             "megapixels are read")
    if min(width, height) < MIN_SIDE:
        raise ImageReadError(f"{source}: image too small ({width}x{height} px)")
    if max(width, height) > MAX_ASPECT * min(width, height):
        raise ImageReadError(f"{source}: image too elongated ({width}x{height} px; face detectors need at most "
                             f"{MAX_ASPECT}:1)")


def to_rgb8(array: np.ndarray, *, source: str = "<array>") -> np.ndarray:
    """Convert grayscale / RGBA / 16-bit / float arrays to contiguous 8-bit RGB (of a size :func:`check_size` allows)."""
    a = np.asarray(array)
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    if a.ndim != 3 or a.shape[2] not in (1, 3, 4):
        raise ImageReadError(f"{source}: unsupported image shape {a.shape}")
    check_size(a.shape[1], a.shape[0], source)
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
    return np.ascontiguousarray(a)


def read_rgb(path: str | Path) -> np.ndarray:
    """Read an image file as 8-bit RGB, or raise :class:`ImageReadError` with a one-line reason.

    A path that names no file but a frame of a video beside it (``clip.avi.f000042.jpg``, see
    :mod:`fastk.data.video_frames`) reads as that frame.
    """
    p = Path(path)
    data = _file_bytes(p)
    if data is None:  # no such file: a video frame's virtual path, or nothing

        frame = parse_frame_path(p)
        if frame is None:
            raise ImageReadError(f"{p}: file not found")
        return to_rgb8(read_frame(*frame), source=f"{frame[0]}: frame {frame[1]}")
    img = _decode(data, p)
    if not data.startswith((b"II*\x00", b"MM\x00*")):  # OpenCV's TIFF decoder applies the tag itself
        img = upright(img, exif_orientation(data))
    return to_rgb8(img, source=str(p))


def _file_bytes(p: Path) -> bytes | None:
    """The file's bytes, ``None`` when nothing is there; only a regular file of a sane size is opened."""
    try:
        st = p.stat()
    except FileNotFoundError:
        if p.is_symlink():
            raise ImageReadError(f"{p}: broken symbolic link (its target {os.readlink(p)} does not exist)") from None
        return None
    except OSError as err:
        raise ImageReadError(f"{p}: cannot be read ({err.strerror or err})") from None
    if stat.S_ISDIR(st.st_mode):
        raise ImageReadError(f"{p}: is a directory, not an image")
    if not stat.S_ISREG(st.st_mode):
        kind = ("a FIFO" if stat.S_ISFIFO(st.st_mode) else "a character device" if stat.S_ISCHR(st.st_mode)
                else "a block device" if stat.S_ISBLK(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode)
                else "not a regular file")
        raise ImageReadError(f"{p}: {kind}, not an image file (refused unread)")
    if st.st_size > MAX_FILE_BYTES:
        raise ImageReadError(f"{p}: file too large for an image ({st.st_size / 2**20:.0f} MiB)")
    try:
        data = p.read_bytes()
    except OSError as err:
        raise ImageReadError(f"{p}: cannot be read ({err.strerror or err})") from None
    if not data:
        raise ImageReadError(f"{p}: empty file")
    return data


def _decode(data: bytes, p: Path) -> np.ndarray:
    """The stored pixels (RGB or RGBA order), after the header's size and completeness are checked."""
    import cv2

    header = read_header(data)
    if header.format in UNREAD_FORMATS:
        raise ImageReadError(f"{p}: {header.format} images are not read (fastk reads JPEG, PNG, BMP, TIFF "
                             "and WebP); convert it to PNG or JPEG")
    if header.oversized:
        raise ImageReadError(f"{p}: image too large (its header declares over {MAX_PIXELS // 10**6} megapixels)")
    if header.width and header.height:
        check_size(header.width, header.height, str(p))
    if not header.complete:  # refused undecoded; some OpenCV builds pad a cut JPEG with grey and say nothing
        raise ImageReadError(f"{p}: truncated file (image data ends early)")
    try:
        img = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_UNCHANGED | cv2.IMREAD_IGNORE_ORIENTATION)
    except cv2.error as err:
        raise ImageReadError(f"{p}: not a readable image ({_first_line(err)})") from None
    except MemoryError:
        raise ImageReadError(f"{p}: out of memory while decoding the image") from None
    if img is None:
        raise ImageReadError(f"{p}: not a readable image (unknown format or corrupt data)")
    if img.ndim == 3 and img.shape[2] == 3:
        return img[:, :, ::-1]
    if img.ndim == 3 and img.shape[2] == 4:
        return img[:, :, [2, 1, 0, 3]]
    return img


def _first_line(err: BaseException) -> str:
    lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
    return lines[-1] if lines else type(err).__name__


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
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError, SyntaxError, TypeError):
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
#: Suffixes of image formats fastk recognises but does not read (:data:`UNREAD_FORMATS`): listed
#: anyway, so that a dataset's GIFs and phone HEIC/AVIF photos are skipped with that reason, not dropped.
UNREAD_SUFFIXES = {".gif", ".avif", ".heic", ".heif", ".jxl"}


def list_images(root: str | Path, *, recursive: bool = True) -> list[Path]:
    """Image files below ``root`` (by suffix; only those directly in it unless ``recursive``), sorted.

    Broken symbolic links and files of :data:`UNREAD_SUFFIXES` are listed too: reading them fails with
    the reason, so a batch lists them as skipped instead of losing them without a word. FIFOs and
    devices are not listed (a folder of images holds none; opening one would block).
    """
    r = Path(root)
    if r.is_file():
        return [r]
    suffixes = IMAGE_SUFFIXES | UNREAD_SUFFIXES
    return sorted(p for p in (r.rglob("*") if recursive else r.glob("*"))
                  if p.suffix.lower() in suffixes and (p.is_file() or (p.is_symlink() and not p.exists())))
