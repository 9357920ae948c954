"""Peak memory of training with streamed data (``train.data: stream``) on 2k and on 20k images at 112 px.

Writes N training images by re-encoding the shared demo faces (../shared/data/faces/images, real
photos; each copy randomly cropped, resized to 96-192 px, brightness-jittered and JPEG-encoded at
quality 80-95, so no two files are alike) into a temporary folder, half under real/ and half under
spoof/print/ (the labels are arbitrary: this measures memory, not accuracy), plus 256 validation
images. Then, in a child process per case, runs :func:`fastk.model.training.train` (what ``fastk train``
calls after its split) for one epoch cut to a FIXED number of training steps (STEPS = 30 batches of 32,
then the validation of all 256 images) and reports the child's peak resident memory (VmHWM of
/proc/self/status, and ru_maxrss of its child processes). Everything that sees all N images runs in
full: the listing, the training fingerprint (every file hashed), the epoch's order over all N and, in
memory mode, decoding all N; only the steps are capped, because a full epoch of 20k images takes about
20 minutes on this shared 2-core machine and the claim is about memory, not time. The model is timm's
test_resnet (0.4 M parameters), so the model's own memory is small beside what the data would take.

    .venv/bin/python benchmarks/streaming_rss.py            # writes benchmarks/streaming_rss.json
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIDE = 112
FACES = Path(__file__).resolve().parents[2] / "shared" / "data" / "faces" / "images"
STEPS = 30
CASES = [("stream", 2000, 0), ("stream", 20000, 0), ("stream", 20000, 2), ("memory", 2000, 0), ("memory", 20000, 0)]


def write_images(root: Path, n: int, seed: int) -> None:
    """``n`` re-encoded, jittered copies of the shared faces: n/2 under real/, n/2 under spoof/print/."""
    import cv2
    import numpy as np

    from fastk.data.images import read_rgb

    faces = [read_rgb(p) for p in sorted(FACES.glob("*.jpg"))]
    rng = random.Random(seed)
    for sub in ("real", "spoof/print"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for i in range(n):
        img = faces[i % len(faces)]
        h, w = img.shape[:2]
        c = rng.uniform(0.8, 1.0)
        ch, cw = int(h * c), int(w * c)
        y0, x0 = rng.randint(0, h - ch), rng.randint(0, w - cw)
        side = rng.randint(96, 192)
        crop = cv2.resize(img[y0:y0 + ch, x0:x0 + cw], (side, side), interpolation=cv2.INTER_AREA)
        crop = np.clip(crop.astype(np.float32) * rng.uniform(0.8, 1.2), 0, 255).astype(np.uint8)
        ok, buf = cv2.imencode(".jpg", crop[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, rng.randint(80, 95)])
        assert ok
        (root / ("real" if i % 2 == 0 else "spoof/print") / f"face{i:06d}.jpg").write_bytes(buf.tobytes())


def hardlinked_subset(src: Path, dst: Path, n: int) -> None:
    """The first ``n`` images of ``src`` (n/2 per class), linked rather than copied."""
    for sub in ("real", "spoof/print"):
        (dst / sub).mkdir(parents=True, exist_ok=True)
        for p in sorted((src / sub).iterdir())[: n // 2]:
            os.link(p, dst / sub / p.name)


def peak_kib() -> dict[str, int]:
    import resource

    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return {"vmhwm_kib": int(status["VmHWM"].split()[0]),
            "workers_max_rss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}


def child(train_root: str, val_root: str, mode: str, workers: int) -> None:
    """One training epoch cut to STEPS batches; prints a JSON line with the peak memory."""
    import itertools

    import fastk
    from fastk.model.training import TrainConfig, _data, train

    for cls in (_data.MemoryImages, _data.StreamedImages):  # the step cap (validation has 4 batches)
        cls.batches = (lambda f: lambda self, idx: itertools.islice(f(self, idx), STEPS))(cls.batches)

    train_samples = fastk.create("dataset", "folder", root=train_root).samples()
    val_samples = fastk.create("dataset", "folder", root=val_root).samples()
    backbone = fastk.create("backbone", "timm:test_resnet", input_size=SIDE)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        result = train(train_samples, val_samples, backbone, out,
                       TrainConfig(epochs=1, batch_size=32, min_epochs=1, data=mode, workers=workers),
                       show_progress=False)
    print(json.dumps({"train_images": len(train_samples), "val_images": len(val_samples),
                      "seconds": round(time.perf_counter() - t0, 1), "steps": STEPS,
                      "loss_total": result.history[0]["loss_total"], **peak_kib()}))


def main() -> None:
    from fastk.common.environment import environment_record

    env = environment_record()
    cases = []
    with tempfile.TemporaryDirectory() as tmp:
        roots = {20000: Path(tmp) / "n20000", 2000: Path(tmp) / "n2000"}
        t0 = time.perf_counter()
        write_images(roots[20000], 20000, seed=0)
        write_images(Path(tmp) / "val", 256, seed=1)
        hardlinked_subset(roots[20000], roots[2000], 2000)
        written = round(time.perf_counter() - t0, 1)
        for mode, n, workers in CASES:
            load_before = os.getloadavg()
            run = subprocess.run([sys.executable, __file__, "--child", str(roots[n]), str(Path(tmp) / "val"), mode,
                                  str(workers)], capture_output=True, text=True, check=True)
            row = json.loads(run.stdout.strip().splitlines()[-1])
            cases.append({"data": mode, "n": n, "workers": workers, **row,
                          "peak_rss_mib": round(row["vmhwm_kib"] / 1024, 1),
                          "load_before": [round(x, 2) for x in load_before],
                          "load_after": [round(x, 2) for x in os.getloadavg()]})
            print(json.dumps(cases[-1]), flush=True)

    def peak(mode: str, n: int, workers: int = 0) -> float:
        return next(c["peak_rss_mib"] for c in cases if (c["data"], c["n"], c["workers"]) == (mode, n, workers))

    out = {"what": f"peak RSS of training at 112 px: one epoch cut to {STEPS} steps of 32 images (timm:test_resnet), "
                   "then validation on 256 images; listing, fingerprint, order (and memory mode's decoding) over all N",
           "images_written_seconds": written, "cases": cases,
           "ratio_stream_20k_over_2k": round(peak("stream", 20000) / peak("stream", 2000), 3),
           "ratio_memory_20k_over_2k": round(peak("memory", 20000) / peak("memory", 2000), 3),
           "done_when": "stream 20k within 1.5x of stream 2k",
           "environment": env, "command": "python benchmarks/streaming_rss.py"}
    Path(__file__).with_suffix(".json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps({k: out[k] for k in ("ratio_stream_20k_over_2k", "ratio_memory_20k_over_2k")}))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        main()
