"""Speed figures: FLOPs are machine-independent and follow the input size; timings are interleaved."""

from __future__ import annotations

import pytest
import torch

import fastk
from fastk.data.images import read_rgb
from fastk.run.speed import TIMING_THREADS, Timed, flops_per_image, pick_batch, speed_report


@pytest.fixture(scope="module")
def batch(tiny_dataset):
    samples = pick_batch(fastk.create("dataset", "folder", root=tiny_dataset).samples(), 6)
    return [read_rgb(s.path) for s in samples], [s.label for s in samples]


def _lgsc(size):
    bb = fastk.create("backbone", "lgsc", encoder="mobilenetv3_small_050", classifier="resnet10t", input_size=size)
    return bb, bb.build().eval()


def test_flops_scale_with_the_input_area():
    big, small = _lgsc(96), _lgsc(48)
    f_big, f_small = flops_per_image(*big), flops_per_image(*small)
    assert 0.2 < f_small / f_big < 0.3  # (48/96)^2 = 0.25 for convolutions
    assert flops_per_image(*big, training=True) > 2 * f_big  # backward costs more than forward


def test_speed_report_times_every_model_and_leaves_them_untouched(batch):
    images, labels = batch
    models = {"full": Timed(*_lgsc(64), images, labels), "crop": Timed(*_lgsc(32), images, labels)}
    before = {k: v.clone() for k, v in models["full"].model.state_dict().items()}
    threads = torch.get_num_threads()
    report = speed_report(models, reference="full", rounds=3)
    # timed on one thread (load-robust ratios), and the process's thread count is given back
    assert report["timing_threads"] == TIMING_THREADS == 1 and torch.get_num_threads() == threads
    assert set(report["models"]) == {"full", "crop"}
    full, crop = report["models"]["full"], report["models"]["crop"]
    assert full["inference_time_vs_reference"] == pytest.approx(1.0)
    assert crop["inference_flops_vs_reference"] < 0.3
    for m in (full, crop):
        lo, hi = m["inference_ms_spread"]
        assert 0 < lo <= m["inference_ms_per_image"] <= hi
    after = models["full"].model.state_dict()
    assert all((before[k] == after[k]).all() for k in before)  # timing a training step changes no weight
    assert not any(m.training for m in models["full"].model.modules())
    # the report names the thread count the timings ran on, not only the run's
    from fastk.report.sections import speed

    html = speed({"speed": report})
    assert f"timed on {TIMING_THREADS} torch thread(s); the run itself used {threads}" in html
