"""`fastk run` end to end on a tiny configuration: steps, resume, report contents, HTML."""

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from fastk.cli import cli

TINY = """
name: tiny
seed: 1
dataset:
  name: demo
  options: {side: 96, max_subjects: 15}
backbone:
  name: lgsc
  input_size: 64
  options: {encoder: mobilenetv3_small_050, classifier: resnet10t}
train: {epochs: 2, batch_size: 16, min_epochs: 1}
explore: {overlays: 2, n_boot: 200, batch_size: 16}
sanity: {draws: 2, cascading: false, max_images: 16}
stability: {seeds: 2, cams: [gradcam++, gradcam], detectors: [dlib], targets: [spoof-logit, cue-score], n_boot: 50}
select: top-k:4
faithfulness: {n_random: 5, max_images: 24}
"""

STEPS = ["data", "align", "train_full", "train_full_seed2", "explore", "sanity", "stability", "select", "faithfulness",
         "mask_selected", "mask_complement", "mask_crop", "train_selected", "train_complement", "train_crop",
         "evaluate", "speed", "report"]


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.tables = [], 0

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs))
        self.tables += tag == "table"


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, faces_dir):
    root = tmp_path_factory.mktemp("runs")
    config = root / "tiny.yaml"
    config.write_text(TINY)
    result = CliRunner().invoke(cli, ["run", "--config", str(config), "--runs-dir", str(root)])
    assert result.exit_code == 0, result.output
    return root / "tiny", result.output


#: The paper's recipe on TINY's data and model: masks from each image's own landmarks, fewer checks.
LANDMARK = yaml.safe_dump({
    **yaml.safe_load(TINY), "name": "paper-masks", "masking": "landmark",
    "explore": {"overlays": 0, "n_boot": 100, "batch_size": 16},
    "sanity": {"draws": 1, "cascading": False, "max_images": 8},
    "stability": {"enabled": False}, "faithfulness": {"enabled": False},
    "retrain": {"variants": ["selected", "crop"]}})


@pytest.fixture(scope="module")
def landmark_run(tmp_path_factory, faces_dir):
    """The paper's recipe (masking: landmark): images as given, each masked by its own landmarks."""
    root = tmp_path_factory.mktemp("runs")
    (root / "paper.yaml").write_text(LANDMARK)
    result = CliRunner().invoke(cli, ["run", "--config", str(root / "paper.yaml"), "--runs-dir", str(root)])
    assert result.exit_code == 0, result.output
    return root / "paper-masks", result.output


def test_run_makes_every_step_and_a_report(tiny_run):
    run, output = tiny_run
    manifest = json.loads((run / "manifest.json").read_text())
    assert [k for k, v in manifest["steps"].items() if v["status"] == "done"] == STEPS
    assert f"Report: {run / 'report.html'}" in output.replace("\n", "")


