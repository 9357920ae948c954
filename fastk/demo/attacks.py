"""Simulated presentation attacks made from real face photographs (always labelled *simulated*).

Real attack data is licence-gated, so the demo derives attacks from real, consented photos with a
physical model of the presentation medium, every parameter drawn at random (domain randomisation,
Tobin et al. 2017) from a seeded generator and returned so the demo set records it per image. The
re-capture camera (blur, noise, Bayer demosaicing, white balance, JPEG) is NOT here: it is
:mod:`fastk.demo.camera_model`, applied to real photos and attacks alike. Sources per step: docs/attacks.md.

* ``print`` (:func:`print_attack`): a RIP's gamut mapping (chroma compressed), CMYK separation with
  grey-component replacement, amplitude-modulated halftone screens at the conventional angles
  (C 15, M 75, Y 0, K 45 degrees; ISO 12647-2) at a random line screen and print size, with dot gain
  (tone value increase, ISO 12647-2) and ink spread, inks mixed by their (impure) transmittances on
  paper of a random white point with fibre texture (Neugebauer/Demichel, independent dot layers), the
  sheet curved and held at a slant (perspective), and a specular glare.
* ``print_flat``: as ``print``, with the shading inside eyes, nose and mouth flattened first.
* ``replay`` (:func:`replay_attack`): the image on an LCD: display gamma and white point, backlight
  bleed (raised, uneven black), the RGB-stripe sub-pixel grid at a random pitch and angle against the
  camera's pixel grid (so it aliases into moire; Garcia & de Queiroz 2015, Patel et al. 2015), rolling-
  shutter refresh banding, reflections of the room and a glare on the glass. With ``framing="tight"``
  (default) the crop is a window into a screen larger than it (no bezel, its edges outside the crop);
  ``"context"`` shows the whole screen inside the scene with a bezel.

Lighting (``high``, ``normal``, ``low``, ``side``) is applied to real and attack scenes alike by
:func:`relight`. Studio photos make these attacks easier to detect than real ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fastk.demo._media import SS, _down, _draw_glare, _f, _glare_field, _grid, _r, _slant, _u8, _up
from fastk.demo.attack_replay import REPLAY_STEPS, draw_replay, replay_attack, subpixel_emission
from fastk.demo.camera_model import linear_to_srgb, srgb_to_linear

__all__ = ["ATTACK_TYPES", "FRAMINGS", "LIGHTINGS", "PRINT_STEPS", "REPLAY_STEPS", "SCREEN_ANGLES", "draw_print",
           "draw_replay", "flatten_features", "print_attack", "relight", "replay_attack", "simulate_attack",
           "subpixel_emission"]

ATTACK_TYPES = ("print", "print_flat", "replay")
LIGHTINGS = ("normal", "high", "low", "side")
FRAMINGS = ("tight", "context")
PRINT_STEPS = ("gamut", "halftone", "ink_bleed", "paper", "curvature", "perspective", "glare")
SCREEN_ANGLES = {"c": 15.0, "m": 75.0, "y": 0.0, "k": 45.0}
#: Share of light each process ink passes in R, G, B (impure inks: unwanted absorptions shift hues and
#: limit the darkest and most saturated colours a print reaches).
INKS = {"c": (0.12, 0.62, 0.92), "m": (0.88, 0.14, 0.55), "y": (0.96, 0.88, 0.10), "k": (0.03, 0.03, 0.035)}


# ---------------------------------------------------------------- print ----------------------------
def draw_print(rng: np.random.Generator, side: int) -> dict[str, Any]:
    """Print parameters. ``period_px``: halftone cell in pixels of an image ``side`` wide, from the
    line screen (65-150 lpi: newspaper to commercial offset and laser) and the printed crop's width."""
    lpi, width_in = rng.uniform(65, 150), rng.uniform(1.2, 3.5)
    return {"saturation": _r(rng.uniform(0.6, 1.0)), "tone_boost": _r(rng.uniform(-0.1, 0.4)), "gcr": _r(rng.uniform(0.3, 0.9)),
            "ink_jitter": [_r(v) for v in rng.uniform(-0.05, 0.05, 3)],
            "lpi": _r(lpi, 1), "print_width_in": _r(width_in, 2), "period_px": _r(side / (lpi * width_in)),
            "screen_rotation": _r(rng.uniform(0, 90), 2), "dot_gain": _r(rng.uniform(-0.06, 0.08)),
            "ink_spread": _r(rng.uniform(0.2, 0.9)), "paper_white": _r(rng.uniform(0.85, 0.97)),
            "paper_tint": [_r(v) for v in rng.uniform(-0.04, 0.03, 2)], "paper_texture": _r(rng.uniform(0.01, 0.06)),
            "curvature": _r(rng.uniform(-0.07, 0.07)), "curvature_axis": str(rng.choice(["x", "y"])),
            "corners": [_r(v) for v in rng.uniform(0, 0.07, 8)], "lens_blur": _r(rng.uniform(0.3, 0.8)),
            **_draw_glare(rng, 0.2)}


