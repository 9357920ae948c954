"""Nothing is written outside its output folder, and one output folder has one writer at a time.

Hostile names (``..``, absolute paths, ``x/../../``) come from real dataset manifests here; the
two-writer and crashed-writer cases use real ``fastk`` processes.
"""

import csv
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import fastk
from fastk.cli import cli
from fastk.common.locks import INFO_FILE, OWNER_FILE, FolderLock, FolderLockedError
from fastk.common.safepaths import UnsafePathError, child, plain_name, safe_name
from fastk.face.areas import AreaSet
from fastk.face.masked_dataset import write_masked_dataset
from fastk.face.masking import masked_layout


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _one_line_error(result) -> str:
    """The error line of a refused command: exit 2, exactly one ``fastk: error:`` line, no traceback."""
    text = result.output.strip()
    assert result.exit_code == 2, text
    errors = [line for line in text.splitlines() if line.startswith("fastk: error:")]
    assert "Traceback" not in text and len(errors) == 1 and text.endswith(errors[0]), text
    return errors[0]


# -- safe names and child paths -------------------------------------------------------------------
@pytest.mark.parametrize("hostile", ["x/../../", "..", ".", "../../etc/passwd", "/abs/path", "a\\..\\b", "",
                                     "spoof-x/../../", "naïve name", "a__b", "-", "." * 5, "x" * 300])
def test_safe_name_is_one_harmless_component(hostile):
    name = safe_name(hostile)
    assert name and "/" not in name and "\\" not in name and ".." not in name and "__" not in name
    assert not name.startswith((".", "-")) and len(name) <= 96
    assert child(Path("/tmp/out"), name).parent == Path("/tmp/out")


def test_safe_name_keeps_plain_names_and_separates_hostile_ones():
    assert safe_name("spoof-print") == "spoof-print"
    assert safe_name("london_neutral_front_003_03") == "london_neutral_front_003_03"
    # Two different hostile names never collapse into one file name.
    assert safe_name("a/b") != safe_name("a-b") and safe_name("x/../") != safe_name("x/..")


@pytest.mark.parametrize("rel", ["../x.png", "a/../../x.png", "/etc/x.png", "a/../../../tmp/x"])
def test_child_refuses_paths_leaving_the_folder(tmp_path, rel):
    with pytest.raises(UnsafePathError, match="refusing to write"):
        child(tmp_path / "out", rel)


def test_child_refuses_a_symlinked_subfolder_pointing_out(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "out" / "real").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(UnsafePathError, match="outside the folder"):
        child(tmp_path / "out", "real/a.png")
    assert child(tmp_path / "out", "spoof/a.png") == tmp_path / "out" / "spoof" / "a.png"


@pytest.mark.parametrize("name", ["../../x", "a/b", "..", ".hidden", "", "/abs", "x..y"])
def test_plain_name_refuses(name):
    with pytest.raises(UnsafePathError, match="must be a plain folder name"):
        plain_name(name, "run name")


