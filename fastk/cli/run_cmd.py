"""``fastk run``: the explore-then-retrain loop end to end, resumable, ending with a report."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from fastk.cli._common import console
from fastk.common.distributed import world
from fastk.common.safepaths import child, plain_name
from fastk.errors import ConfigError
from fastk.run import config as cfgmod
from fastk.run.pipeline import Pipeline
from fastk.run.run_config import RunConfig
from fastk.run.runs import Layout
from fastk.trust.sanity import models_line


@click.command("run")
@click.option("--config", "config_file", type=click.Path(path_type=Path), help="YAML file (see configs/).")
@click.option("--resume", "resume", type=click.Path(path_type=Path), help="Continue the run in this folder.")
@click.option("--name", default=None,
              help="Run name, a plain folder name: results go to RUNS_DIR/NAME (default: the config's name).")
@click.option("--runs-dir", type=click.Path(path_type=Path), default=Path("runs"), show_default=True)
@click.option("--dataset", default=None, help="Dataset plugin (see `fastk list dataset`).")
@click.option("--data", "data_path", default=None, help="Dataset path, for datasets that need one.")
@click.option("--backbone", default=None, help="Backbone plugin, e.g. lgsc or timm:resnet18.")
@click.option("--landmarks", default=None, help="Landmark detector (see `fastk list landmarks`).")
@click.option("--cam", default=None, help="CAM method (see `fastk list cam`).")
@click.option("--select", "select", default=None, help="Area selector NAME[:ARG], e.g. top-k:4.")
@click.option("--areas", default=None, help="Area set name or YAML file.")
@click.option("--epochs", type=int, default=None, help="Training epochs for every model.")
@click.option("--seed", type=int, default=None)
@click.option("--device", default=None, help="cpu or cuda (default: cuda when present).")
def command(config_file, resume, name, runs_dir, dataset, data_path, backbone, landmarks, cam, select, areas,
            epochs, seed, device) -> None:
    """Split, train, explore, select areas, retrain on them (and on the complement and a crop), compare.

    Options come from the defaults, then --config FILE, then the flags given here. A killed run
    resumes from its last finished step with `fastk run --resume runs/NAME`.
    """

    if resume is not None:
        saved = Path(resume) / Layout.config
        if not saved.is_file():

            raise ConfigError(f"{resume}: not a fastk run folder (no {Layout.config})")
        cfg = cfgmod.load_saved(saved)  # validated like a new run's: a hand-edited file fails here, not later
        run_dir = Path(resume)
    else:
        overrides = {"name": name, "dataset.name": dataset, "dataset.path": data_path, "backbone.name": backbone,
                     "explore.landmarks": landmarks, "explore.cam": cam, "select": select, "explore.areas": areas,
                     "train.epochs": epochs, "seed": seed, "device": device}
        cfg = cfgmod.resolve(config_file, overrides)

        # Refused, not sanitised: the user must find the run where they asked for it.
        run_dir = child(runs_dir, plain_name(cfg["name"], "run name (--name or the config's 'name')"))
    config = RunConfig.from_dict(cfg)  # once, from the checked dict; the steps read its typed sections
    # "fastk run" first, whatever argv holds (a test runner's, under click's CliRunner): the run folder's
    # lock records it as the folder's owner (fastk.common.locks.owner_of), which must be the same on resume.
    args = sys.argv[2:] if sys.argv[1:2] == ["run"] else []
    pipeline = Pipeline(config, run_dir, console=console, command=" ".join(["fastk run", *args]))
    console.print(f"[bold]fastk run[/] {config.name}: results in {run_dir}/ (report: {run_dir}/report.html)")
    report = pipeline.run_all()

    if not world().is_main:  # under torchrun rank 0 reports
        return
    _summary(pipeline)
    console.print(f"\n[bold green]Report:[/] {report}")


def _summary(pipeline) -> None:
    """The conclusions in the terminal: the ranking, whether it survives the checks, and the models."""
    import json

    from rich.markup import escape
    from rich.table import Table

    report = json.loads(pipeline.run.report_json.read_text())
    if report.get("finding"):
        console.print(f"[bold]Finding:[/] {escape(report['finding'])}")
    for warning in report.get("warnings", []):
        console.print(f"[bold red]Warning:[/] {escape(warning)}")
    imp = report["importance"]
    console.print(f"Most important areas ({escape(imp['cam'])}): " + ", ".join(
        f"{a} {imp['overall'][a]['importance']:.2f}" for a in imp["ranking"][:4]))
    sanity = report.get("sanity")
    if sanity:
        verdict = sanity.get("verdict") or ("passes" if sanity["passes"] else "fails")
        colour = {"passes": "green", "fails": "red"}.get(verdict, "yellow")
        spread = sanity.get("spearman") or {}
        models = sanity.get("models") or {}
        if len(models) > 1:

            console.print(f"Sanity check (model randomisation, {len(models)} seed models x {len(sanity['draws'])} "
                          f"draws): [{colour}]{verdict}[/] over the seeds ({escape(models_line(models))})")
        else:
            console.print(f"Sanity check (model randomisation, {len(sanity.get('draws') or [1])} draws): Spearman "
                          f"median {spread.get('median', sanity['agreement']['spearman']):.2f}, [{colour}]{verdict}[/]")
    stability = report.get("stability")
    sel = report["selection"]
    if stability:
        console.print(f"Stability ({len(stability['cells'])} cells): {escape(stability['verdict']['text'])}")
        p = sel.get("p_selected_set")
        if p:
            console.print(f"P(selected set {{{', '.join(sel['keep'])}}}) = {p['share_of_cells']:.0%} of cells")
    faith = report.get("faithfulness")
    if faith:
        console.print(f"Faithfulness: {escape(faith['headline'])}")
    table = Table("model", "P", "R", "F1", "ACER", "AUC", "GFLOPs", "time vs full", "pixels kept", "JPEG bytes",
                  title=f"Test split, positive class = spoof (selected: {', '.join(sel['keep'])})")
    for name, m in report["models"].items():
        x = m["metrics"]

        def f(v, fmt="{:.3f}"):
            return "undefined" if v is None else fmt.format(v)

        table.add_row(name, f(x.get("precision")), f(x.get("recall")), f(x.get("f1")), f(x.get("acer")),
                      f(x.get("auc")), f(m.get("inference_gflops_per_image"), "{:.3f}"),
                      f(m.get("inference_time_vs_full"), "{:.2f}"), f(m.get("pixels_kept"), "{:.0%}"),
                      f(m.get("jpeg_bytes_mean"), "{:,.0f}"))
    console.print(table)
    _mask_audit_lines(report)


def _mask_audit_lines(report: dict) -> None:
    """One line per variant: can its masks alone tell the label (leak), does its model read them (use)."""
    from rich.markup import escape

    framing = (report.get("masking") or {}).get("framing", "landmark")
    for name, m in report["models"].items():
        audit, use = m.get("mask_audit"), m.get("mask_use") or {}
        if not audit or not audit.get("applies"):
            continue
        colour = "red" if audit.get("leak") else "green"
        line = (f"Mask audit {escape(name)} ({framing}): masks alone AUC [{colour}]{audit['auc']:.3f}[/] "
                f"(95% CI {audit['ci'][0]:.3f}-{audit['ci'][1]:.3f})")
        if use.get("applies"):
            a = use["auc"]
            line += (f"; swap test: own {a['own']:.3f}, opposite-label {a['opposite']:.3f}, same-label {a['same']:.3f}"
                     f" -> {'[red]reads the outline[/]' if use.get('uses_outline') else 'no sign of reading it'}")
        elif use:
            line += f"; swap test: {escape(use.get('why', ''))}"
        console.print(line)
