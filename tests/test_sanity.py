"""Sanity checks on a tiny model trained on real faces: model randomisation as a distribution over
several draws, cascading randomisation block by block, label randomisation (slow)."""

import json

import pytest
from click.testing import CliRunner

import fastk
from fastk.cli import cli
from fastk.trust.sanity import RECIPE_RULE, RULE, cascade_blocks, recipe_verdict, verdict


def test_sanity_check_compares_trained_and_random_weights(tiny_checkpoint, tiny_dataset, tmp_path):
    r = CliRunner().invoke(cli, ["sanity", str(tiny_checkpoint), str(tiny_dataset), "--max-images", "12",
                                 "--draws", "3", "--out", str(tmp_path), "--json"])
    assert r.exit_code == 0, r.output
    result = json.loads(r.output)
    assert result["images"] == 12
    assert set(result["trained"]) == set(result["randomised"]) and len(result["trained"]) == 10
    assert -1 <= result["agreement"]["spearman"] <= 1
    # Random weights must move the per-image area scores: the explanation depends on what was learned.
    assert result["mean_abs_area_score_change"] > 0.02
    assert isinstance(result["passes"], bool) and result["verdict"] in ("passes", "borderline", "fails")
    assert result["passes"] == (result["verdict"] == "passes") and result["rule"] == RULE
    # the documented number of draws, each with its own seed, and the verdict follows the rule from them
    assert len(result["draws"]) == 3 and result["spearman"]["n"] == 3
    assert len({d["seed"] for d in result["draws"]}) == 3
    assert result["verdict"] == verdict([d["spearman"] for d in result["draws"]])
    assert result["spearman"]["min"] <= result["agreement"]["spearman"] <= result["spearman"]["max"]
    assert json.loads((tmp_path / "sanity.json").read_text())["verdict"] == result["verdict"]
    # the heat-on-face baseline: the trained model's ratio beside each random draw's, on the same images
    assert result["on_face"]["trained"]["all"]["n"] == 1 and result["on_face"]["random"]["all"]["n"] == 3
    random_all = result["on_face"]["random"]["all"]
    assert 0 < random_all["min"] <= random_all["median"] <= random_all["max"]
    assert (tmp_path / "sanity_cascading.png").stat().st_size > 10_000


def test_cascading_randomisation_has_one_point_per_block_and_ends_at_random_weights(tiny_checkpoint, tiny_dataset):
    from fastk.explain.explore import ExploreSettings
    from fastk.model.checkpoints import load_checkpoint
    from fastk.trust.sanity import randomisation_check

    bb, model, _ = load_checkpoint(tiny_checkpoint)
    samples = fastk.create("dataset", "folder", root=tiny_dataset).samples()[::3]
    blocks = cascade_blocks(model, bb.input_size)
    assert [b for b, _ in blocks][:2] == ["fc", "layer4"], "output side first"
    result = randomisation_check(samples, bb, model, ExploreSettings(overlays=0, n_boot=10), draws=2)
    steps = result["cascading"]["steps"]
    assert len(steps) == len(blocks) == len(result["cascading"]["blocks"])
    # Every parameterised module re-initialised: the last step is the first random draw's model.
    last, random0 = steps[-1]["importance"], result["draws"][0]["importance"]
    assert all(abs(last[a] - random0[a]) < 1e-3 for a in last)
    assert all(-1 <= s["spearman"] <= 1 for s in steps)


def test_cascade_blocks_cover_every_parameter_once(tiny_checkpoint):
    from fastk.model.checkpoints import load_checkpoint

    bb, model, _ = load_checkpoint(tiny_checkpoint)
    blocks = cascade_blocks(model, bb.input_size, max_blocks=4)
    assert len(blocks) == 4
    names = [n for _, ms in blocks for n in ms]
    assert len(names) == len(set(names))
    covered = {f"{n}.{p}" for n in names for p, _ in model.get_submodule(n).named_parameters(recurse=False)}
    assert covered == {n for n, _ in model.named_parameters()}


