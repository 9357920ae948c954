"""``fastk train``: split by subject, train a backbone, evaluate on the held-out test subjects."""

from __future__ import annotations

from pathlib import Path

import click

import fastk
from fastk.cli._checked_inputs import dataset_options_option, face_check_option, key_values, load_dataset, print_skipped
from fastk.cli._common import (
    FiniteFloatRange,
    batch_size_type,
    console,
    dataset_option,
    device_option,
    landmarks_option,
    metrics_table,
    side_type,
)
from fastk.common.devices import default_device
from fastk.common.distributed import main_holds, world
from fastk.common.jsonsafe import write_json
from fastk.common.locks import FolderLock
from fastk.data.splits import require_both_classes, require_subjects
from fastk.face.face_check import check_faces, require_usable, write_skipped
from fastk.face.landmark_cache import LandmarkCache
from fastk.model.checkpoints import load_checkpoint, record_framing, save_checkpoint
from fastk.model.training import TrainConfig, subject_split, train
from fastk.model.training.evaluate import evaluate_checkpoint
from fastk.run._config_schema import SEED_MAX
from fastk.run.pipeline.samples_io import sample_to_json
from fastk.run.runs import RunFolder


@click.command("train")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@dataset_option
@dataset_options_option
@click.option("--backbone", default="lgsc", show_default=True, help="Backbone, e.g. lgsc or timm:resnet18.")
@click.option("--input-size", type=side_type, default=None, help="Square input side (default: the backbone's).")
@click.option("--option", "options", multiple=True, help="Backbone option KEY=VALUE (e.g. encoder=resnet10t).")
@click.option("--epochs", type=click.IntRange(1), default=10, show_default=True)
@click.option("--batch-size", type=batch_size_type, default=32, show_default=True)
@click.option("--lr", type=FiniteFloatRange(0, min_open=True), default=1e-3, show_default=True)
@click.option("--seed", type=click.IntRange(0, SEED_MAX), default=0, show_default=True)
@click.option("--data", "data_mode", type=click.Choice(["auto", "memory", "stream"]), default="auto", show_default=True,
              help="Hold the images in memory or stream them from disk (auto: stream above 1 GiB decoded).")
@click.option("--workers", type=click.IntRange(min=0), default=0, show_default=True,
              help="DataLoader worker processes that decode when streaming (0: the training process).")
@landmarks_option
@face_check_option
@click.option("--out", type=click.Path(path_type=Path), default=Path("runs/train"), show_default=True)
@device_option
def command(path, dataset, dataset_options, backbone, input_size, options, epochs, batch_size, lr, seed,
            data_mode, workers, landmarks, face_check, out, device) -> None:
    """Train on PATH (or a dataset that needs none, e.g. --dataset demo); resumes if OUT holds a run.

    Before any slow step, every sample must have a subject id. Images without a face (with
    --landmarks) and unreadable ones are left out and listed in OUT/skipped.csv. How the training
    faces are framed is stored in best.pt, so evaluate and predict can frame full-frame photos alike.
    """

    bb = fastk.create("backbone", backbone, input_size=input_size, **key_values(options, "--option"))
    detector = fastk.create("landmarks", landmarks) if face_check else None
    samples, source = load_dataset(dataset, path, key_values(dataset_options, "--dataset-option"))
    require_subjects(samples, source)
    cfg = TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, data=data_mode, workers=workers)
    # Held for the whole command (the trainer takes it again): skipped.csv, split.json and metrics.json
    # are this command's files too, and no other command may write them into the same folder.
    with main_holds(lambda: FolderLock(out, "fastk train")):
        _train(samples, source, bb, detector, LandmarkCache(), cfg, out, device, masked_input(path))


def masked_input(path: Path | None) -> dict | None:
    """How `fastk mask` prepared the images of ``path`` (its mask.json's ``input``: alignment and mask),
    which the checkpoint then records so raw photos are prepared alike; None for other datasets."""
    import json

    record = Path(path) / "mask.json" if path is not None and Path(path).is_dir() else None
    if record is None or not record.is_file():
        return None
    try:
        found = json.loads(record.read_text()).get("input")
    except (OSError, ValueError, AttributeError):
        return None
    return found if isinstance(found, dict) else None


def _train(samples, source: str, bb, detector, cache, cfg, out: Path, device: str | None,
           prepared: dict | None = None) -> None:
    """Check the faces, split by subject, train, then (rank 0) record the split, framing and test metrics."""

    checked = check_faces(samples, detector, cache, show_progress=True)
    require_usable(checked, f"dataset {source}")
    main = world().is_main  # under torchrun: every rank trains, rank 0 writes and evaluates
    if main:
        print_skipped(console, checked.skipped, write_skipped(out / "skipped.csv", checked.skipped))
    split = subject_split(checked.samples, seed=cfg.seed)
    require_both_classes(split)
    device = default_device(device)
    result = train(split["train"], split["val"], bb, out, cfg, device=device)
    if not main:
        return
    # After train(): a folder holding another training is refused there, before its split is touched.
    # The same format as a run's split.json, so `fastk stability --split-file` reads either.

    folder = RunFolder(out)
    write_json(out / "split.json", {k: [sample_to_json(s, folder) for s in v] for k, v in split.items()}, indent=1)
    framing = record_framing(result.checkpoint, split["train"], detector, cache) if prepared is None else {}
    if prepared is not None:  # trained on `fastk mask` output: record its alignment and mask instead

        backbone_, model_, meta_ = load_checkpoint(result.checkpoint)
        save_checkpoint(result.checkpoint, backbone_, model_, {**meta_, **prepared})
        console.print(f"images prepared by fastk mask ({prepared['mask']['framing']}, kept "
                      f"{', '.join(prepared['mask']['keep'])}): recorded in {result.checkpoint}", markup=False)
    test = evaluate_checkpoint(result.checkpoint, split["test"], threshold=result.threshold, device=device,
                               detector=detector, cache=cache, source="test split")
    _report(out, bb, result, test, framing)


def _report(out: Path, bb, result, test: dict, framing: dict) -> None:
    write_json(out / "metrics.json", {"val": result.val_metrics, "test": test}, indent=2)
    console.print(metrics_table({"validation": result.val_metrics, "test": test},
                                f"{bb.spec}: threshold {result.threshold:.4f} from validation; positive class = spoof"))
    console.print(f"epochs {len(result.epoch_seconds)}, {sum(result.epoch_seconds) / max(1, len(result.epoch_seconds)):.1f} "
                  f"s/epoch; checkpoint {result.checkpoint}; metrics {out / 'metrics.json'}", markup=False)
    if framing:
        console.print(f"training framing ({framing['detector']}, {framing['images']} images): face box "
                      f"{framing['face_width']:.2f} x {framing['face_height']:.2f} of the image, stored in "
                      f"{result.checkpoint}", markup=False)
