"""The run's finding in one sentence: what a reader should take from the report, or why there is nothing.

Why: the report holds a ranking, three checks of it and a retraining table; a new user's first run
showed a ranking of an untrained network with the warning buried above a page of figures (issue 27).
The first screen now says which areas the model relies on, how sure that is (how often the selected
set came out again across seeds, CAM methods and detectors; whether removing it hurt the model more
than removing random areas), or, when the model learnt nothing or the ranking survives randomising the
weights, that there is no finding and why.
"""

from __future__ import annotations

from typing import Any

from fastk.report.model_checks import chance_band


def finding(report: dict[str, Any]) -> str:
    """One sentence from a ``report.json`` dict (what :func:`fastk.run.pipeline.report_step.build_report` gathers)."""
    full = (report.get("models") or {}).get("full") or {}
    val = full.get("validation") or {}
    auc = val.get("auc")
    if isinstance(auc, float) and auc < chance_band(int(val.get("n_real", 0)), int(val.get("n_spoof", 0))):
        return (f"No finding: the explained model is not distinguishable from chance on validation (AUC {auc:.2f}), "
                "so its area ranking describes an untrained network, not spoof cues.")
    sanity = report.get("sanity") or {}
    if sanity and sanity.get("passes") is False:
        return ("No finding: the area ranking barely changes when the model's weights are randomised (the sanity "
                "check fails), so it reflects the architecture, not what the model learnt.")
    keep = (report.get("selection") or {}).get("keep") or []
    cam = (report.get("importance") or {}).get("cam", "the CAM")
    sentence = f"The model{f' (validation AUC {auc:.2f})' if isinstance(auc, float) else ''} relies most on " \
               f"{_listed(keep)} ({cam})"
    return (sentence + _stability(report.get("stability"), report.get("selection") or {})
            + _faithfulness(report.get("faithfulness")) + ".")


def _listed(names: list[str]) -> str:
    names = [n.replace("_", " ") for n in names]
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else (names[0] if names else "no area")


def _stability(stability: dict[str, Any] | None, selection: dict[str, Any]) -> str:
    """How often the selected set came out again across the grid's seeds, CAM methods and detectors."""
    verdict = (stability or {}).get("verdict") or {}
    share = (selection.get("p_selected_set") or {}).get("share_of_cells")
    cells = verdict.get("cells")
    if not isinstance(share, float | int) or not cells:
        return ""
    how = ("the grid settles on it" if share >= 0.5 else
           "no selection: the grid does not settle on one set" if not verdict.get("determined") else
           f"the grid settles on another set, {{{', '.join(verdict.get('set', []))}}}")
    return f"; that set came out in {share:.0%} of the stability grid's {cells} cells ({how})"


def _faithfulness(faith: dict[str, Any] | None) -> str:
    methods = (faith or {}).get("methods") or {}
    beats = [name for name, m in methods.items() if m.get("beats_random")]
    if not methods:
        return ""
    if beats:
        return (f", and removing it hurt the model more than removing random areas of the same size "
                f"({', '.join(beats)} of {len(methods)} removal methods)")
    return ", but removing it hurt the model no more than removing random areas of the same size"
