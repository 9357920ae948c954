"""Simulated presentation attacks made from real face photographs (always labelled *simulated*).

Real attack data (printed photos, replayed videos, masks) is licence-gated, so the demo derives
attacks from real, consented photos with transforms that model what the capture chain does to them:

* ``print``: a photo printed and re-captured: halftone dot screen, colour-gamut loss (paper cannot
  show saturated colours or deep blacks), paper texture, slight defocus, and a slight bend of the sheet.
* ``print_flat``: as ``print``, with the shading of eyes, nose and mouth flattened (the paper's
  "printed photo with features flattened"): local contrast inside the feature areas is removed.
* ``replay``: a photo shown on a screen and re-captured: the screen's RGB sub-pixel grid sampled by
  the camera (moire), display gamma and white-balance shift, a specular glare, and a dark bezel.

Lighting (``high``, ``normal``, ``low``, ``side``) is applied to real and attack samples alike, with
``side`` lighting from the image's right, as in the paper's Figure 10 bias.
Every transform is deterministic for a given seed. Studio photos make these attacks easier to detect
than real-world ones: results on them say nothing about performance on real attacks.
"""

from __future__ import annotations

import numpy as np

ATTACK_TYPES = ("print", "print_flat", "replay")
LIGHTINGS = ("normal", "high", "low", "side")


def _f(img: np.ndarray) -> np.ndarray:
    return img.astype(np.float32) / 255.0


def _u8(img: np.ndarray) -> np.ndarray:
    return np.uint8(np.clip(img, 0, 1) * 255 + 0.5)


def halftone(img: np.ndarray, period: float, rng: np.random.Generator) -> np.ndarray:
    """Per-channel rotated dot screens (as CMY inks are printed at different angles)."""
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    out = np.empty_like(img)
    for c, angle in enumerate(np.deg2rad([15, 75, 45]) + rng.uniform(-0.1, 0.1)):
        u = xx * np.cos(angle) + yy * np.sin(angle)
        v = -xx * np.sin(angle) + yy * np.cos(angle)
        screen = 0.5 + 0.25 * (np.cos(2 * np.pi * u / period) + np.cos(2 * np.pi * v / period))
        # Soft threshold: ink coverage grows with darkness; a little softness stands for ink spread.
        out[..., c] = 1 / (1 + np.exp(-(img[..., c] - screen) * 12))
    return out


def gamut_loss(img: np.ndarray, saturation: float = 0.7, black: float = 0.08, white: float = 0.93) -> np.ndarray:
    grey = img.mean(axis=2, keepdims=True)
    return black + (white - black) * (grey + saturation * (img - grey))


def paper_texture(img: np.ndarray, rng: np.random.Generator, strength: float = 0.035) -> np.ndarray:
    import cv2

    h, w = img.shape[:2]
    fibre = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), 1.2)
    fibre /= fibre.std() + 1e-6
    return img * (1 + strength * fibre[..., None])


