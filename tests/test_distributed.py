"""Sharded work under torchrun gives exactly what one process gives (fastk.common.distributed).

Each test starts real processes: ``torchrun --nproc-per-node 2`` (CPU, gloo) against one process with
the same torch thread count (torchrun gives each process one thread; float sums differ with the thread
count, which is not what is tested here), on real face photos and a trained tiny LGSC.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest

from fastk.common.distributed import World
from tests.helpers import fastk_cli


def test_batches_go_to_ranks_in_turn_and_every_rank_runs_the_same_rounds():
    batches = list(range(7))
    shards = [World(rank, 2).shard(batches) for rank in (0, 1)]
    assert shards == [[0, 2, 4, 6], [1, 3, 5]]
    assert World(0, 2).rounds(7) == World(1, 2).rounds(7) == 4
    assert World().shard(batches) == batches and World().rounds(7) == 7


def _explore(dataset, checkpoint, out, processes):
    # batch 5 over 32 images: 7 batches, so rank 1 has nothing to do in the last round
    done = fastk_cli("explore", str(dataset), "--checkpoint", str(checkpoint), "--batch-size", "5",
                     "--overlays", "2", "--out", str(out), processes=processes)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def _folder(out):
    overlays = {p.name: p.read_bytes() for p in sorted((out / "overlays").glob("*.jpg"))}
    summary = json.loads((out / "area_importance.json").read_text())
    return (out / "per_image.csv").read_text(), (out / "skipped.csv").read_text(), overlays, summary


@pytest.fixture(scope="module")
def one_process(tiny_dataset, lgsc_checkpoint, tmp_path_factory):
    out = tmp_path_factory.mktemp("explore-1") / "out"
    _explore(tiny_dataset, lgsc_checkpoint, out, 1)
    return out


def test_two_process_exploration_writes_exactly_the_one_process_folder(tiny_dataset, lgsc_checkpoint, one_process,
                                                                       tmp_path):
    done = _explore(tiny_dataset, lgsc_checkpoint, tmp_path / "two", 2)
    rows, skipped, overlays, summary = _folder(tmp_path / "two")
    ref_rows, ref_skipped, ref_overlays, ref_summary = _folder(one_process)
    assert rows.count("\n") == 33  # header + 32 images, each once
    assert rows == ref_rows and skipped == ref_skipped
    assert overlays.keys() == ref_overlays.keys() and len(overlays) >= 2
    assert overlays == ref_overlays
    for key in ("overall", "by", "ranking"):
        assert summary[key] == ref_summary[key]
    assert done.stdout.count("Area importance") == 1  # one process prints the table


def test_two_processes_resume_an_interrupted_exploration(tiny_dataset, lgsc_checkpoint, one_process, tmp_path):
    out = tmp_path / "resumed"
    shutil.copytree(one_process, out)
    lines = (out / "per_image.csv").read_text().splitlines(keepends=True)
    # as if killed after two batches of five (a cut inside a batch regroups the rest, and batch
    # composition moves the last float digit, in one process as in two)
    (out / "per_image.csv").write_text("".join(lines[:11]))
    _explore(tiny_dataset, lgsc_checkpoint, out, 2)
    assert (out / "per_image.csv").read_text() == "".join(lines)


def test_a_refusal_reaches_every_rank_and_is_printed_once(tiny_dataset, tiny_checkpoint, one_process, tmp_path):
    out = tmp_path / "other-model"
    shutil.copytree(one_process, out)
    done = fastk_cli("explore", str(tiny_dataset), "--checkpoint", str(tiny_checkpoint), "--out", str(out),
                     processes=2)
    assert done.returncode != 0
    errors = [line for line in done.stderr.splitlines() if line.startswith("fastk: error:")]
    assert len(errors) == 1 and "model weights" in errors[0], done.stderr[-2000:]
    # no traceback from fastk's code (torchrun prints its own summary of a failed process)
    assert not re.search(r'File "[^"]*/fastk/[a-z_/]+\.py"', done.stderr), done.stderr[-2000:]


def _tree(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
            and not p.name.startswith(".fastk.lock")}


def test_two_process_masking_writes_exactly_the_one_process_dataset(tiny_dataset, one_process, tmp_path):
    out = {}
    for n in (1, 2):
        out[n] = tmp_path / f"masked-{n}"
        done = fastk_cli("mask", str(tiny_dataset), "--importance", str(one_process / "area_importance.json"),
                         "--select", "top-k:3", "--mode", "crop", "--size", "48", "--out", str(out[n]), processes=n)
        assert done.returncode == 0, done.stderr[-2000:]
    one, two = _tree(out[1]), _tree(out[2])
    assert len([k for k in one if k.endswith(".jpg")]) >= 30  # nearly every image has a face
    assert one.keys() == two.keys()
    # the owner file records when each command started: the same command, at another second
    owners = [json.loads(tree.pop(".fastk.owner.json")) for tree in (one, two)]
    assert owners[0]["command"] == owners[1]["command"] == "fastk mask"
    assert one == two  # images, skipped.csv and the summary file, byte for byte


def test_a_command_that_does_not_shard_is_refused_under_torchrun():
    done = fastk_cli("list", "cam", processes=2)  # would print N times; a writing command would write N times
    assert done.returncode != 0
    errors = [line for line in done.stderr.splitlines() if line.startswith("fastk: error:")]
    assert errors and all("fastk list does not share its work" in e for e in errors), done.stderr[-1500:]
