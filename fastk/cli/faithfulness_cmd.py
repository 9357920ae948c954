"""``fastk faithfulness CHECKPOINT PATH``: do the top-ranked areas carry the model's decision?"""

from __future__ import annotations

import json
from pathlib import Path

import click

import fastk
from fastk import defaults
from fastk.cli._checked_inputs import dataset_options_option, key_values
from fastk.cli._common import console, dataset_option, load_samples
from fastk.cli._locked import locked_output
from fastk.common.jsonsafe import dumps
from fastk.errors import ConfigError
from fastk.face.areas import AreaSet
from fastk.model.checkpoints import load_checkpoint
from fastk.model.training import subject_split
from fastk.trust.check_subset import makeup_line, source_name
from fastk.trust.faithfulness import FaithfulnessSettings, faithfulness


@click.command("faithfulness")
@click.argument("checkpoint", type=click.Path(path_type=Path))
@click.argument("path", required=False, type=click.Path(path_type=Path))
@dataset_option
@dataset_options_option
@click.option("--importance", type=click.Path(path_type=Path), default=None,
              help="area_importance.json (or its folder): the ranking to test, and its landmarks and areas.")
@click.option("--areas-to-test", default=None,
              help="Comma-separated areas removed together (default: the top --k of the ranking).")
@click.option("--k", type=click.IntRange(1), default=4, show_default=True)
@click.option("--landmarks", default=None, help="Landmark detector (default: the exploration's, else dlib).")
@click.option("--areas", default=None, help="Area set (default: the exploration's, else paper).")
@click.option("--methods", default="road,blackout", show_default=True,
              help="Removal methods, comma-separated (road, blackout); the first makes the headline.")
@click.option("--random", "n_random", type=click.IntRange(0), default=20, show_default=True,
              help="Random area sets of about the same pixel count.")
@click.option("--random-orders", type=click.IntRange(0), default=3, show_default=True,
              help="Random-order deletion curves drawn for reference.")
@click.option("--split", type=click.Choice(["all", "train", "val", "test"]), default="all", show_default=True,
              help="Use one part of the subject split (seed --split-seed) of PATH.")
@click.option("--split-seed", type=int, default=0, show_default=True)
@click.option("--max-images", type=int, default=None,
              help="Use at most N images: half real, half attacks, drawn with --seed.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", type=click.Path(path_type=Path), default=Path("runs/faithfulness"), show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@locked_output("out", "fastk faithfulness")
def command(checkpoint, path, dataset, dataset_options, importance, areas_to_test, k, landmarks, areas, methods, n_random,
            random_orders, split, split_seed, max_images, seed, out, as_json) -> None:
    """Remove areas from the images (black-out, ROAD imputation) and measure how much the spoof score
    and AUC of CHECKPOINT drop, against random area sets of the same size; writes faithfulness.json and
    figures into --out."""

    if importance is None and areas_to_test is None:
        raise ConfigError("give --importance area_importance.json (the ranking to test) or --areas-to-test a,b")
    explored: dict = {}
    if importance is not None:
        explored = _read_importance(importance)
    s = explored.get("settings", {})
    settings = FaithfulnessSettings(
        landmarks=landmarks or s.get("landmarks", defaults.LANDMARKS), areas=areas or s.get("areas", defaults.AREAS),
        methods=tuple(m.strip() for m in methods.split(",") if m.strip()), k=k, n_random=n_random,
        random_orders=random_orders, seed=seed)
    fastk.get_registry("landmarks").get(settings.landmarks)
    names = AreaSet.load(settings.areas).names
    ranking = explored.get("ranking") or []
    selected = [a.strip() for a in areas_to_test.split(",") if a.strip()] if areas_to_test else None
    if not ranking:
        if selected is None:  # an exploration that ranked nothing, and no areas given
            raise ConfigError(f"{importance}: the ranking is empty; give --areas-to-test a,b")
        ranking = selected + [a for a in names if a not in selected]
    backbone, model, _ = load_checkpoint(checkpoint)
    samples = load_samples(dataset, path, key_values(dataset_options, "--dataset-option"))
    if split != "all":

        samples = subject_split(samples, seed=split_seed)[split]
    where = source_name("faithfulness", dataset, path, split if split != "all" else None)
    result = faithfulness(samples, backbone, model, ranking, selected=selected, settings=settings, out_dir=out,
                          show_progress=not as_json, max_images=max_images, where=where)
    if as_json:

        click.echo(dumps(result, indent=2))
        return
    _print(result, out)


def _read_importance(path: Path) -> dict:
    p = path / "area_importance.json" if path.is_dir() else path
    try:
        data = json.loads(p.read_text())
    except (OSError, ValueError) as err:
        raise ConfigError(f"{p}: cannot read an area_importance.json ({getattr(err, 'strerror', None) or err})") from None
    if not isinstance(data, dict) or not isinstance(data.get("ranking"), list):
        raise ConfigError(f"{p}: not an area_importance.json written by fastk (no 'ranking')")
    return data


def _print(result: dict, out: Path) -> None:
    from rich.table import Table

    methods = list(result["methods"])
    table = Table("area", "share of input", *[f"{m}: AUC drop" for m in methods],
                  *[f"{m}: spoof-score drop" for m in methods], title="Removing one area at a time (ranking order)")
    for a in result["ranking"]:
        row = [a, f"{result['pixel_fraction'][a]:.1%}"]
        row += [_f(result["methods"][m]["per_area"][a]["auc_drop"]) for m in methods]
        row += [_f(result["methods"][m]["per_area"][a]["spoof_drop"]) for m in methods]
        table.add_row(*row)
    table.columns[0].no_wrap = True
    console.print(table)
    for m in methods:
        r = result["methods"][m]
        verdict = "[green]beats random sets[/]" if r["beats_random"] else "[yellow]not above random sets[/]"
        console.print(f"{m}: selected set AUC drop {_f(r['selected']['auc_drop'])} vs random "
                      f"{_f(r['random']['auc_drop']['mean'])} +- {_f(r['random']['auc_drop']['sd'])} "
                      f"(share of random sets dropping as much: {_f(r['random']['p_auc_drop'], '{:.2f}')}): {verdict}")
    console.print(result["headline"])
    console.print(f"images drawn: {makeup_line(result['subset'])}")
    console.print(f"{result['images']} images ({len(result['skipped'])} skipped); score: {result['score']}; "
                  f"results in {out}/")


def _f(v, fmt: str = "{:+.3f}") -> str:
    return "-" if v is None else fmt.format(v)
