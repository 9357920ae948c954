"""Issue 29's odd and hostile image files, built here from the real face photos: each is read as an image
viewer reads it, or refused in one line naming the file and the cause, before it costs memory or hangs;
through the CLI, one such file never ends a batch (``skipped.csv`` rows, ``predict`` error entries).
"""

from __future__ import annotations

import csv
import json
import os
import signal
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from fastk.data.images import list_images, read_rgb, write_image
from fastk.errors import ImageReadError


@pytest.fixture(scope="module")
def face(london_photos) -> np.ndarray:
    import cv2

    return cv2.resize(read_rgb(london_photos[0]), (256, 256), interpolation=cv2.INTER_AREA)


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _png_claiming(width: int, height: int, idat: bytes) -> bytes:
    """A PNG whose header declares ``width`` x ``height`` 8-bit grey pixels, with the given IDAT data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def header_bomb() -> bytes:
    """The tester's 69-byte PNG: a header that claims 100000 x 100000 px over one compressed byte."""
    return _png_claiming(100_000, 100_000, zlib.compress(b"\x00"))


def decompression_bomb(side: int = 30_000) -> bytes:
    """A valid ``side`` x ``side`` grey PNG of zeros (900 MB of pixels at 30000) in about a megabyte.

    Built without compressing 900 MB: one MiB of zeros deflated on its own (no reference outside it) is
    repeated, then the remainder ends the stream; the Adler-32 of n zero bytes is ``(n % 65521) << 16 | 1``.
    """
    raw = side * (side + 1)  # one filter byte per row
    chunk = 1 << 20
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(b"\x00" * chunk) + c.flush(zlib.Z_FULL_FLUSH)
    tail = zlib.compressobj(9, zlib.DEFLATED, -15)
    last = tail.compress(b"\x00" * (raw % chunk)) + tail.flush()
    adler = ((raw % 65521) << 16) | 1
    stream = b"\x78\xda" + block * (raw // chunk) + last + struct.pack(">I", adler)
    return _png_claiming(side, side, stream)


def test_a_header_claiming_100000_by_100000_px_is_refused_from_the_header(tmp_path):
    p = tmp_path / "claims-huge.png"
    p.write_bytes(header_bomb())
    assert len(p.read_bytes()) < 80
    with pytest.raises(ImageReadError, match=r"claims-huge.png: image too large \(100000x100000 px\)"):
        read_rgb(p)


def test_a_decompression_bomb_is_refused_before_its_pixels_are_decoded(tmp_path):
    """Decoded, the bomb needs 900 MB; refused from its header, the reading process stays small.

    The peak is the child's own (VmHWM of its address space), not ``ru_maxrss``: Linux carries the
    parent's peak across fork and exec into ``ru_maxrss``, so after a long test session in a 5 GB pytest
    process the child reported 5.7 GB without decoding anything (CI, 2026-12-06).
    """
    if not Path("/proc/self/status").exists():
        pytest.skip("needs Linux's /proc/self/status for the process's own peak memory")
    p = tmp_path / "bomb.png"
    p.write_bytes(decompression_bomb())
    assert p.stat().st_size < 2_000_000
    code = ("import re, sys\nfrom fastk.errors import ImageReadError\nfrom fastk.data.images import read_rgb\n"
            "try:\n    read_rgb(sys.argv[1])\nexcept ImageReadError as err:\n    print(err)\n"
            "print(re.search(r'VmHWM:\\s*(\\d+)', open('/proc/self/status').read()).group(1))\n")
    out = subprocess.run([sys.executable, "-c", code, str(p)], capture_output=True, text=True, check=True).stdout
    message, peak_kib = out.splitlines()
    assert message == f"{p}: image too large (30000x30000 px); at most 64 megapixels are read"
    assert int(peak_kib) < 600 * 1024, f"peak RSS {int(peak_kib) // 1024} MiB: the pixels were decoded"


def test_a_strip_too_elongated_for_the_detectors_is_refused_in_one_line(tmp_path, face):
    """8 x 20000 px: the detectors' 640 px copy would be 0 px high (cv2.error before)."""
    import cv2

    import fastk

    strip = cv2.resize(face, (20_000, 8), interpolation=cv2.INTER_AREA)
    p = tmp_path / "strip.png"
    write_image(p, strip)
    with pytest.raises(ImageReadError, match=r"strip.png: image too elongated \(20000x8 px; .*16:1\)"):
        read_rgb(p)
    detector = fastk.create("landmarks", "dlib")
    with pytest.raises(ImageReadError, match="image too elongated"):  # an array given to a detector too
        detector.detect(strip)
    small, scale = detector.downscaled(np.zeros((20, 12_000, 3), np.uint8))
    assert small.shape[0] >= 1 and small.shape[1] == 640 and scale == 640 / 12_000


def test_devices_and_fifos_are_refused_unopened(tmp_path):
    if Path("/dev/zero").exists():
        with pytest.raises(ImageReadError, match="/dev/zero: a character device, not an image file"):
            read_rgb("/dev/zero")
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    with _alarm(60):  # opening the FIFO would block forever: fail instead of hanging the suite
        with pytest.raises(ImageReadError, match="pipe.jpg: a FIFO, not an image file"):
            read_rgb(fifo)


def test_a_broken_symlink_names_its_missing_target(tmp_path):
    link = tmp_path / "gone.jpg"
    link.symlink_to(tmp_path / "deleted.jpg")
    with pytest.raises(ImageReadError, match=r"gone.jpg: broken symbolic link \(its target .*deleted.jpg does not exist\)"):
        read_rgb(link)


@pytest.mark.parametrize("progressive", [False, True])
def test_bytes_after_the_end_marker_are_ignored_as_viewers_ignore_them(tmp_path, london_photos, progressive):
    """Phones append data after a JPEG's EOI or a PNG's IEND; the picture is what a viewer shows."""
    from PIL import Image

    jpg = tmp_path / "photo.jpg"
    Image.open(london_photos[0]).save(jpg, quality=90, progressive=progressive)
    png = tmp_path / "photo.png"
    write_image(png, read_rgb(jpg))
    rng = np.random.default_rng(0)
    trailer = b"\x00\x00\x00\x18ftypmp42" + rng.integers(0, 256, 4096, dtype=np.uint8).tobytes().replace(b"\xff\xd9", b"")
    for original in (jpg, png):
        with_trailer = tmp_path / f"trailer{original.suffix}"
        with_trailer.write_bytes(original.read_bytes() + trailer)
        np.testing.assert_array_equal(read_rgb(with_trailer), read_rgb(original))
        cut = tmp_path / f"cut{original.suffix}"
        cut.write_bytes(original.read_bytes()[: original.stat().st_size * 2 // 3])
        with pytest.raises(ImageReadError, match=f"cut{original.suffix}: truncated file"):
            read_rgb(cut)


def test_gif_and_avif_are_refused_naming_the_format(tmp_path, face):
    from PIL import Image, features

    Image.fromarray(face).save(tmp_path / "anim.gif")
    with pytest.raises(ImageReadError, match="anim.gif: GIF images are not read .*convert it to PNG or JPEG"):
        read_rgb(tmp_path / "anim.gif")
    if features.check("avif"):
        Image.fromarray(face).save(tmp_path / "phone.avif")
        with pytest.raises(ImageReadError, match="phone.avif: AVIF images are not read"):
            read_rgb(tmp_path / "phone.avif")


@pytest.fixture(scope="module")
def odd_folder(tmp_path_factory, face) -> Path:
    """A folder of one usable face photo beside every odd file a folder can hold."""
    import cv2
    from PIL import Image

    root = tmp_path_factory.mktemp("odd") / "images"
    root.mkdir()
    write_image(root / "face.jpg", face)
    (root / "trailer.jpg").write_bytes((root / "face.jpg").read_bytes() + b"motion photo video follows" * 100)
    (root / "claims-huge.png").write_bytes(header_bomb())
    (root / "bomb.png").write_bytes(decompression_bomb(12_000))
    write_image(root / "strip.png", cv2.resize(face, (20_000, 8), interpolation=cv2.INTER_AREA))
    Image.fromarray(face).save(root / "anim.gif")
    (root / "phone.avif").write_bytes(b"\x00\x00\x00\x1cftypavif" + b"\x00" * 64)  # an AVIF header over nothing
    (root / "gone.jpg").symlink_to(root / "deleted.jpg")
    return root


#: What each odd file must give: read (True), or the words its skip reason must hold.
EXPECTED = {"face.jpg": True, "trailer.jpg": True, "claims-huge.png": "image too large (100000x100000 px)",
            "bomb.png": "image too large (12000x12000 px)", "strip.png": "image too elongated",
            "anim.gif": "GIF images are not read", "phone.avif": "AVIF images are not read",
            "gone.jpg": "broken symbolic link"}


def test_a_folder_lists_every_odd_file_so_none_is_dropped_silently(odd_folder):
    assert sorted(p.name for p in list_images(odd_folder)) == sorted(EXPECTED)


def test_explore_skips_each_odd_file_with_its_reason_and_goes_on(odd_folder, tiny_checkpoint, tmp_path):
    from fastk.cli import cli

    out = tmp_path / "explore"
    result = CliRunner().invoke(cli, ["explore", str(odd_folder), "--checkpoint", str(tiny_checkpoint),
                                      "--out", str(out), "--overlays", "0"])
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    with open(out / "skipped.csv", newline="") as f:
        skipped = {Path(r["path"]).name: r["reason"] for r in csv.DictReader(f)}
    with open(out / "per_image.csv", newline="") as f:
        used = {Path(r["path"]).name for r in csv.DictReader(f)}
    assert used == {n for n, ok in EXPECTED.items() if ok is True}
    for name, words in EXPECTED.items():
        if words is not True:
            assert words in skipped[name] and name in skipped[name] and "\n" not in skipped[name], (name, skipped)


def test_predict_gives_an_error_entry_for_a_fifo_a_device_and_a_bomb_and_scores_the_rest(odd_folder, tiny_checkpoint,
                                                                                       tmp_path):
    from fastk.cli import cli

    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    odd = [fifo, odd_folder / "claims-huge.png", odd_folder / "strip.png"]
    if Path("/dev/zero").exists():
        odd.append(Path("/dev/zero"))
    with _alarm(120):  # predict used to block on the FIFO forever
        result = CliRunner().invoke(cli, ["predict", str(tiny_checkpoint), str(odd_folder / "face.jpg"),
                                          str(odd_folder / "trailer.jpg"), *map(str, odd)])
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    text = result.output
    rows = {r["path"]: r for r in json.loads(text[text.index("["):])}
    assert "spoof_score" in rows[str(odd_folder / "face.jpg")] and "spoof_score" in rows[str(odd_folder / "trailer.jpg")]
    for p in odd:
        assert "spoof_score" not in rows[str(p)] and str(p) in rows[str(p)]["error"], rows[str(p)]


class _alarm:
    """Raise in the main thread after ``seconds`` (a hang becomes a failure, not a stuck test run)."""

    def __init__(self, seconds: int):
        self.seconds = seconds

    def __enter__(self):
        def _fire(signum, frame):
            raise TimeoutError(f"still blocked after {self.seconds} s")

        self.previous = signal.signal(signal.SIGALRM, _fire)
        signal.alarm(self.seconds)

    def __exit__(self, *exc):
        signal.alarm(0)
        signal.signal(signal.SIGALRM, self.previous)
