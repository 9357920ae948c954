"""User errors are one plain-text line on stderr with exit status 2, never a traceback."""

from __future__ import annotations

from pathlib import Path

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


def _train_args(tmp_path, tiny_dataset, out, epochs="1"):
    import shutil

    from tests.test_fingerprints import _manifest  # one subject per photo, as `fastk train` needs

    data = tmp_path / "data"
    if not data.exists():
        shutil.copytree(tiny_dataset, data)
    return ["train", str(_manifest(data, "all.csv")), "--dataset", "csv", "--backbone", "timm:test_resnet",
            "--input-size", "32", "--epochs", epochs, "--out", str(out)]


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="names an open file through /proc (Linux)")
@pytest.mark.parametrize("full", ["best.pt", "training_state.pt"])
def test_a_full_disk_while_saving_a_checkpoint_names_the_file_and_leaves_no_temp_file(tmp_path, tiny_dataset,
                                                                                      monkeypatch, full):
    """torch's own writer said "unexpected pos" with no path and left best.pt.tmp behind. Only the OS
    write of ``full`` is made to fail (after 4 KiB, as a filling disk does); saving, training and the
    CLI are real."""
    import errno
    import os

    import fastk.model.checkpoints

    def disk_fills(fd, data):
        if os.readlink(f"/proc/self/fd/{fd}").endswith(f"{full}.tmp") and os.fstat(fd).st_size >= 4096:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return os.write(fd, data[:4096])

    monkeypatch.setattr(fastk.model.checkpoints, "_os_write", disk_fills)
    out = tmp_path / "out"
    result, err = _run(_train_args(tmp_path, tiny_dataset, out))
    assert result.exit_code == 2, err
    lines = [ln for ln in err.splitlines() if ln.startswith("fastk: error:")]
    assert lines == [f"fastk: error: {out / full}.tmp: No space left on device"], err
    assert "Traceback" not in err and "unexpected pos" not in err
    assert not (out / f"{full}.tmp").exists() and not (out / full).exists()


@pytest.mark.parametrize("command,hint", [
    ("train", "the same `fastk train` command (same --out) resumes the training"),
    ("explore", "the same `fastk explore` command (same --out) goes on from there"),
])
def test_ctrl_c_gives_each_command_its_own_resume_hint(tmp_path, tiny_dataset, tiny_checkpoint, command, hint):
    """A real process interrupted with SIGINT (Ctrl-C) once it holds its output folder: the hint is the
    command's own (it used to send `fastk train` users to `fastk run --resume`)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from fastk.common.locks import INFO_FILE

    out = tmp_path / "out"
    args = (_train_args(tmp_path, tiny_dataset, out, epochs="200") if command == "train" else
            ["explore", str(tiny_dataset), "--checkpoint", str(tiny_checkpoint), "--out", str(out), "--batch-size", "1"])
    proc = subprocess.Popen([sys.executable, "-m", "fastk", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "COLUMNS": "300"},
                            # A test session started in the background (``pytest &`` in a script) ignores
                            # SIGINT, and its children would inherit that: Ctrl-C as at a terminal.
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while not (out / INFO_FILE).exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the command never took its folder"
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    lines = [ln for ln in err.splitlines() if ln.startswith("fastk: error:")]
    assert proc.returncode == 130 and len(lines) == 1 and lines[0].startswith("fastk: error: interrupted; "), err
    assert hint in lines[0] and "fastk run --resume" not in lines[0] and "Traceback" not in err, err
