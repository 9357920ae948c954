"""What an encoded image says about itself before any pixel is decoded: format, size, whether it is whole.

Why read the header first: decoding is where hostile files hurt. A 69-byte PNG whose header claims
100000 x 100000 px, or a 5 MB PNG that inflates to gigabytes, must be refused from the size it
declares, before a decoder allocates for it (:mod:`fastk.data.images` checks that size against its limits).

Why follow the format's structure to tell a whole file from a truncated one: phones append data after
a JPEG's end-of-image marker or a PNG's ``IEND`` chunk (a second picture, a motion-photo video,
maker notes), which image viewers ignore; looking at the last bytes of the file would call those
files truncated. A JPEG is whole when an end-of-image marker follows its first scan (the marker cannot
occur inside entropy-coded data, and the EXIF thumbnail's own marker comes before the scan); a PNG is
whole when walking its chunks by their lengths reaches ``IEND``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SOI = b"\xff\xd8"
# Start-of-frame markers (they carry the size): C0-CF except DHT (C4), JPG (C8) and DAC (CC).
_SOF = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# ISO base media ("ftyp" box) brands of the formats phones write beside JPEG.
_BRANDS = {b"avif": "AVIF", b"avis": "AVIF", b"heic": "HEIF", b"heix": "HEIF", b"hevc": "HEIF",
           b"heim": "HEIF", b"heis": "HEIF", b"mif1": "HEIF", b"msf1": "HEIF"}


@dataclass(frozen=True)
class Header:
    """``format`` ("PNG", "JPEG", Pillow's name, or "" when unknown), the declared size (``None`` when
    the header does not say), ``complete`` (false only for a file that starts as a valid PNG or JPEG,
    IHDR or scan data reached, and ends before the format's end marker: a truncated file; garbage is
    left to the decoder to refuse) and ``oversized`` (Pillow refused to open it: more than twice its
    own pixel limit)."""

    format: str
    width: int | None = None
    height: int | None = None
    complete: bool = True
    oversized: bool = False


def read_header(data: bytes) -> Header:
    """The header of encoded image bytes; never raises (a header it cannot parse says nothing)."""
    if data.startswith(PNG_SIGNATURE):
        return _png(data)
    if data.startswith(JPEG_SOI):
        return _jpeg(data)
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return Header("GIF", int.from_bytes(data[6:8], "little") or None, int.from_bytes(data[8:10], "little") or None)
    if data[4:8] == b"ftyp" and data[8:12] in _BRANDS:
        return Header(_BRANDS[data[8:12]])
    if data.startswith((b"\xff\x0a", b"\x00\x00\x00\x0cJXL ")):
        return Header("JPEG XL")
    return _pillow(data)


def _png(data: bytes) -> Header:
    width = height = None
    if data[12:16] == b"IHDR":
        width, height = int.from_bytes(data[16:20], "big") or None, int.from_bytes(data[20:24], "big") or None
    pos = len(PNG_SIGNATURE)
    while pos + 8 <= len(data):  # length (4), type (4), data, CRC (4)
        if data[pos + 4:pos + 8] == b"IEND":
            return Header("PNG", width, height, complete=True)
        pos += 12 + int.from_bytes(data[pos:pos + 4], "big")
    return Header("PNG", width, height, complete=width is None or height is None)


def _jpeg(data: bytes) -> Header:
    width = height = None
    pos = len(JPEG_SOI)
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:  # no marker where one must be: corrupt; the decoder will say so
            break
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:  # markers without a length
            pos += 2
            continue
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        if marker in _SOF and pos + 9 <= len(data):
            height = int.from_bytes(data[pos + 5:pos + 7], "big") or None  # 0: given later (DNL)
            width = int.from_bytes(data[pos + 7:pos + 9], "big") or None
        if marker == 0xDA:  # start of scan: entropy-coded data follows, then (eventually) EOI
            return Header("JPEG", width, height, complete=data.find(b"\xff\xd9", pos + 2 + length) >= 0)
        pos += 2 + length
    return Header("JPEG", width, height)  # no scan reached: not an image the decoder can read either


def _pillow(data: bytes) -> Header:
    """BMP, TIFF, WebP and the rest: Pillow reads only the header when it opens a file."""
    try:
        from PIL import Image
    except ImportError:  # Pillow comes with scikit-image and matplotlib; without it, the decoder decides
        return Header("")
    try:
        with Image.open(io.BytesIO(data)) as im:
            return Header(str(im.format or ""), im.size[0] or None, im.size[1] or None)
    except Image.DecompressionBombError:
        return Header("", oversized=True)
    except Exception:  # noqa: BLE001 - Pillow's format plugins raise many types on hostile headers
        return Header("")
