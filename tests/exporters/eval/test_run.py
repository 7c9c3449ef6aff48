"""`sfxgen eval` end to end on a tiny synthetic corpus and a tiny random bundle (seconds, no downloads)."""

import dataclasses
import json
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from exporters.checkpoint import make_checkpoint, save_checkpoint
from exporters.eval import run
from exporters.eval.classifier import AudioClassifier, ClassifierConfig, save_classifier
from exporters.eval.report import format_table
from exporters.eval.run import EvalConfig, evaluate
from exporters.export import export_bundle
from tests.exporters.tiny_components import DENOISER, DIFFUSION, MEL, VOCODER, perturb, tiny, tiny_query_exporter

KINDS = {"lo": "a low hum", "hi": "a high whistle", "noise": "white noise hiss"}


def _clip(kind: str, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(rng.uniform(0.8, 1.2) * MEL.sample_rate)) / MEL.sample_rate
    if kind == "lo":
        return 0.5 * np.sin(2 * np.pi * rng.uniform(150, 300) * t)
    if kind == "hi":
        return 0.5 * np.sin(2 * np.pi * rng.uniform(2500, 3500) * t)
    return 0.2 * rng.standard_normal(len(t))


def _corpus(root: Path) -> Path:
    rng = np.random.default_rng(0)
    rows = []
    for kind, caption in KINDS.items():
        for i, split in enumerate(["train"] * 6 + ["test"] * 3):
            path = f"audio/{kind}_{i}.wav"
            (root / "audio").mkdir(parents=True, exist_ok=True)
            sf.write(root / path, _clip(kind, rng), MEL.sample_rate)
            rows.append({"id": f"{kind}{i}", "path": path, "split": split, "category": kind, "captions": [caption]})
    (root / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return root


def test_eval_scores_real_audio_baselines_and_the_bundle(tmp_path: Path) -> None:
    model = perturb(tiny("denoiser_1d", DENOISER))
    models = {"denoiser": model, "vocoder": tiny("vocos", VOCODER)}  # an untrained vocoder: Griffin-Lim must win
    ck = make_checkpoint(models, mel=MEL, diffusion=DIFFUSION, ema={"denoiser": model})
    bundle, _ = export_bundle(
        save_checkpoint(tmp_path / "m.pt", ck), tmp_path / "b", query_exporter=tiny_query_exporter
    )
    config = EvalConfig(
        guidances=(1.0, 3.0),
        clips_per_prompt=2,
        duration=0.5,
        steps=4,
        vocoder_clips=4,
        showcase=(("a low hum", "lo"), ("a dog barking", "dog_bark")),  # the second has no training clips
        showcase_clips=3,
        classifier=ClassifierConfig(widths=(8, 16), embed_dim=8, crop_frames=16, batch_size=8, steps=150, lr=3e-3),
    )
    r = evaluate(tmp_path / "b", _corpus(tmp_path / "corpus"), tmp_path / "out", config)
    assert r["classes"] == 3 and r["test_clips"] == 9
    assert r["real"]["top1"] >= 0.8  # separable sounds: the classifier is trustworthy on real audio
    assert r["retrieval"]["top1"] >= 0.8  # captions name the category: nearest clips are the right kind
    assert r["fd_noise_vs_real"] > r["fd_real_vs_real"]
    assert [s["guidance"] for s in r["sweep"]] == [1.0, 3.0] and r["chosen_guidance"] in (1.0, 3.0)
    v = r["vocoder"]
    assert v["clips"] == 4 and v["neural"] == "neural (stft)" and 0 < v["gl_logmel_l1"] < v["neural_logmel_l1"]
    (show,) = r["showcase"]  # the category without training clips is skipped, not scored as wrong
    assert show["prompt"] == "a low hum" and show["clips"] == 3 and 0 <= show["top1"] <= show["top3"] <= 1
    assert sum(n for _, n in show["heard_as"]) == 3
    assert show["guidance"] == bundle.defaults.guidance
    assert show["real_clips"] == 3 and show["real_top1"] >= 2 / 3  # it recognises the held-out real low hums
    assert json.loads((tmp_path / "out/eval.json").read_text())["showcase"][0]["prompt"] == "a low hum"
    assert (tmp_path / "out/eval.png").stat().st_size > 1000
    table = format_table(r)
    assert "| a low hum | lo |" in table and "of 3 |" in table and "retrieval baseline" in table
    # no library: every clip is drawn by the model, so no judges that never heard a recording are trained
    assert not r["held_out_judges"] and "top1_held_out" not in r["sweep"][0]
    assert not list((tmp_path / "corpus").glob("eval_classifier_fold*.pt"))


def test_cached_classifier_is_reused_only_for_the_same_training_clips(tmp_path: Path, monkeypatch) -> None:
    corpus = _corpus(tmp_path / "corpus")
    train = [r for r in run.read_manifest(corpus) if r["split"] == "train"]
    classes = sorted({r["category"] for r in train})
    cfg = ClassifierConfig(widths=(8,), embed_dim=4, crop_frames=16, batch_size=4, steps=2)
    trained = []
    real_train = run.train_classifier
    monkeypatch.setattr(run, "train_classifier", lambda *a, **k: trained.append(1) or real_train(*a, **k))
    path = tmp_path / "clf.pt"
    run._classifier(corpus, train, classes, MEL, cfg, path)
    run._classifier(corpus, train, classes, MEL, cfg, path)
    assert len(trained) == 1  # same clips, classes and settings: the cached classifier is used
    more = [*train, {**train[0], "id": "extra", "path": train[1]["path"]}]  # the corpus grew a training clip
    run._classifier(corpus, more, classes, MEL, cfg, path)
    assert len(trained) == 2


def test_a_shipped_classifier_is_used_only_for_its_own_training_split(tmp_path: Path, monkeypatch) -> None:
    corpus = _corpus(tmp_path / "corpus")
    train = [r for r in run.read_manifest(corpus) if r["split"] == "train"]
    classes = sorted({r["category"] for r in train})
    cfg = ClassifierConfig(widths=(8,), embed_dim=4, crop_frames=16, batch_size=4, steps=2)
    shipped = tmp_path / "shipped"
    ours = AudioClassifier(MEL.n_mels, len(classes), cfg).eval()
    save_classifier(shipped / "a.pt", AudioClassifier(MEL.n_mels, len(classes), cfg), classes, cfg, "other split")
    save_classifier(shipped / "b.pt", ours, classes, cfg, run.train_split_sha256(train))
    trained = []
    real_train = run.train_classifier
    monkeypatch.setattr(run, "train_classifier", lambda *a, **k: trained.append(1) or real_train(*a, **k))
    path = tmp_path / "corpus" / "eval_classifier.pt"
    got = run._classifier(corpus, train, classes, MEL, cfg, path, shipped=shipped)
    assert not trained and path.read_bytes() == (shipped / "b.pt").read_bytes()  # b, cached in the corpus
    x = torch.randn(2, MEL.n_mels, 16)
    with torch.no_grad():
        assert torch.equal(got(x)[1], ours(x)[1])
    run._classifier(corpus, train[:-1], classes, MEL, cfg, tmp_path / "fewer.pt", shipped=shipped)
    assert len(trained) == 1  # another training split: neither fits, so it trains
    run._classifier(corpus, train, classes, MEL, cfg, path, reuse=False, shipped=shipped)
    assert len(trained) == 2  # --train-classifier trains even when one fits


def test_library_seeded_bundle_is_scored_next_to_the_model_alone(tmp_path: Path) -> None:
    from exporters.library import LibraryConfig, build_library

    model = perturb(tiny("denoiser_1d", DENOISER))
    ck = make_checkpoint({"denoiser": model}, mel=MEL, diffusion=DIFFUSION, ema={"denoiser": model})
    export_bundle(save_checkpoint(tmp_path / "m.pt", ck), tmp_path / "b", query_exporter=tiny_query_exporter)
    corpus = _corpus(tmp_path / "corpus")
    rows = [json.loads(line) for line in (corpus / "manifest.jsonl").read_text().splitlines()]
    rows = [  # what a built corpus records; each category's takes come from two series (folders)
        {
            **r,
            "licence": "CC0-1.0",
            "source_package": "tests",
            "source_path": f"{('north', 'south')[i % 2]}/{r['path']}",
        }
        for i, r in enumerate(rows)
    ]
    (corpus / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    build_library(tmp_path / "b", corpus, LibraryConfig(strength=0.5))
    stranger = tmp_path / "other_corpus" / "eval_classifier.pt"  # a judge that never heard a low hum
    cfg = ClassifierConfig(widths=(8,), embed_dim=4, crop_frames=16, batch_size=4, steps=1)
    save_classifier(stranger, AudioClassifier(MEL.n_mels, 2, cfg), ["door", "wind"], cfg)
    config = EvalConfig(
        guidances=(2.0,),
        clips_per_prompt=2,
        duration=0.5,
        steps=4,
        vocoder_clips=2,
        showcase=(("a low hum", "lo"),),
        showcase_clips=4,
        classifier=ClassifierConfig(widths=(8, 16), embed_dim=8, crop_frames=16, batch_size=8, steps=150, lr=3e-3),
        second_opinions=(corpus / "eval_classifier.pt", stranger),  # the eval's own judge (cached below) and a stranger
        strengths=(0.3,),
    )
    r = evaluate(tmp_path / "b", corpus, tmp_path / "out", config)
    assert r["strength"] == 0.5 and r["library_entries"] == 18  # the 18 training clips, no test clip
    noise, (seeded,), (closer,) = r["from_noise"], r["sweep"], r["strength_sweep"]
    assert noise["guidance"] == 1.5 and 0 <= noise["top1"] <= 1 and noise["fd"] != seeded["fd"]
    assert closer["strength"] == 0.3 and closer["guidance"] == 1.5 and closer["fd"] != seeded["fd"]
    # Judges that never heard the recording: one per fold (3 of each category's 6 training clips), cached.
    assert [f["clips"] for f in r["held_out_judges"]] == [9, 9]
    assert all((corpus / f"eval_classifier_fold{k}.pt").is_file() for k in (0, 1))
    assert 0 <= r["real"]["top1_held_out"] <= 1  # the 9 test clips, each by both judges
    # each library-seeded clip by one judge (3 prompts x 2 clips), a clip from noise by both
    assert seeded["held_out_judgements"] == 6 and 0 <= seeded["top1_held_out"] <= 1
    assert noise["held_out_judgements"] == 12 and r["retrieval"]["held_out_judgements"] == 6
    (show,) = r["showcase"]
    assert show["strength"] == 0.5 and 0 <= show["top1_from_noise"] <= 1
    assert dict(show["source_categories"]) == {"lo": 4}  # "a low hum" starts from the low hums
    assert len(set(show["source_ids"])) == 4  # consecutive seeds cycle through different recordings
    assert show["to_source_db"] > 0 and show["between_sources_db"] > 0
    assert 0 <= show["source_top1"] <= 1 and 0 <= show["source_top1_held_out"] <= 1  # the recordings themselves
    assert 0 <= show["top1_from_noise_held_out"] <= 1
    table = format_table(r)
    assert "generated from pure noise (the model alone), w = 1.5" in table and "| a low hum | " in table
    assert "library-seeded at strength 0.5" in table and "library-seeded at strength 0.3, w = 1.5" in table
    assert "judges that never heard the recording" in table and f"{show['top1_held_out']:.2f} of 4 / " in table
    assert f"| a low hum: {show['top1']:.2f} ({show['top1_from_noise']:.2f}) / - |" in table
    # The same bundle against a corpus whose clips are not its library's recordings: those are not scored.
    other = tmp_path / "other_corpus"
    (other / "audio").mkdir(parents=True)
    for r in rows:
        (other / r["path"]).write_bytes((corpus / r["path"]).read_bytes())
    (other / "manifest.jsonl").write_text("".join(json.dumps({**r, "id": "x" + r["id"]}) + "\n" for r in rows))
    light = dataclasses.replace(config, second_opinions=(), strengths=(), held_out_judges=False)
    (show,) = evaluate(tmp_path / "b", other, tmp_path / "out_other", light)["showcase"]
    assert show["source_top1"] is None and 0 <= show["top1"] <= 1


def test_eval_command_refuses_a_missing_second_opinion(tmp_path: Path, capsys) -> None:
    from sfxgen.cli import main

    out = tmp_path / "out"
    args = ["eval", str(tmp_path / "b"), "--corpus", str(tmp_path), "--out", str(out)]
    assert main([*args, "--second-opinion", str(tmp_path / "x.pt")]) == 2
    assert "--second-opinion" in capsys.readouterr().err and not out.exists()
    assert main([*args, "--strength", "0.5", "1"]) == 2  # 1 is the from-noise row, always measured
    assert "--strength 1 is outside (0, 1)" in capsys.readouterr().err and not out.exists()