def test_report_json_has_real_values_in_range(tiny_run):
    run, _ = tiny_run
    report = json.loads((run / "report.json").read_text())
    env = report["environment"]  # what a reader needs to compare runs across machines
    assert env["torch"] and env["cpu_count"] >= 1 and isinstance(env["deterministic_algorithms"], bool)
    assert set(report["models"]) == {"full", "selected", "complement", "crop"}
    for name, m in report["models"].items():
        x = m["metrics"]
        for k in ("precision", "recall", "f1", "apcer", "bpcer", "acer", "auc"):
            assert x[k] is None or 0.0 <= x[k] <= 1.0, (name, k)
        assert m["seconds_per_epoch"] > 0 and m["inference_ms_per_image"] > 0
        assert m["jpeg_bytes_mean"] > 0 and m["png_bytes_mean"] > 0
        assert m["n_test"] > 0
    assert report["models"]["full"]["pixels_kept"] == 1.0
    # the data's shortcut audit (file statistics, face geometry, both), with intervals, beside every model
    audit = report["dataset"]["shortcut_audit"]
    assert list(audit) == ["file statistics", "face geometry", "both"]
    assert all(0 <= a["ci"][0] <= a["auc"] <= a["ci"][1] <= 1 for a in audit.values())
    by_lighting = report["models"]["full"]["metrics"]["by"]["lighting"]
    assert set(by_lighting) <= {"normal", "high", "low", "side"} and len(by_lighting) >= 2
    assert sum(m["n_real"] + m["n_spoof"] for m in by_lighting.values()) == report["models"]["full"]["n_test"]
    assert 0 < report["models"]["selected"]["pixels_kept"] < 0.5
    # Black-out shrinks the stored images; the crop shrinks the model's input.
    assert report["models"]["selected"]["png_bytes_mean"] < report["models"]["full"]["png_bytes_mean"]
    assert report["models"]["crop"]["input_size"] < report["models"]["full"]["input_size"]
    imp = report["importance"]
    assert len(imp["ranking"]) == 10
    for v in imp["overall"].values():
        assert 0.0 <= v["ci_low"] <= v["importance"] <= v["ci_high"] <= 1.0
    assert -1.0 <= imp["asymmetry"]["index"] <= 1.0
    on_face = imp["on_face"]  # the heat-on-the-face shortcut check, per real / attack type
    assert {"all", "real"} <= set(on_face) and any(k.startswith("spoof:") for k in on_face)
    assert all(0.0 <= g["heat_share"] <= 1.0 and 0.0 < g["pixel_share"] < 1.0 for g in on_face.values())
    sel = report["selection"]
    assert sel["keep"] == imp["ranking"][:4] and set(sel["keep"]) | set(sel["complement"]) == set(imp["ranking"])
    assert report["plugins"]["cam"]["name"] == "gradcam++" and report["plugins"]["cam"]["plugin"] == "cams_gradcam"
    assert report["plugins"]["landmarks"]["plugin"] == "landmarks_dlib"
    assert report["plugins"]["backbone"]["plugin"] == "backbone_lgsc"
    assert report["plugins"]["dataset"]["plugin"] == "datasets_demo"
    assert "SIMULATED" in report["notes"][0]
    assert report["plugins"]["cam"]["distribution"] == "fastk" and report["plugins"]["cam"]["version"]


def test_models_at_chance_are_named_on_top_of_the_report_and_in_the_terminal(tiny_run):
    """Two epochs on 15 subjects: whichever trainings stayed within chance on validation must be warned
    about (report.json, report.html before the data section, the terminal), and no other."""
    from fastk.report.model_checks import chance_band

    run, output = tiny_run
    report = json.loads((run / "report.json").read_text())
    manifest = json.loads((run / "manifest.json").read_text())
    at_chance = []
    for step in ("train_full", "train_full_seed2"):
        m = manifest["steps"][step]["result"]["val_metrics"]
        if m["auc"] < chance_band(m["n_real"], m["n_spoof"]):
            at_chance.append(step)
    assert [w.split(" ")[0] for w in report["warnings"]] == at_chance
    page = (run / "report.html").read_text()
    for w in report["warnings"]:
        assert page.index(w.split(" (")[0]) < page.index("Data and split")
    # the first screen says what the run found, or why there is nothing (here: trained for two epochs)
    assert page.index("<b>Finding:</b>") < page.index("Data and split") and report["finding"]
    assert report["finding"].startswith("No finding") == ("train_full" in at_chance)
    assert f"Finding: {report['finding'][:40]}" in " ".join(output.split())
    flat = " ".join(output.split())  # rich wraps long lines
    for step in ("train_full", "train_full_seed2"):
        assert (f"Warning: {step} (" in flat) == (step in at_chance)


