"""One folder of bad inputs, generated here from real photos, through every command that reads images.

Each command must either finish (exit 0) listing every unusable file in ``skipped.csv`` with a one-line
reason, or stop with exit 2 and one ``fastk: error:`` line; never a traceback, never lost results.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from fastk.cli import cli

#: File name -> whether it holds a usable face (the rest must be skipped, each with a reason).
USABLE = {"plain.jpg": True, "gray.png": True, "rgba.png": True, "sixteen.png": True, "cmyk.jpg": True,
          "exif-rotated.jpg": True, "two-faces.jpg": True, "[odd] name (1).jpg": True, "ünïcode.jpg": True,
          "empty.jpg": False, "truncated.jpg": False, "text.png": False, "no-face.jpg": False,
          "tiny.png": False}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, london_photos) -> Path:
    import cv2
    from PIL import Image
    from skimage import data

    from fastk.data.images import read_rgb, write_image

    root = tmp_path_factory.mktemp("corpus") / "real"
    root.mkdir()
    face = cv2.resize(read_rgb(london_photos[0]), (256, 256), interpolation=cv2.INTER_AREA)
    other = cv2.resize(read_rgb(london_photos[1]), (256, 256), interpolation=cv2.INTER_AREA)
    write_image(root / "plain.jpg", face)
    write_image(root / "[odd] name (1).jpg", face)
    write_image(root / "ünïcode.jpg", other)
    write_image(root / "gray.png", np.repeat(cv2.cvtColor(face, cv2.COLOR_RGB2GRAY)[:, :, None], 3, axis=2))
    Image.fromarray(face).convert("RGBA").save(root / "rgba.png")
    cv2.imwrite(str(root / "sixteen.png"), face[:, :, ::-1].astype(np.uint16) * 257)
    Image.fromarray(face).convert("CMYK").save(root / "cmyk.jpg", quality=92)
    sideways = Image.fromarray(np.ascontiguousarray(np.rot90(face)))  # stored rotated, tagged to be turned back
    exif = Image.Exif()
    exif[0x0112] = 8
    sideways.save(root / "exif-rotated.jpg", exif=exif.tobytes(), quality=92)
    write_image(root / "two-faces.jpg", np.concatenate([face, other], axis=1))
    (root / "empty.jpg").write_bytes(b"")
    whole = (root / "plain.jpg").read_bytes()
    (root / "truncated.jpg").write_bytes(whole[: len(whole) // 2])
    (root / "text.png").write_text("not an image")
    write_image(root / "no-face.jpg", np.asarray(data.coffee()))
    write_image(root / "tiny.png", face[:6, :6])
    assert sorted(p.name for p in root.iterdir()) == sorted(USABLE)
    return root


def _run(args) -> tuple[int, str]:
    result = CliRunner().invoke(cli, args)
    out = result.output  # stdout and stderr, as a terminal shows them
    assert "Traceback" not in out, out
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, out


def _skipped(folder: Path) -> dict[str, str]:
    with open(folder / "skipped.csv", newline="") as f:
        return {Path(r["path"]).name: r["reason"] for r in csv.DictReader(f)}


def _check_skipped(skipped: dict[str, str]) -> None:
    bad = {n for n, ok in USABLE.items() if not ok}
    assert bad <= set(skipped), bad - set(skipped)
    for name, reason in skipped.items():
        assert "\n" not in reason and name in reason, (name, reason)


def test_explore_uses_every_readable_face_and_lists_the_rest(corpus, tiny_checkpoint, tmp_path):
    out = tmp_path / "explore"
    code, text = _run(["explore", str(corpus), "--checkpoint", str(tiny_checkpoint), "--out", str(out),
                       "--overlays", "1"])
    assert code == 0, text
    skipped = _skipped(out)
    _check_skipped(skipped)
    with open(out / "per_image.csv", newline="") as f:
        used = {Path(r["path"]).name for r in csv.DictReader(f)}
    assert {n for n, ok in USABLE.items() if ok} - used <= {"cmyk.jpg"}  # CMYK may lose its face to colour
    assert not used & set(skipped)


def test_predict_scores_faces_and_gives_errors_for_the_rest(corpus, tiny_checkpoint):
    files = [str(p) for p in sorted(corpus.iterdir())]
    code, text = _run(["predict", str(tiny_checkpoint), *files])
    assert code == 0, text
    rows = {Path(r["path"]).name: r for r in json.loads(text[text.index("["):])}
    assert set(rows) == set(USABLE)
    for name, ok in USABLE.items():
        if not ok:
            assert "error" in rows[name] and "spoof_score" not in rows[name], name
    assert "spoof_score" in rows["exif-rotated.jpg"] and "spoof_score" in rows["[odd] name (1).jpg"]


def test_evaluate_goes_on_past_bad_files_and_a_full_disk_is_one_line(corpus, tiny_checkpoint, tmp_path):
    root = tmp_path / "labelled"
    shutil.copytree(corpus, root / "real")
    out = tmp_path / "eval.json"
    code, text = _run(["evaluate", str(tiny_checkpoint), str(root), "--out", str(out)])
    assert code == 0, text
    json.loads(out.read_text(), parse_constant=lambda c: pytest.fail(f"bare {c} in JSON"))
    _check_skipped(_skipped(out.parent))
    if Path("/dev/full").exists():  # every write fails with ENOSPC: a full disk
        # In a folder of its own (evaluate locks its --out folder, and never /dev): scores.csv is the
        # device, written through the link (the metrics JSON is replaced atomically, link and all).
        full = tmp_path / "full" / "scores.csv"
        full.parent.mkdir()
        full.symlink_to("/dev/full")
        code, text = _run(["evaluate", str(tiny_checkpoint), str(root), "--out", str(full.parent / "eval.json")])
        lines = [ln for ln in text.splitlines() if ln.startswith("fastk: error:")]
        assert code == 2 and lines == [f"fastk: error: {full}: No space left on device"], text


def test_mask_writes_every_face_and_lists_the_rest(corpus, tiny_checkpoint, tmp_path):
    explored = tmp_path / "explore"
    assert _run(["explore", str(corpus), "--checkpoint", str(tiny_checkpoint), "--out", str(explored),
                 "--overlays", "0"])[0] == 0
    out = tmp_path / "masked"
    code, text = _run(["mask", str(corpus), "--importance", str(explored / "area_importance.json"), "--out", str(out)])
    assert code == 0, text
    _check_skipped(_skipped(out))
    written = {p.name for p in out.rglob("*") if p.suffix in (".jpg", ".png")}
    assert {"plain.jpg", "exif-rotated.jpg", "[odd] name (1).jpg"} <= written
    assert all(p.resolve().is_relative_to(out.resolve()) for p in out.rglob("*"))


def test_landmarks_draws_every_face_and_skips_the_rest(corpus, tmp_path):
    out = tmp_path / "landmarks"
    code, text = _run(["landmarks", *[str(p) for p in sorted(corpus.iterdir())], "--out", str(out)])
    assert code == 0, text
    found = {Path(r["path"]).name for r in json.loads((out / "landmarks.json").read_text())}
    assert {"plain.jpg", "exif-rotated.jpg", "two-faces.jpg"} <= found
    assert not found & {n for n, ok in USABLE.items() if not ok}
