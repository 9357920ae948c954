"""Run configuration: defaults <- YAML <- flags, unknown keys refused, shipped configs valid."""

from pathlib import Path

import pytest

from fastk import config
from fastk.errors import ConfigError

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


@pytest.mark.parametrize("name", ["demo.yaml", "paper.yaml", "planted.yaml"])
def test_shipped_configs_resolve(name):
    cfg = config.resolve(CONFIGS / name)
    assert cfg["explore"]["landmarks"] == "dlib" and cfg["explore"]["cam"] == "gradcam++"
    assert cfg["split"]["ratios"] == [0.6, 0.2, 0.2]
    assert config.validate(cfg, "config.json") == cfg  # a saved config validates to itself (resume)


def test_paper_config_is_the_papers_setting():
    cfg = config.resolve(CONFIGS / "paper.yaml")
    assert cfg["backbone"]["name"] == "lgsc" and cfg["select"] == "top-k:4"
    assert cfg["backbone"]["input_size"] == 224