# -- masked datasets ------------------------------------------------------------------------------
@pytest.fixture
def hostile_csv(tmp_path, tiny_dataset):
    """A CSV dataset whose rows point outside its folder (``..``, an absolute path) and clash by name."""
    data = tmp_path / "data"
    shutil.copytree(tiny_dataset, data / "set")
    outside = tmp_path / "outside"
    outside.mkdir()
    reals = sorted((data / "set" / "real").glob("*.jpg"))
    shutil.copy(reals[0], outside / "victim.png")
    shutil.copy(reals[1], tmp_path / "absolute.jpg")
    rows = [("set/real/" + reals[2].name, "real"), ("set/spoof/print/" + reals[2].name, "spoof"),
            ("../outside/victim.png", "real"), (str(tmp_path / "absolute.jpg"), "real"),
            ("set/real/../real/" + reals[3].name, "real")]
    manifest = data / "manifest.csv"
    with open(manifest, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label", "subject"])
        w.writerows([(p, lab, f"s{i}") for i, (p, lab) in enumerate(rows)])
    return manifest, outside


def test_masked_layout_keeps_everything_inside_and_collision_free(tmp_path, hostile_csv):
    manifest, _ = hostile_csv
    samples = fastk.create("dataset", "csv", root=manifest).samples()
    out = tmp_path / "masked"
    layout = masked_layout([s.path for s in samples], out, manifest.parent)
    dests = list(layout.values())
    assert len(set(dests)) == len(dests)  # no two sources share an output
    for d in dests:
        assert d.resolve().is_relative_to(out.resolve())
    by_name = {Path(k).name: v for k, v in layout.items()}
    assert by_name["victim.png"].relative_to(out).parts[0] == "_outside"
    assert by_name["absolute.jpg"].relative_to(out).parts[0] == "_outside"
    # Images below the source root keep their relative layout (split/label folders carry over).
    real = [v for k, v in layout.items() if "/set/real/" in k and ".." not in k]
    assert real[0].relative_to(out).parts[:2] == ("set", "real")


def test_fastk_mask_never_writes_outside_out_or_over_a_source(tmp_path, hostile_csv, tiny_checkpoint):
    manifest, outside = hostile_csv
    before_outside, before_data = _tree(outside), _tree(manifest.parent)
    importance = tmp_path / "imp"
    r = CliRunner().invoke(cli, ["explore", "--dataset", "csv", str(manifest), "--checkpoint", str(tiny_checkpoint),
                                 "--out", str(importance), "--overlays", "1"])
    assert r.exit_code == 0, r.output
    masked = tmp_path / "masked"
    m = CliRunner().invoke(cli, ["mask", "--dataset", "csv", str(manifest), "--importance",
                                 str(importance / "area_importance.json"), "--out", str(masked)])
    assert m.exit_code == 0, m.output
    assert _tree(outside) == before_outside and _tree(manifest.parent) == before_data  # sources untouched
    assert (masked / "_outside").is_dir()
    written = [p for p in masked.rglob("*") if p.is_file() and p.suffix in (".png", ".jpg")]
    assert len(written) == 5
    # --out pointing at the source folder itself would overwrite every source: refused before any write.
    same = CliRunner().invoke(cli, ["mask", str(manifest.parent / "set"), "--importance",
                                    str(importance / "area_importance.json"), "--out", str(manifest.parent / "set")])
    assert "would overwrite a source image" in _one_line_error(same)
    assert _tree(manifest.parent) == before_data


def test_explore_overlay_names_from_data_stay_inside(tmp_path, tiny_dataset, tiny_checkpoint):
    root = tmp_path / "d"
    shutil.copytree(tiny_dataset, root)
    manifest = root / "m.csv"
    with open(manifest, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label", "subject", "attack_type"])
        for i, p in enumerate(sorted((root / "spoof").rglob("*.jpg"))[:4]):
            w.writerow([p.relative_to(root), "spoof", f"s{i}", ("x/../../", "/tmp/evil", "..", "a__b")[i]])
    out = tmp_path / "deep" / "out"
    r = CliRunner().invoke(cli, ["explore", "--dataset", "csv", str(manifest), "--checkpoint", str(tiny_checkpoint),
                                 "--out", str(out), "--overlays", "2"])
    assert r.exit_code == 0, r.output
    overlays = sorted((out / "overlays").iterdir())
    assert len(overlays) == 4 and all(p.parent == out / "overlays" for p in overlays)
    assert len({p.name.split("__")[0] for p in overlays}) == 4  # four hostile groups, four distinct names
    assert sorted(p.name for p in (tmp_path / "deep").iterdir()) == ["out"]
    assert not Path("/tmp/evil").exists()


def test_run_name_leaving_the_runs_dir_is_refused(tmp_path):
    r = CliRunner().invoke(cli, ["run", "--name", "../../x", "--runs-dir", str(tmp_path / "runs")])
    line = _one_line_error(r)  # the config check or run_cmd's own: either way one line, nothing made
    assert "'../../x'" in line and "plain folder name" in line
    assert not (tmp_path / "runs").exists() and not (tmp_path.parent / "x").exists()


# -- locks ----------------------------------------------------------------------------------------
def _wait_for(path: Path, proc: subprocess.Popen, seconds: float = 120) -> None:
    t0 = time.monotonic()
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() - t0 < seconds, f"{path} never appeared"
        time.sleep(0.01)


def _fastk(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "fastk", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "COLUMNS": "200"})


def test_two_explore_processes_into_one_folder(tmp_path, tiny_dataset, tiny_checkpoint):
    out = tmp_path / "out"
    args = ["explore", str(tiny_dataset), "--checkpoint", str(tiny_checkpoint), "--out", str(out), "--overlays", "1"]
    first = _fastk(*args)
    try:
        _wait_for(out / INFO_FILE, first)
        first.send_signal(signal.SIGSTOP)  # hold the first writer mid-work, deterministically
        second = subprocess.run([sys.executable, "-m", "fastk", *args], capture_output=True, text=True, timeout=300,
                                check=False)
    finally:
        first.send_signal(signal.SIGCONT)
    _, first_err = first.communicate(timeout=300)
    assert first.returncode == 0, first_err
    err = second.stderr.strip()
    assert second.returncode == 2 and len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert f"{out}: in use by fastk explore (pid {first.pid} on " in err
    with open(out / "per_image.csv") as f:
        paths = [r["path"] for r in csv.DictReader(f)]
    assert len(paths) == 32 == len(set(paths))  # the first's rows, once each
    assert not (out / INFO_FILE).exists()  # released at the end


def test_a_crashed_writers_lock_is_taken_over_with_a_note(tmp_path, tiny_dataset, tiny_checkpoint):
    out = tmp_path / "out"
    crashed = subprocess.run([sys.executable, "-c", (
        "import os, sys; from fastk.common.locks import FolderLock; "
        f"lock = FolderLock({str(out)!r}, 'fastk explore').acquire(); print(os.getpid()); sys.stdout.flush(); "
        "os.kill(os.getpid(), 9)")], capture_output=True, text=True, timeout=120, check=False)
    assert crashed.returncode == -9 and (out / INFO_FILE).exists()
    dead_pid = crashed.stdout.strip()
    with FolderLock(out, "fastk explore") as lock:
        assert f"pid {dead_pid} on " in lock.note and "ended without releasing" in lock.note
    r = CliRunner().invoke(cli, ["explore", str(tiny_dataset), "--checkpoint", str(tiny_checkpoint), "--out", str(out),
                                 "--overlays", "0"])
    assert r.exit_code == 0, r.output


def test_mask_and_train_refuse_a_folder_held_by_a_live_process(tmp_path, tiny_dataset):
    held = tmp_path / "held"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import time; from fastk.common.locks import FolderLock; "
        f"lock = FolderLock({str(held)!r}, 'fastk run').acquire(); time.sleep(120)")])
    try:
        _wait_for(held / INFO_FILE, holder)
        with pytest.raises(FolderLockedError, match=f"in use by fastk run \\(pid {holder.pid} on "), \
                FolderLock(held, "fastk mask"):
            pass
        samples = fastk.create("dataset", "folder", root=tiny_dataset).samples()[:2]
        with pytest.raises(FolderLockedError, match="in use by fastk run"):
            write_masked_dataset(samples, held, keep=["nose"], detector=fastk.create("landmarks", "dlib"),
                                 area_set=AreaSet.load("paper"), show_progress=False)
        from fastk.model.training.trainer import TrainConfig, train

        with pytest.raises(FolderLockedError, match="in use by fastk run"):
            train(samples, samples, fastk.create("backbone", "timm:test_resnet", input_size=32), held,
                  TrainConfig(epochs=1), show_progress=False)
        assert sorted(p.name for p in held.iterdir()) == [".fastk.lock", INFO_FILE, OWNER_FILE]  # nothing written
    finally:
        holder.kill()
        holder.wait()
