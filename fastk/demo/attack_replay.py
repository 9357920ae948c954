"""The ``replay`` medium: a photo shown on an LCD and re-captured (see :mod:`fastk.demo.attacks`, docs/attacks.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fastk.demo._media import _down, _draw_glare, _glare_field, _grid, _r, _slant, _up
from fastk.demo.camera_model import linear_to_srgb, srgb_to_linear

REPLAY_STEPS = ("display_gamma", "backlight", "subpixels", "banding", "reflection", "perspective", "glare")


def draw_replay(rng: np.random.Generator) -> dict[str, Any]:
    """Replay parameters. ``pitch``: display pixel pitch in camera pixels at capture (about 0.6-1.6 for
    a phone or tablet 20-40 cm from the camera): near 1, the grid beats with the sensor into moire."""
    return {"display_gamma": _r(rng.uniform(1.9, 2.9)), "white_r": _r(rng.uniform(0.9, 1.1)),
            "white_b": _r(rng.uniform(0.9, 1.12)), "black_level": _r(rng.uniform(0.0005, 0.04)),
            "bleed_unevenness": _r(rng.uniform(0, 0.6)), "pitch": _r(rng.uniform(0.6, 1.6)),
            "grid_angle": _r(rng.uniform(-12, 12), 3), "black_matrix": _r(rng.uniform(0.05, 0.25)),
            "lens_blur": _r(rng.uniform(0.2, 0.7)),
            "banding": _r(rng.uniform(0, 0.12)), "banding_period": _r(rng.uniform(0.08, 0.6)),
            "banding_phase": _r(rng.uniform(0, 2 * np.pi)), "reflection": _r(rng.uniform(0, 0.05)),
            "reflection_seed": int(rng.integers(0, 2**31)), "corners": [_r(v) for v in rng.uniform(0, 0.05, 8)],
            "screen_share": _r(rng.uniform(0.55, 0.85)), "bezel": _r(rng.uniform(0.02, 0.07)),
            "bezel_level": _r(rng.uniform(0.02, 0.12)), **_draw_glare(rng, 0.2),
            "window": _r(rng.uniform(0.35, 0.8)), "window_x": _r(rng.uniform(0, 1)), "window_y": _r(rng.uniform(0, 1))}


def subpixel_emission(h: int, w: int, pitch: float, angle: float, black_matrix: float,
                      lens_blur: float = 0.0) -> np.ndarray:
    """RGB-stripe panel: per pixel of ``pitch``, vertical R, G, B stripes of a third each, rows separated
    by the black matrix, as the camera's pixels sample it (this image's grid): each Fourier harmonic of the
    stripe pattern is attenuated by the pixel aperture (a box: sinc) and the lens (Gaussian, ``lens_blur``
    pixels), then point-sampled, so a pitch near 1 aliases into low-frequency moire whose strength
    follows the camera's MTF at the grid frequency (Garcia & de Queiroz 2015, sec. II). Mean 1 per channel."""
    u, v = _grid(h, w, angle, pitch)

    def mtf(f: float) -> float:
        return float(np.sinc(f) * np.exp(-2 * np.pi ** 2 * lens_blur ** 2 * f ** 2))

    duty = 1 - black_matrix
    rows = np.ones((h, w), np.float32)
    for n in (1, 2):  # rect of width ``duty``: 1 + sum 2 sin(n pi duty) / (n pi duty) cos(2 pi n (v - duty/2))
        rows += np.float32(2 * np.sin(n * np.pi * duty) / (n * np.pi * duty) * mtf(n / pitch)) * np.cos(
            2 * np.pi * n * (v - duty / 2))
    out = np.empty((h, w, 3), np.float32)
    for c in range(3):
        stripe = np.ones((h, w), np.float32)
        for n in (1, 2, 3):  # rect of width 1/3 at c/3, scaled to mean 1
            stripe += np.float32(6 / (n * np.pi) * np.sin(n * np.pi / 3) * mtf(n / pitch)) * np.cos(
                2 * np.pi * n * (u - c / 3 - 1 / 6))
        out[..., c] = stripe * rows
    return out


