"""Each simulation step changes a real photo the way its docstring claims (fastk.demo.attacks, fastk.demo.camera_model)."""

import io

import cv2
import numpy as np
import pytest

from fastk.data.images import read_rgb
from fastk.demo.attacks import (
    PRINT_STEPS,
    REPLAY_STEPS,
    SCREEN_ANGLES,
    draw_print,
    draw_replay,
    print_attack,
    replay_attack,
    simulate_attack,
)
from fastk.demo.camera_model import CAMERA_STEPS, capture, demosaic, draw_camera, encode_jpeg, mosaic

SIDE = 256


@pytest.fixture(scope="module")
def face(london_photos) -> np.ndarray:
    """A real face photo, 256 px, as sRGB floats."""
    img = read_rgb(london_photos[0])
    h, w = img.shape[:2]
    m = min(h, w)
    img = img[(h - m) // 2:(h + m) // 2, (w - m) // 2:(w + m) // 2]
    return cv2.resize(img, (SIDE, SIDE), interpolation=cv2.INTER_AREA).astype(np.float32) / 255


def _only(steps, keep):
    return [s for s in steps if s not in keep]


def _spectrum(grey: np.ndarray) -> np.ndarray:
    g = grey - cv2.GaussianBlur(grey, (0, 0), 8)  # the face's own low frequencies out
    win = np.outer(np.hanning(g.shape[0]), np.hanning(g.shape[1]))
    return np.abs(np.fft.fftshift(np.fft.fft2(g * win))) ** 2


def _peak(power: np.ndarray, fmin: float) -> tuple[float, float]:
    """(fx, fy) in cycles per pixel of the strongest component above ``fmin``."""
    n = power.shape[0]
    f = np.fft.fftshift(np.fft.fftfreq(n))
    fy, fx = np.meshgrid(f, f, indexing="ij")
    p = np.where(np.hypot(fx, fy) > fmin, power, 0)
    i = np.unravel_index(np.argmax(p), p.shape)
    return float(fx[i]), float(fy[i])


def test_halftone_period_and_angle_match_the_line_screen(face):
    p = draw_print(np.random.default_rng(0), SIDE)
    p.update(period_px=6.0, screen_rotation=0.0, lens_blur=0.2)
    out = print_attack(face, p, disable=_only(PRINT_STEPS, {"halftone", "gamut"}))
    fx, fy = _peak(_spectrum(out.mean(axis=2)), fmin=0.08)
    assert np.hypot(fx, fy) == pytest.approx(1 / 6.0, rel=0.08)
    angle = np.rad2deg(np.arctan2(fy, fx)) % 90
    assert min(abs(angle - a % 90) for a in SCREEN_ANGLES.values()) < 4 or abs(angle - 90) < 4
    # and without the screen there is no such peak
    flat = print_attack(face, p, disable=_only(PRINT_STEPS, {"gamut"}))
    band = lambda im: _spectrum(im.mean(axis=2))[np.abs(np.hypot(*np.meshgrid(
        np.fft.fftshift(np.fft.fftfreq(SIDE)), np.fft.fftshift(np.fft.fftfreq(SIDE)))) - 1 / 6) < 0.01].sum()
    assert band(out) > 20 * band(flat)


def test_replay_subpixel_grid_aliases_into_moire_at_the_predicted_frequency(face):
    p = draw_replay(np.random.default_rng(0))
    p.update(pitch=1.1, grid_angle=4.0, lens_blur=0.25)
    on = replay_attack(face, p, disable=_only(REPLAY_STEPS, {"subpixels"}))
    off = replay_attack(face, p, disable=REPLAY_STEPS)
    # stripe fundamental (cos, sin) / pitch cycles per capture pixel, aliased to the nearest integer,
    # then doubled by the 2x downscale from capture to work size
    f = np.array([np.cos(np.deg2rad(4.0)), np.sin(np.deg2rad(4.0))]) / 1.1
    fx, fy = 2 * (f - np.round(f))
    got = _peak(_spectrum(on[..., 1]), fmin=0.08)
    assert min(np.hypot(got[0] - fx, got[1] - fy), np.hypot(got[0] + fx, got[1] + fy)) < 0.02
    # the photo itself has no such peak: power there is many times the grid-free replay's
    i, j = round(SIDE / 2 + fy * SIDE), round(SIDE / 2 + fx * SIDE)
    near = lambda im: _spectrum(im[..., 1])[i - 1:i + 2, j - 1:j + 2].sum()
    assert near(on) > 30 * near(off)


def test_refresh_banding_runs_along_the_sensor_rows(face):
    p = draw_replay(np.random.default_rng(1))
    p.update(banding=0.1, banding_period=0.25, banding_phase=0.0)
    on = replay_attack(face, p, disable=_only(REPLAY_STEPS, {"banding"}))
    off = replay_attack(face, p, disable=REPLAY_STEPS)
    ratio = on.mean(axis=(1, 2)) / off.mean(axis=(1, 2))
    spec = np.abs(np.fft.rfft(ratio - ratio.mean()))
    assert int(np.argmax(spec)) == 4  # 1 / 0.25 cycles per image height
    cols = on.mean(axis=(0, 2)) / off.mean(axis=(0, 2))
    assert ratio.std() > 5 * cols.std()


def test_backlight_bleed_lifts_the_blacks_and_display_gamma_sets_the_tone(face):
    p = draw_replay(np.random.default_rng(2))
    p.update(black_level=0.05, display_gamma=2.2)
    lifted = replay_attack(face, p, disable=_only(REPLAY_STEPS, {"backlight", "display_gamma"}))
    plain = replay_attack(face, p, disable=_only(REPLAY_STEPS, {"display_gamma"}))
    assert np.percentile(lifted.mean(axis=2), 1) > np.percentile(plain.mean(axis=2), 1) + 0.05
    p.update(display_gamma=2.8)
    darker = replay_attack(face, p, disable=_only(REPLAY_STEPS, {"display_gamma"}))
    assert darker.mean() < plain.mean() - 0.03


def _border_lift(img: np.ndarray) -> float:
    """How much brighter the outer tenth of a replay of a black image is than its middle."""
    g = img.mean(axis=2)
    b = g.shape[0] // 10
    ring = np.concatenate([g[:b].ravel(), g[-b:].ravel(), g[:, :b].ravel(), g[:, -b:].ravel()])
    return float(ring.mean() - g[4 * b:-4 * b, 4 * b:-4 * b].mean())


def test_backlight_clouding_follows_the_screen_edges_not_the_crop_border():
    """Tight crops are a window into a larger screen: clouding must not outline the crop (issue 12)."""
    black = np.zeros((SIDE, SIDE, 3), np.float32)
    p = draw_replay(np.random.default_rng(4))
    p.update(black_level=0.04, bleed_unevenness=0.6, window=0.5, window_x=0.5, window_y=0.5)
    steps = _only(REPLAY_STEPS, {"backlight"})
    tight = replay_attack(black, p, framing="tight", disable=steps)
    as_screen = replay_attack(black, {**p, "window": 1.0}, framing="tight", disable=steps)
    assert _border_lift(as_screen) > 0.05  # the crop as the whole screen: its border lit (the old cue)
    assert abs(_border_lift(tight)) < 0.2 * _border_lift(as_screen)
    p.update(window=0.5, window_x=1.0, window_y=0.0)  # crop in the screen's top-right corner: lit there
    corner = replay_attack(black, p, framing="tight", disable=steps).mean(axis=2)
    assert corner[:SIDE // 8, -SIDE // 8:].mean() > corner[-SIDE // 8:, :SIDE // 8].mean() + 0.03


def test_glare_brightens_where_it_is_recorded(face):
    p = draw_print(np.random.default_rng(3), SIDE)
    p.update(glare=0.3, glare_x=0.3, glare_y=0.3, glare_size=0.15)
    on = print_attack(face, p, disable=_only(PRINT_STEPS, {"glare"}))
    off = print_attack(face, p, disable=PRINT_STEPS)
    d = (on - off).mean(axis=2)
    assert d[int(0.3 * SIDE), int(0.3 * SIDE)] > 0.15 and d[int(0.85 * SIDE), int(0.85 * SIDE)] < 0.01


def test_gamut_mapping_compresses_chroma_and_paper_caps_the_whites(face):
    p = draw_print(np.random.default_rng(4), SIDE)
    p.update(saturation=0.6, tone_boost=0.0, paper_white=0.85, dot_gain=0.0)
    ideal = print_attack(face, p, disable=PRINT_STEPS)
    inks = print_attack(face, p, disable=_only(PRINT_STEPS, {"gamut"}))
    chroma = lambda im: np.percentile(im.max(axis=2) - im.min(axis=2), 90)
    assert chroma(inks) < 0.9 * chroma(ideal)
    paper = print_attack(face, p, disable=_only(PRINT_STEPS, {"paper"}))
    assert np.percentile(paper, 99.5) < np.percentile(ideal, 99.5) - 0.02


def test_ink_bleed_softens_the_dots(face):
    p = draw_print(np.random.default_rng(5), SIDE)
    p.update(period_px=4.0, ink_spread=0.9, lens_blur=0.2)
    sharp = print_attack(face, p, disable=_only(PRINT_STEPS, {"halftone"}))
    bled = print_attack(face, p, disable=_only(PRINT_STEPS, {"halftone", "ink_bleed"}))
    hf = lambda im: np.abs(im - cv2.GaussianBlur(im, (0, 0), 1.0)).mean()
    assert hf(bled) < 0.8 * hf(sharp)


def test_curvature_and_perspective_warp_but_keep_the_frame_filled(face):
    p = draw_print(np.random.default_rng(6), SIDE)
    p.update(curvature=0.07, corners=[0.06] * 8)
    warped = print_attack(face, p, disable=_only(PRINT_STEPS, {"curvature", "perspective"}))
    flat = print_attack(face, p, disable=PRINT_STEPS)
    assert np.abs(warped - flat).mean() > 0.02
    # the sheet fills the frame: border rows are face/background content, not a constant fill
    assert warped[0].std() > 0.01 and warped[:, 0].std() > 0.01


def test_context_framing_shows_a_bezel_and_tight_does_not(face):
    p = draw_replay(np.random.default_rng(7))
    p.update(screen_share=0.7, bezel=0.05, bezel_level=0.03, glare=0.0, reflection=0.0)
    ctx = replay_attack(face, p, framing="context")
    tight = replay_attack(face, p, framing="tight")
    ring = ctx[int(0.15 * SIDE) - 3:int(0.15 * SIDE) - 1, int(0.3 * SIDE):int(0.7 * SIDE)]
    assert ring.mean() < 0.1 and tight[:4].mean() > ring.mean() + 0.1


def test_attacks_are_deterministic_per_seed_and_return_their_parameters(face):
    a, pa = simulate_attack(face, "replay", seed=11)
    b, pb = simulate_attack(face, "replay", seed=11)
    c, pc = simulate_attack(face, "replay", seed=12)
    np.testing.assert_array_equal(a, b)
    assert pa == pb and pa != pc and np.abs(a - c).mean() > 0.005
    assert {"pitch", "grid_angle", "banding", "black_level", "display_gamma"} <= set(pa)
    _, pp = simulate_attack(face, "print", seed=11)
    assert {"lpi", "period_px", "screen_rotation", "paper_white", "dot_gain", "curvature"} <= set(pp)


def test_camera_motion_blur_is_directional_and_defocus_removes_detail(face):
    cam = draw_camera(np.random.default_rng(0))
    cam.update(defocus_sigma=0.0, motion_length=6.0, motion_angle=0.0, flare=0.0, flare_patch=0.0)
    off = [s for s in CAMERA_STEPS if s != "optics"]
    moved = capture(face, cam, off)
    still = capture(face, {**cam, "motion_length": 0.0}, off)
    gx = lambda im: np.abs(np.diff(im, axis=1)).mean()
    gy = lambda im: np.abs(np.diff(im, axis=0)).mean()
    assert gx(moved) / gx(still) < 0.8 * gy(moved) / gy(still)
    blurred = capture(face, {**cam, "motion_length": 0.0, "defocus_sigma": 1.5}, off)
    assert gx(blurred) < 0.7 * gx(still) and gy(blurred) < 0.7 * gy(still)


def test_white_balance_gains_scale_the_channels(face):
    cam = draw_camera(np.random.default_rng(1))
    cam.update(wb_gain_r=1.2, wb_gain_b=0.85)
    off = [s for s in CAMERA_STEPS if s != "white_balance"]
    out, ref = capture(face, cam, off), capture(face, cam, CAMERA_STEPS)
    from fastk.demo.camera_model import srgb_to_linear

    r = srgb_to_linear(out).mean(axis=(0, 1)) / srgb_to_linear(ref).mean(axis=(0, 1))
    assert r[0] / r[1] == pytest.approx(1.2, rel=0.05) and r[2] / r[1] == pytest.approx(0.85, rel=0.05)


def test_bayer_noise_is_weaker_at_interpolated_pixels(face):
    """Demosaicing averages neighbours: green noise is lower where green was interpolated (RGGB: the
    red and blue sites) than where it was measured: the trace a Bayer sensor leaves."""
    rng = np.random.default_rng(0)
    lin = np.full((SIDE, SIDE, 3), 0.4, np.float32)
    raw = mosaic(lin, "RGGB") + rng.normal(0, 0.02, (SIDE, SIDE)).astype(np.float32)
    g = demosaic(raw, "RGGB")[8:-8, 8:-8, 1]
    measured = np.concatenate([g[0::2, 1::2].ravel(), g[1::2, 0::2].ravel()]).std()
    interpolated = np.concatenate([g[0::2, 0::2].ravel(), g[1::2, 1::2].ravel()]).std()
    assert interpolated < 0.7 * measured
    # and the full sensor step adds signal-dependent noise to a real face
    cam = draw_camera(np.random.default_rng(2))
    cam.update(shot_noise=4e-3, read_noise=1e-5)
    noisy = capture(face, cam, [s for s in CAMERA_STEPS if s != "sensor"])
    clean = capture(face, cam, CAMERA_STEPS)
    assert (noisy - clean).std() > 0.02


def test_jpeg_quality_sets_the_quantisation_tables(face):
    from PIL import Image

    cam = draw_camera(np.random.default_rng(3))
    rgb8 = np.uint8(face * 255)
    tables = {}
    for q in (60, 95):
        with Image.open(io.BytesIO(encode_jpeg(rgb8, {**cam, "jpeg_quality": q}))) as im:
            tables[q] = np.mean(im.quantization[0])
    assert tables[60] > 3 * tables[95]


def test_shortcut_audit_finds_a_planted_reencoding_shortcut(tmp_path, london_photos):
    """The audit must be able to fail: attacks saved at another JPEG quality are found at once."""
    from fastk.data.datasets import Sample
    from fastk.trust.shortcut_audit import shortcut_audit

    samples = []
    for i, path in enumerate(london_photos[:40]):
        img = cv2.resize(read_rgb(path), (96, 96), interpolation=cv2.INTER_AREA)
        for label, quality in ((0, 92), (1, 70)):
            out = tmp_path / f"{label}_{i}.jpg"
            out.write_bytes(encode_jpeg(img, {"jpeg_quality": quality, "jpeg_subsampling": 2}))
            samples.append(Sample(out, label, f"s{i // 2}"))
    assert shortcut_audit(samples)["auc"] > 0.95
