"""The re-capture camera: what a phone camera does to ANY scene, applied to real photos and attacks alike.

Why: if only attacks went through a camera simulation (blur, noise, re-encoding), "was it
re-processed" would separate them from the real photos and a model would learn that instead of
spoofing. So every demo image, real or attack, is captured by a randomly drawn camera, in the order a
camera pipeline applies the steps (Brooks et al. 2019, "Unprocessing images for learned raw
denoising", CVPR, sec. 3; Ramanath et al. 2005, "Color image processing pipeline", IEEE Signal
Processing Magazine):

1. ``optics``: veiling glare (lens flare: a share of the frame's mean light added everywhere, which
   lifts the blacks of every capture, ISO 9358, plus a smooth flare patch from a light source near the
   field of view, McCann & Rizzi 2011, "The Art and Science of HDR Imaging", ch. 11), defocus (Gaussian point-spread function, sigma in
   sensor pixels) and hand-shake motion blur (a line kernel of random length and angle), applied to
   the scene's linear light;
2. ``white_balance`` / ``exposure``: the auto white balance's residual error (per-channel gains for red and
   blue against green, log-uniform); auto-exposure, which meters the frame's mean linear luminance
   towards a target near 18% grey (partly: ``ae_strength``), with its error;
3. ``sensor``: a Bayer colour filter array (RGGB, BGGR, GRBG or GBRG) samples one channel per pixel;
   shot noise (variance proportional to the signal) plus read noise (constant variance) with Brooks
   et al.'s log-linear relation between them (their Eq. 5 and sec. 3.1: shot log-uniform, read from a
   line fitted to real sensors); then demosaicing (OpenCV's bilinear or edge-aware Bayer conversion);
4. ``tone``: the camera's tone curve and saturation (sRGB transfer, IEC 61966-2-1, then a contrast
   S-curve and a saturation gain, both random), and a global auto-levels stretch (the 1st and 99th
   luminance percentiles pulled towards random black and white targets, ``levels`` of the way), as
   phone pipelines' global tone mapping does;
5. ``jpeg``: JPEG compression (ITU-T T.81) at a random quality with random chroma subsampling, done by
   :func:`encode_jpeg` when the image is written, so its quantisation tables come from the same
   distribution for real and attack images.

Every parameter is drawn by :func:`draw_camera` from a seeded generator and returned as a plain dict,
which the demo set records per image. ``disable`` names steps to skip (for the ablation benchmark).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np

CAMERA_STEPS = ("optics", "white_balance", "exposure", "sensor", "tone", "jpeg")
#: OpenCV names Bayer codes after the second row's first two pixels: an RGGB mosaic is ``BayerBG``.
_BAYER_CODES = {"RGGB": "BG", "BGGR": "RG", "GRBG": "GB", "GBRG": "GR"}
_LAYOUT = {"RGGB": (0, 1, 1, 2), "BGGR": (2, 1, 1, 0), "GRBG": (1, 0, 2, 1), "GBRG": (1, 2, 0, 1)}


def _loguniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def draw_camera(rng: np.random.Generator) -> dict[str, Any]:
    """One random camera: every parameter the capture uses, JSON-ready.

    Ranges: defocus and shake up to a few sensor pixels (phone cameras at 20-50 cm, hand-held);
    white-balance error within +-25% per channel (auto white balance under mixed indoor light);
    shot noise log-uniform over 2e-4..6e-3 of full scale (Brooks et al. use 1e-4..1.2e-2; the top of
    their range is night-time noise, rare in face capture); JPEG quality 60-95 (phone and web encoders).
    """
    shot = _loguniform(rng, 2e-4, 6e-3)
    read = float(np.exp(2.18 * np.log(shot) + 1.2 + rng.normal(0, 0.26)))  # Brooks et al., sec. 3.1
    return {
        "flare": round(float(rng.uniform(0.0, 0.25)), 4),
        "flare_patch": round(float(rng.uniform(0.0, 0.2)), 4),
        "flare_x": round(float(rng.uniform(-0.2, 1.2)), 3), "flare_y": round(float(rng.uniform(-0.2, 1.2)), 3),
        "flare_size": round(float(rng.uniform(0.2, 0.6)), 3),
        "defocus_sigma": round(float(rng.uniform(0.0, 1.4)), 3),
        "motion_length": round(float(rng.uniform(0.0, 4.0)), 3),
        "motion_angle": round(float(rng.uniform(0.0, 180.0)), 2),
        "wb_gain_r": round(_loguniform(rng, 0.78, 1.28), 4),
        "wb_gain_b": round(_loguniform(rng, 0.78, 1.28), 4),
        "exposure": round(_loguniform(rng, 0.6, 1.6), 4),
        "ae_target": round(float(rng.uniform(0.12, 0.26)), 4),
        "ae_strength": round(float(rng.uniform(0.3, 0.9)), 3),
        "bayer": str(rng.choice(list(_LAYOUT))),
        "demosaic": str(rng.choice(["bilinear", "edge_aware"])),
        "shot_noise": round(shot, 6),
        "read_noise": round(read, 9),
        "contrast": round(float(rng.uniform(-0.35, 0.55)), 3),
        "saturation": round(float(rng.uniform(0.7, 1.3)), 3),
        "levels": round(float(rng.uniform(0.0, 0.6)), 3),
        "levels_black": round(float(rng.uniform(0.0, 0.08)), 4),
        "levels_white": round(float(rng.uniform(0.85, 1.0)), 4),
        "jpeg_quality": int(rng.integers(60, 96)),
        "jpeg_subsampling": int(rng.choice([0, 1, 2])),  # PIL: 4:4:4, 4:2:2, 4:2:0
        "noise_seed": int(rng.integers(0, 2**31)),
    }


def srgb_to_linear(x: np.ndarray) -> np.ndarray:
    """IEC 61966-2-1 sRGB decoding (values in [0, 1])."""
    x = np.clip(x, 0, 1)
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4).astype(np.float32)


def linear_to_srgb(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0, 1)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, 1 / 2.4) - 0.055).astype(np.float32)


def motion_kernel(length: float, angle_deg: float) -> np.ndarray:
    """A normalised line kernel: the path of a point during a hand-shake of ``length`` pixels."""
    import cv2

    size = max(3, int(np.ceil(length)) * 2 + 1)
    k = np.zeros((size, size), np.float32)
    c, a = size // 2, np.deg2rad(angle_deg)
    dx, dy = 0.5 * length * np.cos(a), 0.5 * length * np.sin(a)
    ends = [round(v * 8) for v in (c - dx, c - dy, c + dx, c + dy)]  # 3 fractional bits (shift=3)
    cv2.line(k, (ends[0], ends[1]), (ends[2], ends[3]), (1.0,), thickness=1, lineType=cv2.LINE_AA, shift=3)
    return k / max(k.sum(), 1e-6)


def mosaic(linear: np.ndarray, layout: str) -> np.ndarray:
    """The one-channel-per-pixel raw image a Bayer sensor records (same height and width)."""
    h, w = linear.shape[:2]
    raw = np.empty((h, w), np.float32)
    ch = _LAYOUT[layout]
    raw[0::2, 0::2] = linear[0::2, 0::2, ch[0]]
    raw[0::2, 1::2] = linear[0::2, 1::2, ch[1]]
    raw[1::2, 0::2] = linear[1::2, 0::2, ch[2]]
    raw[1::2, 1::2] = linear[1::2, 1::2, ch[3]]
    return raw


def demosaic(raw: np.ndarray, layout: str, method: str = "bilinear") -> np.ndarray:
    """Back to three channels with OpenCV's Bayer conversion (16-bit, so no banding from rounding)."""
    import cv2

    code = f"COLOR_Bayer{_BAYER_CODES[layout]}2RGB" + ("_EA" if method == "edge_aware" else "")
    raw16 = (np.clip(raw, 0, 1) * 65535 + 0.5).astype(np.uint16)
    return cv2.cvtColor(raw16, getattr(cv2, code)).astype(np.float32) / 65535


