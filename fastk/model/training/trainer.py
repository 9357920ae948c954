"""The trainer: any backbone plugin, seeded, resumable, with early stopping on validation ACER.

Why these choices:

* **Resume = same result.** Shuffling, augmentation and dropout draw from generators seeded with
  ``seed + epoch``, and a training state (model, optimiser, scheduler, history) is written after
  every epoch. A run killed mid-epoch resumes at the start of that epoch and ends with exactly the
  metrics of an uninterrupted run.
* **No horizontal flips.** Flip augmentation would erase the left/right asymmetry that area
  importance is meant to reveal (the paper's lighting bias); augmentation is photometric jitter and
  small shifts only.
* **Never stale.** ``train_config.json`` and the training state carry a fingerprint of the train
  and validation listings (paths, labels, file contents), the backbone config and the
  :class:`TrainConfig`; an ``out_dir`` holding training of anything else is refused, not resumed.
  A lock file keeps a second writer out of ``out_dir`` while one trains.
* **Threshold from validation.** Each epoch's validation ACER is measured at the validation EER
  threshold; the best epoch's threshold is stored with the model and later applied to test as is.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

import fastk.model.training.ddp as ddp
from fastk.common.distributed import decided_by_main, main_holds, world
from fastk.common.distributed import device as rank_device
from fastk.common.fast_inference import channels_last, nhwc
from fastk.common.jsonsafe import write_json
from fastk.common.locks import FolderLock
from fastk.common.progress import progress_bar
from fastk.data.datasets import Sample
from fastk.model.checkpoints import save_checkpoint
from fastk.model.train_settings import TrainConfig, TrainResult
from fastk.model.training._data import TrainImages, choose_mode, in_order, open_split
from fastk.model.training._data import load_tensors as load_tensors  # re-exported: benchmarks import it from here
from fastk.model.training._setup import build_model, optimiser, set_deterministic
from fastk.model.training._train_state import load_state, resume, save_state
from fastk.model.training.augment import augment, random_patches
from fastk.model.training.metrics import metrics_at, threshold_at_eer
from fastk.model.training.train_fingerprint import check_fingerprint, train_fingerprint

if TYPE_CHECKING:  # pragma: no cover
    import torch
    from rich.progress import Progress, TaskID

    from fastk.model.backbones import Backbone


def to_input(x_uint8):
    """uint8 images -> the [-1, 1] floats every backbone's ``preprocess`` produces."""
    return x_uint8.float().div(127.5).sub(1.0)


def scores(backbone, model, x_uint8, batch_size: int, device: str) -> np.ndarray:
    """Spoof scores of uint8 images ``(N, 3, S, S)``, in batches of ``batch_size``."""
    return batch_scores(backbone, model, (x_uint8[i : i + batch_size] for i in range(0, len(x_uint8), batch_size)),
                        device)


def batch_scores(backbone, model, batches: Iterable[Any], device: str) -> np.ndarray:
    """Spoof scores of uint8 image batches, concatenated in order (the model in eval mode, no gradients).

    Always in channels-last layout, the one fastk trains in: a model validated during training and the
    same weights loaded from their (contiguous) checkpoint then give the same float sums, so the stored
    threshold is the one a later scoring of the validation split finds.
    """
    import torch

    model.eval()
    with torch.no_grad(), channels_last(model):
        out = [backbone.spoof_score(model, nhwc(to_input(xb).to(device))).cpu() for xb in batches]
    return torch.cat(out).numpy().astype(np.float64)


