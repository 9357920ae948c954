"""The paper's whole method as one resumable loop (``fastk run``).

split -> train the full-face model -> explore (landmarks + CAM + area importance on the validation
split) -> select areas -> write masked datasets (selected areas, their complement, crop-to-ROI) ->
retrain each with the same hyper-parameters -> evaluate everything on the same test subjects ->
report.

Every step is recorded in the run folder's manifest when it finishes (:class:`fastk.runs.RunFolder`),
so a killed run resumes from the last finished step; training itself resumes from its last epoch.
Paths in the manifest and the run's split files are relative to the run folder (or absolute when
outside it), so ``fastk run --resume`` works from any working directory; a lock file keeps a second
``fastk run`` out of the folder while one runs.
Images where the landmark detector finds no face are dropped *before* the split, so all models see
the same images (the paper compared only images where dlib found a face); how many is reported.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

import fastk
from fastk.areas import AreaSet
from fastk.datasets import Sample
from fastk.errors import ConfigError, FastkError
from fastk.jsonsafe import jsonable
from fastk.runs import RunFolder

VARIANTS = ("selected", "complement", "crop")


def _log(console, msg: str) -> None:
    if console is not None:
        console.print(msg)


def _sample_to_json(s: Sample, run: RunFolder) -> dict[str, Any]:
    return {"path": run.rel(s.path), "label": s.label, "subject": s.subject, "attack_type": s.attack_type,
            "lighting": s.lighting, "meta": s.meta}


def _sample_from_json(d: dict[str, Any], run: RunFolder) -> Sample:
    return Sample(run.resolve(d["path"]), d["label"], d["subject"], d["attack_type"], d["lighting"],
                  d.get("meta") or {})


def _device(cfg: dict[str, Any]) -> str:
    from fastk.devices import default_device

    return default_device(cfg.get("device"))


class Pipeline:
    """One run: ``Pipeline(config, run_dir).run()``; each ``step_*`` method is one manifest step."""

    def __init__(self, config: dict[str, Any], run_dir: str | Path, *, console=None, command: str = ""):
        self.cfg = config
        self.run = RunFolder(run_dir)
        self.root = self.run.root
        self.console = console
        self.command = command
        self._check_config()

    # -- configuration --------------------------------------------------------------------------
    def _check_config(self) -> None:
        saved = self.root / "config.json"
        if saved.exists():
            old = json.loads(saved.read_text())
            if old != json.loads(json.dumps(self.cfg)):
                changed = sorted(k for k in set(old) | set(self.cfg) if old.get(k) != self.cfg.get(k))
                raise ConfigError(
                    f"{self.root}: was started with other settings ({', '.join(changed)}); resume it with "
                    f"`fastk run --resume {self.root}` or choose a new --name"
                )
        else:
            saved.write_text(json.dumps(self.cfg, indent=2))
        # Fail on unknown plugin names now, not after an hour of training.
        ex = self.cfg["explore"]
        fastk.get_registry("landmarks").get(ex["landmarks"])
        fastk.get_registry("cam").get(ex["cam"])
        fastk.get_registry("backbone").get(self.cfg["backbone"]["name"])
        fastk.get_registry("dataset").get(self.cfg["dataset"]["name"])
        fastk.create("selector", self.cfg["select"])
        for v in self.cfg["retrain"]["variants"]:
            if v not in VARIANTS:
                raise ConfigError(f"unknown retrain variant {v!r}; known: {', '.join(VARIANTS)}")

    def _backbone(self, input_size: int | None = None):
        b = self.cfg["backbone"]
        return fastk.create("backbone", b["name"], input_size=input_size or b["input_size"], **(b.get("options") or {}))

    def _explore_settings(self, **overrides: Any):
        """The run's exploration settings (config ``explore`` section), with ``overrides``."""
        from fastk.explore import ExploreSettings

        ex = self.cfg["explore"]
        settings = {"landmarks": ex["landmarks"], "cam": ex["cam"], "cam_target": ex["cam_target"],
                    "target_layer": ex["target_layer"], "areas": ex["areas"], "batch_size": ex["batch_size"],
                    "n_boot": ex["n_boot"], "seed": self.cfg["seed"], "overlays": ex["overlays"],
                    "group_by": list(ex["group_by"])}
        return ExploreSettings(**{**settings, **overrides})

    def _detector(self):
        return fastk.create("landmarks", self.cfg["explore"]["landmarks"])

    # -- steps ----------------------------------------------------------------------------------
    def step_data(self) -> dict[str, Any]:
        """Read the dataset, drop images without a usable face, split by subject 6:2:2."""
        from fastk.landmark_cache import LandmarkCache
        from fastk.training.splits import subject_split

        ds_cfg = self.cfg["dataset"]
        kwargs = dict(ds_cfg.get("options") or {})
        if ds_cfg.get("path"):
            kwargs["root"] = ds_cfg["path"]
        dataset = fastk.create("dataset", ds_cfg["name"], **kwargs)
        samples = [_absolute(s) for s in dataset.samples()]
        detector, cache = self._detector(), LandmarkCache()
        usable, skipped = _with_faces(_track(samples, "finding faces", self.console), detector, cache)
        if not usable:
            raise ConfigError(f"dataset {dataset.describe()}: no image with a usable face")
        _write_csv(self.root / "skipped.csv", ["path", "reason"], skipped)
        # How many images each detector (and dlib with a MediaPipe fallback) would lose: the paper
        # lost ~20% to dlib. Cheap: MediaPipe takes ~5 ms an image and results are cached.
        no_face = {spec: len(_with_faces(samples, fastk.create("landmarks", spec), cache)[1])
                   for spec in ("dlib", "mediapipe", "fallback:dlib,mediapipe")}
        splits = subject_split(usable, ratios=tuple(self.cfg["split"]["ratios"]), seed=self.cfg["seed"],
                               stratify=self.cfg["split"].get("stratify", True))
        out = {name: [_sample_to_json(s, self.run) for s in part] for name, part in splits.items()}
        (self.root / "split.json").write_text(json.dumps(out, indent=1))
        counts = {name: _counts(part) for name, part in splits.items()}
        return {"dataset": dataset.describe(), "n_images": len(samples), "n_usable": len(usable),
                "n_no_face": len(skipped), "no_face_by_detector": no_face,
                "n_subjects": len({s.subject for s in usable}), "split_counts": counts}

    def _splits(self) -> dict[str, list[Sample]]:
        data = json.loads((self.root / "split.json").read_text())
        return {k: [_sample_from_json(d, self.run) for d in v] for k, v in data.items()}

    def _checkpoint(self, step: str) -> Path:
        return self.run.resolve(self.run.result(step)["checkpoint"])

    def _train(self, variant: str, splits: dict[str, list[Sample]], input_size: int | None = None) -> dict[str, Any]:
        from fastk.training.trainer import TrainConfig, train

        backbone = self._backbone(input_size)
        tcfg = TrainConfig(**{"seed": self.cfg["seed"], **self.cfg["train"]})
        result = train(splits["train"], splits["val"], backbone, self.root / "models" / variant, tcfg,
                       device=_device(self.cfg), show_progress=self.console is not None)
        out = _jsonable_result(result)
        out["checkpoint"] = self.run.rel(out["checkpoint"])
        return out

    def step_train_full(self) -> dict[str, Any]:
        return self._train("full", self._splits())

    def step_explore(self) -> dict[str, Any]:
        from fastk.checkpoints import load_checkpoint
        from fastk.explore import explore
        from fastk.importance import asymmetry_index

        ex = self.cfg["explore"]
        backbone, model, _ = load_checkpoint(self._checkpoint("train_full"), device=_device(self.cfg))
        settings = self._explore_settings()
        samples = self._splits()[ex["split"]]
        result = explore(samples, backbone, model, self.root / "explore", settings,
                         show_progress=self.console is not None)
        names = AreaSet.load(ex["areas"]).names
        rows = _read_rows(self.root / "explore" / "per_image.csv", names)
        asym = asymmetry_index(rows, names, n_boot=ex["n_boot"], seed=self.cfg["seed"])
        (self.root / "explore" / "asymmetry.json").write_text(json.dumps(asym, indent=2))
        return {"ranking": result.summary["ranking"], "images_used": result.processed,
                "images_skipped": len(result.skipped), "asymmetry": asym["index"]}

    def step_sanity(self) -> dict[str, Any]:
        """Model-randomisation check of the ranking (fastk.sanity) on up to 64 images of the explored split."""
        from fastk.checkpoints import load_checkpoint
        from fastk.sanity import randomisation_check

        backbone, model, _ = load_checkpoint(self._checkpoint("train_full"), device=_device(self.cfg))
        settings = self._explore_settings(n_boot=100, overlays=0)
        return jsonable(randomisation_check(self._splits()[self.cfg["explore"]["split"]][:64], backbone, model,
                                            settings, seed=self.cfg["seed"] + 1))

    def step_select(self) -> dict[str, Any]:
        from fastk.importance import importance_vector

        summary = json.loads((self.root / "explore" / "area_importance.json").read_text())["overall"]
        selector = fastk.create("selector", self.cfg["select"])
        vec = importance_vector(summary)
        return {"selector": selector.describe(), "keep": selector.select(vec), "complement": selector.complement(vec)}

    def step_mask(self, variant: str) -> dict[str, Any]:
        from fastk.masking import masked_layout, write_masked_dataset

        sel = self.run.result("select")
        keep = sel["complement"] if variant == "complement" else sel["keep"]
        splits = self._splits()
        everything = [s for part in splits.values() for s in part]
        root = _common_root(everything)
        mode = "crop" if variant == "crop" else "blackout"
        size = self._crop_size() if variant == "crop" else None
        out = self.root / "masked" / variant
        stats = write_masked_dataset(everything, out, keep=keep, detector=self._detector(),
                                     area_set=AreaSet.load(self.cfg["explore"]["areas"]), mode=mode, size=size,
                                     source_root=root, show_progress=self.console is not None)
        layout = masked_layout([s.path for s in everything], out, root)
        remapped = {}
        for name, part in splits.items():
            moved = [_moved(s, layout[str(s.path)]) for s in part]
            remapped[name] = [_sample_to_json(s, self.run) for s in moved if s.path.exists()]
        (out / "split.json").write_text(json.dumps(remapped, indent=1))
        stats.update({"variant": variant, "kept_areas": keep, "crop_size": size, "source_root": str(root)})
        return jsonable(stats)

    def _crop_size(self) -> int:
        """Input side for the crop variant: the same pixel density as the full model's input.

        The full model sees the whole image at ``input_size``; the crop keeps a box of (on average)
        ``f`` of the image's area, so the same density needs ``input_size * sqrt(f)`` pixels a side.
        """
        if self.cfg["retrain"].get("crop_size"):
            return int(self.cfg["retrain"]["crop_size"])
        from fastk.landmark_cache import LandmarkCache
        from fastk.masking import roi_box

        keep = self.run.result("select")["keep"]
        areas, detector, cache = AreaSet.load(self.cfg["explore"]["areas"]), self._detector(), LandmarkCache()
        fractions = []
        from fastk.images import read_rgb

        for s in self._splits()["val"][:64]:
            img = read_rgb(s.path)
            face = cache.detect_file(detector, s.path, img)
            x0, y0, x1, y1 = roi_box(areas.union(areas.masks(face.points68, img.shape), keep))
            fractions.append((x1 - x0) * (y1 - y0) / (img.shape[0] * img.shape[1]))
        side = self.cfg["backbone"]["input_size"] * math.sqrt(float(np.mean(fractions)))
        return int(max(32, round(side / 16) * 16))

    def step_train_variant(self, variant: str) -> dict[str, Any]:
        data = json.loads((self.root / "masked" / variant / "split.json").read_text())
        splits = {k: [_sample_from_json(d, self.run) for d in v] for k, v in data.items()}
        size = self.run.result(f"mask_{variant}")["crop_size"] if variant == "crop" else None
        return self._train(variant, splits, input_size=size)

    def step_evaluate(self) -> dict[str, Any]:
        from fastk.training import evaluate_checkpoint

        out = {}
        full_splits = self._splits()
        for name in ["full", *self.cfg["retrain"]["variants"]]:
            trained = self.run.result("train_full" if name == "full" else f"train_{name}")
            if name == "full":
                test = full_splits["test"]
            else:
                data = json.loads((self.root / "masked" / name / "split.json").read_text())
                test = [_sample_from_json(d, self.run) for d in data["test"]]
            groups = [k for k in self.cfg["explore"]["group_by"] if k not in ("label", "attack_type")]
            checkpoint = self.run.resolve(trained["checkpoint"])
            metrics = evaluate_checkpoint(checkpoint, test, threshold=trained["threshold"],
                                          device=_device(self.cfg), group_by=groups)
            out[name] = {"metrics": metrics, "n_test": len(test), **_efficiency(checkpoint, test, self.cfg)}
        return jsonable(out)

    def step_report(self) -> dict[str, Any]:
        from fastk.report import render_html
        from fastk.report.build import build_report

        report = build_report(self)
        (self.root / "report.json").write_text(json.dumps(jsonable(report), indent=2))
        render_html(json.loads((self.root / "report.json").read_text()), self.root)
        return {"report": self.run.rel(self.root / "report.html")}

    # -- the loop -------------------------------------------------------------------------------
    def steps(self) -> list[tuple[str, Any]]:
        variants = self.cfg["retrain"]["variants"]
        out = [("data", self.step_data), ("train_full", self.step_train_full), ("explore", self.step_explore),
               ("sanity", self.step_sanity), ("select", self.step_select)]
        out += [(f"mask_{v}", lambda v=v: self.step_mask(v)) for v in variants]
        out += [(f"train_{v}", lambda v=v: self.step_train_variant(v)) for v in variants]
        out += [("evaluate", self.step_evaluate), ("report", self.step_report)]
        return out

    def run_all(self) -> Path:
        """Every step not yet done, holding the run folder's lock (a second writer is refused at once)."""
        from fastk.locks import FolderLock

        steps = self.steps()
        with FolderLock(self.root, self.command or "fastk run"):
            for i, (name, fn) in enumerate(steps, 1):
                _log(self.console, f"[bold cyan]step {i}/{len(steps)}: {name}[/]")
                self.run.step(name, fn, on_skip=lambda n: _log(self.console, f"  already done, kept ({n})"))
        return self.root / "report.html"