def halftone_coverage(a: np.ndarray, u: np.ndarray, v: np.ndarray, edge: float = 0.08) -> np.ndarray:
    """Round-dot AM screen: ink where the spot function exceeds the threshold giving coverage ``a``."""
    spot = 0.5 * (np.cos(2 * np.pi * u) + np.cos(2 * np.pi * v))
    t = np.interp(a, _LEVELS, _THRESH).astype(np.float32)
    return 1 / (1 + np.exp(-(spot - t) / np.float32(edge)))


def _spot_thresholds() -> np.ndarray:
    """For 65 coverages, the spot-function level that exactly that share of a cell exceeds."""
    g = np.linspace(0, 1, 128, endpoint=False)
    table = 0.5 * (np.cos(2 * np.pi * g)[:, None] + np.cos(2 * np.pi * g)[None, :])
    return np.quantile(table.ravel(), 1 - _LEVELS).astype(np.float32)


_LEVELS = np.linspace(0, 1, 65, dtype=np.float32)
_THRESH = _spot_thresholds()


def print_attack(img: np.ndarray, p: dict[str, Any], disable: Sequence[str] = ()) -> np.ndarray:
    """A printed sheet of ``img`` (sRGB floats) as light reflected into the camera (sRGB floats).

    Gamut mapping works on the device values; separation (as colour management) and ink mixing in
    linear reflectance."""
    import cv2

    on = [s for s in PRINT_STEPS if s not in disable]
    h, w = img.shape[:2]
    x = _up(np.clip(img, 0, 1))
    if "gamut" in on:  # the RIP's perceptual gamut mapping compresses chroma; drivers boost contrast
        grey = x.mean(axis=2, keepdims=True)
        x = np.clip(grey + p["saturation"] * (x - grey), 0, 1)
        x = np.clip(x + p["tone_boost"] * x * (1 - x) * (2 * x - 1) * 2, 0, 1)
    x = srgb_to_linear(x)  # colour management: coverages chosen so the print reflects the intended light
    k = p["gcr"] * (1 - x.max(axis=2))
    cmy = (1 - x - k[..., None]) / np.maximum(1 - k[..., None], 1e-3)
    cover = {"c": cmy[..., 0], "m": cmy[..., 1], "y": cmy[..., 2], "k": k}
    paper = np.ones(3, np.float32)
    if "paper" in on:
        tint = p["paper_tint"]
        paper = p["paper_white"] * np.array([1 + tint[0], 1.0, 1 + tint[1]], np.float32)
    refl: np.ndarray = np.ones_like(x) * paper
    for i, (ink, a) in enumerate(cover.items()):
        a = np.clip(a, 0, 1)
        a = a + p["dot_gain"] * 4 * a * (1 - a)  # tone value increase left after the RIP's compensation
        if "halftone" in on:
            u, v = _grid(h * SS, w * SS, SCREEN_ANGLES[ink] + p["screen_rotation"], p["period_px"] * SS)
            a = halftone_coverage(np.clip(a, 0, 1), u, v)
        if "ink_bleed" in on:
            a = cv2.GaussianBlur(a.astype(np.float32), (0, 0), p["ink_spread"] * SS)
        trans = np.array(INKS[ink], np.float32) if "gamut" in on else (np.float32(ink != "k") * (np.arange(3) != i))
        if "gamut" in on and ink != "k":
            trans = np.clip(trans + p["ink_jitter"][i], 0, 1)
        refl = refl * (1 - a[..., None] * (1 - trans))
    if "paper" in on:
        fibre = cv2.GaussianBlur(np.random.default_rng(int(p["period_px"] * 1e4)).normal(0, 1, (h * SS, w * SS))
                                 .astype(np.float32), (0, 0), 1.5 * SS)
        refl = refl * (1 + p["paper_texture"] * fibre[..., None] / (fibre.std() + 1e-6))
    if "curvature" in on:
        refl = _curve(refl, p["curvature"], p["curvature_axis"])
    if "perspective" in on:
        refl = _slant(refl, p["corners"])
    refl = cv2.GaussianBlur(refl.astype(np.float32), (0, 0), p["lens_blur"])  # capture lens, before the pixels
    out = _down(refl, img.shape)  # linear reflectance, integrated over camera pixels
    if "glare" in on:
        out = out + _glare_field(h, w, p)[..., None]
    return linear_to_srgb(out)


