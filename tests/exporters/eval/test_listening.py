"""`sfxgen listen`: a blind listening test made from a tiny library-seeded bundle, and its scoring."""

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from exporters.checkpoint import make_checkpoint, save_checkpoint
from exporters.eval.listening import AnswersError, ListeningConfig, format_scores, make_test, score, wilson
from exporters.export import export_bundle
from sfxgen.finishing import integrated_loudness
from tests.exporters.eval.test_run import _corpus
from tests.exporters.tiny_components import DENOISER, DIFFUSION, MEL, perturb, tiny, tiny_query_exporter

PROMPTS = (("a low hum", "lo"), ("a high whistle", "hi"))


def _seeded_bundle(tmp_path: Path) -> tuple[Path, Path]:
    from exporters.library import LibraryConfig, build_library

    model = perturb(tiny("denoiser_1d", DENOISER))
    ck = make_checkpoint({"denoiser": model}, mel=MEL, diffusion=DIFFUSION, ema={"denoiser": model})
    export_bundle(save_checkpoint(tmp_path / "m.pt", ck), tmp_path / "b", query_exporter=tiny_query_exporter)
    corpus = _corpus(tmp_path / "corpus")
    rows = [json.loads(line) for line in (corpus / "manifest.jsonl").read_text().splitlines()]
    rows = [{**r, "licence": "CC0-1.0", "source_package": "tests"} for r in rows]
    (corpus / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    build_library(tmp_path / "b", corpus, LibraryConfig(strength=0.5))
    return tmp_path / "b", corpus


def test_make_test_writes_anonymous_level_matched_clips_and_a_key_the_page_never_reads(tmp_path: Path) -> None:
    bundle, corpus = _seeded_bundle(tmp_path)
    config = ListeningConfig(prompts=PROMPTS, foils=("wind",), clips=2, real=2, duration=0.6)
    key = make_test(bundle, corpus, tmp_path / "test", config)
    assert len(key) == 2 * (2 + 2 + 2)  # per prompt: 2 from the library, 2 from noise, 2 real
    assert [k["clip"] for k in key] == [f"clips/{n:03d}.wav" for n in range(1, 13)]
    for prompt, cat in PROMPTS:
        mine = [k for k in key if k["prompt"] == prompt]
        assert {k["category"] for k in mine} == {cat}
        library = [k for k in mine if k.get("start") == "default"]
        assert len(library) == 2 and all(k["source"].startswith(cat) for k in library)
        assert sorted(k["seed"] for k in library) == [0, 1]  # the README command's seeds
        assert len([k for k in mine if k.get("start") == "noise" and "source" not in k]) == 2
        assert [k["split"] for k in mine if k["kind"] == "real"] == ["test", "test"]  # held-out takes first
    assert [k["kind"] for k in key] != sorted(k["kind"] for k in key)  # shuffled, not grouped
    for k in key:
        raw = (tmp_path / "test" / k["clip"]).read_bytes()
        assert b"iXML" not in raw and b"bext" not in raw and b"LIST" not in raw  # nothing to peek at
        wave, sr = sf.read(tmp_path / "test" / k["clip"])
        assert sr == 48000 and len(wave) == round(0.6 * 48000)
        # level gives nothing away: every clip at -27 LUFS, unless its peak reached the -1 dBFS ceiling first
        lufs, peak = integrated_loudness(wave, sr), 20 * np.log10(np.abs(wave).max())
        assert lufs == pytest.approx(-27.0, abs=0.5) or (lufs < -27.0 and peak == pytest.approx(-1.0, abs=0.05))
        assert k["lufs"] == pytest.approx(lufs, abs=0.05)
    page = (tmp_path / "test" / "index.html").read_text()
    assert all(k["clip"] in page for k in key) and "a high whistle" in page and "none of these" in page
    assert not any(k.get("source", "@@") in page for k in key) and "key.json" not in page
    saved = json.loads((tmp_path / "test" / "key.json").read_text())
    assert saved["clips"] == key and saved["choices"] == ["a low hum", "a high whistle", "wind", "none of these"]
    with pytest.raises(FileExistsError, match="pick another --out"):  # answers refer to this test's clips
        make_test(bundle, corpus, tmp_path / "test", config)


def _key(tmp_path: Path) -> Path:
    clips = [
        {"clip": f"clips/{i + 1:03d}.wav", "prompt": p, "category": c, "kind": kind, "start": start}
        for i, (p, c, kind, start) in enumerate(
            [("a low hum", "lo", "generated", "default")] * 4
            + [("a low hum", "lo", "generated", "noise")] * 2
            + [("a low hum", "lo", "real", None)] * 2
        )
    ]
    test = tmp_path / "test"
    test.mkdir()
    (test / "key.json").write_text(
        json.dumps({"bundle": "b", "choices": ["a low hum", "wind", "none"], "clips": clips})
    )
    return test


def test_score_counts_named_clips_per_prompt_and_start_over_listeners(tmp_path: Path) -> None:
    test = _key(tmp_path)
    ann = {f"clips/{i:03d}.wav": {"label": "a low hum", "real": "real recording"} for i in (1, 2, 3, 7, 8)}
    ann["clips/004.wav"] = {"label": "wind", "real": "generated"}
    ann["clips/005.wav"] = {"label": "", "real": "generated"}  # skipped: not named
    bob = {f"clips/{i:03d}.wav": {"label": "wind"} for i in range(1, 9)}
    (tmp_path / "ann.json").write_text(json.dumps({"listener": "ann", "answers": ann}))
    (tmp_path / "bob.json").write_text(json.dumps({"listener": "bob", "answers": bob}))
    result = score(test, [tmp_path / "ann.json", tmp_path / "bob.json"])
    rows = {r["start"]: r for r in result["rows"]}
    assert (rows["default"]["named"], rows["default"]["answered"], rows["default"]["real"]) == (3, 8, 3)
    assert (rows["noise"]["named"], rows["noise"]["answered"]) == (0, 2)  # ann left one unnamed, one out
    assert (rows["real"]["named"], rows["real"]["answered"], rows["real"]["real"]) == (2, 4, 2)
    assert result["listeners"] == 2 and result["chance"] == pytest.approx(1 / 3)
    assert rows["real"]["named_ci95"] == pytest.approx(list(wilson(2, 4)))
    table = format_scores(result)
    assert "| a low hum | generated (the README command) | 8 | 3 (38%) | 14%-69% | 3 (38%) |" in table
    assert "| a low hum | real recordings | 4 | 2 (50%) |" in table


def test_wilson_interval_matches_the_textbook_values() -> None:
    assert wilson(4, 8) == pytest.approx((0.2152, 0.7848), abs=1e-4)
    assert wilson(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson(0, 0) == (0.0, 1.0)


def test_answers_from_another_test_or_with_unknown_labels_are_refused(tmp_path: Path, capsys) -> None:
    from sfxgen.cli import main

    test = _key(tmp_path)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"answers": {"clips/099.wav": {"label": "wind"}}}))
    with pytest.raises(AnswersError, match="not in this test"):
        score(test, [other])
    other.write_text(json.dumps({"answers": {"clips/001.wav": {"label": "a dog"}}}))
    with pytest.raises(AnswersError, match="not one of the choices"):
        score(test, [other])
    other.write_text("{not json")
    assert main(["listen", "score", str(test), str(other)]) == 2
    assert "not an answers file" in capsys.readouterr().err and not (test / "scores.json").exists()
    assert main(["listen", "score", str(tmp_path), str(other)]) == 2  # no key.json there
    assert "sfxgen listen make" in capsys.readouterr().err