def bend(img: np.ndarray, rng: np.random.Generator, amount: float = 0.03) -> np.ndarray:
    """A sheet curved about the vertical axis: rows compress towards the edges, edges shift slightly."""
    import cv2

    h, w = img.shape[:2]
    a = amount * rng.uniform(0.5, 1.0)
    xx, yy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    xn = xx / (w - 1) * 2 - 1
    map_x = (xx + a * w * 0.5 * (xn ** 3 - xn)).astype(np.float32)
    map_y = (yy + a * h * 0.3 * (1 - xn ** 2) * (yy / (h - 1) - 0.5)).astype(np.float32)
    return cv2.remap(img, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def flatten_features(img: np.ndarray, points68: np.ndarray) -> np.ndarray:
    """Remove local shading inside the eye, nose and mouth regions (features printed flat)."""
    import cv2

    h, w = img.shape[:2]
    mask = np.zeros((h, w), np.float32)
    for idx in (range(36, 42), range(42, 48), range(27, 36), range(48, 60)):
        cv2.fillConvexPoly(mask, cv2.convexHull(np.int32(points68[list(idx)])), 1.0)
    k = max(3, int(0.04 * max(h, w)) | 1)
    mask = cv2.GaussianBlur(cv2.dilate(mask, np.ones((k, k), np.uint8)), (0, 0), k / 2)[..., None]
    smooth = cv2.GaussianBlur(img, (0, 0), k / 4)
    return img * (1 - 0.85 * mask) + smooth * (0.85 * mask)


def screen_grid(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The display's R, G, B sub-pixel stripes, slightly rotated and scaled: camera sampling makes moire."""
    h, w = img.shape[:2]
    pitch = rng.uniform(2.6, 3.4)
    angle = rng.uniform(-0.06, 0.06)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    u = (xx * np.cos(angle) + yy * np.sin(angle)) / pitch
    grid = np.stack([0.75 + 0.25 * np.cos(2 * np.pi * (u - k / 3)) for k in range(3)], axis=2)
    rows = 0.9 + 0.1 * np.cos(2 * np.pi * (yy * np.cos(angle) - xx * np.sin(angle)) / pitch)[..., None]
    return img * grid * rows * 1.15


def glare(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h, w = img.shape[:2]
    cy, cx = rng.uniform(0.15, 0.45) * h, rng.uniform(0.2, 0.8) * w
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    blob = np.exp(-(((yy - cy) / (0.18 * h)) ** 2 + ((xx - cx) / (0.25 * w)) ** 2))
    return img + 0.35 * blob[..., None]


def bezel(img: np.ndarray, width: float = 0.04) -> np.ndarray:
    out = img.copy()
    h, w = img.shape[:2]
    b = max(1, int(width * min(h, w)))
    out[:b] = out[-b:] = 0.03
    out[:, :b] = out[:, -b:] = 0.03
    return out


def defocus(img: np.ndarray, sigma: float) -> np.ndarray:
    import cv2

    return cv2.GaussianBlur(img, (0, 0), sigma)


def simulate_attack(rgb: np.ndarray, attack: str, *, seed: int = 0, points68: np.ndarray | None = None,
                    scale: float | None = None) -> np.ndarray:
    """One simulated attack of type ``attack`` made from the real photo ``rgb`` (8-bit RGB).

    ``scale`` sizes the print's halftone dots and the blur in pixels (default: image side / 512). An
    image that will be downscaled needs a larger scale, or the dots average away into a colour cast.
    """
    rng = np.random.default_rng(seed)
    img = _f(rgb)
    scale = max(rgb.shape[:2]) / 512 if scale is None else scale
    if attack in ("print", "print_flat"):
        if attack == "print_flat":
            if points68 is None:
                raise ValueError("print_flat needs the face's dlib-68 points")
            img = flatten_features(img, points68)
        img = gamut_loss(img)
        # The camera resolves the dot screen only partly: part halftone, part continuous tone.
        img = 0.6 * halftone(img, period=rng.uniform(3.0, 4.0) * scale, rng=rng) + 0.4 * img
        img = defocus(img, 0.6 * scale)
        img = paper_texture(img, rng)
        img = bend(img, rng)
    elif attack == "replay":
        img = np.clip(img, 0, 1) ** rng.uniform(1.15, 1.35)  # display gamma
        img = img * np.array([rng.uniform(0.9, 0.97), 1.0, rng.uniform(1.03, 1.12)], np.float32)  # cool screen
        img = screen_grid(img, rng)
        img = defocus(img, 0.5 * scale)
        img = glare(img, rng)
        img = bezel(img)
    else:
        raise ValueError(f"unknown attack type {attack!r}; known: {', '.join(ATTACK_TYPES)}")
    return _u8(img)


def relight(rgb: np.ndarray, lighting: str) -> np.ndarray:
    """Lighting level ``normal``/``high``/``low``, or ``side``: light from the image's right."""
    img = _f(rgb)
    if lighting == "normal":
        return rgb
    if lighting == "high":
        img = img * 1.3 + 0.04
    elif lighting == "low":
        img = (img * 0.45) ** 1.1
    elif lighting == "side":
        w = img.shape[1]
        gain = np.linspace(0.35, 1.25, w, dtype=np.float32)[None, :, None]
        img = img * gain
    else:
        raise ValueError(f"unknown lighting {lighting!r}; known: {', '.join(LIGHTINGS)}")
    return _u8(img)
