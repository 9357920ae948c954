"""Test helpers that are not fixtures: writing small copies, training a tiny model."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_small(path: Path, rgb: np.ndarray, side: int = 192) -> Path:
    import cv2

    from fastk.data.images import write_image

    write_image(path, cv2.resize(rgb, (side, side), interpolation=cv2.INTER_AREA))
    return path


def train_tiny(dataset_root: Path, out: Path, *, epochs: int = 12, seed: int = 0) -> Path:
    """Train timm's tiny test_resnet (0.4 M parameters) real-vs-spoof and save a fastk checkpoint."""
    import torch

    import fastk
    from fastk.data.images import read_rgb
    from fastk.model.checkpoints import save_checkpoint

    torch.manual_seed(seed)
    samples = fastk.create("dataset", "folder", root=dataset_root).samples()
    backbone = fastk.create("backbone", "timm:test_resnet", input_size=64)
    model = backbone.build()
    for m in model.modules():  # few steps: let BatchNorm's running statistics settle quickly
        if isinstance(m, torch.nn.BatchNorm2d):
            m.momentum = 0.5
    x = backbone.preprocess([read_rgb(s.path) for s in samples])
    y = torch.tensor([s.label for s in samples])
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(seed)
    model.train()
    losses = []
    for _ in range(epochs):
        for idx in torch.randperm(len(x), generator=g).split(8):
            loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        acc = float((model(x).argmax(1) == y).float().mean())
    return save_checkpoint(out, backbone, model, {"train_accuracy": acc, "losses": losses})


def train_tiny_lgsc(dataset_root: Path, out: Path, *, steps: int = 30, seed: int = 0) -> Path:
    """A small LGSC (cue generator + auxiliary classifier, scored by the classifier) trained briefly on
    ``dataset_root`` with its own 1:5:5 loss: enough for BatchNorm running statistics that differ from
    any batch's statistics, which is what makes eval-mode bugs visible."""
    import torch

    import fastk
    from fastk.data.images import read_rgb
    from fastk.model.checkpoints import save_checkpoint

    torch.manual_seed(seed)
    samples = fastk.create("dataset", "folder", root=dataset_root).samples()
    backbone = fastk.create("backbone", "lgsc", encoder="mobilenetv3_small_050", classifier="resnet10t",
                            input_size=64, score="classifier")
    model = backbone.build()
    x = backbone.preprocess([read_rgb(s.path) for s in samples])
    y = torch.tensor([s.label for s in samples])
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3)
    g = torch.Generator().manual_seed(seed)
    model.train()
    done = 0
    while done < steps:
        for idx in torch.randperm(len(x), generator=g).split(8):
            loss = backbone.training_loss(model, x[idx], y[idx])["total"]
            opt.zero_grad()
            loss.backward()
            opt.step()
            done += 1
    model.eval()
    return save_checkpoint(out, backbone, model, {"steps": steps})


def launch(argv: list[str], *, processes: int = 1, env: dict[str, str] | None = None, cwd: Path | None = None,
           background: bool = False):
    """``python ARGV`` in a subprocess, or under ``torchrun --nproc-per-node PROCESSES`` (CPU, gloo, a
    free port); every process on one torch thread, as torchrun sets it, so a one-process run computes
    with the same floats as each of the N. ``background``: a ``Popen`` in its own process group."""
    import os
    import subprocess
    import sys

    launcher = [sys.executable]
    if processes > 1:
        launcher += ["-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={processes}"]
    full_env = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
    if background:
        return subprocess.Popen([*launcher, *argv], env=full_env, cwd=cwd, start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return subprocess.run([*launcher, *argv], capture_output=True, text=True, env=full_env, cwd=cwd, timeout=900)


def fastk_cli(*args: str, processes: int = 1, env: dict[str, str] | None = None, cwd: Path | None = None):
    """``python -m fastk ARGS``, in one process or under torchrun (see :func:`launch`)."""
    return launch(["-m", "fastk", *args], processes=processes, env=env, cwd=cwd)


def write_video(path: Path, photos: list, *, side: int = 96, fourcc: str = "MJPG", fps: float = 25.0) -> list[np.ndarray]:
    """A small video with one real photo per frame, each shifted and scaled a little further (so frames
    differ even when a photo repeats); returns the frames as written (RGB)."""
    import cv2

    from fastk.data.images import read_rgb

    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (side, side))
    if not writer.isOpened():
        raise RuntimeError(f"this OpenCV cannot write {fourcc} to {path.suffix}")
    frames = []
    for i, photo in enumerate(photos):
        img = read_rgb(photo)
        h, w = img.shape[:2]
        crop = int(min(h, w) * (1 - 0.02 * (i % 5)))  # a little zoom, and a shift of a few pixels
        y0, x0 = (h - crop) // 2 + i % 3, (w - crop) // 2 + i % 4
        frame = cv2.resize(img[y0:y0 + crop - 4, x0:x0 + crop - 4], (side, side), interpolation=cv2.INTER_AREA)
        writer.write(np.ascontiguousarray(frame[:, :, ::-1]))
        frames.append(frame)
    writer.release()
    return frames


def decode_video(path: Path) -> list[np.ndarray]:
    """Every frame of a video, read sequentially with OpenCV (RGB): what seeking must reproduce."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    out = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        out.append(bgr[:, :, ::-1].copy())
    cap.release()
    return out
