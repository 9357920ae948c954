"""Bad files are skipped with a reason, never crash a run; odd but valid images are converted."""

import numpy as np
import pytest

from fastk.data.images import read_rgb
from fastk.errors import ImageReadError


@pytest.fixture(scope="module")
def photo(london_photos):
    return read_rgb(london_photos[0])


def _write(path, array):
    import cv2

    assert cv2.imwrite(str(path), array)
    return path


def test_grayscale_rgba_and_16bit_become_8bit_rgb(tmp_path, photo):
    gray = _write(tmp_path / "gray.png", photo.mean(axis=2).astype(np.uint8))
    rgba = _write(tmp_path / "rgba.png", np.dstack([photo[:, :, ::-1], np.full(photo.shape[:2], 255, np.uint8)]))
    deep = _write(tmp_path / "deep.png", photo[:, :, ::-1].astype(np.uint16) * 257)
    for p in (gray, rgba, deep):
        img = read_rgb(p)
        assert img.dtype == np.uint8 and img.shape == photo.shape, p
    np.testing.assert_array_equal(read_rgb(rgba), photo)
    np.testing.assert_array_equal(read_rgb(deep), photo)


@pytest.mark.parametrize("name,content,reason", [
    ("empty.jpg", b"", "empty file"),
    ("text.png", b"hello, I am not a picture", "not a readable image"),
])
def test_unusable_bytes(tmp_path, name, content, reason):
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(ImageReadError, match=f"{name}: {reason}"):
        read_rgb(p)


def test_truncated_jpeg_and_png(tmp_path, london_photos):
    data = london_photos[0].read_bytes()
    jpg = tmp_path / "cut.jpg"
    jpg.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageReadError, match="cut.jpg: (truncated file|not a readable image)"):
        read_rgb(jpg)
    import cv2

    ok, png = cv2.imencode(".png", read_rgb(london_photos[0]))
    cut = tmp_path / "cut.png"
    cut.write_bytes(png.tobytes()[:-200])
    with pytest.raises(ImageReadError, match="cut.png: (truncated file|not a readable image)"):
        read_rgb(cut)


def test_huge_image_is_refused(tmp_path):
    """A 65.6-megapixel scan (over fastk's 64 MP limit) is refused, not fed to a face detector."""
    import cv2

    p = tmp_path / "big.png"
    assert cv2.imwrite(str(p), np.zeros((8200, 8000), np.uint8))  # grey, compresses to a small file
    with pytest.raises(ImageReadError, match=r"big.png: image too large \(8000x8200 px\)"):
        read_rgb(p)


def test_missing_and_directory(tmp_path):
    with pytest.raises(ImageReadError, match="nope.jpg: file not found"):
        read_rgb(tmp_path / "nope.jpg")
    with pytest.raises(ImageReadError, match="is a directory"):
        read_rgb(tmp_path)


def test_16bit_grayscale_png_with_exif_orientation_is_rotated_and_converted(tmp_path, photo):
    """Orientation is applied to the stored pixels whatever their depth (OpenCV keeps 16 bits here)."""
    from PIL import Image

    gray = photo[:, 40:472].mean(axis=2).astype(np.uint8)  # non-square, so the rotation shows
    exif = Image.Exif()
    exif[0x0112] = 8  # display = stored rotated 90 degrees counter-clockwise
    p = tmp_path / "gray16.png"
    Image.fromarray(gray.astype(np.uint16) * 257).save(p, exif=exif.tobytes())
    img = read_rgb(p)
    assert img.dtype == np.uint8 and img.shape == (gray.shape[1], gray.shape[0], 3)
    np.testing.assert_array_equal(img[:, :, 0], np.rot90(gray, 1))
