"""User errors are one plain-text line on stderr with exit status 2, never a traceback."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from fastk.cli import cli


def _run(args):
    result = CliRunner().invoke(cli, args)
    return result, result.stderr if hasattr(result, "stderr") else result.output


def test_error_text_with_brackets_is_printed_as_is(tmp_path):
    bad = tmp_path / "[bold]x[red].pt"
    bad.write_bytes(b"not a checkpoint")
    result, err = _run(["predict", str(bad), str(bad)])
    assert result.exit_code == 2
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("fastk: error:")
    assert "[bold]x[red].pt" in lines[0]
    assert "Traceback" not in err


def test_an_os_error_on_an_output_folder_is_one_line(tmp_path, tiny_dataset):
    """An output path that cannot be created (its parent is a file) is a user error: one line naming it."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result, err = _run(["landmarks", str(tiny_dataset / "real"), "--out", str(blocker / "out")])
    assert result.exit_code == 2, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("fastk: error:"), err
    assert str(blocker) in lines[0]
    assert "Traceback" not in err


def test_several_config_problems_are_one_line_each(tmp_path):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("seed: abc\nselect: 4\nbackbone:\n  name: lgsc\n  options:\n    encoder: resnt18\n")
    result, err = _run(["run", "--config", str(cfg), "--runs-dir", str(tmp_path / "runs")])
    assert result.exit_code == 2
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) >= 2 and all(ln.startswith("fastk: error:") for ln in lines), err
    assert any("seed" in ln for ln in lines) and any("select" in ln for ln in lines)
    assert not (tmp_path / "runs").exists()


def test_a_misspelt_lgsc_encoder_is_refused_before_any_work():
    import fastk
    from fastk.errors import FastkError

    with pytest.raises(FastkError, match="resnt18.*similar: .*resnet18"):
        fastk.create("backbone", "lgsc", encoder="resnt18")
