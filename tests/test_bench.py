"""``fastk bench`` writes its measurements as JSON with the machine they were taken on."""

from __future__ import annotations

import json

from click.testing import CliRunner

from fastk.cli import cli


def test_bench_writes_json_for_every_method_size_and_batch(tiny_dataset, tmp_path):
    out = tmp_path / "bench.json"
    result = CliRunner().invoke(cli, ["bench", "--dataset", "folder", "--data", str(tiny_dataset), "--cam",
                                      "gradcam++,gradcam", "--sizes", "48,64", "--batch-sizes", "4", "--images", "8",
                                      "--repeats", "1", "--option", "encoder=mobilenetv3_small_050",
                                      "--option", "classifier=resnet10t", "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    cells = {(r["method"], r["input_size"], r["batch_size"]) for r in data["cam"]}
    assert cells == {(m, s, 4) for m in ("gradcam++", "gradcam") for s in (48, 64)}
    assert all(r["images_per_second"] > 0 and r["peak_rss_mb"] > 0 for r in data["cam"])
    assert data["explore"]["cold_landmark_cache"]["images"] == 8
    assert [r["input_size"] for r in data["training"]] == [48, 64]
    assert data["environment"]["cpu_count"] >= 1 and len(data["load_average_before_after"]) == 2


def test_bench_refuses_an_unknown_method_with_one_line(tiny_dataset, tmp_path):
    result = CliRunner().invoke(cli, ["bench", "--dataset", "folder", "--data", str(tiny_dataset),
                                      "--cam", "gradcam+++", "--out", str(tmp_path / "b.json")])
    assert result.exit_code == 2
    assert "unknown cam 'gradcam+++'" in result.output and "gradcam++" in result.output
