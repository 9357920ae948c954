"""Numbers are checked where they are given: on the command line and in the run configuration, before
any data is read (issue 29: ``--batch-size 0`` was a ZeroDivisionError after the data step,
``--input-size 100000`` asked for 30 GB, ``--threshold nan`` called every image real, and a run
configuration asking for a GPU the machine lacks failed only after its data step)."""

from __future__ import annotations

import pytest
import torch
from click.testing import CliRunner

from fastk.cli import cli
from fastk.errors import ConfigError
from fastk.run import config

NO_GPU_HERE = "cuda" if not torch.cuda.is_available() else f"cuda:{torch.cuda.device_count()}"


@pytest.mark.parametrize("args,option,why", [
    (["train", "--batch-size", "0"], "--batch-size", "0 is not in the range x>=1"),
    (["train", "--lr", "-1"], "--lr", "-1.0 is not in the range x>0"),
    (["train", "--lr", "nan"], "--lr", "'nan' is not a finite number"),
    (["train", "--input-size", "8"], "--input-size", "8 is not in the range 32<=x<=1024"),
    (["train", "--input-size", "100000"], "--input-size", "100000 is not in the range 32<=x<=1024"),
    (["train", "--epochs", "0"], "--epochs", "0 is not in the range x>=1"),
    (["train", "--device", NO_GPU_HERE], "--device", "CUDA device"),
    (["explore", "--batch-size", "0"], "--batch-size", "0 is not in the range x>=1"),
    (["explore", "--overlays", "-1"], "--overlays", "-1 is not in the range x>=0"),
    (["mask", "x", "--importance", "x.json", "--out", "o", "--size", "100000"], "--size", "not in the range"),
    (["predict", "m.pt", "x.jpg", "--threshold", "nan"], "--threshold", "nan is outside [0, 1]"),
    (["predict", "m.pt", "x.jpg", "--threshold", "-0.1"], "--threshold", "-0.1 is outside [0, 1]"),
    (["predict", "m.pt", "x.jpg", "--threshold", "1.5"], "--threshold", "1.5 is outside [0, 1]"),
    (["predict", "m.pt", "x.jpg", "--threshold", "abc"], "--threshold", "'abc' is not a number"),
    (["evaluate", "m.pt", "data", "--threshold", "nan"], "--threshold", "nan is outside [0, 1]"),
    (["evaluate", "m.pt", "data", "--threshold", "inf"], "--threshold", "inf is outside [0, 1]"),
])
def test_bad_numbers_on_the_command_line_are_one_line_before_any_work(tmp_path, monkeypatch, args, option, why):
    monkeypatch.chdir(tmp_path)  # relative names: nothing may be created here
    result = CliRunner().invoke(cli, args)
    text = result.output
    assert result.exit_code == 2 and "Traceback" not in text, text
    errors = [line for line in text.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and f"Invalid value for '{option}'" in errors[0] and why in errors[0], text
    assert not any(tmp_path.iterdir()), list(tmp_path.iterdir())


@pytest.mark.parametrize("text,expected", [
    ("backbone: {input_size: 100000}", "backbone.input_size: got 100000 (int): must be <= 1024"),
    ("retrain: {crop_size: 5000}", "retrain.crop_size: got 5000 (int): must be <= 1024"),
    (f"device: '{NO_GPU_HERE}'", f"device: got '{NO_GPU_HERE}' (str): this machine has"),
])
def test_run_config_ranges_and_devices_are_refused_in_validation(tmp_path, text, expected):
    f = tmp_path / "c.yaml"
    f.write_text(text + "\n")
    with pytest.raises(ConfigError) as err:
        config.resolve(f)
    assert len(err.value.problems) == 1 and expected in err.value.problems[0], err.value.problems
    result = CliRunner().invoke(cli, ["run", "--config", str(f), "--runs-dir", str(tmp_path / "runs")])
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1 and expected in lines[0], result.output
    assert not (tmp_path / "runs").exists()  # refused before the data step


def test_a_gpu_that_is_here_passes_and_cpu_always_does(tmp_path):
    f = tmp_path / "c.yaml"
    for device in ["cpu"] + (["cuda"] if torch.cuda.is_available() else []):
        f.write_text(f"device: {device}\n")
        assert config.resolve(f)["device"] == device
