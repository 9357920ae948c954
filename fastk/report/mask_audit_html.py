"""The report's mask audit: beside each retrained variant, whether its masks alone tell the label
(leak, :mod:`fastk.trust.mask_audit`) and whether its model reads them (use, :mod:`fastk.trust.mask_swap`)."""

from __future__ import annotations

import html
import math
from typing import Any

e = html.escape


def _auc(audit: dict[str, Any] | None) -> str:
    if not audit or not audit.get("applies"):
        return e((audit or {}).get("why", "not measured"))
    lo, hi = audit["ci"]
    text = f"{audit['auc']:.3f} ({lo:.3f}-{hi:.3f})"
    if audit.get("identical_masks"):
        text += ": one mask for every image"
    by = audit.get("by_attack_type") or {}
    if by:
        text += "<br><span class='muted'>" + ", ".join(f"{e(k)} {v['auc']:.2f}" for k, v in by.items()
                                                      if math.isfinite(v.get("auc", math.nan))) + "</span>"
    return f"<b>{text}</b>" if audit.get("leak") else text


def _use(test: dict[str, Any] | None) -> str:
    if not test or not test.get("applies"):
        return e((test or {}).get("why", "not measured"))
    a, d = test["auc"], test["same_minus_opposite"]
    verdict = "<b>reads the outline</b>" if test.get("uses_outline") else "no sign of reading it"
    return (f"{verdict}: AUC own {a['own']:.3f}, opposite-label swap {a['opposite']:.3f}, same-label swap "
            f"{a['same']:.3f}, fixed mask {a['fixed']:.3f} (same minus opposite {d['difference']:.3f}, 95% CI "
            f"{d['ci'][0]:.3f}-{d['ci'][1]:.3f})")


def mask_audit(report: dict[str, Any]) -> str:
    """The section, or an empty string for reports from before the audit."""
    rows = [(name, m) for name, m in report.get("models", {}).items() if name != "full" and "mask_audit" in m]
    if not rows:
        return ""
    framing = (report.get("masking") or {}).get("framing", "landmark")
    how = ("every face was aligned onto one template and every image of a variant blacked out with the same pixels "
           "(<code>masking: aligned</code>), so the masks carry no per-image information"
           if framing == "aligned" else
           "each image was masked with its own landmarks (<code>masking: landmark</code>, the paper's recipe), so "
           "the outline of the kept areas can tell the label by itself")
    body = "".join(f"<tr><td>{e(name)}</td><td>{_auc(m.get('mask_audit'))}</td><td>{_use(m.get('mask_use'))}</td></tr>"
                   for name, m in rows)
    return ("<h2>Mask audit</h2>"
            f"<p>Could the retrained variants' accuracy come from the masks themselves? Here {how}. "
            "<i>Masks alone</i>: a logistic regression on each image's mask (32x32, kept share, kept box, face size "
            "and place; no face pixel), scored out of fold with folds by subject: AUC near 0.5 means the masks "
            "carry no label; above 0.6 the variant's accuracy can be the outline (bold). <i>Use</i>: the variant's "
            "model on its test images with masks swapped between real and attack images, between images of the "
            "same label, and with one fixed mask; losing more to the opposite-label swap means it reads the "
            "outline.</p><table><tr><th>variant</th><th>masks alone: AUC (95% CI), per attack type</th>"
            f"<th>use: swap test</th></tr>{body}</table>")
