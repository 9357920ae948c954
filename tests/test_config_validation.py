"""The run configuration is checked before any work: types, ranges, keys, plugin options, selector vs areas.

Each case is one a user met (issue 14): a wrong value must give one line naming the key, what was
given and what is allowed, all problems at once, and never a traceback or a silently different run.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastk
from fastk.errors import ConfigError
from fastk.run import config
from fastk.run._config_checks import SCHEMA

ROOT = Path(__file__).parents[1]
SIX_AREAS = ROOT / "configs" / "areas" / "forehead-and-jaw.yaml"


def problems_of(tmp_path, text: str, overrides=None) -> list[str]:
    f = tmp_path / "c.yaml"
    f.write_text(text)
    with pytest.raises(ConfigError) as err:
        config.resolve(f, overrides)
    lines = str(err.value).split("\n")
    assert lines == err.value.problems
    return lines


def one_problem(tmp_path, text: str, overrides=None) -> str:
    lines = problems_of(tmp_path, text, overrides)
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize("text,expected", [
    ("select: 4", ["c.yaml: select: got 4 (int)", "NAME[:ARG]", "top-k:4"]),
    ("seed: abc", ["c.yaml: seed: got 'abc' (str)", "an integer from 0"]),
    ("seed: -1", ["seed: got -1 (int): must be >= 0"]),
    ("train: {lr: fast}", ["train.lr: got 'fast' (str)", "a number > 0"]),
    ("train: {epochs: 0}", ["train.epochs: got 0 (int): must be >= 1"]),
    ("train: {epochs: true}", ["train.epochs: got true (a boolean", "an integer >= 1"]),
    ("train: {batch_size: 0}", ["train.batch_size: got 0 (int): must be >= 1"]),
    ("train: {lr: .nan}", ["train.lr: got nan (float): must be a finite number"]),
    ("train: {batch_sise: 8}", ["train.batch_sise: unknown training option; did you mean 'batch_size'?"]),
    ("device: cudaa", ["device: got 'cudaa' (str): unknown device; did you mean 'cuda'?", "cuda:N, mps or null"]),
    ("explore: {split: on}", ["explore.split: got true (a boolean: YAML reads unquoted on/off/yes/no",
                              "one of train, val, test"]),
    ("explore: {split: tests}", ["explore.split: got 'tests' (str); expected one of train, val, test"]),
    ("explore: {batch_size: 0}", ["explore.batch_size: got 0 (int): must be >= 1"]),
    ("explore: {n_boot: -1}", ["explore.n_boot: got -1 (int): must be >= 0"]),
    ("explore: {cams: x}", ["explore.cams: unknown option; did you mean 'explore.cam'?", "known here:"]),
    ("explore: {group_by: 3}", ["explore.group_by: got 3 (int); expected a list of column names"]),
    ("explore: 5", ["explore: got 5 (int); expected a mapping with keys areas, batch_size"]),
    ("split: {ratios: [0.6, 0.2, 0.3]}", ["split.ratios: got [0.6, 0.2, 0.3] (list): must sum to 1"]),
    ("split: {ratios: [0.8, 0.2, 0]}", ["split.ratios:", "every ratio must be a positive number"]),
    ("split: {ratios: [0.5, 0.5]}", ["split.ratios:", "needs 3 numbers (train, val, test), got 2"]),
    ("backbone: {input_size: 8}", ["backbone.input_size: got 8 (int): must be >= 32"]),
    ("retrain: {variants: [selected, compliment]}", ["retrain.variants:", "did you mean 'complement'?"]),
    ("retrain: {jpeg_quality: 101}", ["retrain.jpeg_quality: got 101 (int): must be <= 100"]),
    ("name: ../../x", ["name: got '../../x' (str): not a plain folder name"]),
    ("trian: {epochs: 1}", ["trian: unknown option; did you mean 'train'?"]),
    ("backbone: {options: {encoderr: resnet18}}",
     ["backbone.options.encoderr: backbone 'lgsc' has no option 'encoderr'; did you mean 'encoder'?"]),
    ("backbone: {options: {input_size: 64}}", ["backbone.options.input_size: is set by backbone.input_size"]),
    ("backbone: {options: {score: 3}}", ["backbone.options.score: got 3 (int); expected a string (backbone 'lgsc')"]),
    ("backbone: {options: {score: cues}}", ["backbone.name: lgsc: score must be 'cue' or 'classifier'"]),
    ("backbone: {name: timm:resnt18}", ["backbone.name: unknown timm model 'resnt18'; similar: resnet18"]),
    ("backbone: {name: lgsc:x}", ["backbone.name: backbone 'lgsc' takes no ':' argument"]),
    ("backbone: {name: lgcs}", ["backbone.name: unknown backbone 'lgcs'; did you mean 'lgsc'?"]),
    ("dataset: {name: folder, path: /, options: {subject_from_nam: true}}",
     [("dataset.options.subject_from_nam: dataset 'folder' has no option 'subject_from_nam'; "
      "did you mean 'subject_from_name'?")]),
    ("dataset: {name: folder, path: /, options: {subject_from_name: 'yes'}}",
     ["dataset.options.subject_from_name: got 'yes' (str); expected true or false"]),
    ("dataset: {name: folder:/no/such/dir}", ["dataset.name: /no/such/dir: dataset path not found"]),
    ("dataset: {name: 'folder:/', path: /tmp}", ["dataset.name: dataset 'folder:/': the path is given twice"]),
    ("dataset: {name: demo:rigth_eye}", [("dataset.name: dataset 'demo' option 'planted': unknown name 'rigth_eye'; "
                                         "did you mean 'right_eye'?")]),
    ("dataset: {options: {side: big}}", ["dataset.options.side: got 'big' (str); expected an integer"]),
    ("explore: {cam: gradcam+}", ["explore.cam: unknown cam 'gradcam+'; did you mean 'gradcam++'?"]),
    ("explore: {landmarks: dlib:5}", ["explore.landmarks: landmarks 'dlib' takes no ':' argument"]),
    ("explore: {areas: nosuch}", ["explore.areas: unknown area set 'nosuch'; known: paper"]),
    ("select: top-k:99", ["select: selector 'top-k:99' keeps 99 areas but the area set has only 10"]),
    ("select: top-k:10", [("select: selector 'top-k:10' keeps all 10 areas, so the 'complement' variant would train"
                          " on all-black images")]),
    ("select: threshold:1.5", ["select: selector 'threshold:1.5' keeps no area"]),
    ("select: threshold:0", ["select: selector 'threshold:0' keeps all 10 areas"]),
    ("select: cumulative:1", ["select: selector 'cumulative:1' keeps all 10 areas"]),
    ("select: list:nose,eyes", ["select: selector 'list': unknown area(s) eyes"]),
    ("select: top-k:four", ["select: selector 'top-k' needs an integer after ':', got 'four'"]),
    ("select: top-n:4", ["select: unknown selector 'top-n:4'; did you mean 'top-k'?"]),
])
def test_each_bad_value_is_one_line_naming_key_given_and_allowed(tmp_path, text, expected):
    line = one_problem(tmp_path, text)
    assert line.startswith(f"{tmp_path / 'c.yaml'}: ")
    for part in expected:
        assert part in line, line


def test_every_problem_is_reported_at_once_with_its_source(tmp_path):
    lines = problems_of(tmp_path, "seed: abc\nselect: 4\ntrain: {lr: fast, epochs: 0}\nexplore: {split: on}\n",
                        {"explore.cam": "gradcam+", "device": "cudaa"})
    keys = [line.split(": ")[1] for line in lines]
    assert sorted(keys) == sorted(["seed", "select", "train.lr", "train.epochs", "explore.split", "explore.cam",
                                   "device"])
    by_key = dict(zip(keys, lines))
    assert by_key["explore.cam"].startswith("command line: ") and by_key["device"].startswith("command line: ")
    assert by_key["seed"].startswith(str(tmp_path / "c.yaml"))


def test_a_lone_group_by_name_is_a_one_element_list_never_characters(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("explore: {group_by: attack_type}\n")
    assert config.resolve(f)["explore"]["group_by"] == ["attack_type"]


def test_numbers_yaml_reads_as_text_become_numbers(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("train: {lr: 1e-3, weight_decay: 5e-4}\nbackbone: {options: {margin: 5e-1}}\n")
    cfg = config.resolve(f)
    assert cfg["train"] == {"lr": 0.001, "weight_decay": 0.0005} and cfg["backbone"]["options"]["margin"] == 0.5


def test_selector_is_checked_against_the_chosen_area_set(tmp_path):
    # 6 areas: top-k:6 leaves an empty complement, top-k:7 more than there are; top-k:6 alone is fine.
    line = one_problem(tmp_path, f"explore: {{areas: {SIX_AREAS}}}\nselect: top-k:7\n")
    assert "keeps 7 areas but the area set has only 6" in line
    assert "keeps all 6 areas" in one_problem(tmp_path, f"explore: {{areas: {SIX_AREAS}}}\nselect: top-k:6\n")
    f = tmp_path / "ok.yaml"
    f.write_text(f"explore: {{areas: {SIX_AREAS}}}\nselect: top-k:6\nretrain: {{variants: [selected, crop]}}\n")
    assert config.resolve(f)["select"] == "top-k:6"


def test_validate_checks_a_saved_config_json(tmp_path):
    cfg = config.resolve(ROOT / "configs" / "demo.yaml")
    saved = tmp_path / "config.json"
    saved.write_text(json.dumps(cfg))
    assert config.validate(json.loads(saved.read_text()), str(saved)) == cfg
    broken = {**cfg, "seed": "abc", "explore": {**cfg["explore"], "split": True}}
    with pytest.raises(ConfigError) as err:
        config.validate(broken, str(saved))
    assert err.value.problems[0].startswith(f"{saved}: seed: got 'abc'")
    assert len(err.value.problems) == 2
    with pytest.raises(ConfigError, match=r"config.json: expected a mapping of options, got \[1, 2\]"):
        config.validate([1, 2], "config.json")


def test_cli_run_with_a_bad_config_prints_one_line_and_trains_nothing(tmp_path):
    from fastk.cli import cli

    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nselect: 4\n")
    result = CliRunner().invoke(cli, ["run", "--config", str(bad), "--runs-dir", str(tmp_path / "runs")])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().splitlines() == [(f"fastk: error: {bad}: select: got 4 (int); expected an area "
                                                  "selector NAME[:ARG] (a string), e.g. top-k:4; see `fastk list "
                                                  "selector`")]
    assert "Traceback" not in result.output and not (tmp_path / "runs").exists()


@pytest.mark.parametrize("args,needle", [
    (["--dataset", "folder:abc"], "dataset.name: abc: dataset path not found"),
    (["--dataset", "folder:abc", "--data", "."], "the path is given twice"),
    (["--select", "top-k:99"], "keeps 99 areas"),
    (["--device", "cudaa"], "did you mean 'cuda'?"),
    (["--backbone", "timm:"], "needs a timm model name"),
])
def test_cli_run_with_bad_flags_prints_one_line(tmp_path, args, needle):
    from fastk.cli import cli

    result = CliRunner().invoke(cli, ["run", *args, "--runs-dir", str(tmp_path / "runs")])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and lines[0].startswith("fastk: error: command line: ")
    assert not (tmp_path / "runs").exists()


def test_shipped_configs_are_written_with_valid_keys_only():
    for f in sorted((ROOT / "configs").glob("*.yaml")):
        data = yaml.safe_load(f.read_text())
        assert config.validate(data, str(f)) == config.resolve(f)


KINDS = ["dataset", "backbone", "selector", "landmarks", "cam", "protocol"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("arg", ["", "%no/such~thing", "1:2"])
def test_every_builtin_plugin_refuses_a_bad_colon_argument_in_one_line(kind, arg):
    """``--dataset folder:abc`` and the like: one line from the spec itself (a selector's at latest
    when checked against the area set, as ``fastk run`` does before training), never a traceback."""
    from fastk.errors import FastkError
    from fastk.face.areas import AreaSet

    for name in fastk.list_names(kind):
        try:
            made = fastk.create(kind, f"{name}:{arg}")
            if kind == "selector":
                made.validate(AreaSet.load("paper").names, complement=True)
        except FastkError as err:
            assert "\n" not in str(err), (name, arg)
        else:  # only an empty argument may be accepted, and only as the plain name
            assert arg == "" and kind == "selector", (name, arg)
            assert made.describe() == fastk.create(kind, name).describe(), name


@pytest.mark.parametrize("kind", KINDS)
def test_every_builtin_plugin_refuses_an_unknown_option_naming_the_nearest(kind):
    registry = fastk.get_registry(kind)
    for name in registry.names():
        known = registry.options(name)
        if known is None:
            continue  # the plugin declares its options open
        with pytest.raises(ConfigError, match=re.escape(f"{kind} '{name}' has no option 'no_such_option'")) as err:
            registry.create(name, no_such_option=1)
        assert "\n" not in str(err.value)
        if known:
            typo = known[0] + "x"
            with pytest.raises(ConfigError, match=re.escape(f"did you mean '{known[0]}'?")):
                registry.create(name, **{typo: 1})


# -- how a plugin declares its options ------------------------------------------------------------
def test_declared_options_come_from_init_signatures_and_plugin_options():
    from fastk.data.datasets import Dataset
    from fastk.model.backbones import Backbone
    from fastk.plugin._options import declared_options

    class Explicit(Backbone):
        name = "explicit"

        def __init__(self, *, depth: int = 2, **kwargs):
            super().__init__(**kwargs)

    class PassesOn(Explicit):
        plugin_options = {"drop_rate": float}  # noqa: RUF012 (what **kwargs carry to a model builder)

    class Stores:  # a third-party class storing **kwargs itself: fastk cannot know, so does not check
        def __init__(self, a: int = 1, **kwargs):
            self.kwargs = kwargs

    class Open(Dataset):
        plugin_options = None

    assert set(declared_options(Explicit)) == {"depth", "input_size"}
    assert declared_options(Explicit)["depth"].annotation is int
    assert set(declared_options(PassesOn)) == {"depth", "input_size", "drop_rate"}
    assert declared_options(Stores) is None and declared_options(Open) is None
    folder = fastk.get_registry("dataset").get("folder")
    assert set(declared_options(folder)) == {"root", "subject_from_name"}
    assert declared_options(folder)["subject_from_name"].annotation is bool


# -- property-based: whatever the file holds, a valid config or one ConfigError -------------------
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=16)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(), TEXT,
    st.sampled_from(["top-k:4", "top-k:10", "list:nose,lips", "threshold:0.2", "folder:/", "folder", "demo:planted",
                     "lgsc", "timm:resnet18", "timm:nope", "dlib", "fallback:dlib,mediapipe", "gradcam++", "paper",
                     "val", "cpu", "cuda:1", "1e-3", "attack_type", str(SIX_AREAS)]),
)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=3),
                      max_leaves=6)
KEYS = st.one_of(st.sampled_from(sorted(SCHEMA) + ["train.lr", "train.epochs", "train.bn_momentum",
                                                   "dataset.options.side", "dataset.options.subject_from_name",
                                                   "backbone.options.encoder", "backbone.options.score",
                                                   "explore.cams", "retrain"]), TEXT)


def nested(changes: dict) -> dict:
    out: dict = {}
    for dotted, value in changes.items():
        node, *parts = out, *dotted.split(".")
        *parents, last = parts
        for p in parents:
            if not isinstance(node.get(p, {}), dict):
                break
            node = node.setdefault(p, {})
        else:
            node[last] = value
    return out


def check_outcome(path: Path) -> None:
    try:
        cfg = config.resolve(path)
    except ConfigError as err:
        lines = str(err).split("\n")
        assert all(line.startswith((f"{path}: ", "defaults: ")) for line in lines), err
        return
    assert config.validate(json.loads(json.dumps(cfg)), "config.json") == cfg  # what --resume reads back


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.dictionaries(KEYS, VALUES, max_size=6))
def test_random_configs_give_a_valid_config_or_a_config_error(tmp_path, changes):
    f = tmp_path / "random.yaml"
    f.write_text(yaml.safe_dump(nested(changes), allow_unicode=True))
    check_outcome(f)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=80) | st.binary(max_size=40).map(lambda b: b.decode("latin-1")))
def test_random_file_contents_give_a_valid_config_or_a_config_error(tmp_path, text):
    f = tmp_path / "random.yaml"
    f.write_text(text, encoding="utf-8", errors="surrogatepass")
    check_outcome(f)


LINE = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=16)  # a file name may
# hold a line break; the CLI prints every message on one line anyway (fastk.cli.print_error)
DATASET_OPTIONS = st.dictionaries(
    st.sampled_from(["subject_from_name", "subject_from_nam", "face_crops", "side", "planted", "attacks", "root", "x"])
    | TEXT, SCALARS | st.lists(SCALARS, max_size=3), max_size=3)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(["folder", "csv", "aihub", "oulu", "faces", "demo"]),
       arg=st.none() | LINE | st.sampled_from(["EMPTY", "planted", "right_eye,nose"]),
       options=DATASET_OPTIONS)
def test_dataset_specs_and_options_give_a_reader_or_one_line(tmp_path, name, arg, options):
    """Readers on an empty folder with random specs and options: a reader (whose listing is a list or
    a one-line user error), or a one-line user error; never another exception."""
    from fastk.errors import FastkError

    empty = tmp_path / "empty"
    empty.mkdir(exist_ok=True)
    spec = name if arg is None else f"{name}:{empty if arg == 'EMPTY' else arg}"
    try:
        reader = fastk.create("dataset", spec, **options)
    except FastkError as err:
        assert "\n" not in str(err)
        return
    assert isinstance(reader.describe(), str)
    if name != "demo" and reader.root is not None and reader.root.resolve() == empty.resolve():
        try:
            assert isinstance(reader.samples(), list)
        except (FastkError, OSError) as err:  # both are one line in the CLI
            assert "\n" not in str(err)


# -- docs/configuration.md lists what the code checks ---------------------------------------------
DOC = (ROOT / "docs" / "configuration.md").read_text()


def test_the_configuration_page_lists_every_key_with_its_default():
    import dataclasses

    from fastk.model.training.trainer import TrainConfig
    from fastk.run._config_checks import get

    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `([a-z_.]+)` \| [^|]+ \| ([^|]+) \|", DOC, re.MULTILINE)}
    for key in SCHEMA:
        default = get(config.DEFAULTS, key)
        shown = {None: "null", True: "true"}.get(default, default) if not isinstance(default, (list, dict)) else None
        assert key in rows, f"docs/configuration.md lacks `{key}`"
        if shown is not None:
            assert rows[key].strip() == f"`{shown}`", (key, rows[key])
    for field in dataclasses.fields(TrainConfig):
        assert f"train.{field.name}" in rows, f"docs/configuration.md lacks `train.{field.name}`"
        if field.name != "seed":
            shown = "null" if field.default is None else str(field.default).lower()  # YAML's word, as above
            assert rows[f"train.{field.name}"].strip() == f"`{shown}`", field.name


@pytest.mark.parametrize("kind", ["dataset", "backbone", "protocol"])
def test_the_configuration_page_lists_every_builtin_plugin_option(kind):
    from fastk.run._config_checks import RESERVED

    section = DOC.split("## Plugin options", 1)[1].split("\n## ", 1)[0]
    table = "\n".join(line for line in section.splitlines() if line.startswith("| "))
    registry = fastk.get_registry(kind)
    for name in registry.names():
        row = next(line for line in table.splitlines() if re.search(rf"^\| {kind} .*`{re.escape(name)}[`:]", line))
        for option in registry.options(name) or []:
            if option not in RESERVED.get(kind, {}) and option != "model_name":  # model_name: the part after timm:
                assert f"`{option}`" in row, (name, option)


def test_the_plugin_author_example_declares_what_the_page_says():
    from fastk.plugin._options import declared_options

    code = re.search(r"```python\n(.*?)```", DOC, re.DOTALL).group(1)
    scope: dict = {}
    exec("from typing import Any, ClassVar\nimport fastk\n" + code, scope)  # noqa: S102 (our own docs)
    assert set(declared_options(scope["MyBackbone"])) == {"width", "drop_rate", "input_size"}


def test_load_saved_reads_and_validates_a_run_folders_config(tmp_path):
    cfg = config.resolve(ROOT / "configs" / "demo.yaml")
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    assert config.load_saved(tmp_path / "config.json") == cfg
    (tmp_path / "config.json").write_text(json.dumps({**cfg, "select": "top-k:99"}))
    with pytest.raises(ConfigError, match=r"config.json: select: selector 'top-k:99' keeps 99 areas"):
        config.load_saved(tmp_path / "config.json")
    (tmp_path / "config.json").write_text('{"name": ')
    with pytest.raises(ConfigError, match="config.json: not valid JSON"):
        config.load_saved(tmp_path / "config.json")
    with pytest.raises(ConfigError, match="not found"):
        config.load_saved(tmp_path / "nope" / "config.json")


CELL = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)
LABELS = st.sampled_from(["0", "1", "real", "spoof", "attack", "live", "", "-1", "2", "REAL", " fake "]) | CELL


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.lists(st.sampled_from(["path", "label", "subject", "attack_type", "lighting", "device"]) | CELL,
                       min_size=1, max_size=6),
       rows=st.lists(st.lists(LABELS, max_size=7), max_size=5))
def test_csv_manifests_give_samples_or_one_line(tmp_path, header, rows):
    """Any manifest (missing columns, ragged rows, odd labels): samples, or one line naming the file."""
    import csv

    f = tmp_path / "m.csv"
    with open(f, "w", newline="", encoding="utf-8") as out:
        w = csv.writer(out)
        w.writerow(header)
        w.writerows(rows)
    try:
        samples = fastk.create("dataset", "csv", root=f).samples()
    except ConfigError as err:
        assert str(err).startswith(f"{f}: ") and "\n" not in str(err).replace(str(f), "")
        return
    assert len(samples) == len([r for r in rows if r]) and all(s.label in (-1, 0, 1) for s in samples)
    assert all(isinstance(s.record(), dict) for s in samples)


PARTS = st.sampled_from(["real", "Live", "spoof", "attack", "fake", "print", "replay", "crop", "face_crop", "high",
                         "low_light", "smartphone", "gopro", "s01", "s02", "Train_files", "1_1_01_1", "2_3_55_4",
                         "6_2_10_5_frame", "x"])
FILES = st.sampled_from(["a.jpg", "b.PNG", "s01_3.jpeg", "1_2_03_2_0001.jpg", "notes.txt", "c.webp"])
TREES = st.lists(st.tuples(st.lists(PARTS, max_size=4), FILES), max_size=8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(["folder", "aihub", "oulu"]), tree=TREES, options=st.sampled_from(
    [{}, {"subject_from_name": True}, {"face_crops": True}, {"face_crops": False}]))
def test_folder_readers_on_random_trees_give_samples_or_one_line(tmp_path_factory, name, tree, options):
    """Any layout under the reader's root: samples that exist, with a known label, or one line naming
    the root. (Listing only: the files are empty, no image is decoded.)"""
    from fastk.errors import FastkError

    root = tmp_path_factory.mktemp("tree")
    for parts, file in tree:
        (root.joinpath(*parts)).mkdir(parents=True, exist_ok=True)
        root.joinpath(*parts, file).touch()
    try:
        samples = fastk.create("dataset", name, root=root, **options).samples()
    except FastkError as err:  # an option this reader does not have, or a layout it cannot read
        assert "\n" not in str(err)
        return
    for s in samples:
        assert s.path.is_file() and s.label in (-1, 0, 1) and (s.subject is None or isinstance(s.subject, str))
        assert s.label != 1 or s.attack_type not in (None, "none")


def test_the_configuration_page_shows_the_run_configs_list_defaults():
    """The list defaults too (the key test above checks scalars): RunConfig's fields and the page agree."""
    from fastk.run._config_checks import get
    from fastk.run.run_config import RunConfig

    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `([a-z_.]+)` \| [^|]+ \| ([^|]+) \|", DOC, re.MULTILINE)}
    defaults = RunConfig().to_dict()
    for key in SCHEMA:
        default = get(defaults, key)
        if isinstance(default, list):
            assert rows[key].strip() == f"`[{', '.join(map(str, default))}]`", (key, rows[key])
