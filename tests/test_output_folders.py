"""Outputs are never lost or shared (issue 29): every file a command writes has its own name, one
process writes a folder at a time, and a folder holds one command's output only."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from fastk.cli import cli
from fastk.common.locks import INFO_FILE, OWNER_FILE


def _one_line_error(result) -> str:
    text = result.output.strip()
    errors = [line for line in text.splitlines() if line.startswith("fastk: error:")]
    assert result.exit_code == 2 and len(errors) == 1 and "Traceback" not in text, text
    return errors[0]


def test_landmarks_of_images_sharing_a_stem_are_all_kept(tmp_path, london_photos):
    """x.jpg and x.png (and a/x.jpg, b/x.jpg) once became one x_areas.jpg: 43 reported, 33 written."""
    from fastk.data.images import read_rgb, write_image

    a, b = read_rgb(london_photos[0]), read_rgb(london_photos[1])
    files = [tmp_path / "in" / "x.jpg", tmp_path / "in" / "x.png", tmp_path / "in" / "a" / "x.jpg",
             tmp_path / "in" / "b" / "X.jpg"]
    for f, img in zip(files, [a, b, b, a]):
        write_image(f, img)
    out = tmp_path / "drawn"
    r = CliRunner().invoke(cli, ["landmarks", *map(str, files), "--out", str(out)])
    assert r.exit_code == 0, r.output
    records = json.loads((out / "landmarks.json").read_text())
    assert [rec["path"] for rec in records] == [str(f) for f in files]
    names = [rec["image"] for rec in records]
    assert len({n.casefold() for n in names}) == 4 and names[0] == "x_areas.jpg"
    assert sorted(p.name for p in out.glob("*.jpg")) == sorted(names)
    assert all(n.startswith(("x", "X")) and n.endswith("_areas.jpg") for n in names)


def test_two_evaluate_processes_into_one_folder(tmp_path, tiny_dataset, tiny_checkpoint):
    """Both used to exit 0 and one result was lost: the second is refused while the first writes."""
    out = tmp_path / "eval"
    args = [sys.executable, "-m", "fastk", "evaluate", str(tiny_checkpoint), str(tiny_dataset)]
    first = subprocess.Popen([*args, "--out", str(out / "first.json")], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "200"})
    try:
        deadline = time.monotonic() + 120
        while not (out / INFO_FILE).exists():
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "the first evaluate never took its folder"
            time.sleep(0.01)
        first.send_signal(signal.SIGSTOP)  # hold the first writer mid-work, deterministically
        second = subprocess.run([*args, "--out", str(out / "second.json")], capture_output=True, text=True,
                                timeout=300, check=False)
    finally:
        first.send_signal(signal.SIGCONT)
    _, first_err = first.communicate(timeout=300)
    assert first.returncode == 0, first_err
    err = second.stderr.strip()
    assert second.returncode == 2 and len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert f"{out}: in use by fastk evaluate (pid {first.pid} on " in err
    assert (out / "first.json").is_file() and not (out / "second.json").exists()
    scores = list(csv.DictReader(open(out / "scores.csv")))
    assert len(scores) == 32 == len({s["path"] for s in scores})  # the first's rows, once each


def test_evaluate_refuses_a_folder_holding_another_commands_output(tmp_path, tiny_dataset, tiny_checkpoint):
    """evaluate --out EXPLORE/eval.json replaced the exploration's skipped.csv; now it is refused."""
    explored = tmp_path / "explore"
    r = CliRunner().invoke(cli, ["explore", str(tiny_dataset), "--checkpoint", str(tiny_checkpoint), "--out",
                                 str(explored), "--overlays", "0"])
    assert r.exit_code == 0, r.output
    assert json.loads((explored / OWNER_FILE).read_text())["command"] == "fastk explore"
    before = {p.name: p.read_bytes() for p in explored.iterdir() if p.is_file()}
    line = _one_line_error(CliRunner().invoke(cli, ["evaluate", str(tiny_checkpoint), str(tiny_dataset), "--out",
                                                    str(explored / "eval.json")]))
    assert f"{explored}: holds the output of fastk explore; fastk evaluate does not share" in line
    assert {p.name: p.read_bytes() for p in explored.iterdir() if p.is_file()} == before
    # and the other way round: explore into an evaluation's folder
    evaluated = tmp_path / "evaluated"
    e = CliRunner().invoke(cli, ["evaluate", str(tiny_checkpoint), str(tiny_dataset), "--out",
                                 str(evaluated / "m.json")])
    assert e.exit_code == 0, e.output
    line = _one_line_error(CliRunner().invoke(cli, ["explore", str(tiny_dataset), "--checkpoint",
                                                    str(tiny_checkpoint), "--out", str(evaluated)]))
    assert "holds the output of fastk evaluate; fastk explore does not share" in line


