"""The files of an exploration folder: rows appended as work goes, read back, summarised and drawn.

Why apart from :mod:`fastk.explain.explore`: the pipeline, the stability grid and the report read finished
explorations without running one; the resume check decides from ``explore.json`` alone.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fastk.common.fingerprint import mismatch
from fastk.common.jsonsafe import write_json
from fastk.errors import ConfigError, FastkError
from fastk.explain.explore_settings import ExploreResult, ExploreSettings
from fastk.explain.face_heat import on_face
from fastk.explain.figures import importance_bar_chart
from fastk.explain.importance import as_float, importance_vector, no_signal, summarize, summarize_by

#: Columns of ``per_image.csv`` before the samples' metadata and the area scores.
BASE_COLUMNS = ["path", "label", "subject", "attack_type", "lighting", "detector", "faces_found", "framing",
                "spoof_probability", "face_heat_share", "face_pixel_share"]
FINGERPRINT_LABELS = {"model": "model weights", "samples": "images (paths, labels or file contents)",
                      "settings": "settings", "backbone": "backbone", "cam_target": "CAM target",
                      "areas": "face areas", "plugins": "plugin distributions or versions", "detector": "landmark detector",
                      "input": "input preparation (alignment, framing, mask)"}


def read_rows(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


class RowAppender:
    """A CSV file that gets its header once and a flushed row per call (crash-safe progress).

    A file that exists keeps its own header: rows appended on resume follow it (a column added by a
    later fastk is left out of an older file rather than shifting every value after it).
    """

    def __init__(self, path: Path, columns: Sequence[str]):
        self.path, self.columns = path, list(columns)
        new = not path.exists() or path.stat().st_size == 0
        if not new:
            with open(path, newline="") as f:
                self.columns = next(csv.reader(f), []) or self.columns
        self.f = open(path, "a", newline="")
        self.w = csv.DictWriter(self.f, fieldnames=self.columns, extrasaction="ignore")
        if new:
            self.w.writeheader()

    def add(self, row: dict[str, Any]) -> None:
        self.w.writerow(row)
        self.f.flush()

    def close(self) -> None:
        self.f.close()


def read_area_rows(path: Path, areas: list[str]) -> list[dict[str, Any]]:
    """The rows of an exploration's ``per_image.csv``, area columns as floats (NaN where empty)."""
    rows = read_rows(Path(path))
    for r in rows:
        for a in areas:
            r[a] = as_float(r.get(a))
    return rows


def finish(out: Path, areas: list[str], s: ExploreSettings, record: dict[str, Any], *,
           figures: bool = True) -> ExploreResult:
    """Summaries and figures from ``per_image.csv`` (also what a resumed run ends with); ``figures``
    False skips the bar chart (a stability grid's cells: 60 charts cost more than their CAM work)."""
    rows = read_area_rows(out / "per_image.csv", areas)
    skipped = [(r["path"], r["reason"]) for r in read_rows(out / "skipped.csv")]
    if not rows:
        raise FastkError(f"{out}: no image had a usable face ({len(skipped)} skipped; see skipped.csv)")
    overall = summarize(rows, areas, n_boot=s.n_boot, seed=s.seed)
    flat = no_signal(importance_vector(overall))
    summary = {
        "overall": overall,
        "by": {
            key: summarize_by(rows, areas, key if key in BASE_COLUMNS else f"meta_{key}", n_boot=s.n_boot, seed=s.seed)
            for key in s.group_by
        },
        # no order when every area scored alike (all-zero maps): any order would be the tie-break's
        "ranking": [] if flat else sorted(areas, key=lambda a: -np.nan_to_num(np.nanmean([r[a] for r in rows]), nan=-1)),
        "no_signal": flat,
        "on_face": on_face(rows),
        "images_used": len(rows),
        "images_skipped": len(skipped),
        **record,
    }
    summary["by"]["label"] = {
        {"0": "real", "1": "spoof", "-1": "unlabelled"}.get(k, k): v for k, v in summary["by"].get("label", {}).items()
    }
    write_json(out / "area_importance.json", summary, indent=2)
    target = record["cam_target"]["target"]
    if figures:
        importance_bar_chart(
            summary["overall"],
            out / "importance.png",
            title=f"Area importance ({record['settings']['cam']} on {target}, {record['settings']['landmarks']} areas)",
            note=f"{len(rows)} images; {len(skipped)} skipped",
        )

    return ExploreResult(out, summary, len(rows), skipped)


def check_resume(path: Path, record: dict[str, Any]) -> None:
    """Refuse to add rows to a folder whose rows came from another model, images, settings or plugins."""

    if not path.exists():
        return
    try:
        old = json.loads(path.read_text())
    except (OSError, ValueError):
        raise ConfigError(f"{path}: unreadable (not JSON); use a new --out folder, or delete it to start fresh") from None
    old_fp = old.get("fingerprint") if isinstance(old, dict) else None
    new_fp = record["fingerprint"]
    detail = {}
    if isinstance(old_fp, dict) and isinstance(old_fp.get("settings"), dict):
        a, b = old_fp["settings"], new_fp["settings"]
        detail["settings"] = ", ".join(f"{k}: {a.get(k)!r} -> {b.get(k)!r}" for k in sorted(set(a) | set(b))
                                       if a.get(k) != b.get(k))
    message = mismatch(path.parent, "a run", old_fp, new_fp, FINGERPRINT_LABELS, detail)
    if message:
        raise ConfigError(message)
