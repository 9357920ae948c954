"""``fastk mask``: write the dataset with only the selected areas kept (black-out or crop-to-ROI)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from fastk.cli._common import areas_option, console, dataset_option, landmarks_option, load_samples, select_option


@click.command("mask")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--importance", "importance_file", type=click.Path(path_type=Path), required=True,
              help="area_importance.json written by `fastk explore`.")
@select_option
@dataset_option
@landmarks_option
@areas_option
@click.option("--mode", type=click.Choice(["blackout", "crop"]), default="blackout", show_default=True)
@click.option("--size", type=int, default=None, help="With --mode crop: resize crops to SIZE x SIZE.")
@click.option("--out", type=click.Path(path_type=Path), required=True)
def command(path, importance_file, select, dataset, landmarks, areas, mode, size, out) -> None:
    """Keep the areas SELECT picks from an importance result; black out (or crop away) the rest."""
    import fastk
    from fastk.areas import AreaSet
    from fastk.errors import ConfigError
    from fastk.importance import importance_vector
    from fastk.masking import write_masked_dataset

    try:
        summary = json.loads(Path(importance_file).read_text())["overall"]
    except (OSError, ValueError, KeyError) as err:
        raise ConfigError(f"{importance_file}: not an area_importance.json ({type(err).__name__})") from None
    selector = fastk.create("selector", select)
    keep = selector.select(importance_vector(summary))
    stats = write_masked_dataset(load_samples(dataset, path), out, keep=keep, detector=fastk.create("landmarks", landmarks),
                                 area_set=AreaSet.load(areas), mode=mode, size=size,
                                 source_root=path if path.is_dir() else None)
    stats["selector"] = selector.describe()
    (Path(out) / "mask.json").write_text(json.dumps(stats, indent=2))
    console.print(f"kept {', '.join(keep)}: {stats['written']} images written to {out}/, "
                  f"{stats['skipped']} skipped (see skipped.csv)")
