"""The images a check of the ranking runs on (issue 29): a CSV that lists every real image first must
give the checks a subset with both classes and every attack type, the same verdicts as the same rows
shuffled, and a one-line refusal when a class is missing; the subset is recorded and reported."""

import csv
import json
import random

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import fastk
from fastk.cli import cli
from fastk.data.datasets import Sample
from fastk.errors import ConfigError
from fastk.trust.check_subset import _allocate, chosen, makeup_line, stratified_subset


def _write_csv(path, samples):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label", "subject", "attack_type"])
        w.writerows([str(s.path), s.label, s.subject or "", s.attack_type or ""] for s in samples)
    return path


@pytest.fixture(scope="module")
def csvs(tmp_path_factory, tiny_dataset):
    """The tiny real faces (16 real, 8 print, 8 replay) as CSV manifests: every real image first (as a
    folder or an export lists them), the same rows shuffled, and the real rows alone."""
    root = tmp_path_factory.mktemp("csv-datasets")
    samples = fastk.create("dataset", "folder", root=tiny_dataset).samples()
    real_first = sorted(samples, key=lambda s: (s.label, str(s.path)))
    shuffled = real_first[:]
    random.Random(5).shuffle(shuffled)
    return {"real_first": _write_csv(root / "real_first.csv", real_first),
            "shuffled": _write_csv(root / "shuffled.csv", shuffled),
            "real_only": _write_csv(root / "real_only.csv", [s for s in samples if s.label == 0])}


def _rows(path):
    return fastk.create("dataset", "csv", root=path).samples()


def test_the_first_rows_of_a_real_first_listing_are_one_class_and_the_subset_is_not(csvs):
    rows = _rows(csvs["real_first"])
    assert {s.label for s in rows[:8]} == {0}, "what max_images used to take"
    subset, m = stratified_subset(rows, 8, seed=0)
    assert (m["real"], m["spoof"], m["attack_types"]) == (4, 4, {"print": 2, "replay": 2})
    assert m["paths"] == [str(s.path) for s in subset] == sorted(m["paths"]) and m["of"] == 32
    # seeded and order-free: the shuffled listing gives the same images in the same order; another seed, others
    again, m2 = stratified_subset(_rows(csvs["shuffled"]), 8, seed=0)
    assert again == subset and m2 == m
    assert stratified_subset(rows, 8, seed=1)[0] != subset
    assert chosen(rows, m) == subset
    assert makeup_line(m) == "8 of 32 images (seeded draw, seed 0): 4 real, 4 attacks (print 2, replay 2)"
    everything, m_all = stratified_subset(rows, None)
    assert len(everything) == 32 and makeup_line(m_all).startswith("all 32 labelled images: 16 real, 16 attacks")


def test_short_classes_give_what_they_have_and_unlabelled_images_stay_out():
    real = [Sample(f"r{i}.png", 0, attack_type="none") for i in range(3)]
    spoof = [Sample(f"s{i}.png", 1, attack_type=t) for i, t in enumerate(["print"] * 30 + ["replay"] * 15 + ["mask"] * 5)]
    unknown = [Sample(f"u{i}.png", -1) for i in range(4)]
    subset, m = stratified_subset(unknown + spoof + real, 20, seed=3)
    assert (m["real"], m["spoof"]) == (3, 17) and m["unlabelled_left_out"] == 4
    assert set(m["attack_types"]) == {"print", "replay", "mask"}  # every type present, roughly in proportion
    assert m["attack_types"]["print"] > m["attack_types"]["replay"] > m["attack_types"]["mask"] >= 1
    assert all(s.label in (0, 1) for s in subset) and makeup_line(m).endswith("4 unlabelled left out")


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from("abcdef"), st.integers(0, 40), min_size=1), st.integers(0, 200))
def test_allocation_takes_exactly_n_never_more_than_a_stratum_has_and_every_stratum_it_can(sizes, n):
    take = _allocate(sizes, n)
    assert sum(take.values()) == min(n, sum(sizes.values()))
    assert all(0 <= take[k] <= sizes[k] for k in sizes)
    if n >= sum(1 for v in sizes.values() if v):
        assert all(take[k] >= 1 for k in sizes if sizes[k])


@pytest.mark.parametrize("make, max_images, message", [
    (lambda r, s: r, 8, "no attack images (all 16 labelled images are real)"),
    (lambda r, s: s, None, "no real images (all 16 labelled images are attack)"),
    (lambda r, s: r + s, 1, "max_images 1 cannot hold a real and an attack image"),
    (lambda r, s: [Sample("u.png")], 4, "none of the 1 images has a real/spoof label"),
])
def test_one_class_is_refused_naming_where(csvs, make, max_images, message):
    rows = _rows(csvs["real_first"])
    real, spoof = [s for s in rows if s.label == 0], [s for s in rows if s.label == 1]
    with pytest.raises(ConfigError, match="^sanity: split 'val' of runs/x: " + message.replace("(", r"\(").replace(")", r"\)")):
        stratified_subset(make(real, spoof), max_images, where="sanity: split 'val' of runs/x")
    if max_images != 1 and make(real, spoof)[0].label != -1:  # a deliberate one-class analysis may ask for it
        subset, m = stratified_subset(make(real, spoof), max_images, one_class=True)
        assert subset and (m["real"] == 0 or m["spoof"] == 0)