def _curve(img: np.ndarray, amount: float, axis: str) -> np.ndarray:
    """A sheet bowed towards (or away from) the camera: the middle magnified, the edges compressed;
    sampled inside the sheet, so the sheet still fills the frame."""
    import cv2

    h, w = img.shape[:2]
    xx, yy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    if axis == "y":
        xx, yy, h, w = yy, xx, w, h
    xn = xx / np.float32(w - 1) * 2 - 1
    a = np.float32(abs(amount))
    mx = xx + np.sign(amount) * a * w * 0.5 * (xn ** 3 - xn)
    my = (h - 1) / 2 + (yy - (h - 1) / 2) * (1 - a * (1 - xn ** 2))
    if axis == "y":
        mx, my = my, mx
    return cv2.remap(img, mx.astype(np.float32), my.astype(np.float32), cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE)


# ---------------------------------------------------------------- entry points ---------------------
def flatten_features(img: np.ndarray, points68: np.ndarray) -> np.ndarray:
    """Remove local shading inside the eye, nose and mouth regions (features printed flat)."""
    import cv2

    h, w = img.shape[:2]
    mask: np.ndarray = np.zeros((h, w), np.float32)
    for idx in (range(36, 42), range(42, 48), range(27, 36), range(48, 60)):
        cv2.fillConvexPoly(mask, cv2.convexHull(points68[list(idx)].astype(np.int32)), (1.0,))
    k = max(3, int(0.04 * max(h, w)) | 1)
    mask = cv2.GaussianBlur(cv2.dilate(mask, np.ones((k, k), np.uint8)), (0, 0), k / 2)[..., None]
    smooth = cv2.GaussianBlur(img, (0, 0), k / 4)
    return img * (1 - 0.85 * mask) + smooth * (0.85 * mask)


def simulate_attack(rgb: np.ndarray, attack: str, *, seed: int = 0, points68: np.ndarray | None = None,
                    framing: str = "tight", disable: Sequence[str] = (),
                    overrides: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    """One simulated attack of type ``attack`` from the real photo ``rgb`` (8-bit or float RGB):
    ``(scene as sRGB floats in [0, 1], the parameters used)``. ``disable``: steps to skip;
    ``overrides``: parameters to set instead of drawing them (keys of the print or replay draw)."""
    rng = np.random.default_rng(seed)
    img = _f(rgb)
    if attack in ("print", "print_flat"):
        if attack == "print_flat":
            if points68 is None:
                raise ValueError("print_flat needs the face's dlib-68 points")
            img = flatten_features(img, points68)
        p = {**draw_print(rng, max(img.shape[:2])), **{k: v for k, v in (overrides or {}).items() if k in _PRINT_KEYS}}
        return print_attack(img, p, disable), p
    if attack == "replay":
        p = {**draw_replay(rng), **{k: v for k, v in (overrides or {}).items() if k in _REPLAY_KEYS}}
        return replay_attack(img, p, framing, disable), p
    raise ValueError(f"unknown attack type {attack!r}; known: {', '.join(ATTACK_TYPES)}")


def relight(rgb: np.ndarray, lighting: str) -> np.ndarray:
    """Lighting level ``normal``/``high``/``low``, or ``side``: light from the image's right.
    8-bit in, 8-bit out; floats in, floats out."""
    img = _f(rgb)
    if lighting == "normal":
        out = img
    elif lighting == "high":
        out = img * 1.3 + 0.04
    elif lighting == "low":
        out = (img * 0.45) ** 1.1
    elif lighting == "side":
        out = img * np.linspace(0.35, 1.25, img.shape[1], dtype=np.float32)[None, :, None]
    else:
        raise ValueError(f"unknown lighting {lighting!r}; known: {', '.join(LIGHTINGS)}")
    return _u8(out) if rgb.dtype == np.uint8 else np.clip(out, 0, 1).astype(np.float32)


_PRINT_KEYS = set(draw_print(np.random.default_rng(0), 256))
_REPLAY_KEYS = set(draw_replay(np.random.default_rng(0)))
