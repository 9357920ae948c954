"""``fastk mask``: write the dataset with only the selected areas kept (black-out or crop-to-ROI)."""

from __future__ import annotations

import json
from pathlib import Path

import click

import fastk
from fastk.cli._checked_inputs import dataset_options_option, key_values
from fastk.cli._common import (
    areas_option,
    console,
    dataset_option,
    landmarks_option,
    load_samples,
    select_option,
    side_type,
)
from fastk.common.distributed import main_holds
from fastk.common.jsonsafe import write_json
from fastk.common.locks import FolderLock
from fastk.errors import ConfigError
from fastk.explain.importance import importance_vector
from fastk.face.alignment import Alignment
from fastk.face.areas import AreaSet
from fastk.face.masked_dataset import write_masked_dataset
from fastk.trust.audit_classifier import LEAK_AUC
from fastk.trust.mask_audit import audit_masks


@click.command("mask")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--importance", "importance_file", type=click.Path(path_type=Path), required=True,
              help="area_importance.json written by `fastk explore`.")
@select_option
@dataset_option
@dataset_options_option
@landmarks_option
@areas_option
@click.option("--mode", type=click.Choice(["blackout", "crop"]), default="blackout", show_default=True)
@click.option("--size", type=side_type, default=None, help="With --mode crop: resize crops to SIZE x SIZE.")
@click.option("--masking", type=click.Choice(["aligned", "landmark"]), default="aligned", show_default=True,
              help="aligned: faces warped onto one template, every image masked with the same pixels; landmark: "
                   "the paper's recipe, each image masked by its own landmarks (its outline can tell the label).")
@click.option("--aligned-size", type=side_type, default=112, show_default=True,
              help="With --masking aligned: the aligned faces' side in pixels.")
@click.option("--out", type=click.Path(path_type=Path), required=True)
@click.pass_context
def command(ctx, path, importance_file, select, dataset, dataset_options, landmarks, areas, mode, size, masking, aligned_size,
            out) -> None:
    """Keep the areas SELECT picks from an importance result; black out (or crop away) the rest.

    The landmark detector and area set default to the ones the importance was computed with
    (recorded in area_importance.json): the areas kept must be the areas that were scored. The masks
    are audited as they are written (docs/masking.md): how well the masks alone tell real from attack,
    printed and in mask.json; `fastk train` on the output records the alignment and mask, so
    `fastk predict` prepares raw photos alike.
    """

    try:
        record = json.loads(Path(importance_file).read_text())
        summary = record["overall"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ConfigError(f"{importance_file}: not an area_importance.json ({type(err).__name__})") from None
    settings = record.get("settings") if isinstance(record.get("settings"), dict) else {}
    landmarks, areas = _from_importance(ctx, {"landmarks": landmarks, "areas": areas}, settings, importance_file)
    selector = fastk.create("selector", select)
    try:
        keep = selector.select(importance_vector(summary))
    except ConfigError as err:  # e.g. all-zero heatmaps: nothing ranks, so nothing is masked
        raise ConfigError(f"{importance_file}: {err}") from None

    with main_holds(lambda: FolderLock(out, "fastk mask")):  # mask.json too (the writer takes it again)
        alignment = Alignment(aligned_size) if masking == "aligned" else None
        stats = write_masked_dataset(load_samples(dataset, path, key_values(dataset_options, "--dataset-option")), out, keep=keep,
                                     detector=fastk.create("landmarks", landmarks), area_set=AreaSet.load(areas),
                                     mode=mode, size=size, source_root=path if path.is_dir() else path.parent,
                                     alignment=alignment, audit=audit_masks)
        stats["selector"] = selector.describe()
        stats["input"] = input_record(stats, alignment, areas, landmarks, size)
        write_json(Path(out) / "mask.json", stats, indent=2)
    console.print(f"kept {', '.join(keep)}: {stats['written']} images written to {out}/, "
                  f"{stats['skipped']} skipped (see skipped.csv)")
    _print_audit(stats.get("mask_audit") or {}, masking)


def input_record(stats: dict, alignment, areas: str, landmarks: str, size: int | None) -> dict:
    """What a checkpoint trained on this output must record to prepare raw photos alike (mask.json's
    ``input``, read by `fastk train`): the alignment and the mask (fastk.face.model_input)."""
    record = {"mask": {"mode": stats["mode"], "keep": stats["kept_areas"], "areas": areas, "framing": stats["framing"],
                       "size": size}, "landmarks": landmarks}
    if alignment is not None:
        record["alignment"] = {**alignment.record(), "detector": landmarks}
    return record


def _print_audit(audit: dict, masking: str) -> None:
    """The mask audit's line: can the masks alone tell real from attack (docs/masking.md)."""

    if not audit.get("applies"):
        console.print(f"mask audit: {audit.get('why', 'not measured')}", markup=False)
        return
    lo, hi = audit["ci"]
    verdict = (f"above {LEAK_AUC}: the outline can tell the label; compare face content with --masking aligned"
               if audit["leak"] else "the masks carry no label to speak of")
    console.print(f"mask audit ({masking}): the masks alone tell real from attack with AUC {audit['auc']:.3f} "
                  f"(95% CI {lo:.3f}-{hi:.3f}): {verdict}", markup=False)


def _from_importance(ctx, given: dict[str, str], settings: dict, importance_file) -> list[str]:
    """Each option as typed on the command line, else the importance's own value (the areas kept must be
    found the way they were scored); one line says which was used and where it came from."""
    from click.core import ParameterSource

    used, notes = [], []
    for option, value in given.items():
        recorded = settings.get(option)
        typed = ctx.get_parameter_source(option) == ParameterSource.COMMANDLINE
        if typed or not isinstance(recorded, str):
            clash = f", {importance_file} used {recorded}" if isinstance(recorded, str) and recorded != value else ""
            notes.append(f"{option} {value} ({'given' if typed else 'default'}{clash})")
            used.append(value)
        else:
            notes.append(f"{option} {recorded} (as in {importance_file}; --{option} overrides)")
            used.append(recorded)
    console.print("using " + ", ".join(notes), markup=False)
    return used
