"""`fastk compare`: ranking agreement between explorations of the same model (two CAM methods)."""

import json

from click.testing import CliRunner

from fastk.cli import cli


def test_compare_two_cam_methods_and_a_repeat(tmp_path, tiny_dataset, tiny_checkpoint):
    outs = []
    for cam, name in (("gradcam++", "a"), ("gradcam++", "b"), ("layercam", "c")):
        out = tmp_path / name
        r = CliRunner().invoke(cli, ["explore", str(tiny_dataset / "spoof"), "--checkpoint", str(tiny_checkpoint),
                                     "--cam", cam, "--out", str(out), "--overlays", "0"])
        assert r.exit_code == 0, r.output
        outs.append(str(out))
    result = CliRunner().invoke(cli, ["compare", *outs, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    same = data["pairs"][0]  # gradcam++ vs gradcam++ on the same model: identical rankings
    assert abs(same["spearman"] - 1.0) < 1e-9 and same["top4_jaccard"] == 1.0
    for p in data["pairs"]:
        assert -1.0 <= p["spearman"] <= 1.0 and 0.0 <= p["top4_jaccard"] <= 1.0
    assert len(data["rankings"]) == 3


def test_compare_needs_real_files(tmp_path):
    r = CliRunner().invoke(cli, ["compare", str(tmp_path), str(tmp_path)])
    assert r.exit_code == 2 and "no area_importance.json found" in r.output
