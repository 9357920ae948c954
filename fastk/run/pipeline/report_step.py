"""Gather ``report.json`` from a finished run folder: metrics, importances with CIs, stability,
faithfulness, sanity, speed (FLOPs and interleaved timings), selection, plugins used (with their
distribution and version), the machine, and the figures."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from fastk._version import __version__
from fastk.common.environment import environment_record
from fastk.explain.figures import face_diagram
from fastk.face.areas import AreaSet
from fastk.plugin.plugins import get_registry, provenance
from fastk.report.finding import finding
from fastk.report.model_checks import chance_warnings
from fastk.run.run_config import ExploreSection, RunConfig
from fastk.run.runs import Layout, RunFolder
from fastk.trust.mask_audit import leak_warning
from fastk.trust.mask_swap import use_warning
from fastk.trust.shortcut_audit import shortcut_warnings


def _json(path) -> dict[str, Any] | None:
    return json.loads(path.read_text()) if path.is_file() else None


def _model_entry(run, name: str, ev: dict[str, Any], speed: dict[str, Any] | None) -> dict[str, Any]:
    trained = run.result("train_full" if name == "full" else f"train_{name}")
    epoch_seconds = trained.get("epoch_seconds") or []
    timing = (speed or {}).get("models", {}).get(name, {})
    return {
        "metrics": ev["metrics"],
        "n_test": ev["n_test"],
        "threshold": trained.get("threshold"),
        "epochs_run": len(epoch_seconds),
        # Wall time of this run's training here: depends on what else the machine did (see "speed").
        "seconds_per_epoch": float(np.mean(epoch_seconds)) if epoch_seconds else None,
        "inference_ms_per_image": timing.get("inference_ms_per_image"),
        "train_step_ms_per_image": timing.get("train_step_ms_per_image"),
        "inference_time_vs_full": timing.get("inference_time_vs_reference"),
        "train_step_time_vs_full": timing.get("train_step_time_vs_reference"),
        "inference_gflops_per_image": _g(timing.get("inference_flops_per_image")),
        "train_step_gflops_per_image": _g(timing.get("train_step_flops_per_image")),
        "inference_flops_vs_full": timing.get("inference_flops_vs_reference"),
        "input_size": timing.get("input_size"),
        "jpeg_bytes_mean": ev.get("jpeg_bytes_mean"),
        "png_bytes_mean": ev.get("png_bytes_mean"),
        "pixels_kept": 1.0 if name == "full" else run.result(f"mask_{name}").get("mean_pixels_kept"),
        "checkpoint": trained.get("checkpoint"),
        "validation": {k: trained.get("val_metrics", {}).get(k) for k in ("auc", "acer", "n_real", "n_spoof")},
        # the mask audit: does the mask alone tell the label (leak), does the model read it (use)
        "mask_audit": None if name == "full" else run.result(f"mask_{name}").get("mask_audit"),
        "mask_use": ev.get("mask_use"),
    }


def _masking_entry(pipeline) -> dict[str, Any]:
    """How faces were framed and masked (``masking``), with the alignment when the run aligns."""
    alignment = pipeline.alignment()
    return {"framing": pipeline.config.masking, "alignment": None if alignment is None else alignment.record()}


def _mask_warnings(evaluated: dict[str, Any], run: RunFolder) -> list[str]:
    """A line per variant whose masks alone tell the label, and per variant whose model reads them."""

    out = []
    for name, ev in evaluated.items():
        if name == "full":
            continue
        for line in (leak_warning(name, run.result(f"mask_{name}").get("mask_audit")), use_warning(name, ev.get("mask_use"))):
            if line:
                out.append(line)
    return out


def _g(flops: float | None) -> float | None:
    return None if flops is None else flops / 1e9


def build_report(pipeline) -> dict[str, Any]:
    """Everything ``report.json`` holds, gathered from the finished run folder (draws the face diagram)."""
    run, config = pipeline.run, pipeline.config
    explore = json.loads(run.area_importance_file.read_text())
    _draw_face_diagram(explore["overall"], config.explore, run)
    speed = run.result("speed") if run.done("speed") else None
    dataset_cls = get_registry("dataset").get(config.dataset.name)
    report = {
        "name": config.name,
        "fastk_version": __version__,
        "created": run.manifest["steps"]["report"].get("started"),
        "command": pipeline.command,
        "environment": environment_record(),
        "config": pipeline.cfg,  # the merged dict, as config.json holds it
        "plugins": _plugins(config),
        "dataset": _dataset_entry(run.result("data"), list(config.split.ratios), dataset_cls),
        "importance": _importance_entry(explore, config.explore, json.loads(run.asymmetry_file.read_text())),
        "selection": run.result("select"),
        "sanity": run.result("sanity"),
        "stability": _json(run.at(Layout.stability_json)),
        "faithfulness": _json(run.at(Layout.faithfulness_json)),
        "speed": speed,
        "models": {name: _model_entry(run, name, ev, speed) for name, ev in run.result("evaluate").items()},
        "figures": {
            "importance_bar": Layout.importance_bar,
            "face_diagram": Layout.face_diagram,
            "overlays": _overlay_files(run),
        },
        "steps_seconds": {k: v.get("seconds") for k, v in run.manifest["steps"].items()},
        "notes": list(getattr(dataset_cls, "report_notes", ())),
        "masking": _masking_entry(pipeline),
        "warnings": chance_warnings({step: run.result(step) for step in ["train_full", *pipeline.seed_steps()]
                                     if run.done(step)}) + _mask_warnings(run.result("evaluate"), run)
                    + shortcut_warnings(run.result("data").get("shortcut_audit")),
    }
    report["finding"] = finding(report)
    return report


def _draw_face_diagram(overall: dict[str, Any], ex: ExploreSection, run: RunFolder) -> None:
    """The importance on the mean face (``figures/face_diagram.png``), drawn here so a re-run report shows it."""
    areas = AreaSet.load(ex.areas)
    face_diagram({a: v["importance"] for a, v in overall.items()}, areas, run.at(Layout.face_diagram),
                 title=f"{ex.cam} area importance ({ex.landmarks} areas)")


def _overlay_files(run: RunFolder) -> dict[str, list[str]]:
    """Up to 6 heatmap overlays per group (the file name's prefix), paths relative to the run folder."""
    overlays: dict[str, list[str]] = {}
    for f in sorted(run.at(Layout.overlays).glob("*.jpg")):
        group = f.name.split("__")[0]
        if len(overlays.setdefault(group, [])) < 6:
            overlays[group].append(run.rel(f))
    return overlays


def _plugins(config: RunConfig) -> dict[str, Any]:
    """Which plugin (class, distribution and version) played each role."""
    return {
        "dataset": provenance("dataset", config.dataset.name),
        "backbone": provenance("backbone", config.backbone.name),
        "landmarks": provenance("landmarks", config.explore.landmarks),
        "cam": provenance("cam", config.explore.cam),
        "selector": provenance("selector", config.select),
    }


def _dataset_entry(data: dict[str, Any], split_ratios: list[float], dataset_cls: type) -> dict[str, Any]:
    """The data step's counts, the split, and the dataset class's attribution."""
    return {
        "name": data["dataset"],
        "n_images": data["n_images"],
        "n_usable": data["n_usable"],
        "n_no_face": data["n_no_face"],
        "no_face_by_detector": data.get("no_face_by_detector", {}),
        "n_subjects": data["n_subjects"],
        "split_ratios": split_ratios,
        "split_counts": data["split_counts"],
        "protocol": data.get("protocol"),  # the benchmark protocol's lists, when split.protocol chose one
        # file statistics and face geometry alone (fastk.trust.shortcut_audit); None for unlabelled data
        "shortcut_audit": data.get("shortcut_audit"),
        "attribution": getattr(dataset_cls, "attribution", None),
    }


def _importance_entry(explore: dict[str, Any], ex: ExploreSection, asym: dict[str, Any]) -> dict[str, Any]:
    """The exploration's result (``explore/area_importance.json``) with what made it and the asymmetry."""
    return {
        "overall": explore["overall"],
        "by": explore.get("by", {}),
        "ranking": explore["ranking"],
        "cam": ex.cam,
        "landmarks": ex.landmarks,
        "on": ex.split,
        "cam_target": explore["cam_target"],
        "images_used": explore["images_used"],
        "images_skipped": explore["images_skipped"],
        "asymmetry": asym,
        "on_face": explore.get("on_face", {}),
    }