def train(
    train_samples: list[Sample],
    val_samples: list[Sample],
    backbone,
    out_dir: str | Path,
    config: TrainConfig | None = None,
    *,
    device: str = "cpu",
    show_progress: bool = True,
) -> TrainResult:
    """Train ``backbone`` on ``train_samples``; keep the epoch with the best validation ACER.

    Resumes a killed run in ``out_dir`` when it trained the same thing (see the fingerprint above);
    refuses with one line when ``out_dir`` holds training of other data, backbone or settings.
    """

    cfg = config or TrainConfig()
    out = Path(out_dir)
    device = rank_device(device)
    precision = ddp.resolved_precision(cfg.precision, device)
    with main_holds(lambda: FolderLock(out, "fastk train")):
        fingerprint = train_fingerprint(train_samples, val_samples, backbone, cfg, ddp.fingerprint_extra(precision))

        def check_and_record() -> None:
            check_fingerprint(out, fingerprint, load_state)
            write_json(out / "train_config.json",
                       {"train": asdict(cfg), "backbone": backbone.config(), "fingerprint": fingerprint,
                        "processes": world().size, "precision": precision}, indent=2)

        decided_by_main(check_and_record)
        return _train(train_samples, val_samples, backbone, out, cfg, fingerprint, device, show_progress)


@dataclass
class _Fit:
    """One training's moving parts, as each epoch uses them."""

    backbone: Backbone
    model: torch.nn.Module
    opt: torch.optim.Optimizer
    sched: torch.optim.lr_scheduler.LRScheduler
    cfg: TrainConfig
    device: str
    trained: torch.nn.Module  # what the training step calls: ``model`` itself, or its DDP wrapper
    precision: str  # fp32 or bf16 (autocast)


def _train(train_samples: list[Sample], val_samples: list[Sample], backbone: Backbone, out: Path, cfg: TrainConfig,
           fingerprint: dict[str, Any], device: str, show_progress: bool) -> TrainResult:
    """Epochs from where a killed run stopped, the state saved after each, ``best.pt`` kept for the best
    validation ACER, stopping after ``patience`` epochs without a better one."""

    set_deterministic(cfg.seed, cfg.deterministic)
    model = build_model(backbone, cfg, device)
    mode = choose_mode(cfg.data, len(train_samples) + len(val_samples), backbone.input_size)
    tr, va = (open_split(backbone, samples, mode, workers=cfg.workers, show_progress=show_progress)
              for samples in (train_samples, val_samples))
    steps_per_epoch = max(1, int(np.ceil(len(tr) / cfg.batch_size)))
    opt, sched = optimiser(model, cfg, steps_per_epoch)
    state_path, best_path = out / "training_state.pt", out / "best.pt"
    history, best, start_epoch = resume(state_path, backbone, model, opt, sched)
    fit = _Fit(backbone, model, opt, sched, cfg, device, ddp.wrap(model, device),
               ddp.resolved_precision(cfg.precision, device))
    main = world().is_main
    stopped_early = False
    with progress_bar(show_progress) as progress:
        task = progress.add_task(f"train {backbone.spec}", total=cfg.epochs * steps_per_epoch,
                                 completed=start_epoch * steps_per_epoch)
        for epoch in range(start_epoch, cfg.epochs):
            if epoch - best["epoch"] > cfg.patience and epoch >= cfg.min_epochs and best["epoch"] >= 0:
                stopped_early = True
                break
            seconds, sums = _train_epoch(fit, tr, epoch, progress, task)
            threshold, m = _validate(fit, va, [s.attack_type for s in val_samples])
            history.append({"epoch": epoch, "seconds": seconds, "lr": fit.sched.get_last_lr()[0],
                            **{f"loss_{k}": v / steps_per_epoch for k, v in sums.items()},
                            "val_acer": m["acer"], "val_auc": m["auc"], "val_threshold": threshold})
            if better(m, best, cfg.select_on):
                best = {"acer": m["acer"], "auc": m["auc"], "epoch": epoch, "threshold": threshold, "metrics": m}
                if main:
                    save_checkpoint(best_path, backbone, model, {"epoch": epoch, "threshold": threshold,
                                                                   "val_metrics": m, "train_config": asdict(cfg)})
            if main:
                save_state(state_path, model, fit.opt, fit.sched, epoch, history, best, fingerprint)
    return _write_result(out, best_path, best, history, stopped_early, len(tr), write=main)


