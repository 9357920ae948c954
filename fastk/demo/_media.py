"""Helpers the simulated media share: supersampled rendering, rotated grids, hand-held slant, glare."""

from __future__ import annotations

from typing import Any

import numpy as np

SS = 2  # media are rendered at twice the work size; the downscale is the camera's pixel integration


def _f(img: np.ndarray) -> np.ndarray:
    return img.astype(np.float32) / 255.0 if img.dtype == np.uint8 else img.astype(np.float32)


def _u8(img: np.ndarray) -> np.ndarray:
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


def _r(x: float, n: int = 4) -> float:
    return round(float(x), n)


def _up(img: np.ndarray) -> np.ndarray:
    import cv2

    h, w = img.shape[:2]
    return cv2.resize(img, (w * SS, h * SS), interpolation=cv2.INTER_LINEAR)


def _down(img: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    import cv2

    return cv2.resize(img, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)


def _grid(h: int, w: int, angle_deg: float, period: float) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates rotated by ``angle_deg`` and divided by ``period`` (cycles along u and v)."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    a = np.deg2rad(angle_deg)
    return (xx * np.cos(a) + yy * np.sin(a)) / period, (-xx * np.sin(a) + yy * np.cos(a)) / period


def _draw_glare(rng: np.random.Generator, top: float) -> dict[str, Any]:
    return {"glare": _r(rng.uniform(0, top)), "glare_x": _r(rng.uniform(0.1, 0.9)), "glare_y": _r(rng.uniform(0.1, 0.7)),
            "glare_size": _r(rng.uniform(0.1, 0.35))}


def _slant(img: np.ndarray, corners: list[float]) -> np.ndarray:
    """Hand-held perspective: output corners come from points moved inwards by ``corners`` (shares of
    the side), so the warped medium still fills the frame (a crop of a slanted sheet or screen)."""
    import cv2

    h, w = img.shape[:2]
    c = np.asarray(corners, np.float32).reshape(4, 2) * [w, h]
    inward = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]], np.float32)
    dst = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)
    src = (dst + c * inward).astype(np.float32)
    return cv2.warpPerspective(img, cv2.getPerspectiveTransform(dst, src), (w, h),
                               flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)


def _glare_field(h: int, w: int, p: dict[str, Any]) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    s = p["glare_size"]
    return p["glare"] * np.exp(-(((yy / h - p["glare_y"]) / s) ** 2 + ((xx / w - p["glare_x"]) / (1.4 * s)) ** 2))