# -- helpers -------------------------------------------------------------------------------------
def _track(items, description: str, console):
    from fastk.progress import progress_bar

    progress = progress_bar(console is not None)
    with progress:
        task = progress.add_task(description, total=len(items))
        for item in items:
            yield item
            progress.advance(task)


def _with_faces(samples, detector, cache) -> tuple[list[Sample], list[dict[str, str]]]:
    """The samples in which ``detector`` finds a face, and the others with a one-line reason."""
    usable, skipped = [], []
    for s in samples:
        try:
            face = cache.detect_file(detector, s.path)
        except FastkError as err:
            skipped.append({"path": str(s.path), "reason": str(err)})
            continue
        if face.ok:
            usable.append(s)
        else:
            skipped.append({"path": str(s.path), "reason": f"{s.path}: {face.reason} ({detector.name})"})
    return usable, skipped


def _counts(samples: list[Sample]) -> dict[str, int]:
    out: dict[str, int] = {"images": len(samples), "subjects": len({s.subject for s in samples})}
    for s in samples:
        key = "real" if s.label == 0 else f"spoof:{s.attack_type}"
        out[key] = out.get(key, 0) + 1
    return out


def _common_root(samples: list[Sample]) -> Path:
    import os

    return Path(os.path.commonpath([str(Path(s.path).parent) for s in samples]))