def test_run_checks_its_ranking_stability_faithfulness_and_speed(tiny_run):
    """The checks of the ranking are in report.json with the shapes a reader relies on."""
    run, output = tiny_run
    report = json.loads((run / "report.json").read_text())
    stab = report["stability"]
    assert len(stab["cells"]) == 2 * 2 * 1 * 2  # seeds x CAM methods x detectors x targets
    assert set(stab["grid"]["model"]) == {"seed1", "seed2"}
    for r in stab["rank"].values():
        assert abs(sum(r["p_rank"]) - 1) < 1e-6 and 0 <= r["p_top_k"] <= 1
    assert abs(sum(r["p_top_k"] for r in stab["rank"].values()) - stab["k"]) < 1e-6
    p = report["selection"]["p_selected_set"]
    assert 0 <= p["share_of_cells"] <= 1
    assert "P(selected set" in output and "Stability (8 cells)" in output
    faith = report["faithfulness"]
    assert faith["selected"] == report["selection"]["keep"] and "removing the selected areas" in faith["headline"]
    assert set(faith["methods"]) == {"road", "blackout"} and faith["methods"]["road"]["random"]["n"] >= 1
    assert "Faithfulness:" in output
    san = report["sanity"]
    assert san["verdict"] in ("passes", "borderline", "fails") and len(san["draws"]) == 2
    # decided over both seed models of the recipe (each against the same 2 random draws), shown per seed
    assert list(san["models"]) == ["seed1", "seed2"] and all(len(m["rho"]) == 2 for m in san["models"].values())
    assert "2 seed models x 2 draws" in output and "seed2 " in output
    # each check's images hold both classes, are recorded, and the report states them in one line per check
    for check, cap in ((san, 16), (stab, None), (faith, 24)):
        s = check["subset"]
        assert s["real"] >= 1 and s["spoof"] >= 1 and len(s["paths"]) == s["images"]
        available = s["available"]["real"] + s["available"]["spoof"]
        assert s["images"] == min(available, cap or available) and s["max_images"] == cap
    assert (run / "report.html").read_text().count("Images of this check:") == 3
    speed = report["models"]
    assert speed["full"]["inference_time_vs_full"] == 1.0
    # FLOPs are machine-independent: the crop model's smaller input costs fewer of them.
    assert speed["crop"]["inference_gflops_per_image"] < speed["full"]["inference_gflops_per_image"]
    assert report["speed"]["rounds"] >= 3


def test_report_html_is_self_contained(tiny_run):
    run, _ = tiny_run
    page = (run / "report.html").read_text()
    parser = _Images()
    parser.feed(page)
    sources = {i["data-source"] for i in parser.images}
    assert all(i["src"].startswith("data:image/") for i in parser.images)
    assert {"explore/importance.png", "figures/face_diagram.png"} <= sources
    assert any(s.startswith("explore/overlays/real__") for s in sources)
    assert any(s.startswith("explore/overlays/spoof-") for s in sources)
    assert all((run / s).is_file() for s in sources)
    assert parser.tables >= 4
    assert "http://" not in page and "https://doi.org" in page  # nothing loaded from the network
    assert "Over the 2 trained models of the recipe" in page and "the first trained model's (seed1)" in page
    for text in ("Left/right asymmetry", "Sanity check", "APCER per attack type", "Errors by group", "Plugins used", "s / epoch",
                 "JPEG bytes", "How stable is the area ranking?", "Is the explanation on the face?",
                 "random weights: median (range), draws", "Faithfulness", "Speed", "Machine",
                 "Shortcut audit (a plain classifier, folds by subject"):
        assert text in page


def test_resume_redoes_nothing_and_report_rerenders(tiny_run):
    run, _ = tiny_run
    before = json.loads((run / "manifest.json").read_text())
    result = CliRunner().invoke(cli, ["run", "--resume", str(run)])
    assert result.exit_code == 0, result.output
    assert result.output.count("already done, kept") == len(STEPS)
    assert json.loads((run / "manifest.json").read_text())["steps"] == before["steps"]
    (run / "report.html").unlink()
    assert CliRunner().invoke(cli, ["report", str(run)]).exit_code == 0
    assert (run / "report.html").stat().st_size > 10_000


