"""Landmark accuracy and detector agreement on the shared real face photos.

For dlib and MediaPipe: detection rate, eye-centre error against the hand-placed pupil centres
(fraction of the inter-ocular distance), time per image; and the per-area IoU of the paper's 10 masks
between the two detectors, on the subjects *not* used to fit the MediaPipe->dlib-68 table
(even-numbered London subjects, plus the CC0 photos).

    .venv/bin/python benchmarks/landmark_agreement.py  # writes benchmarks/landmark_agreement.json
"""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

import fastk
from fastk.data.faces import shared_faces_dir
from fastk.data.images import list_images, read_rgb
from fastk.face.areas import AreaSet


def held_out(path: Path) -> bool:
    parts = path.stem.split("_")
    return parts[0] != "london" or int(parts[-2]) % 2 == 0


def main() -> None:
    faces = shared_faces_dir()
    if faces is None:
        sys.exit("needs ../shared/data/faces")
    annotated = {str(faces / k): np.asarray(v[:2]) for k, v in json.loads((faces / "landmarks_frl189.json").read_text()).items()}
    # The four cc0_zoom photos' points 0 and 1 lie ~7 px apart near the mouth: not pupils (another
    # template), so they are left out of the pupil comparison and counted in the result.
    pupils = {k: v for k, v in annotated.items() if np.linalg.norm(v[1] - v[0]) > 20}
    not_pupils = sorted(Path(k).name for k in set(annotated) - set(pupils))
    photos = list_images(faces / "images")
    areas = AreaSet.load("paper")
    detectors = {name: fastk.create("landmarks", name) for name in ("dlib", "mediapipe")}
    results, faces_by = {}, {name: {} for name in detectors}
    for name, det in detectors.items():
        errors, seconds, found = [], [], 0
        for p in photos:
            img = read_rgb(p)
            t = time.perf_counter()
            face = det.detect(img)
            seconds.append(time.perf_counter() - t)
            if not face.ok:
                continue
            found += 1
            faces_by[name][str(p)] = face.points68
            if str(p) in pupils:
                truth = pupils[str(p)]
                iod = np.linalg.norm(truth[1] - truth[0])
                left, right = face.eye_centres()
                errors += [np.linalg.norm(left - truth[0]) / iod, np.linalg.norm(right - truth[1]) / iod]
        e = np.array(errors)
        results[name] = {
            "photos": len(photos),
            "faces_found": found,
            "eye_error_vs_pupils_frac_iod": {
                "n_eyes": len(e), "median": round(float(np.median(e)), 4), "mean": round(float(e.mean()), 4),
                "p95": round(float(np.percentile(e, 95)), 4), "max": round(float(e.max()), 4),
            },
            "seconds_per_image_median": round(float(np.median(seconds[1:])), 4),
        }
    ious = {a: [] for a in areas.names}
    common = [p for p in photos if held_out(p) and str(p) in faces_by["dlib"] and str(p) in faces_by["mediapipe"]]
    for p in common:
        shape = read_rgb(p).shape
        ma = areas.masks(faces_by["dlib"][str(p)], shape)
        mb = areas.masks(faces_by["mediapipe"][str(p)], shape)
        for a in areas.names:
            ious[a].append(float((ma[a] & mb[a]).sum() / max(1, (ma[a] | mb[a]).sum())))
    results["mask_iou_dlib_vs_mediapipe"] = {
        "photos": len(common),
        "per_area_mean": {a: round(float(np.mean(v)), 3) for a, v in ious.items()},
        "mean": round(float(np.mean([np.mean(v) for v in ious.values()])), 3),
    }
    results["pupil_annotations_left_out"] = not_pupils
    results["machine"] = {"python": platform.python_version(), "processor": platform.processor() or platform.machine()}
    results["command"] = "python benchmarks/landmark_agreement.py"
    out = Path(__file__).with_suffix(".json")
    out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
