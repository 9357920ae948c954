"""Gather ``report.json`` from a finished run folder: metrics, importances with CIs, stability,
faithfulness, sanity, speed (FLOPs and interleaved timings), selection, plugins used (with their
distribution and version), the machine, and the figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

import fastk
from fastk.areas import AreaSet
from fastk.environment import environment_record
from fastk.figures import face_diagram
from fastk.plugins import provenance


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
    }


def _g(flops: float | None) -> float | None:
    return None if flops is None else flops / 1e9


def build_report(pipeline) -> dict[str, Any]:
    """Everything ``report.json`` holds, gathered from the finished run folder (draws the face diagram)."""
    run, root, cfg = pipeline.run, pipeline.root, pipeline.cfg
    explore = json.loads((root / "explore" / "area_importance.json").read_text())
    _draw_face_diagram(explore["overall"], cfg, root)
    speed = run.result("speed") if run.done("speed") else None
    dataset_cls = fastk.get_registry("dataset").get(cfg["dataset"]["name"])
    return {
        "name": cfg["name"],
        "fastk_version": fastk.__version__,
        "created": run.manifest["steps"]["report"].get("started"),
        "command": pipeline.command,
        "environment": environment_record(),
        "config": cfg,
        "plugins": _plugins(cfg),
        "dataset": _dataset_entry(run.result("data"), cfg, dataset_cls),
        "importance": _importance_entry(explore, cfg["explore"], json.loads((root / "explore" / "asymmetry.json").read_text())),
        "selection": run.result("select"),
        "sanity": run.result("sanity"),
        "stability": _json(root / "stability" / "stability.json"),
        "faithfulness": _json(root / "faithfulness" / "faithfulness.json"),
        "speed": speed,
        "models": {name: _model_entry(run, name, ev, speed) for name, ev in run.result("evaluate").items()},
        "figures": {
            "importance_bar": "explore/importance.png",
            "face_diagram": "figures/face_diagram.png",
            "overlays": _overlay_files(root),
        },
        "steps_seconds": {k: v.get("seconds") for k, v in run.manifest["steps"].items()},
        "notes": list(getattr(dataset_cls, "report_notes", ())),
    }


def _draw_face_diagram(overall: dict[str, Any], cfg: dict[str, Any], root: Path) -> None:
    """The importance on the mean face (``figures/face_diagram.png``), drawn here so a re-run report shows it."""
    areas = AreaSet.load(cfg["explore"]["areas"])
    face_diagram({a: v["importance"] for a, v in overall.items()}, areas, root / "figures" / "face_diagram.png",
                 title=f"{cfg['explore']['cam']} area importance ({cfg['explore']['landmarks']} areas)")


def _overlay_files(root: Path) -> dict[str, list[str]]:
    """Up to 6 heatmap overlays per group (the file name's prefix), paths relative to the run folder."""
    overlays: dict[str, list[str]] = {}
    for f in sorted((root / "explore" / "overlays").glob("*.jpg")):
        group = f.name.split("__")[0]
        if len(overlays.setdefault(group, [])) < 6:
            overlays[group].append(str(f.relative_to(root)))
    return overlays


def _plugins(cfg: dict[str, Any]) -> dict[str, Any]:
    """Which plugin (class, distribution and version) played each role."""
    ex = cfg["explore"]
    return {
        "dataset": provenance("dataset", cfg["dataset"]["name"]),
        "backbone": provenance("backbone", cfg["backbone"]["name"]),
        "landmarks": provenance("landmarks", ex["landmarks"]),
        "cam": provenance("cam", ex["cam"]),
        "selector": provenance("selector", cfg["select"]),
    }


def _dataset_entry(data: dict[str, Any], cfg: dict[str, Any], dataset_cls: type) -> dict[str, Any]:
    """The data step's counts, the split, and the dataset class's attribution."""
    return {
        "name": data["dataset"],
        "n_images": data["n_images"],
        "n_usable": data["n_usable"],
        "n_no_face": data["n_no_face"],
        "no_face_by_detector": data.get("no_face_by_detector", {}),
        "n_subjects": data["n_subjects"],
        "split_ratios": cfg["split"]["ratios"],
        "split_counts": data["split_counts"],
        "attribution": getattr(dataset_cls, "attribution", None),
    }


def _importance_entry(explore: dict[str, Any], ex: dict[str, Any], asym: dict[str, Any]) -> dict[str, Any]:
    """The exploration's result (``explore/area_importance.json``) with what made it and the asymmetry."""
    return {
        "overall": explore["overall"],
        "by": explore.get("by", {}),
        "ranking": explore["ranking"],
        "cam": ex["cam"],
        "landmarks": ex["landmarks"],
        "on": ex["split"],
        "cam_target": explore["cam_target"],
        "images_used": explore["images_used"],
        "images_skipped": explore["images_skipped"],
        "asymmetry": asym,
        "on_face": explore.get("on_face", {}),
    }