def capture(img: np.ndarray, cam: dict[str, Any], disable: Sequence[str] = (),
            meter: dict[str, Any] | None = None, *, return_meter: bool = False):
    """The camera's image (float RGB in [0, 1], sRGB-encoded) of a scene given as sRGB floats in [0, 1].

    Everything but JPEG (see :func:`encode_jpeg`); ``disable`` skips steps of :data:`CAMERA_STEPS`.
    Flare, auto-exposure and auto-levels meter the frame; ``meter`` (from ``return_meter=True`` on
    another frame) reuses that frame's readings, so two frames differing in one region come out
    identical elsewhere (the planted-cue variant).
    """
    import cv2

    m = dict(meter or {})
    lin = srgb_to_linear(img)
    m.setdefault("mean", [float(v) for v in lin.mean(axis=(0, 1))])
    if "optics" not in disable:
        h, w = lin.shape[:2]
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        patch = np.exp(-((xx / w - cam["flare_x"]) ** 2 + (yy / h - cam["flare_y"]) ** 2) / cam["flare_size"] ** 2)
        lin = lin + cam["flare"] * np.float32(m["mean"]) + cam["flare_patch"] * patch[..., None]
        if cam["defocus_sigma"] > 0.05:
            lin = cv2.GaussianBlur(lin, (0, 0), cam["defocus_sigma"])
        if cam["motion_length"] > 0.5:
            lin = cv2.filter2D(lin, -1, motion_kernel(cam["motion_length"], cam["motion_angle"]),
                               borderType=cv2.BORDER_REFLECT)
    gains = np.ones(3, np.float32)
    if "white_balance" not in disable:
        gains *= np.array([cam["wb_gain_r"], 1.0, cam["wb_gain_b"]], np.float32)
    if "exposure" not in disable:
        m.setdefault("luma", float((lin @ np.array([0.2126, 0.7152, 0.0722], np.float32)).mean()) + 1e-4)  # BT.709
        gains *= cam["exposure"] * (cam["ae_target"] / m["luma"]) ** cam["ae_strength"]
    lin = lin * gains
    if "sensor" not in disable:
        rng = np.random.default_rng(cam["noise_seed"])
        raw = np.clip(mosaic(lin, cam["bayer"]), 0, 1)
        var = cam["read_noise"] + cam["shot_noise"] * raw
        raw = raw + rng.normal(0, 1, raw.shape).astype(np.float32) * np.sqrt(var)
        lin = demosaic(raw, cam["bayer"], cam["demosaic"])
    out = linear_to_srgb(lin)
    if "tone" not in disable:
        # S-curve around mid-grey (contrast > 0 steepens, < 0 flattens), then saturation about the grey.
        t = cam["contrast"]
        out = np.clip(out + t * out * (1 - out) * (2 * out - 1) * 2, 0, 1)
        grey = out.mean(axis=2, keepdims=True)
        out = grey + cam["saturation"] * (out - grey)
        m.setdefault("levels", [float(v) for v in np.percentile(out.mean(axis=2), [1, 99])])
        lo, hi = m["levels"]
        stretched = (out - lo) / max(hi - lo, 1e-3) * (cam["levels_white"] - cam["levels_black"]) + cam["levels_black"]
        out = (1 - cam["levels"]) * out + cam["levels"] * stretched
    out = np.clip(out, 0, 1).astype(np.float32)
    return (out, m) if return_meter else out


def encode_jpeg(rgb8: np.ndarray, cam: dict[str, Any], disable: Sequence[str] = ()) -> bytes:
    """JPEG bytes at the camera's quality and subsampling (PIL/libjpeg, standard IJG tables scaled by
    quality); with ``jpeg`` disabled, the best quality a phone writes (95, 4:2:0) for every image."""
    from PIL import Image

    quality, sub = (95, 2) if "jpeg" in disable else (cam["jpeg_quality"], cam["jpeg_subsampling"])
    buf = io.BytesIO()
    Image.fromarray(rgb8).save(buf, format="JPEG", quality=quality, subsampling=sub)
    return buf.getvalue()