def test_mask_keeps_the_image_suffix_of_a_file_name_with_a_space(tmp_path, tiny_dataset, tiny_checkpoint):
    """A CSV row outside the dataset folder named 'my face.jpg' was written as 'my-face.jpg-HASH', a
    file the masked folder could not read back as an image."""
    import shutil

    from fastk.data.images import list_images

    data, elsewhere = tmp_path / "data", tmp_path / "elsewhere"
    shutil.copytree(tiny_dataset, data / "set")
    elsewhere.mkdir()
    real = sorted((data / "set" / "real").glob("*.jpg"))
    shutil.copy(real[0], elsewhere / "my face.jpg")
    manifest = data / "manifest.csv"
    manifest.write_text(f"path,label,subject\n../elsewhere/my face.jpg,real,s0\nset/real/{real[1].name},real,s1\n")
    explored = tmp_path / "explore"
    r = CliRunner().invoke(cli, ["explore", str(tiny_dataset), "--checkpoint", str(tiny_checkpoint), "--out",
                                 str(explored), "--overlays", "0"])
    assert r.exit_code == 0, r.output
    masked = tmp_path / "masked"
    m = CliRunner().invoke(cli, ["mask", "--dataset", "csv", str(manifest), "--importance",
                                 str(explored / "area_importance.json"), "--out", str(masked)])
    assert m.exit_code == 0, m.output
    written = sorted(p for p in masked.rglob("*") if p.is_file() and not p.name.startswith((".", "skipped", "mask")))
    assert len(written) == 2 and all(p.suffix == ".jpg" for p in written), written
    moved = next(p for p in written if p.parent.parent.name == "_outside")
    assert moved.name.startswith("my-face-") and Path(moved) in list_images(masked)


@pytest.mark.parametrize("command", [
    ["sanity", "{ckpt}", "{data}", "--max-images", "8", "--draws", "1", "--no-cascading"],
    ["faithfulness", "{ckpt}", "{data}", "--max-images", "8"],
    ["stability", "--checkpoint", "{ckpt}", "{data}", "--max-images", "8"],
])
def test_the_checks_of_the_ranking_refuse_another_commands_folder(tmp_path, tiny_dataset, tiny_checkpoint, command):
    """sanity, stability and faithfulness hold their --out folder too (fastk.cli._locked): writing into an
    exploration's folder would mix their files with its."""
    explored = tmp_path / "explore"
    r = CliRunner().invoke(cli, ["explore", str(tiny_dataset), "--checkpoint", str(tiny_checkpoint), "--out",
                                 str(explored), "--overlays", "0"])
    assert r.exit_code == 0, r.output
    before = sorted(p.name for p in explored.iterdir())
    args = [a.format(ckpt=tiny_checkpoint, data=tiny_dataset) for a in command]
    line = _one_line_error(CliRunner().invoke(cli, [*args, "--out", str(explored)]))
    assert f"holds the output of fastk explore; fastk {command[0]} does not share" in line
    assert sorted(p.name for p in explored.iterdir()) == before