def _moved(s: Sample, dest: Path) -> Sample:
    return Sample(dest, s.label, s.subject, s.attack_type, s.lighting, s.meta)


def _absolute(s: Sample) -> Sample:
    """The sample with an absolute path: the run must not depend on the working directory."""
    return Sample(Path(s.path).absolute(), s.label, s.subject, s.attack_type, s.lighting, s.meta)


def _write_csv(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    import csv

    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns)
        w.writeheader()
        w.writerows(rows)


def _read_rows(path: Path, areas: list[str]) -> list[dict[str, Any]]:
    import csv

    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        for a in areas:
            r[a] = float(r[a]) if r.get(a) not in (None, "") else float("nan")
    return rows


def _jsonable_result(result: Any) -> dict[str, Any]:
    """A trainer result as a JSON-safe dict (dataclass, object with to_dict, or dict)."""
    import dataclasses

    if dataclasses.is_dataclass(result):
        d = dataclasses.asdict(result)
    elif hasattr(result, "to_dict"):
        d = result.to_dict()
    else:
        d = dict(result)
    return jsonable(json.loads(json.dumps(d, default=str)))


def _efficiency(checkpoint: str, test: list[Sample], cfg: dict[str, Any]) -> dict[str, Any]:
    """Inference time per image (batch of 16, best of 3) and bytes per stored test image (JPEG at the
    configured quality, and PNG), measured the same way for every model."""
    import torch

    from fastk.checkpoints import load_checkpoint
    from fastk.images import read_rgb
    from fastk.masking import encoded_bytes

    backbone, model, _ = load_checkpoint(checkpoint, device=_device(cfg))
    images = [read_rgb(s.path) for s in test[:64]]
    x = backbone.preprocess(images[:16]).to(_device(cfg))
    timings = []
    with torch.no_grad():
        backbone.spoof_probability(model, x)  # warm-up
        for _ in range(3):
            t0 = time.perf_counter()
            backbone.spoof_probability(model, x)
            timings.append((time.perf_counter() - t0) / len(x))
    sizes = [encoded_bytes(im, int(cfg["retrain"].get("jpeg_quality", 90))) for im in images]
    jpeg, png = [s[0] for s in sizes], [s[1] for s in sizes]
    return {"inference_ms_per_image": 1000 * min(timings), "input_size": backbone.input_size,
            "jpeg_bytes_mean": float(np.mean(jpeg)), "png_bytes_mean": float(np.mean(png)),
            "stored_image_side": int(np.mean([max(im.shape[:2]) for im in images]))}
