"""Training under torchrun (DDP on CPU, gloo): rank 0 writes, validation scores are gathered exactly,
a killed 2-process training resumes to the uninterrupted result.

Real inputs: the demo set (real face photos, simulated attacks) at 96 px and a tiny LGSC, trained by
``fastk.model.training.train`` in a script that torchrun starts twice (one process per rank).
"""

from __future__ import annotations

import json
import os
import signal
import time

import numpy as np
import pytest
import torch

import fastk
from fastk.model.training import TrainConfig, subject_split
from tests.helpers import launch

LGSC_TINY = {"encoder": "mobilenetv3_small_050", "classifier": "resnet10t", "input_size": 64}
# eval_batch_size 4: validation spans several batches, so both ranks score some and the gather is tested
CONFIG = {"epochs": 3, "batch_size": 16, "lr": 0.002, "patience": 10, "seed": 5, "eval_batch_size": 4}
SCRIPT = f"""
import sys
import fastk
from fastk.model.training import TrainConfig, subject_split, train
samples = fastk.create("dataset", "demo", side=96, max_subjects=24).samples()
split = subject_split(samples, seed=0)
backbone = fastk.create("backbone", "lgsc", **{LGSC_TINY!r})
train(split["train"], split["val"], backbone, sys.argv[1], TrainConfig(**{CONFIG!r}), show_progress=False)
"""


@pytest.fixture(scope="module")
def script(tmp_path_factory, faces_dir):
    path = tmp_path_factory.mktemp("ddp") / "train_script.py"
    path.write_text(SCRIPT)
    return path


@pytest.fixture(scope="module")
def two_process_run(script, tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp-run") / "out"
    done = launch([str(script), str(out)], processes=2)
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def test_rank_zero_writes_one_training_and_records_the_processes(two_process_run):
    result = json.loads((two_process_run / "train_result.json").read_text())
    config = json.loads((two_process_run / "train_config.json").read_text())
    assert config["processes"] == 2 and config["fingerprint"]
    assert len(result["history"]) == CONFIG["epochs"]
    assert (two_process_run / "best.pt").exists() and (two_process_run / "training_state.pt").exists()
    losses = [h["loss_total"] for h in result["history"]]
    assert all(np.isfinite(losses)) and losses[-1] < losses[0]  # DDP steps trained the model


def test_gathered_validation_metrics_are_the_one_process_metrics_of_the_same_weights(two_process_run):
    from fastk.model.checkpoints import load_checkpoint
    from fastk.model.training.metrics import metrics_at, threshold_at_eer
    from fastk.model.training.trainer import load_tensors, scores

    split = subject_split(fastk.create("dataset", "demo", side=96, max_subjects=24).samples(), seed=0)
    backbone, model, meta = load_checkpoint(two_process_run / "best.pt")
    x, y = load_tensors(backbone, split["val"])
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # each rank computed on one thread
    try:
        s = scores(backbone, model, x, CONFIG["eval_batch_size"], "cpu")
    finally:
        torch.set_num_threads(threads)
    threshold, _ = threshold_at_eer(y.numpy(), s)
    expected = metrics_at(y.numpy(), s, threshold, [smp.attack_type for smp in split["val"]])
    assert len(split["val"]) > 2 * CONFIG["eval_batch_size"]
    # The ranks scored in other processes: same weights, layout, batches and one thread, but compared
    # with what may differ where float kernels do (relative 1e-6) and through what the scores decide.
    # The stored threshold is the same sample's score, and no other score lies within the tolerance of
    # it, so every sample is called the same at either threshold and ACER, APCER, BPCER are equal.
    tol = 1e-6 * float(np.abs(s).max())
    assert meta["threshold"] == pytest.approx(threshold, abs=tol)
    near = s[np.abs(s - threshold) <= 2 * tol]
    assert (near == threshold).all(), f"scores {near} within {2 * tol:.1e} of the threshold: not decidable here"
    stored = json.loads((two_process_run / "train_result.json").read_text())["val_metrics"]
    for key in ("acer", "apcer", "bpcer"):
        assert stored[key] == pytest.approx(expected[key], abs=1e-12), key
    # AUC counts (real, attack) pairs in order: only pairs closer than the tolerance can swap
    real, attack = s[y.numpy() == 0], s[y.numpy() == 1]
    swappable = int((np.abs(real[:, None] - attack[None, :]) <= 2 * tol).sum())
    assert stored["auc"] == pytest.approx(expected["auc"], abs=swappable / (len(real) * len(attack)) + 1e-12)


def test_a_killed_two_process_training_resumes_to_the_uninterrupted_result(script, two_process_run, tmp_path):
    out = tmp_path / "killed"
    child = launch([str(script), str(out)], processes=2, background=True)
    state = out / "training_state.pt"
    deadline = time.time() + 600
    while not state.exists() and child.poll() is None and time.time() < deadline:
        time.sleep(0.2)
    os.killpg(child.pid, signal.SIGKILL)
    child.wait()
    assert state.exists(), "the 2-process training never finished an epoch"
    assert len(json.loads(torch.load(state, weights_only=True)["history"])) < CONFIG["epochs"], "killed too late"
    done = launch([str(script), str(out)], processes=2)
    assert done.returncode == 0, done.stderr[-3000:]
    resumed = json.loads((out / "train_result.json").read_text())
    whole = json.loads((two_process_run / "train_result.json").read_text())
    assert [h["val_acer"] for h in resumed["history"]] == [h["val_acer"] for h in whole["history"]]
    assert resumed["val_metrics"] == whole["val_metrics"] and resumed["threshold"] == whole["threshold"]


def test_a_one_process_training_refuses_to_resume_a_two_process_one(two_process_run, tmp_path):
    import shutil

    from fastk.errors import ConfigError
    from fastk.model.training import train

    out = tmp_path / "copy"
    shutil.copytree(two_process_run, out)
    split = subject_split(fastk.create("dataset", "demo", side=96, max_subjects=24).samples(), seed=0)
    backbone = fastk.create("backbone", "lgsc", **LGSC_TINY)
    with pytest.raises(ConfigError, match="training settings"):
        train(split["train"], split["val"], backbone, out, TrainConfig(**CONFIG), show_progress=False)


def test_bf16_autocast_trains_and_is_part_of_the_fingerprint(tiny_dataset, tmp_path):
    """What ``precision: auto`` turns on on a GPU, run here on the CPU's bf16 autocast."""
    from fastk.model.training import train

    samples = fastk.create("dataset", "folder", root=tiny_dataset).samples()
    train_s, val_s = samples[0::2], samples[1::2]  # both classes in each
    backbone = fastk.create("backbone", "timm:test_resnet", input_size=64)
    cfg = TrainConfig(epochs=2, batch_size=8, precision="bf16", min_epochs=2)
    result = train(train_s, val_s, backbone, tmp_path / "bf16", cfg, show_progress=False)
    assert all(np.isfinite(h["loss_total"]) for h in result.history)
    recorded = json.loads((tmp_path / "bf16" / "train_config.json").read_text())
    assert recorded["precision"] == "bf16"
    from fastk.model.training.train_fingerprint import train_fingerprint

    fp32 = train_fingerprint(train_s, val_s, backbone, TrainConfig(epochs=2, batch_size=8, min_epochs=2))
    assert recorded["fingerprint"] != fp32  # an fp32 training into this folder is refused, not resumed