def _cli(*args):
    r = CliRunner().invoke(cli, [*map(str, args)])
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def test_sanity_on_a_real_first_csv_sees_both_classes_and_decides_as_on_the_shuffled_csv(csvs, tiny_checkpoint):
    results = [_cli("sanity", tiny_checkpoint, csvs[name], "--dataset", "csv", "--max-images", 8, "--draws", 2,
                    "--no-cascading", "--json") for name in ("real_first", "shuffled")]
    first, shuffled = results
    assert (first["subset"]["real"], first["subset"]["spoof"]) == (4, 4) and first["images"] == 8
    assert first["subset"]["attack_types"] == {"print": 2, "replay": 2}
    assert first["subset"]["paths"] == shuffled["subset"]["paths"]
    assert first["verdict"] == shuffled["verdict"]
    assert first["spearman"]["median"] == pytest.approx(shuffled["spearman"]["median"], abs=1e-6)
    from fastk.report.sections import sanity

    html = sanity({"sanity": first}, csvs["real_first"].parent)
    assert "Images of this check: 8 of 32 images (seeded draw, seed 0): 4 real, 4 attacks (print 2, replay 2)" in html


def test_faithfulness_on_a_real_first_csv_has_an_auc_and_measures_as_on_the_shuffled_csv(csvs, tiny_checkpoint,
                                                                                          tmp_path):
    results = [_cli("faithfulness", tiny_checkpoint, csvs[name], "--dataset", "csv", "--areas-to-test", "nose,chin",
                    "--max-images", 8, "--random", 4, "--random-orders", 0, "--methods", "road",
                    "--out", tmp_path / name, "--json") for name in ("real_first", "shuffled")]
    first, shuffled = results
    assert first["n_real"] >= 3 and first["n_spoof"] >= 3  # the images with a face, of the 4 + 4 drawn
    assert first["subset"] == shuffled["subset"]
    a, b = first["methods"]["road"], shuffled["methods"]["road"]
    assert 0 <= a["base"]["auc"] <= 1, "two classes: AUC is defined"
    assert a["selected"]["auc_drop"] == pytest.approx(b["selected"]["auc_drop"], abs=1e-6)
    assert a["selected"]["spoof_drop"] == pytest.approx(b["selected"]["spoof_drop"], abs=1e-6)
    assert a["beats_random"] == b["beats_random"]
    assert json.loads((tmp_path / "real_first" / "faithfulness.json").read_text())["subset"]["paths"] == first["subset"]["paths"]


def test_stability_on_a_real_first_csv_sees_both_classes_and_decides_as_on_the_shuffled_csv(csvs, tiny_checkpoint,
                                                                                             tmp_path):
    results = [_cli("stability", csvs[name], "--dataset", "csv", "--checkpoint", tiny_checkpoint, "--cam", "gradcam++",
                    "--landmarks", "dlib", "--max-images", 8, "--n-boot", 50, "--out", tmp_path / name, "--json")
               for name in ("real_first", "shuffled")]
    first, shuffled = results
    assert (first["subset"]["real"], first["subset"]["spoof"]) == (4, 4)
    assert first["subset"]["paths"] == shuffled["subset"]["paths"] and first["n_images"] == 8
    assert first["verdict"]["set"] == shuffled["verdict"]["set"]
    assert first["stable_top_k"] == shuffled["stable_top_k"]


@pytest.mark.parametrize("command", [
    ["sanity", "{ckpt}", "{csv}", "--dataset", "csv", "--draws", "1"],
    ["faithfulness", "{ckpt}", "{csv}", "--dataset", "csv", "--areas-to-test", "nose"],
    ["stability", "{csv}", "--dataset", "csv", "--checkpoint", "{ckpt}", "--landmarks", "dlib"],
])
def test_checks_refuse_a_one_class_csv_in_one_line(csvs, tiny_checkpoint, tmp_path, command):
    args = [a.format(ckpt=tiny_checkpoint, csv=csvs["real_only"]) for a in command]
    r = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "out")])
    assert r.exit_code == 2 and "Traceback" not in r.output and len(r.output.strip().splitlines()) == 1, r.output
    assert f"{command[0]}: dataset csv:{csvs['real_only']}" in r.output.replace("\n", "")
    assert "no attack images" in r.output
