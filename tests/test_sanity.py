"""The model-randomisation sanity check on a tiny model trained on real faces."""

import json

from click.testing import CliRunner

from fastk.cli import cli


def test_sanity_check_compares_trained_and_random_weights(tiny_checkpoint, tiny_dataset):
    r = CliRunner().invoke(cli, ["sanity", str(tiny_checkpoint), str(tiny_dataset), "--max-images", "12", "--json"])
    assert r.exit_code == 0, r.output
    result = json.loads(r.output)
    assert result["images"] == 12
    assert set(result["trained"]) == set(result["randomised"]) and len(result["trained"]) == 10
    assert -1 <= result["agreement"]["spearman"] <= 1
    # Random weights must move the per-image area scores: the explanation depends on what was learned.
    assert result["mean_abs_area_score_change"] > 0.02
    assert isinstance(result["passes"], bool)
