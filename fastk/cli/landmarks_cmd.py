"""``fastk landmarks IMAGE...``: detect faces, write the area masks as a picture and the points as JSON."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

import fastk
from fastk.cli._common import areas_option, console, landmarks_option
from fastk.common.jsonsafe import write_json
from fastk.common.locks import FolderLock
from fastk.common.safepaths import child, safe_name, unique_name
from fastk.data.images import list_images, read_rgb, write_image
from fastk.errors import FastkError
from fastk.explain.figures import draw_areas
from fastk.face.areas import AreaSet


@click.command("landmarks")
@click.argument("images", nargs=-1, required=True, type=click.Path(path_type=Path))
@landmarks_option
@areas_option
@click.option("--out", type=click.Path(path_type=Path), default=Path("landmarks-out"), show_default=True)
def command(images: tuple[Path, ...], landmarks: str, areas: str, out: Path) -> None:
    """Find the largest face in each image and draw its face areas (to check detectors and area files).

    Each drawing is OUT/NAME_areas.jpg, named after its image (landmarks.json says which is which).
    """

    detector = fastk.create("landmarks", landmarks)
    area_set = AreaSet.load(areas)
    files = [f for i in images for f in (list_images(i) if i.is_dir() else [i])]
    with FolderLock(out, "fastk landmarks"):
        results, skipped = _draw(files, detector, landmarks, area_set, out)
        write_json(out / "landmarks.json", results, indent=1)
    console.print(f"{len(results)} faces written to {escape(str(out))}/ ({skipped} skipped)")


def _draw(files: list[Path], detector, landmarks: str, area_set, out: Path) -> tuple[list[dict], int]:
    """One ``*_areas.jpg`` per face and its JSON record; names never collide (``x.jpg`` and ``x.png``,
    or ``a/x.jpg`` and ``b/x.jpg``, used to write one file for two images)."""

    results, skipped, taken = [], 0, {"landmarks.json"}
    for f in files:
        try:
            img = read_rgb(f)
        except FastkError as err:
            console.print(f"[yellow]skipped[/] {escape(str(err))}")
            skipped += 1
            continue
        face = detector.detect(img)
        if not face.ok or face.points68 is None:  # areas are drawn from dlib's 68 points
            why = "no dlib-68 points from this detector" if face.ok else face.reason
            console.print(f"[yellow]skipped[/] {escape(str(f))}: {why} ({landmarks})")
            skipped += 1
            continue
        if face.note:
            console.print(f"{escape(str(f))}: {face.note}")
        name = unique_name(safe_name(f.stem), "_areas.jpg", str(f.resolve()), taken)
        write_image(child(out, name), draw_areas(img, area_set.polygons(face.points68)))
        results.append({"path": str(f), "image": name, "detector": landmarks, "box": list(face.box),
                        "faces_found": face.faces_found, "points68": face.points68.round(2).tolist()})
    return results, skipped