def better(m: dict[str, Any], best: dict[str, Any], select_on: str) -> bool:
    """Whether validation metrics ``m`` beat the kept epoch's ``best`` (NaN AUC counts as the worst)."""
    auc, best_auc = np.nan_to_num(m["auc"], nan=-1.0), np.nan_to_num(best["auc"], nan=-1.0)
    if select_on == "auc":
        return (-auc, m["acer"]) < (-best_auc, best["acer"])
    return (m["acer"], -auc) < (best["acer"], -best_auc)


def _train_epoch(fit: _Fit, data: TrainImages, epoch: int, progress: Progress, task: TaskID) -> tuple[float, dict[str, float]]:
    """One pass over the training images in an order (and augmentation) seeded by the epoch, so a resumed
    run repeats it exactly; returns its seconds and the summed loss terms."""
    import torch

    cfg = fit.cfg
    torch.manual_seed(cfg.seed * 1000 + epoch)
    gen = torch.Generator().manual_seed(cfg.seed * 1000 + epoch)
    order = torch.randperm(len(data), generator=gen)
    # BatchNorm cannot train on one image (on one per rank under torchrun)
    batches = [idx for idx in order.split(cfg.batch_size) if len(idx) >= ddp.min_batch()]
    rows = ddp.my_rows()
    fit.model.train()
    t0 = time.perf_counter()
    sums: dict[str, float] = {}
    for idx, (xb_uint8, yb) in zip(batches, data.batches([idx[rows] for idx in batches])):
        xb = to_input(xb_uint8)
        if cfg.augment:
            xb = augment(xb, gen, rows, len(idx), cfg.colour)
        if cfg.patch:
            xb = random_patches(xb, cfg.patch, gen, rows, len(idx))
        with ddp.autocast(fit.precision, fit.device):
            losses = fit.backbone.training_loss(fit.trained, nhwc(xb.to(fit.device)), yb.to(fit.device))
        fit.opt.zero_grad()
        losses["total"].backward()
        fit.opt.step()
        fit.sched.step()
        for k, v in losses.items():
            sums[k] = sums.get(k, 0.0) + float(v.detach())
        progress.update(task, advance=1, description=f"train {fit.backbone.spec} epoch {epoch + 1}/{cfg.epochs} "
                        f"loss {losses['total'].item():.3f}")
    return time.perf_counter() - t0, ddp.mean_over_ranks(sums)


def _validate(fit: _Fit, data: TrainImages, attack_types: list[str | None]) -> tuple[float, dict[str, Any]]:
    """The validation EER threshold and every metric at it."""

    ddp.sync_buffers(fit.model)  # every rank scores with the model rank 0 saves
    s_val = _split_scores(fit, data)
    threshold, _ = threshold_at_eer(data.y.numpy(), s_val)
    return threshold, metrics_at(data.y.numpy(), s_val, threshold, attack_types)


def _split_scores(fit: _Fit, data: TrainImages) -> np.ndarray:
    """Spoof scores of a split, in ``eval_batch_size`` batches in order (streamed ones batch by batch;
    under torchrun each rank scores every N-th batch and all get every score, see :mod:`.ddp`)."""

    def score(index_lists) -> list[np.ndarray]:
        return [batch_scores(fit.backbone, fit.model, [xb], fit.device) for xb, _ in data.batches(index_lists)]

    return ddp.gathered_scores(score, in_order(len(data), fit.cfg.eval_batch_size))


def _write_result(out: Path, best_path: Path, best: dict[str, Any], history: list[dict[str, Any]],
                  stopped_early: bool, n_train: int, *, write: bool = True) -> TrainResult:
    """The result of the whole training (resumed epochs included), also written to ``train_result.json``
    (by rank 0 under torchrun)."""
    epoch_seconds = [h["seconds"] for h in history]
    result = TrainResult(
        checkpoint=str(best_path), threshold=float(best["threshold"]), best_epoch=int(best["epoch"]),
        val_metrics=best["metrics"], epoch_seconds=epoch_seconds, history=history, stopped_early=stopped_early,
        images_per_second=n_train * len(epoch_seconds) / sum(epoch_seconds) if epoch_seconds else 0.0,
    )
    if write:
        write_json(out / "train_result.json", result.to_dict(), indent=2, default=float)
    return result
