import json
from pathlib import Path

import pytest

from exporters.model_card import (
    CPU_VM,
    _limitations,
    build_card,
    card_with_denoiser,
    card_with_vocoder,
    main,
    to_markdown,
)


def test_card_is_read_from_the_corpus_report_and_run_logs(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    rows = [
        {
            "split": "train",
            "category": "rain",
            "source_package": "0ad-data",
            "licence": "CC-BY-SA-3.0",
            "duration_s": 6.0,
        },
        {
            "split": "test",
            "category": "rain",
            "source_package": "0ad-data",
            "licence": "CC-BY-SA-3.0",
            "duration_s": 3.0,
        },
        {"split": "train", "category": "piano", "source_package": "gm", "licence": "MIT", "duration_s": 60.0},
    ]
    (corpus / "manifest.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    report = {
        "per_package": {"0ad-data": 2, "gm": 1},
        "clips": 3,
        "minutes": 1.15,
        "per_split": {"train": {"clips": 2}},
        "per_category": {"rain": 2, "piano": 1},
        "licences": {"CC-BY-SA-3.0": 2, "MIT": 1},
    }
    (corpus / "report.json").write_text(json.dumps(report))
    for name, last in (("den", "1200,0.41,1e-4,1,0.3,7200"), ("voc", "900,30.5,5e-4,1,0.2,3600")):
        run = tmp_path / name
        run.mkdir()
        (run / "log.csv").write_text("step,loss,lr,grad_norm,sec_per_step,wall_s\n10,1.0,1e-4,1,0.3,5\n" + last + "\n")
        cfg = {"model": {"type": "x", "config": {}}, "loop": {"batch_size": 16}}
        if name == "voc":
            cfg |= {"task": "vocoder", "vocoder": {"magnitude_target": "griffin_lim"}}
        (run / "config.json").write_text(json.dumps(cfg))
    card = build_card(corpus, tmp_path / "den", tmp_path / "voc")
    assert card["corpus"]["train_minutes"] == 1.1
    assert card["corpus"]["licence_per_package"] == {"0ad-data: CC-BY-SA-3.0": 2, "gm: MIT": 1}
    assert card["denoiser"]["steps"] == 1200 and card["denoiser"]["batch_size"] == 16
    assert card["denoiser"]["training_data"] is None
    assert card["vocoder"]["final_loss"] == 30.5
    assert build_card(corpus, tmp_path / "den")["vocoder"] == "griffin_lim"
    plain = to_markdown(build_card(corpus, tmp_path / "den"))
    assert "Vocoder: Griffin-Lim" in plain and "No neural vocoder" in plain
    md = to_markdown(card)
    assert "900 steps (batch size 16, final loss 30.500, trained through Griffin-Lim), on the corpus' training " in md
    assert "split, trained on CPU only (2-core shared VM)." in md
    assert "No neural vocoder" not in md and "post-net trained through the runtime's Griffin-Lim" in md
    assert "piano, rain" in md and "What it cannot do" in md
    json.dumps(card)  # JSON-ready
    gpu = build_card(corpus, tmp_path / "den", hardware="one NVIDIA H200 (lent GPU)")
    assert gpu["denoiser"]["hardware"] == "one NVIDIA H200 (lent GPU)"
    assert "trained on one NVIDIA H200 (lent GPU)." in to_markdown(gpu)
    assert build_card(corpus, tmp_path / "den")["denoiser"]["hardware"] == "CPU only (2-core shared VM)"


def test_a_shipped_card_takes_a_new_vocoder_run_and_keeps_its_corpus_and_denoiser(tmp_path):
    run = tmp_path / "voc"
    run.mkdir()
    (run / "log.csv").write_text("step,loss,lr,grad_norm,sec_per_step,wall_s\n4000,0.41,1e-4,1,0.45,1800\n")
    cfg = {"model": {"type": "mag_postnet", "config": {}}, "loop": {"batch_size": 8}, "task": "vocoder"}
    cfg["vocoder"] = {"magnitude_target": "griffin_lim", "gl_phase_init": "pghi"}
    (run / "config.json").write_text(json.dumps(cfg))
    base = json.loads((Path(__file__).parents[2] / "models/default/bundle.json").read_text())["data_card"]
    card = card_with_vocoder(base, run, "Fine-tuned from the v6 post-net (7180 steps, random start).")
    assert card["corpus"] == base["corpus"] and card["denoiser"] == base["denoiser"]
    assert card["vocoder"]["steps"] == 4000 and card["vocoder"]["gl_phase_init"] == "pghi"
    md = to_markdown(card)
    assert "4000 steps (batch size 8, final loss 0.410, trained through Griffin-Lim from a PGHI start)" in md
    assert md.count("Fine-tuned from the v6 post-net") == 1
    assert "32 iterations from a PGHI phase, as in its training" in md
    before = {k: v for k, v in base["vocoder"].items() if k != "gl_phase_init"}  # a run before the option: random
    old = to_markdown(base | {"vocoder": before, "limitations": _limitations(before)})
    assert "32 iterations from a PGHI phase at run time, a random one in training" in old
    with pytest.raises(ValueError, match="no corpus or denoiser"):
        card_with_vocoder({"name": "x"}, run)


def test_a_shipped_card_takes_a_denoiser_continuation_and_keeps_the_story(tmp_path):
    run = tmp_path / "refiner"
    run.mkdir()
    (run / "log.csv").write_text("step,loss,lr,grad_norm,sec_per_step,wall_s\n9803,0.22,3e-4,1,0.2,2000\n")
    model = {"type": "denoiser_1d", "config": {"channels": 96, "refiner_channels": 16, "refiner_blocks": 1}}
    (run / "config.json").write_text(json.dumps({"model": model, "loop": {"batch_size": 16}, "task": "denoiser"}))
    base = json.loads((Path(__file__).parents[2] / "models/default/bundle.json").read_text())["data_card"]
    card = card_with_denoiser(base, run, "The refiner alone, on the frozen UNet of the shipped bundle.")
    assert card["corpus"] == base["corpus"] and card["vocoder"] == base["vocoder"]
    d = card["denoiser"]
    assert d["steps"] == 9803 and d["batch_size"] == 16 and d["model"] == model and d["hardware"] == CPU_VM
    assert d["history"].startswith("The refiner alone, on the frozen UNet of the shipped bundle. Before that: ")
    assert f"Before that: {base['denoiser']['steps']} steps" in d["history"]  # the shipped denoiser's facts kept
    assert base["denoiser"]["history"] in d["history"] and d["training_data"] == base["denoiser"]["training_data"]
    assert "9803 steps (final batch size 16), final loss 0.220" in to_markdown(card)
    with pytest.raises(ValueError, match="no corpus or denoiser"):
        card_with_denoiser({"name": "x"}, run)
    (tmp_path / "base.json").write_text(json.dumps(base))  # the command takes a card JSON as its base too
    assert (
        main(
            [
                "--base-bundle",
                str(tmp_path / "base.json"),
                "--denoiser-run",
                str(run),
                "--out",
                str(tmp_path / "c.json"),
            ]
        )
        == 0
    )
    assert json.loads((tmp_path / "c.json").read_text())["denoiser"]["steps"] == 9803
    assert "9803 steps" in (tmp_path / "c.md").read_text()
