"""Streamed training data (``train.data: stream``) gives what the in-memory path gives.

Memory staying flat in the dataset size is measured, not unit-tested: benchmarks/streaming_rss.py.
"""

from __future__ import annotations

import shutil

import pytest
import torch

import fastk
from fastk.errors import ImageReadError
from fastk.model.training._data import MEMORY_LIMIT, choose_mode, decoded_bytes, open_split
from fastk.model.training.trainer import TrainConfig, train


@pytest.fixture(scope="module")
def samples(tiny_dataset):
    return fastk.create("dataset", "folder", root=tiny_dataset).samples()


@pytest.fixture(scope="module")
def backbone():
    return fastk.create("backbone", "timm:test_resnet", input_size=48)


def _order(n: int, seed: int = 3) -> list[torch.Tensor]:
    return list(torch.randperm(n, generator=torch.Generator().manual_seed(seed)).split(5))


def _all(data, order):
    return [(x.clone(), y.clone()) for x, y in data.batches(order)]


def test_stream_and_memory_give_the_same_batches_and_labels(samples, backbone):
    memory = open_split(backbone, samples, "memory")
    stream = open_split(backbone, samples, "stream")
    order = _order(len(samples))
    got, want = _all(stream, order), _all(memory, order)
    assert len(got) == len(want) == len(order)
    for (xs, ys), (xm, ym) in zip(got, want):
        assert xs.dtype == torch.uint8 and xs.shape == xm.shape
        assert torch.equal(xs, xm) and torch.equal(ys, ym)


def test_worker_processes_give_the_order_of_one_process(samples, backbone):
    order = _order(len(samples), seed=7)
    one = _all(open_split(backbone, samples, "stream", workers=0), order)
    two = _all(open_split(backbone, samples, "stream", workers=2), order)
    for (x1, y1), (x2, y2) in zip(one, two, strict=True):
        assert torch.equal(x1, x2) and torch.equal(y1, y2)


def test_auto_keeps_small_sets_in_memory_and_streams_large_ones():
    from pathlib import Path

    from fastk.run import config
    from fastk.run.run_config import RunConfig

    demo = RunConfig.from_dict(config.resolve(Path(__file__).parents[1] / "configs" / "demo.yaml"))
    assert demo.train.data == "auto" and demo.train.workers == 0
    # the demo's 241 training images and its validation images: about 12 MB decoded, held in memory
    assert choose_mode(demo.train.data, 241 + 80, demo.backbone.input_size) == "memory"
    n_big = MEMORY_LIMIT // decoded_bytes(1, 112) + 1
    assert choose_mode("auto", n_big, 112) == "stream"
    assert choose_mode("auto", n_big - 1, 112) == "memory"
    assert choose_mode("memory", 10**7, 224) == "memory" and choose_mode("stream", 2, 32) == "stream"


def _losses(result) -> list[float]:
    return [h["loss_total"] for h in result.history]


def test_a_tiny_training_streamed_equals_it_in_memory(samples, backbone, tmp_path):
    train_set, val_set = samples[::2], samples[1::2]
    results = {}
    for mode, workers in (("memory", 0), ("stream", 0), ("stream", 2)):
        cfg = TrainConfig(epochs=3, batch_size=6, min_epochs=1, data=mode, workers=workers)
        results[mode, workers] = train(train_set, val_set, backbone, tmp_path / f"{mode}{workers}", cfg,
                                       show_progress=False)
    want = results["memory", 0]
    for key, got in results.items():
        assert _losses(got) == pytest.approx(_losses(want), abs=1e-5), key
        assert got.val_metrics == want.val_metrics and got.threshold == want.threshold, key
        assert got.best_epoch == want.best_epoch, key


def test_resuming_in_the_other_mode_is_the_same_training(samples, backbone, tmp_path):
    """How images are read is not part of the training's fingerprint: a memory run resumes streamed."""
    train_set, val_set = samples[::2], samples[1::2]
    first = train(train_set, val_set, backbone, tmp_path, TrainConfig(epochs=1, batch_size=6, min_epochs=1,
                                                                      data="memory"), show_progress=False)
    again = train(train_set, val_set, backbone, tmp_path, TrainConfig(epochs=1, batch_size=6, min_epochs=1,
                                                                      data="stream"), show_progress=False)
    assert again.history == first.history


@pytest.mark.parametrize("mode,workers", [("memory", 0), ("stream", 0), ("stream", 2)])
def test_a_bad_image_is_the_same_one_line_error_naming_the_file(tiny_dataset, tmp_path, backbone, mode, workers):
    root = tmp_path / "data"
    shutil.copytree(tiny_dataset, root)
    bad = sorted((root / "real").iterdir())[1]
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    samples = fastk.create("dataset", "folder", root=root).samples()
    cfg = TrainConfig(epochs=1, batch_size=6, min_epochs=1, data=mode, workers=workers)
    with pytest.raises(ImageReadError) as err:
        train(samples, samples, backbone, tmp_path / "out", cfg, show_progress=False)
    assert str(err.value) == f"{bad}: not a readable image (unknown format or corrupt data)"


def test_evaluation_scores_batch_by_batch_as_one_stack_would(tiny_checkpoint, samples):
    """score_samples scores each batch as it is read (memory flat in the number of images), with the
    batch boundaries of one stacked tensor, so the scores are those of scoring everything at once."""
    from fastk.data.images import read_rgb
    from fastk.model.checkpoints import load_checkpoint
    from fastk.model.training.evaluate import _stack, score_samples
    from fastk.model.training.trainer import scores

    backbone, model, meta = load_checkpoint(tiny_checkpoint)
    got = score_samples(backbone, model, meta, samples, batch_size=5)
    images = [read_rgb(s.path) for s in samples]
    want = scores(backbone, model, _stack(backbone, images, len(images)), 5, "cpu")
    assert [s.path for s in got.samples] == [s.path for s in samples]
    assert got.scores.dtype == want.dtype and (got.scores == want).all()


def test_fastk_train_takes_the_data_mode_and_workers():
    from click.testing import CliRunner

    from fastk.cli import cli

    shown = CliRunner().invoke(cli, ["train", "--help"]).output
    assert "--data [auto|memory|stream]" in shown and "--workers" in shown
    bad = CliRunner().invoke(cli, ["train", "--dataset", "demo", "--data", "disk"])
    assert bad.exit_code == 2 and "'disk' is not one of 'auto', 'memory', 'stream'" in bad.output
    bad = CliRunner().invoke(cli, ["train", "--dataset", "demo", "--workers", "-1"])
    assert bad.exit_code == 2 and "--workers" in bad.output
