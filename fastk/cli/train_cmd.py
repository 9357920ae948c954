"""``fastk train``: split by subject, train a backbone, evaluate on the held-out test subjects."""

from __future__ import annotations

import json
from pathlib import Path

import click

from fastk.cli._common import console, dataset_option, load_samples, metrics_table


@click.command("train")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@dataset_option
@click.option("--backbone", default="lgsc", show_default=True, help="Backbone, e.g. lgsc or timm:resnet18.")
@click.option("--input-size", type=int, default=None, help="Square input side (default: the backbone's).")
@click.option("--option", "options", multiple=True, help="Backbone option KEY=VALUE (e.g. encoder=resnet10t).")
@click.option("--epochs", type=int, default=10, show_default=True)
@click.option("--batch-size", type=int, default=32, show_default=True)
@click.option("--lr", type=float, default=1e-3, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", type=click.Path(path_type=Path), default=Path("runs/train"), show_default=True)
@click.option("--device", default=None, help="cpu or cuda (default: cuda when present).")
def command(path, dataset, backbone, input_size, options, epochs, batch_size, lr, seed, out, device) -> None:
    """Train on PATH (or a dataset that needs none, e.g. --dataset demo); resumes if OUT holds a run."""
    import yaml

    import fastk
    from fastk.errors import ConfigError
    from fastk.training import TrainConfig, evaluate_checkpoint, subject_split, train

    opts = {}
    for o in options:
        key, sep, value = o.partition("=")
        if not sep:
            raise ConfigError(f"--option needs KEY=VALUE, got {o!r}")
        opts[key] = yaml.safe_load(value)
    bb = fastk.create("backbone", backbone, input_size=input_size, **opts)
    samples = load_samples(dataset, path)
    split = subject_split(samples, seed=seed)
    out.mkdir(parents=True, exist_ok=True)
    (out / "split.json").write_text(json.dumps({k: [str(s.path) for s in v] for k, v in split.items()}, indent=1))
    from fastk.devices import default_device

    device = default_device(device)
    result = train(split["train"], split["val"], bb, out, TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr,
                                                                      seed=seed), device=device)
    test = evaluate_checkpoint(result.checkpoint, split["test"], threshold=result.threshold, device=device)
    (out / "metrics.json").write_text(json.dumps({"val": result.val_metrics, "test": test}, indent=2))
    console.print(metrics_table({"validation": result.val_metrics, "test": test},
                                f"{bb.spec}: threshold {result.threshold:.4f} from validation; positive class = spoof"))
    console.print(f"epochs {len(result.epoch_seconds)}, {sum(result.epoch_seconds) / max(1, len(result.epoch_seconds)):.1f} "
                  f"s/epoch; checkpoint {result.checkpoint}; metrics {out / 'metrics.json'}")
