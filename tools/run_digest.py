"""Print the figures docs/walkthrough.md quotes, read from a finished run folder.

Why: the walkthrough must carry the numbers of one measured run, copied without retyping mistakes;
this prints them in the walkthrough's order (steps' seconds, models' training, the ranking and its
three checks, the comparison table).

    .venv/bin/python tools/run_digest.py runs/demo
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _f(x, nd=3):
    return "n/a" if x is None else f"{x:.{nd}f}"


def main(run: Path) -> None:
    r = json.loads((run / "report.json").read_text())
    m = json.loads((run / "manifest.json").read_text())["steps"]
    secs = {k: v.get("seconds") or 0.0 for k, v in m.items()}  # the manifest has the report step's too
    print("environment:", json.dumps({k: r["environment"].get(k) for k in
                                      ("cpu_model", "cpu_count", "cpu_capability", "torch", "torch_threads",
                                       "thread_env", "thread_policy", "load_average")}))
    print("steps (s):", ", ".join(f"{k} {v:.0f}" for k, v in secs.items()), f"| loop {sum(secs.values()):.0f} s",
          f"= {sum(secs.values()) / 60:.1f} min")
    d = r["dataset"]
    print("dataset:", {k: d.get(k) for k in ("n_images", "n_usable", "n_no_face", "no_face_by_detector", "n_subjects",
                                             "split_counts")})
    for step in ("train_full", "train_full_seed1", "train_full_seed2"):
        res = m.get(step, {}).get("result", {})
        vm = res.get("val_metrics", {})
        print(f"{step}: best epoch {res.get('best_epoch')} of {len(res.get('history') or []) or '?'}"
              f"{' (stopped early)' if res.get('stopped_early') else ''},"
              f" val ACER {_f(vm.get('acer'))}, AUC {_f(vm.get('auc'))}")
    imp = r["importance"]
    ov = imp["overall"]
    print("ranking:", ", ".join(f"{a} {ov[a]['importance']:.3f} ({ov[a]['ci_low']:.3f}-{ov[a]['ci_high']:.3f})"
                                for a in imp["ranking"]))
    asym = imp["asymmetry"]
    print(f"asymmetry: {asym['index']:+.3f} (CI {asym['ci_low']:+.3f} to {asym['ci_high']:+.3f})")
    for name, g in (imp.get("on_face") or {}).items():
        print(f"on face: {name}: heat {g['heat_share']:.1%} of the map, face {g['pixel_share']:.1%} of the pixels,"
              f" ratio {g['heat_share'] / g['pixel_share']:.2f} (n={g['n']})")
    san = r["sanity"]
    sp = san["spearman"]
    print(f"sanity: {san['verdict']}, Spearman median {sp['median']:.2f} (range {sp['min']:.2f}-{sp['max']:.2f})")
    if san.get("cascading"):
        vals = [s["spearman"] for s in san["cascading"]["steps"]]
        print(f"cascading: {min(vals):.2f}-{max(vals):.2f} over {san['cascading']['blocks']}")
    st = r["stability"]
    print("stability:", st["verdict"]["text"], f"(with image resamples {st['verdict']['share_with_image_resamples']:.3f})")
    sh = st["variance"]["shares"]
    print("variance shares:", ", ".join(f"{k} {v:.0%}" for k, v in sh.items()))
    print("stable_top_k:", st["stable_top_k"], "| areas_by_stability:", st["areas_by_stability"])
    print("P(in top k):", ", ".join(f"{a} {st['rank'][a]['p_top_k']:.2f}" for a in st["areas_by_stability"]))
    sel = r["selection"]
    print("selection:", sel["keep"], "p_selected_set:", sel.get("p_selected_set"))
    fa = r["faithfulness"]
    print("faithfulness:", fa["headline"])
    for meth, res in fa["methods"].items():
        rnd = res["random"]["auc_drop"]
        print(f"  {meth}: selected auc {res['selected']['auc']:.3f} drop {res['selected']['auc_drop']:.3f};"
              f" random drop {rnd}; beats_random {res.get('beats_random')}")
    print("| model | P | R | F1 | APCER | BPCER | ACER | AUC |")
    for name, mod in r["models"].items():
        mt = mod["metrics"]
        print(f"| {name} | " + " | ".join(_f(mt.get(k)) for k in ("precision", "recall", "f1", "apcer", "bpcer", "acer", "auc"))
              + f" | worst attack {max(mt['apcer_per_attack'], key=mt['apcer_per_attack'].get)} |"
              + " " + json.dumps({k: v for k, v in mod.items() if k not in ("metrics",)}, default=str)[:400])
    print("speed:", json.dumps(r["speed"]["models"], default=str)[:1500])


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "runs/demo"))