def test_listen_make_refuses_a_missing_corpus_or_no_clips(tmp_path: Path, capsys) -> None:
    from sfxgen.cli import main

    out = tmp_path / "test"
    assert main(["listen", "make", str(tmp_path / "b"), "--corpus", str(tmp_path), "--out", str(out)]) == 2
    assert "sfxgen corpus build" in capsys.readouterr().err and not out.exists()
    corpus = _corpus(tmp_path / "corpus")
    assert main(["listen", "make", str(tmp_path / "b"), "--corpus", str(corpus), "--clips", "0"]) == 2
    assert "--clips must be at least 1" in capsys.readouterr().err
    args = ["listen", "make", str(tmp_path / "b"), "--corpus", str(corpus), "--out", str(out)]
    assert main([*args, "--prompt", "a low hum=lo"]) == 2
    assert str(tmp_path / "b") in capsys.readouterr().err and not out.exists()  # no bundle there
    assert main([*args, "--prompt", "a low hum"]) == 2
    assert "TEXT=CATEGORY" in capsys.readouterr().err
    assert main([*args, "--prompt", "a low hum=lo", "--prompt", "a dog=dog_bark"]) == 2
    assert "'dog_bark' is not in" in capsys.readouterr().err and not out.exists()


def test_listen_make_takes_the_prompts_it_is_given(tmp_path: Path, capsys) -> None:
    from sfxgen.cli import main

    bundle, corpus = _seeded_bundle(tmp_path)
    out = tmp_path / "test"
    args = ["listen", "make", str(bundle), "--corpus", str(corpus), "--out", str(out), "--clips", "1", "--real", "1"]
    assert main([*args, "--prompt", "deep rumble=lo", "--no-noise", "--sample-rate", "24000"]) == 0
    key = json.loads((out / "key.json").read_text())
    assert {sf.info(out / c["clip"]).samplerate for c in key["clips"]} == {24000}
    assert [(c["prompt"], c["kind"]) for c in sorted(key["clips"], key=lambda c: c["kind"])] == [
        ("deep rumble", "generated"),
        ("deep rumble", "real"),
    ]
    assert key["choices"][0] == "deep rumble" and "2 clips in" in capsys.readouterr().out