def test_changed_settings_in_same_folder_are_refused(tiny_run, tmp_path):
    run, _ = tiny_run
    cfg = tmp_path / "other.yaml"
    cfg.write_text(TINY.replace("top-k:4", "top-k:3"))
    result = CliRunner().invoke(cli, ["run", "--config", str(cfg), "--runs-dir", str(run.parent)])
    assert result.exit_code == 2 and "was started with other settings (select)" in result.output


def test_every_step_makes_what_it_declares(tiny_run):
    """Steps declare their outputs from the run folder's one layout (fastk.run.runs.Layout): each exists."""
    from fastk.run.pipeline import Pipeline

    run, _ = tiny_run
    pipeline = Pipeline(json.loads((run / "config.json").read_text()), run)
    assert [s.name for s in pipeline.steps()] == STEPS
    for step in pipeline.steps():
        for rel in (*step.reads, *step.writes):
            if rel != "stability/stability.json" or pipeline.stability_on():
                assert list(run.glob(rel.rstrip("/"))), (step.name, rel)
    assert pipeline.run.checkpoint("train_full") == run / "models" / "full" / "best.pt"
    assert pipeline.run.split_file("crop") == run / "masked" / "crop" / "split.json"
    assert pipeline.run.report_json == run / "report.json"


CHROMIUM = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if Path(p).exists()), None)


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium (Debian package 'chromium') not installed")
def test_report_renders_in_headless_chromium(tiny_run, tmp_path):
    """Every embedded figure decodes in a real browser (checked by a script added to a copy of the page)."""
    import subprocess

    run, _ = tiny_run
    page = (run / "report.html").read_text()
    probe = ("<script>window.addEventListener('load', () => { const imgs = [...document.images];"
             "document.title = 'decoded ' + imgs.filter(i => i.complete && i.naturalWidth > 0).length"
             " + ' of ' + imgs.length; });</script></body>")
    copy = tmp_path / "report.html"
    copy.write_text(page.replace("</body>", probe))
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([CHROMIUM, *flags, "--virtual-time-budget=5000", "--dump-dom", copy.as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    title = dom.split("<title>")[1].split("</title>")[0]
    n = page.count("<img ")
    assert title == f"decoded {n} of {n}", title
    shot = tmp_path / "shot.png"
    subprocess.run([CHROMIUM, *flags, f"--screenshot={shot}", "--window-size=1200,2400", copy.as_uri()],
                   capture_output=True, timeout=120)
    assert shot.stat().st_size > 20_000


def test_killed_run_resumes_from_last_finished_step(tmp_path, faces_dir):
    """SIGKILL `fastk run` once the full model is trained; --resume keeps that step and finishes."""
    import signal
    import subprocess
    import sys
    import time

    config = tmp_path / "tiny.yaml"
    config.write_text(TINY.replace("name: tiny", "name: killed"))
    manifest = tmp_path / "killed" / "manifest.json"
    child = subprocess.Popen([sys.executable, "-m", "fastk", "run", "--config", str(config), "--runs-dir", str(tmp_path)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def done_steps():
        try:
            steps = json.loads(manifest.read_text())["steps"]
        except (OSError, ValueError):
            return {}
        return {k: v for k, v in steps.items() if v["status"] == "done"}

    deadline = time.time() + 300
    while "train_full" not in done_steps() and child.poll() is None and time.time() < deadline:
        time.sleep(0.1)
    child.send_signal(signal.SIGKILL)
    child.wait()
    before = done_steps()
    assert "train_full" in before and "report" not in before, list(before)
    result = CliRunner().invoke(cli, ["run", "--resume", str(tmp_path / "killed")])
    assert result.exit_code == 0, result.output
    after = done_steps()
    assert len(after) == len(STEPS)
    for step, record in before.items():  # finished steps were kept, not redone
        assert after[step]["finished"] == record["finished"] and after[step]["result"] == record["result"]
    assert (tmp_path / "killed" / "report.html").is_file()


def test_run_checkpoints_record_how_their_images_were_prepared(tiny_run, landmark_run):
    """Issue 26: checkpoints of `fastk run` recorded no framing, so a full frame was scored squashed.
    Every model now records its alignment (aligned runs) or framing (landmark runs), a variant its mask."""
    from fastk.model.checkpoints import load_checkpoint

    for run, framing in ((tiny_run[0], "aligned"), (landmark_run[0], "landmark")):
        keep = json.loads((run / "report.json").read_text())["selection"]["keep"]
        for model in ("full", "selected", "crop"):
            meta = load_checkpoint(run / "models" / model / "best.pt")[2]
            if framing == "aligned":
                assert meta["alignment"]["size"] == 64 and meta["alignment"]["detector"] == "dlib"
            else:
                assert "alignment" not in meta and 0 < meta["framing"]["face_width"] <= 1
            mask = meta.get("mask")
            assert (mask is None) == (model == "full")
            if mask:
                assert mask["keep"] == keep and mask["framing"] == framing
                assert mask["mode"] == ("crop" if model == "crop" else "blackout")


def test_the_mask_audit_is_beside_every_variant(tiny_run, landmark_run):
    """Aligned: one mask for every image (AUC 0.5 exactly, no swap needed). Landmark: the audit is
    measured from each image's own mask and the swap test runs on the variant's model; both are in
    report.json, the report's Mask audit section and the terminal."""
    for (run, output), framing in ((tiny_run, "aligned"), (landmark_run, "landmark")):
        report = json.loads((run / "report.json").read_text())
        assert report["masking"]["framing"] == framing
        page = (run / "report.html").read_text()
        assert "<h2>Mask audit</h2>" in page
        flat = " ".join(output.split())
        for name, m in report["models"].items():
            if name == "full":
                assert m["mask_audit"] is None
                continue
            audit, use = m["mask_audit"], m["mask_use"]
            assert audit["applies"] and 0 <= audit["ci"][0] <= audit["auc"] <= audit["ci"][1] <= 1
            assert f"Mask audit {name} ({framing}): masks alone AUC {audit['auc']:.3f}" in flat
            if framing == "aligned":
                assert audit["identical_masks"] and audit["auc"] == 0.5 and not use["applies"]
            else:
                assert not audit["identical_masks"] and use["applies"]
                assert set(use["auc"]) == {"own", "opposite", "same", "fixed"}
                warned = any(w.startswith(f"variant {name!r} reads") for w in report["warnings"])
                assert warned == use["uses_outline"]


def test_a_run_model_aligns_full_frame_photos_when_evaluated(tiny_run, london_photos, tmp_path):
    """The run's full model on real full-frame photos (512 px portraits) and SIMULATED print attacks of
    them: every image is aligned onto the template before it is scored, as in training."""
    from fastk.data.images import read_rgb, write_image
    from fastk.demo.attacks import simulate_attack

    for i, p in enumerate(london_photos[30:36]):
        write_image(tmp_path / "set" / "real" / p.name, read_rgb(p))
        scene, _ = simulate_attack(read_rgb(p), "print", seed=i)
        write_image(tmp_path / "set" / "spoof" / p.name, (scene * 255 + 0.5).astype("uint8"))
    out = tmp_path / "ev" / "metrics.json"
    result = CliRunner().invoke(cli, ["evaluate", str(tiny_run[0] / "models" / "full" / "best.pt"),
                                      str(tmp_path / "set"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "faces aligned onto the template at 64 px" in " ".join(result.output.split())
    metrics = json.loads(out.read_text())
    assert metrics["framing"]["aligned"] + metrics["n_skipped"] == 12 and metrics["n_skipped"] <= 2
