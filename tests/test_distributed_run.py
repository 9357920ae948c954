"""``torchrun --nproc-per-node 2 -m fastk run``: one run folder, one report, exploration and masks of its
model equal to one process's, trained models within the one-process seeds' spread (slow: two runs).

Real inputs: the demo set (real face photos, simulated attacks) and a tiny LGSC, as tests/test_run.py.
"""

from __future__ import annotations

import csv
import json

import pytest
import torch

from tests.helpers import fastk_cli
from tests.test_run import TINY

# three seeds in one process (the full model plus two stability seeds) give the seed-to-seed spread
CONFIG = TINY.replace("stability: {seeds: 2,", "stability: {seeds: 3,")


@pytest.fixture(scope="module")
def runs(tmp_path_factory, faces_dir):
    root = tmp_path_factory.mktemp("dist-runs")
    (root / "tiny.yaml").write_text(CONFIG)
    out = {}
    for n in (1, 2):
        done = fastk_cli("run", "--config", str(root / "tiny.yaml"), "--runs-dir", str(root / f"p{n}"), processes=n)
        assert done.returncode == 0, done.stderr[-3000:]
        out[n] = (root / f"p{n}" / "tiny", done.stdout)
    return out


def _single_threaded(fn):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as each torchrun process computed
    try:
        return fn()
    finally:
        torch.set_num_threads(threads)


@pytest.mark.slow
def test_two_process_run_makes_one_report(runs):
    run, stdout = runs[2]
    manifest = json.loads((run / "manifest.json").read_text())
    assert all(v["status"] == "done" for v in manifest["steps"].values()) and "report" in manifest["steps"]
    assert stdout.count("Report:") == 1
    assert json.loads((run / "report.json").read_text())["models"].keys() >= {"full", "selected", "crop"}


@pytest.mark.slow
def test_its_exploration_is_the_one_process_exploration_of_its_model(runs, tmp_path):
    from fastk.explain.explore import explore
    from fastk.run.pipeline import Pipeline

    run, _ = runs[2]
    p = Pipeline(json.loads((run / "config.json").read_text()), run)
    backbone, model, _ = p.load_model()
    samples = p.splits()[p.config.explore.split]
    _single_threaded(lambda: explore(samples, backbone, model, tmp_path / "e", p.explore_settings(),
                                     show_progress=False))
    assert (tmp_path / "e" / "per_image.csv").read_text() == (run / "explore" / "per_image.csv").read_text()


@pytest.mark.slow
def test_its_masks_are_the_one_process_masks(runs, tmp_path):
    from fastk.face.areas import AreaSet
    from fastk.face.masked_dataset import write_masked_dataset
    from fastk.run.pipeline import Pipeline
    from fastk.run.pipeline.samples_io import common_root

    run, _ = runs[2]
    p = Pipeline(json.loads((run / "config.json").read_text()), run)
    everything = [s for part in p.splits().values() for s in part]
    keep = p.run.result("select")["keep"]
    write_masked_dataset(everything, tmp_path / "m", keep=keep, detector=p.detector(),
                         area_set=AreaSet.load(p.config.explore.areas), source_root=common_root(everything),
                         show_progress=False)
    ours = {f.relative_to(tmp_path / "m"): f.read_bytes() for f in (tmp_path / "m").rglob("*.jpg")}
    theirs = {f.relative_to(run / "masked" / "selected"): f.read_bytes()
              for f in (run / "masked" / "selected").rglob("*.jpg")}
    assert len(ours) > 20 and ours == theirs
    with open(run / "masked" / "selected" / "skipped.csv") as f:
        assert [r["path"] for r in csv.DictReader(f)] == [r["path"] for r in csv.DictReader(open(tmp_path / "m" / "skipped.csv"))]


@pytest.mark.slow
def test_its_models_reach_the_one_process_seed_spread(runs):
    def val_auc(run, step):
        return json.loads((run / "manifest.json").read_text())["steps"][step]["result"]["val_metrics"]["auc"]

    one, _ = runs[1]
    two, _ = runs[2]
    seeds = ["train_full", "train_full_seed2", "train_full_seed3"]
    spread = [val_auc(one, s) for s in seeds]
    margin = 0.1  # a tiny validation split: one image moves the AUC by several hundredths
    for step in seeds:
        assert min(spread) - margin <= val_auc(two, step) <= max(spread) + margin, (step, spread)
