"""`fastk explore` and `fastk mask` end to end on real photos, and how they treat bad input."""

import csv
import json
import shutil

import pytest
from click.testing import CliRunner

import fastk
from fastk.cli import cli


@pytest.fixture
def mixed_folder(tmp_path, tiny_dataset):
    """The tiny dataset plus an unreadable file, a non-image and a photo with no face."""
    import numpy as np
    from skimage import data

    from fastk.data.images import write_image

    root = tmp_path / "data"
    shutil.copytree(tiny_dataset, root)
    (root / "real" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (root / "real" / "notes.png").write_text("this is text, not a picture")
    write_image(root / "spoof" / "print" / "coffee.jpg", np.asarray(data.coffee()))
    return root


def test_explore_writes_results_and_skips_bad_files(tmp_path, mixed_folder, tiny_checkpoint):
    out = tmp_path / "run"
    result = CliRunner().invoke(cli, ["explore", str(mixed_folder), "--checkpoint", str(tiny_checkpoint),
                                      "--out", str(out), "--overlays", "3"])
    assert result.exit_code == 0, result.output
    with open(out / "per_image.csv") as f:
        rows = list(csv.DictReader(f))
    with open(out / "skipped.csv") as f:
        skipped = {r["path"].split("/")[-1]: r["reason"] for r in csv.DictReader(f)}
    assert len(rows) == 32
    assert set(skipped) == {"broken.jpg", "notes.png", "coffee.jpg"}
    assert "not a readable image" in skipped["notes.png"]
    assert skipped["coffee.jpg"].endswith("coffee.jpg: no face found (dlib)")
    for r in rows:
        for area in ("nose", "right_cheek", "chin"):
            assert 0.0 <= float(r[area]) <= 1.0
    summary = json.loads((out / "area_importance.json").read_text())
    assert summary["cam_target"]["target"] == "spoof-logit"
    assert summary["plugins"]["cam"] == {"name": "gradcam++", "plugin": "cams_gradcam",
                                         "class": "fastk_plugins.cams_gradcam.GradCam_GradCAMPlusPlus",
                                         "distribution": "fastk", "version": fastk.__version__}
    assert {r["detector"] for r in rows} == {"dlib"}
    assert summary["plugins"]["landmarks"]["plugin"] == "landmarks_dlib"
    assert set(summary["by"]["label"]) == {"real", "spoof"}
    assert set(summary["by"]["attack_type"]) == {"none", "print", "replay"}
    assert len(summary["ranking"]) == 10
    assert (out / "importance.png").stat().st_size > 5000
    groups = sorted(f.name.split("__")[0] for f in (out / "overlays").glob("*.jpg"))
    assert groups == ["real"] * 3 + ["spoof-print"] * 3 + ["spoof-replay"] * 3

    # Resume: a second call finds everything done and recomputes nothing (batch size cannot change results).
    again = CliRunner().invoke(cli, ["explore", str(mixed_folder), "--checkpoint", str(tiny_checkpoint),
                                     "--out", str(out), "--overlays", "3", "--batch-size", "5"])
    assert again.exit_code == 0, again.output
    with open(out / "per_image.csv") as f:
        assert len(list(csv.DictReader(f))) == 32

    # A different CAM method into the same folder is refused (results would mix).
    other = CliRunner().invoke(cli, ["explore", str(mixed_folder), "--checkpoint", str(tiny_checkpoint),
                                     "--out", str(out), "--overlays", "3", "--cam", "gradcam"])
    assert other.exit_code == 2 and "holds a run with other settings (cam: 'gradcam++' -> 'gradcam')" in other.output

    # Mask the dataset with the top 4 areas.
    masked = tmp_path / "masked"
    m = CliRunner().invoke(cli, ["mask", str(mixed_folder), "--importance", str(out / "area_importance.json"),
                                 "--select", "top-k:4", "--masking", "landmark", "--out", str(masked)])
    assert m.exit_code == 0, m.output
    assert "mask audit (landmark): the masks alone tell real from attack with AUC" in " ".join(m.output.split())
    stats = json.loads((masked / "mask.json").read_text())
    assert stats["written"] == 32 and stats["skipped"] == 3
    # Which 4 areas are kept depends on the tiny model's training (CPU-dependent floats): the 4 smallest
    # areas (eyes, brows) cover ~2% of these images, all four largest under 30%.
    assert 0.005 < stats["mean_pixels_kept"] < 0.3
    assert f"using landmarks dlib (as in {out / 'area_importance.json'}; --landmarks overrides)" in m.output
    assert stats["faces_found_by"] == {"dlib": 32} and stats["no_face_rate"] == pytest.approx(3 / 35)
    assert stats["png_bytes_mean_after"] < 0.5 * stats["png_bytes_mean_before"]
    assert stats["jpeg_bytes_mean_after"] < stats["jpeg_bytes_mean_before"]
    assert (masked / "real").is_dir() and (masked / "spoof" / "print").is_dir()

    # The default: faces aligned onto the template, one mask for every image (the audit measures 0.5),
    # and mask.json says how `fastk train` must record the preparation.
    aligned = tmp_path / "aligned"
    a = CliRunner().invoke(cli, ["mask", str(mixed_folder), "--importance", str(out / "area_importance.json"),
                                 "--select", "top-k:4", "--aligned-size", "96", "--out", str(aligned)])
    assert a.exit_code == 0, a.output
    stats = json.loads((aligned / "mask.json").read_text())
    assert stats["framing"] == "aligned" and stats["written"] == 32
    assert stats["mask_audit"]["identical_masks"] and stats["mask_audit"]["auc"] == 0.5
    assert "mask audit (aligned): the masks alone tell real from attack with AUC 0.500 (95% CI 0.500-0.500)" in " ".join(
        a.output.split())
    assert stats["input"]["alignment"]["size"] == 96 and stats["input"]["mask"]["keep"] == stats["kept_areas"]
    from fastk.cli.train_cmd import masked_input

    assert masked_input(aligned) == stats["input"] and masked_input(masked)["mask"]["framing"] == "landmark"
    assert masked_input(mixed_folder) is None


@pytest.mark.parametrize("args,expected", [
    (["explore", "{data}", "--backbone", "timm:test_resnet", "--cam", "gradcam+++"],
     "fastk: error: unknown cam 'gradcam+++'; known: ablationcam,"),
    (["explore", "{data}", "--checkpoint", "{missing}"], "fastk: error: {missing}: checkpoint not found"),
    (["explore", "{data}", "--checkpoint", "{bad}"], "fastk: error: {bad}: not a readable checkpoint"),
    (["explore", "{data}", "--backbone", "timm:test_resnet", "--landmarks", "openface"],
     "fastk: error: unknown landmarks 'openface'; known: dlib, fallback, mediapipe"),
    (["explore", "{missing}", "--backbone", "timm:test_resnet"], "fastk: error: {missing}: dataset path not found"),
    (["landmarks", "{bad}"], "skipped {bad}: not a readable image"),
])
def test_user_errors_are_one_line(tmp_path, tiny_dataset, args, expected):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"PK\x03\x04 truncated")
    subs = {"data": str(tiny_dataset), "missing": str(tmp_path / "nope"), "bad": str(bad)}
    args = [a.format(**subs) for a in args]
    result = CliRunner().invoke(cli, args + ["--out", str(tmp_path / "out")])
    text = result.output.strip()
    assert expected.format(**subs) in text
    if result.exit_code:
        assert result.exit_code == 2 and "Traceback" not in text and len(text.splitlines()) == 1