def screen_edge_distance(shape: tuple[int, int], p: dict[str, Any], framing: str) -> np.ndarray:
    """Per pixel of the displayed content, how near the *screen's* edge it is (0 centre, 1 edge).

    With ``framing="context"`` the content is the whole screen. With ``"tight"`` the face crop is a
    window into a larger screen (``window``: its width as a share of the screen's; ``window_x`` /
    ``window_y``: its left/top offset as a share of the free space, 0 = the screen's left/top edge,
    1 = right/bottom), so the screen's edges, and the backlight clouding along them, lie mostly outside
    the crop: drawn at the crop's own edges they were a cue that sits at the crop border, where a tight
    crop of a real replay has none (issue 12). Parameters drawn before the window existed mean the crop
    is the screen."""
    h, w = shape
    s = 1.0 if framing == "context" else float(p.get("window", 1.0))
    x0, y0 = (1 - s) * float(p.get("window_x", 0.0)), (1 - s) * float(p.get("window_y", 0.0))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    xs, ys = x0 + s * (xx + 0.5) / w, y0 + s * (yy + 0.5) / h
    return np.maximum(np.abs(xs * 2 - 1), np.abs(ys * 2 - 1))


def replay_attack(img: np.ndarray, p: dict[str, Any], framing: str = "tight",
                  disable: Sequence[str] = ()) -> np.ndarray:
    """The light from an LCD showing ``img`` (sRGB floats), as the camera sees it (sRGB floats)."""
    import cv2

    on = [s for s in REPLAY_STEPS if s not in disable]
    h, w = img.shape[:2]
    content = np.clip(img, 0, 1)
    if framing == "context":  # the screen shows the whole frame, smaller, inside the scene
        sh, sw = int(h * p["screen_share"]), int(w * p["screen_share"])
        content = cv2.resize(content, (sw, sh), interpolation=cv2.INTER_AREA)
    lin = content ** p["display_gamma"] if "display_gamma" in on else srgb_to_linear(content)
    if "display_gamma" in on:
        lin = lin * np.array([p["white_r"], 1.0, p["white_b"]], np.float32)
    if "backlight" in on:
        # LCD clouding near the screen's edges
        edge = screen_edge_distance((lin.shape[0], lin.shape[1]), p, framing) ** 4
        black = p["black_level"] * (1 + p["bleed_unevenness"] * (2 * edge - 0.5))
        lin = black[..., None] + (1 - black[..., None]) * lin
    x = _up(lin)
    if "subpixels" in on:
        x = x * subpixel_emission(x.shape[0], x.shape[1], p["pitch"], p["grid_angle"], p["black_matrix"],
                                  p["lens_blur"])
    if "perspective" in on:
        x = _slant(x, p["corners"])
    x = _down(x.astype(np.float32), lin.shape)
    if "banding" in on:  # rolling shutter x PWM backlight: brightness varies along the sensor's rows
        rows = np.arange(x.shape[0], dtype=np.float32) / x.shape[0]
        x = x * (1 + p["banding"] * np.cos(2 * np.pi * rows / p["banding_period"] + p["banding_phase"]))[:, None, None]
    if "reflection" in on:  # the room mirrored in the glass: smooth, added light
        rr = np.random.default_rng(p["reflection_seed"])
        room = cv2.GaussianBlur(rr.uniform(0, 1, (x.shape[0], x.shape[1], 3)).astype(np.float32), (0, 0),
                                x.shape[0] / 8)
        x = x + p["reflection"] * (room - room.min()) / (np.ptp(room) + 1e-6)
    if "glare" in on:
        x = x + _glare_field(x.shape[0], x.shape[1], p)[..., None]
    out = linear_to_srgb(x)
    if framing == "context":
        out = _in_scene(np.clip(out, 0, 1), img, p)
    return np.clip(out, 0, 1).astype(np.float32)


def _in_scene(screen: np.ndarray, scene: np.ndarray, p: dict[str, Any]) -> np.ndarray:
    """The screen with its bezel, centred in a defocused, darker copy of the scene behind it."""
    import cv2

    h, w = scene.shape[:2]
    frame = cv2.GaussianBlur(scene, (0, 0), max(h, w) / 40) * 0.6
    b = max(1, int(p["bezel"] * w))
    sh, sw = screen.shape[:2]
    y0, x0 = (h - sh) // 2, (w - sw) // 2
    frame[max(0, y0 - b):y0 + sh + b, max(0, x0 - b):x0 + sw + b] = p["bezel_level"]
    frame[y0:y0 + sh, x0:x0 + sw] = screen
    return frame
