"""``fastk sanity CHECKPOINT PATH``: does the explanation change when the model's weights are random?"""

from __future__ import annotations

from pathlib import Path

import click

from fastk.cli._checked_inputs import dataset_options_option, key_values
from fastk.cli._common import (
    areas_option,
    cam_option,
    console,
    dataset_option,
    landmarks_option,
    load_samples,
)
from fastk.cli._locked import locked_output
from fastk.common.jsonsafe import dumps, jsonable, write_json
from fastk.errors import FastkError
from fastk.explain.explore_settings import ExploreSettings
from fastk.model.checkpoints import load_checkpoint
from fastk.model.training import TrainConfig, subject_split
from fastk.trust.check_subset import chosen, makeup_line, source_name
from fastk.trust.faithfulness_figures import cascading_figure
from fastk.trust.sanity import label_randomisation_check, models_line, randomisation_check


@click.command("sanity")
@click.argument("checkpoint", type=click.Path(path_type=Path))
@click.argument("path", required=False, type=click.Path(path_type=Path))
@dataset_option
@dataset_options_option
@landmarks_option
@cam_option
@click.option("--cam-target", default=None)
@areas_option
@click.option("--max-images", type=int, default=64, show_default=True,
              help="Explore at most N images: half real, half attacks, seeded (refused with one class).")
@click.option("--draws", type=click.IntRange(1), default=5, show_default=True,
              help="Random initialisations the verdict is read from.")
@click.option("--seed-model", "seed_models", multiple=True, type=click.Path(path_type=Path),
              help="Another checkpoint of the same recipe (e.g. another training seed); repeatable. The verdict "
                   "is then read over all the models, each against the same random draws.")
@click.option("--cascading/--no-cascading", default=True, show_default=True,
              help="Re-initialise blocks from the output side, one more at a time.")
@click.option("--labels", "label_check", is_flag=True,
              help="Also train the same recipe on shuffled labels (costly; subject split of PATH).")
@click.option("--label-epochs", type=click.IntRange(1), default=5, show_default=True)
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Write sanity.json and the cascading figure here.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@locked_output("out_dir", "fastk sanity")
def command(checkpoint, path, dataset, dataset_options, landmarks, cam, cam_target, areas, max_images, draws, seed_models,
            cascading, label_check, label_epochs, out_dir, as_json) -> None:
    """Model randomisation (several draws), cascading randomisation and optionally label randomisation
    (Adebayo et al. 2018) of the area importance of CHECKPOINT on PATH."""
    import tempfile

    backbone, model, meta = load_checkpoint(checkpoint)
    everything = load_samples(dataset, path, key_values(dataset_options, "--dataset-option"))
    where = source_name("sanity", dataset, path)
    settings = ExploreSettings(landmarks=landmarks, cam=cam, cam_target=cam_target, areas=areas, overlays=0,
                               n_boot=100)
    names = _names([checkpoint, *seed_models])
    others = {n: _same_recipe(checkpoint, backbone, c) for n, c in zip(names[1:], seed_models)}
    result = randomisation_check(everything, backbone, model, settings, draws=draws, cascading=cascading,
                                 name=names[0], other_models=others, max_images=max_images, where=where)
    if label_check:

        samples = chosen(everything, result["subset"])  # the images the randomisation check explored
        split = subject_split(everything, seed=0)
        known = set(TrainConfig.__dataclass_fields__)
        cfg = TrainConfig.from_dict({k: v for k, v in (meta.get("train_config") or {}).items() if k in known})
        cfg.epochs = label_epochs
        with tempfile.TemporaryDirectory() as tmp:
            result["label_randomisation"] = label_randomisation_check(
                split["train"], split["val"], samples, backbone, result["trained"],
                Path(out_dir or tmp) / "label-randomisation", settings=settings, train_config=cfg,
                k=result["k"], show_progress=not as_json)
    result = jsonable(result)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        write_json(out_dir / "sanity.json", result, indent=2)
        if result.get("cascading"):

            cascading_figure(result, out_dir / "sanity_cascading.png")
    if as_json:
        click.echo(dumps(result, indent=2))
        return
    _print(result, out_dir)


def _names(paths: list[Path]) -> list[str]:
    """A name per checkpoint: its file stem, numbered when two share one (runs/a/model.pt, runs/b/model.pt)."""
    out: list[str] = []
    for path in paths:
        name, i = path.stem, 2
        while name in out:
            name, i = f"{path.stem}-{i}", i + 1
        out.append(name)
    return out


def _same_recipe(first: Path, backbone, path: Path):
    """``path``'s model, refused in one line when its architecture is not ``first``'s."""

    other, model, _ = load_checkpoint(path)
    if other.config() != backbone.config():
        raise FastkError(f"{path}: a {other.spec} model at {other.input_size} px ({other.options}), not "
                         f"{first}'s architecture; --seed-model takes checkpoints of the same recipe")
    return model


def _print(result: dict, out_dir: Path | None) -> None:
    from rich.table import Table

    table = Table("area", "trained", f"random weights (mean of {result['spearman']['n']})",
                  title=f"Sanity check: {result['method']}")
    for area in sorted(result["trained"], key=lambda a: -result["trained"][a]):
        table.add_row(area, f"{result['trained'][area]:.3f}", f"{result['randomised'][area]:.3f}")
    console.print(table)
    console.print(f"images: {makeup_line(result['subset'])}")
    sp = result["spearman"]
    colour = {"passes": "green", "fails": "red"}.get(result["verdict"], "yellow")
    console.print(f"model randomisation, {sp['n']} draws: Spearman median {sp['median']:.2f} (quartiles "
                  f"{sp['q1']:.2f} to {sp['q3']:.2f}, range {sp['min']:.2f} to {sp['max']:.2f}); mean change of the "
                  f"per-image area scores {result['mean_abs_area_score_change']:.3f} ({result['images']} images): "
                  f"[{colour}]{result['verdict']}[/] ({result['rule']})")
    if len(result["models"]) > 1:

        console.print(f"over the {len(result['models'])} models: [{colour}]{result['verdict']}[/] "
                      f"({models_line(result['models'])}; {result['rule']})")
    casc = result.get("cascading")
    if casc:
        steps = ", ".join(f"{s['block']} {s['spearman']:.2f}" for s in casc["steps"])
        lost = casc["ranking_lost_at"]
        console.print(f"cascading randomisation (Spearman after each block, output side first): {steps}; "
                      + ("the ranking never fell below 0.5" if lost is None
                         else f"below 0.5 from block {casc['steps'][lost]['block']}"))
    lab = result.get("label_randomisation")
    if lab:
        v = "[green]passes[/]" if lab["passes"] else "[red]fails[/]"
        console.print(f"label randomisation ({lab['epochs']} epochs on shuffled labels): Spearman "
                      f"{lab['agreement']['spearman']:.2f}: {v}")
    if out_dir is not None:
        console.print(f"wrote {out_dir / 'sanity.json'}")
