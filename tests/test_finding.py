"""The report's first sentence (fastk.report.finding): the finding, or why there is none."""

from fastk.report.finding import finding


def _report(auc: float, *, sanity_passes: bool = True, share: float = 0.7, beats: bool = True,
            settled: bool = True) -> dict:
    return {
        "models": {"full": {"validation": {"auc": auc, "n_real": 42, "n_spoof": 41}}},
        "sanity": {"passes": sanity_passes},
        "selection": {"keep": ["nose", "left_cheek", "lips", "philtrum"], "p_selected_set": {"share_of_cells": share}},
        "importance": {"cam": "gradcam++"},
        "stability": {"verdict": {"cells": 60, "determined": settled, "set": ["chin", "lips", "nose", "philtrum"]}},
        "faithfulness": {"methods": {"road": {"beats_random": beats}, "blackout": {"beats_random": False}}},
    }


def test_a_trained_model_gets_its_areas_how_sure_and_whether_they_beat_random_sets():
    text = finding(_report(0.95))
    assert text.startswith("The model (validation AUC 0.95) relies most on nose, left cheek, lips and philtrum")
    assert "70% of the stability grid's 60 cells (the grid settles on it)" in text
    assert "more than removing random areas of the same size (road of 2 removal methods)" in text


def test_an_unsettled_or_unfaithful_selection_is_said_so():
    text = finding(_report(0.95, share=0.2, beats=False))
    assert "(the grid settles on another set, {chin, lips, nose, philtrum})" in text
    assert "no more than removing random areas" in text
    assert "(no selection: the grid does not settle on one set)" in finding(_report(0.95, share=0.2, settled=False))


def test_no_finding_when_the_model_is_at_chance_or_the_ranking_survives_random_weights():
    # 42 real and 41 attack images: a random ranking exceeds 0.625 in 2.5% of draws (model_checks.chance_band)
    assert finding(_report(0.60)).startswith("No finding: the explained model is not distinguishable from chance")
    assert finding(_report(0.70)).startswith("The model (validation AUC 0.70)")
    assert finding(_report(0.95, sanity_passes=False)).startswith("No finding: the area ranking barely changes")
