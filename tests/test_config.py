"""Run configuration: defaults <- YAML <- flags, unknown keys refused, shipped configs valid."""

from pathlib import Path

import pytest

from fastk.errors import ConfigError
from fastk.run import config

CONFIGS = Path(__file__).parents[1] / "configs"


def test_flags_override_file_override_defaults(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("name: mine\nexplore:\n  cam: scorecam\n  landmarks: mediapipe\ntrain:\n  epochs: 3\n")
    cfg = config.resolve(f, {"explore.cam": "ablationcam", "select": None})
    assert cfg["name"] == "mine"
    assert cfg["explore"]["cam"] == "ablationcam"  # flag wins
    assert cfg["explore"]["landmarks"] == "mediapipe"  # file wins over default
    assert cfg["explore"]["areas"] == "paper"  # default kept
    assert cfg["select"] == "top-k:4"  # a flag left unset changes nothing
    assert cfg["train"] == {"epochs": 3}


def test_unknown_key_names_file_and_key(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("explore:\n  cams: scorecam\n")
    with pytest.raises(ConfigError, match=r"c.yaml: explore.cams: unknown option; did you mean 'explore.cam'\? "
                                          r"\(known here: .*cam"):
        config.resolve(f)


def test_yaml_is_read_safely(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("name: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        config.resolve(f)


@pytest.mark.parametrize("name", ["demo.yaml", "demo-context.yaml", "paper.yaml", "planted.yaml"])
def test_shipped_configs_resolve(name):
    cfg = config.resolve(CONFIGS / name)
    assert cfg["explore"]["landmarks"] == "dlib" and cfg["explore"]["cam"] == "gradcam++"
    assert cfg["split"]["ratios"] == [0.6, 0.2, 0.2]
    assert config.validate(cfg, "config.json") == cfg  # a saved config validates to itself (resume)


def test_paper_config_is_the_papers_setting():
    cfg = config.resolve(CONFIGS / "paper.yaml")
    assert cfg["backbone"]["name"] == "lgsc" and cfg["select"] == "top-k:4"
    assert cfg["backbone"]["input_size"] == 224


# -- the typed run configuration (fastk.run.run_config) -------------------------------------------------
def test_defaults_are_derived_from_the_dataclasses():
    """One place for defaults: DEFAULTS is what an empty RunConfig says, key order included."""
    import json

    from fastk.run.run_config import RunConfig
    from fastk.trust.faithfulness import FaithfulnessSettings
    from fastk.trust.stability_grid import StabilityConfig

    assert json.dumps(config.DEFAULTS) == json.dumps(RunConfig().to_dict())
    assert config.DEFAULTS["train"] == {}  # the trainer's options default in TrainConfig
    grid = StabilityConfig()
    for key in ("cams", "slow_cams", "slow_cam_seconds", "detectors", "targets", "n_boot", "max_images"):
        assert config.DEFAULTS["stability"][key] == getattr(grid, key), key
    assert config.DEFAULTS["faithfulness"]["methods"] == list(FaithfulnessSettings().methods)


@pytest.mark.parametrize("name", ["demo.yaml", "demo-context.yaml", "paper.yaml", "planted.yaml"])
def test_run_config_gives_back_the_merged_dict(name):
    """config.json and report.json hold the merged dict: RunConfig must round-trip it exactly."""
    import json

    from fastk.run.run_config import RunConfig

    cfg = config.resolve(CONFIGS / name)
    assert json.dumps(RunConfig.from_dict(cfg).to_dict()) == json.dumps(cfg)


def test_run_config_is_typed_and_frozen(tmp_path):
    import dataclasses

    from fastk.model.training.trainer import TrainConfig
    from fastk.run.run_config import RunConfig
    from fastk.trust.stability_grid import StabilityConfig

    f = tmp_path / "c.yaml"
    f.write_text("seed: 7\ntrain: {epochs: 3, lr: 1e-2}\nexplore: {group_by: attack_type}\n"
                 "stability: {cams: gradcam}\nretrain: {variants: [selected]}\n")
    run = RunConfig.from_dict(config.resolve(f))
    assert run.explore.group_by == ("attack_type",) and run.retrain.variants == ("selected",)
    assert run.split.ratios == (0.6, 0.2, 0.2) and run.backbone.input_size == 112
    # the train section is the trainer's own config, built once with the run's seed
    assert isinstance(run.train, TrainConfig) and run.train is run.train
    assert (run.train.epochs, run.train.lr, run.train.seed, run.train.batch_size) == (3, 0.01, 7, 32)
    assert run.to_dict()["train"] == {"epochs": 3, "lr": 0.01}
    grid = run.stability.grid(k=4, seed=run.seed, planted=None, areas=run.explore.areas, batch_size=16)
    assert isinstance(grid, StabilityConfig) and grid.cams == ["gradcam"] and grid.detectors == ["dlib", "mediapipe"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        run.explore.cam = "gradcam"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        run.seed = 1  # type: ignore[misc]


def test_pipeline_builds_the_run_config_once(tmp_path):
    """A dict (a saved config.json) is turned into a RunConfig once; config.json is the merged dict."""
    import json

    from fastk.run.pipeline import Pipeline
    from fastk.run.run_config import RunConfig

    cfg = config.resolve(CONFIGS / "demo.yaml")
    p = Pipeline(cfg, tmp_path / "run")
    assert isinstance(p.config, RunConfig) and p.cfg == cfg
    assert json.loads((tmp_path / "run" / "config.json").read_text()) == cfg
    again = Pipeline(p.config, tmp_path / "run")  # a RunConfig is used as it is, and matches the folder
    assert again.config is p.config
