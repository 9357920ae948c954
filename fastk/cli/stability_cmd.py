"""``fastk stability``: explore models over a grid of CAM methods, detectors and targets, and measure
how stable the area ranking is (stability.json, figures, stability.html)."""

from __future__ import annotations

from pathlib import Path

import click

import fastk
from fastk.cli._common import areas_option, console, dataset_option
from fastk.cli._locked import locked_output
from fastk.common.jsonsafe import dumps
from fastk.errors import ConfigError
from fastk.face.landmark_cache import LandmarkCache
from fastk.report.stability_html import write_stability_html
from fastk.run.stability_inputs import planted_areas, read_split, run_checkpoints, run_dataset_planted
from fastk.trust.check_subset import makeup_line
from fastk.trust.stability_analysis import run_stability
from fastk.trust.stability_grid import StabilityConfig, model_labels


def _split_list(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


@click.command("stability")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@dataset_option
@click.option("--checkpoint", "checkpoints", multiple=True, type=click.Path(path_type=Path),
              help="A trained model (repeatable: several training seeds of one recipe).")
@click.option("--run", "run_dir", type=click.Path(path_type=Path),
              help="A `fastk run` folder: its full-face model(s) and split.json.")
@click.option("--split-file", type=click.Path(path_type=Path), help="A split.json (from `fastk run`) to read images from.")
@click.option("--split", default="val", show_default=True, help="Which part of the split file to explore.")
@click.option("--cam", "cams", default=None, help="CAM methods, comma-separated (default: gradcam++, gradcam, "
              "layercam, xgradcam, hirescam, plus scorecam/ablationcam per --slow-cams).")
@click.option("--slow-cams", type=click.Choice(["auto", "yes", "no"]), default="auto", show_default=True,
              help="Add scorecam/ablationcam to the default methods: auto = when a timed probe on 2 images "
                   "estimates all their cells within --slow-cam-seconds.")
@click.option("--slow-cam-seconds", type=float, default=300.0, show_default=True,
              help="Estimated seconds each slow method may add to the grid (with --slow-cams auto).")
@click.option("--landmarks", "detectors", default="dlib,mediapipe", show_default=True,
              help="Landmark detectors, comma-separated.")
@click.option("--cam-target", "targets", default=None,
              help="CAM targets, comma-separated, or 'all' (default: the backbone's own; LGSC: spoof-logit,cue-score).")
@areas_option
@click.option("-k", "k", default=4, show_default=True, help="Top-k size of the verdict and of P(in top k).")
@click.option("--n-boot", default=200, show_default=True, help="Bootstrap resamples of the images.")
@click.option("--max-images", type=int, default=None,
              help="Explore at most N images: half real, half attacks, drawn with --seed.")
@click.option("--planted", default=None, help="Planted-cue areas (default: the dataset's own, e.g. demo:planted).")
@click.option("--seed", default=0, show_default=True)
@click.option("--out", type=click.Path(path_type=Path), default=Path("runs/stability"), show_default=True)
@click.option("--device", default=None, help="cpu or cuda (default: cuda when present).")
@click.option("--json", "as_json", is_flag=True, help="Print stability.json instead of the summary.")
@locked_output("out", "fastk stability")
def command(path, dataset, checkpoints, run_dir, split_file, split, cams, slow_cams, slow_cam_seconds, detectors,
            targets, areas, k, n_boot, max_images, planted, seed, out, device, as_json) -> None:
    """How stable is the area ranking over models (seeds), CAM methods, detectors and CAM targets?"""

    checkpoints = list(checkpoints)
    if run_dir is not None:

        checkpoints += run_checkpoints(run_dir)
        split_file = split_file or run_dir / "split.json"
    if not checkpoints:
        raise ConfigError("give at least one --checkpoint FILE (or --run RUN_DIR)")
    ds = None
    if split_file is not None:
        samples, where = read_split(split_file, split), f"stability: split {split!r} of {split_file}"
    else:

        ds = fastk.create("dataset", dataset, root=path) if path is not None else fastk.create("dataset", dataset)
        samples, where = ds.samples(), f"stability: dataset {ds.describe()}"
    planted_list = _split_list(planted) or (planted_areas(ds) if ds is not None else
                                            run_dataset_planted(run_dir) if run_dir is not None else None)
    cfg = StabilityConfig.from_dict({"cams": _split_list(cams), "slow_cams": slow_cams,
                                     "slow_cam_seconds": slow_cam_seconds, "detectors": _split_list(detectors),
                                     "targets": _split_list(targets), "areas": areas, "k": k, "n_boot": n_boot,
                                     "max_images": max_images, "planted": planted_list, "seed": seed})
    labels = model_labels(checkpoints)
    cache = LandmarkCache()
    result = run_stability(dict(zip(labels, checkpoints)), samples, out, cfg, cache=cache, device=device,
                           show_progress=not as_json, where=where)
    html_path = write_stability_html(result, out)
    if as_json:

        click.echo(dumps(result, indent=1))
        return
    _print_summary(result)
    console.print(f"results in {out}/ (stability.json, {', '.join(result.get('figures', {}).values())}, "
                  f"{html_path.name}); cells in {out}/cells/")


def _print_summary(result) -> None:
    from rich.table import Table

    k = result["k"]
    table = Table("area", "mean rank", "rank 95% range", f"P(top {k})", f"P(top {k}) cells only",
                  title=f"Area ranks over {len(result['cells'])} cells x {result['n_boot']} image resamples")
    for a in result["areas_by_stability"]:
        r = result["rank"][a]
        table.add_row(a, f"{r['mean_rank']:.1f}", f"{r['rank_ci95'][0]:.0f}-{r['rank_ci95'][1]:.0f}",
                      f"{r['p_top_k']:.2f}", f"{r['p_top_k_cells']:.2f}")
    console.print(table)
    shares = result["variance"]["shares"]
    console.print("rank variance from: " + ", ".join(f"{f} {v:.0%}" for f, v in
                                                     sorted(shares.items(), key=lambda kv: -(kv[1] or 0))))
    summ = result["agreement"]["summary"]
    if summ.get("spearman"):
        console.print(f"agreement between cells: Spearman mean {summ['spearman']['mean']:.2f} "
                      f"(min {summ['spearman']['min']:.2f}), top-{k} feature agreement mean "
                      f"{summ['feature_agreement']['mean']:.2f}")
    for cam, v in (result.get("planted") or {}).get("by_cam", {}).items():
        console.print(f"planted cue ({', '.join(result['planted']['areas'])}) on top with {cam}: "
                      f"{v['p_all_on_top']:.0%} of cells x resamples")

    console.print(f"images: {makeup_line(result['subset'])}")
    colour = "green" if result["verdict"]["determined"] else "yellow"
    console.print(f"[bold {colour}]verdict:[/] {result['verdict']['text']}")
    console.print(f"stable-top-{k}: {', '.join(result['stable_top_k'])}")
