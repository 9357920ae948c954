"""Samples in a run's split files: paths relative to the run folder, so a run moves and resumes anywhere."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

from fastk.datasets import Sample
from fastk.runs import RunFolder


def sample_to_json(s: Sample, run: RunFolder) -> dict[str, Any]:
    return {"path": run.rel(s.path), "label": s.label, "subject": s.subject, "attack_type": s.attack_type,
            "lighting": s.lighting, "meta": s.meta}


def sample_from_json(d: dict[str, Any], run: RunFolder) -> Sample:
    return Sample(run.resolve(d["path"]), d["label"], d["subject"], d["attack_type"], d["lighting"],
                  d.get("meta") or {})


def absolute(s: Sample) -> Sample:
    """The sample with an absolute path: the run must not depend on the working directory."""
    return Sample(Path(s.path).absolute(), s.label, s.subject, s.attack_type, s.lighting, s.meta)


def moved(s: Sample, dest: Path) -> Sample:
    return Sample(dest, s.label, s.subject, s.attack_type, s.lighting, s.meta)


def common_root(samples: list[Sample]) -> Path:
    return Path(os.path.commonpath([str(Path(s.path).parent) for s in samples]))


def counts(samples: list[Sample]) -> dict[str, int]:
    """Images, subjects, and images per class / attack type (what the report's split table shows)."""
    out: dict[str, int] = {"images": len(samples), "subjects": len({s.subject for s in samples})}
    for s in samples:
        key = "real" if s.label == 0 else f"spoof:{s.attack_type}"
        out[key] = out.get(key, 0) + 1
    return out


def write_csv(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
