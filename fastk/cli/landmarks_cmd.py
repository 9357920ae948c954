"""``fastk landmarks IMAGE...``: detect faces, write the area masks as a picture and the points as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.markup import escape

from fastk.cli._common import areas_option, console, landmarks_option


@click.command("landmarks")
@click.argument("images", nargs=-1, required=True, type=click.Path(path_type=Path))
@landmarks_option
@areas_option
@click.option("--out", type=click.Path(path_type=Path), default=Path("landmarks-out"), show_default=True)
def command(images: tuple[Path, ...], landmarks: str, areas: str, out: Path) -> None:
    """Find the largest face in each image and draw its face areas (to check detectors and area files)."""
    import fastk
    from fastk.areas import AreaSet
    from fastk.errors import FastkError
    from fastk.figures import draw_areas
    from fastk.images import list_images, read_rgb, write_image

    detector = fastk.create("landmarks", landmarks)
    area_set = AreaSet.load(areas)
    files = [f for i in images for f in (list_images(i) if i.is_dir() else [i])]
    out.mkdir(parents=True, exist_ok=True)
    results, skipped = [], 0
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
        write_image(out / f"{f.stem}_areas.jpg", draw_areas(img, area_set.polygons(face.points68)))
        results.append({"path": str(f), "detector": landmarks, "box": list(face.box),
                        "faces_found": face.faces_found, "points68": face.points68.round(2).tolist()})
    (out / "landmarks.json").write_text(json.dumps(results, indent=1))
    console.print(f"{len(results)} faces written to {escape(str(out))}/ ({skipped} skipped)")