@pytest.mark.parametrize("rho, expected", [
    ([0.1, -0.2, 0.3, 0.45, 0.0], "passes"),
    ([0.7, 0.8, 0.55, 0.2, 0.9], "fails"),
    ([0.1, 0.2, 0.3, 0.6, 0.7], "borderline"),  # median below 0.5, upper quartile above
    ([0.9, 0.1, 0.1, 0.1, 0.1], "passes"),  # one unlucky draw does not decide
])
def test_verdict_reads_the_distribution_not_one_draw(rho, expected):
    assert verdict(rho) == expected


def test_seed_models_share_the_random_draws_and_decide_together(tiny_checkpoint, tiny_dataset, tmp_path):
    """A second checkpoint of the recipe is compared with the *same* random draws: an identical copy must
    agree with them exactly as the first does, and the verdict becomes the recipe's."""
    import shutil

    twin = shutil.copy(tiny_checkpoint, tmp_path / "model.pt")  # same stem as the first: named apart
    r = CliRunner().invoke(cli, ["sanity", str(tiny_checkpoint), str(tiny_dataset), "--max-images", "8",
                                 "--draws", "2", "--no-cascading", "--seed-model", str(twin), "--json"])
    assert r.exit_code == 0, r.output
    result = json.loads(r.output)
    assert list(result["models"]) == ["model", "model-2"]
    first, copy = result["models"].values()
    assert copy["rho"] == pytest.approx(first["rho"], abs=1e-9) and len(first["rho"]) == 2
    assert result["rule"] == RECIPE_RULE and result["verdict"] == recipe_verdict(result["models"])
    trained = result["on_face"]["trained"]["all"]  # both models count, and a copy adds no spread
    assert trained["n"] == 2 and trained["min"] == pytest.approx(trained["max"], abs=1e-9)


def test_seed_model_of_another_architecture_is_refused_in_one_line(tiny_checkpoint, lgsc_checkpoint, tiny_dataset):
    r = CliRunner().invoke(cli, ["sanity", str(tiny_checkpoint), str(tiny_dataset), "--max-images", "4",
                                 "--draws", "1", "--seed-model", str(lgsc_checkpoint)])
    assert r.exit_code == 2 and "lgsc.pt" in r.output and "same recipe" in r.output
    assert "Traceback" not in r.output and len(r.output.strip().splitlines()) == 1


@pytest.mark.parametrize("medians, expected", [
    ([0.67, 0.15, 0.03], "passes"),  # the demo with 2 threads: seed 0's model fails alone, the recipe passes
    ([0.17, 0.13, 0.35], "passes"),  # the same run with 1 thread
    ([0.7, 0.8, 0.2], "fails"),
    ([0.2, 0.3, 0.55, 0.7], "borderline"),
])
def test_recipe_verdict_reads_each_models_median(medians, expected):
    models = {f"seed{i}": {"verdict": verdict([m]), "spearman": {"median": m}} for i, m in enumerate(medians)}
    assert recipe_verdict(models) == expected
    assert recipe_verdict({"seed0": {"verdict": "fails", "spearman": {"median": 0.1}}}) == "fails"  # one model: its own


def test_sanity_user_error_is_one_line(tmp_path, tiny_dataset):
    r = CliRunner().invoke(cli, ["sanity", str(tmp_path / "missing.pt"), str(tiny_dataset)])
    assert r.exit_code == 2 and "missing.pt" in r.output and "Traceback" not in r.output


@pytest.mark.slow
def test_label_randomisation_trains_on_shuffled_labels(tiny_checkpoint, tiny_dataset, tmp_path):
    from fastk.explain.explore import ExploreSettings, explore
    from fastk.explain.importance import importance_vector
    from fastk.model.checkpoints import load_checkpoint
    from fastk.model.training import TrainConfig
    from fastk.trust.sanity import label_randomisation_check

    bb, model, _ = load_checkpoint(tiny_checkpoint)
    samples = fastk.create("dataset", "folder", root=tiny_dataset).samples()
    s = ExploreSettings(overlays=0, n_boot=10)
    trained = importance_vector(explore(samples, bb, model, tmp_path / "trained", s, show_progress=False).importance)
    out = label_randomisation_check(samples[::2], samples[1::2], samples, bb, trained, tmp_path / "labels",
                                    settings=s, train_config=TrainConfig(epochs=2, batch_size=8))
    assert out["epochs"] == 2 and set(out["importance"]) == set(trained)
    assert -1 <= out["agreement"]["spearman"] <= 1 and isinstance(out["passes"], bool)
