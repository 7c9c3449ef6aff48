"""exporters.library: a corpus's training clips into a bundle's sound library (real FLACs, the tiny bundle)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from exporters.library import LibraryConfig, build_library
from sfxgen.bundle import load_bundle, sha256_file
from sfxgen.cli import main
from sfxgen.library import Library
from sfxgen.mel import log_mel, normalize
from sfxgen.query import QueryEncoder
from sfxgen.sessions import CPU
from tests.helpers.tiny_bundle import TINY_MEL, make_tiny_bundle, make_tiny_corpus


@pytest.fixture()
def corpus(tmp_path):
    return make_tiny_corpus(tmp_path / "corpus", seconds=0.6)


def test_training_clips_become_searchable_recordings(tmp_path, corpus):
    root = make_tiny_bundle(tmp_path / "b")
    lib = build_library(root, corpus, LibraryConfig(max_seconds=0.5, strength=0.8))
    assert [e.category for e in lib.entries] == ["dog_bark", "dog_bark", "rain", "glass"]  # the test clip stays out
    assert [e.loops for e in lib.entries] == [False, False, True, False]
    frames = 1 + int(0.5 * TINY_MEL.sample_rate) // TINY_MEL.hop_length  # cropped to max_seconds (centred STFT)
    assert {e.frames for e in lib.entries} == {frames}
    bundle = load_bundle(root)
    assert bundle.defaults.strength == 0.8 and bundle.library.sha256 == sha256_file(root / "library.npz")
    loaded = Library.load(root / "library.npz")
    query, _ = QueryEncoder(bundle, [CPU]).encode_text(["heavy rain"])
    scores = loaded.scores(query[0])
    assert scores.argmax() == 2 and scores[2] == pytest.approx(1.0, abs=2e-3)  # the caption itself, float16
    row = json.loads((corpus / "manifest.jsonl").read_text().splitlines()[2])
    wave, _ = sf.read(corpus / row["path"])
    expected = normalize(log_mel(wave[: int(0.5 * TINY_MEL.sample_rate)], TINY_MEL), TINY_MEL)
    assert np.max(np.abs(loaded.x0(2, frames) - expected)) <= loaded.step / 2 + 1e-6


def test_a_rules_own_captions_find_its_recording(tmp_path, corpus):
    rows = [json.loads(line) for line in (corpus / "manifest.jsonl").read_text().splitlines()]
    rows[1]["file_captions"] = ["a wet dog shakes itself"]  # said of the second bark by its rule, not its category
    (corpus / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    root = make_tiny_bundle(tmp_path / "b")
    lib = build_library(root, corpus, LibraryConfig(max_seconds=0.5, strength=0.8))
    query, _ = QueryEncoder(load_bundle(root), [CPU]).encode_text(["a wet dog shakes itself", rows[0]["captions"][0]])
    assert lib.scores(query[0]).argmax() == 1 and lib.scores(query[0])[1] == pytest.approx(1.0, abs=2e-3)
    assert lib.scores(query[1])[1] < 0.99 < lib.scores(query[1])[0]  # the category's caption no longer names it


def test_library_command_checks_its_arguments(tmp_path, corpus, capsys):
    root = make_tiny_bundle(tmp_path / "b")
    assert main(["library", str(root), "--corpus", str(corpus), "--strength", "1.5"]) == 2
    assert "--strength 1.5 must be in (0, 1]" in capsys.readouterr().err
    assert main(["library", str(root), "--corpus", str(tmp_path), "--strength", "0.9"]) == 2
    assert "has no manifest.jsonl" in capsys.readouterr().err
    assert main(["library", str(root), "--corpus", str(corpus), "--split", "valid"]) == 2
    assert "no clips in split 'valid'" in capsys.readouterr().err
    assert not (root / "library.npz").exists() and load_bundle(root).library is None  # nothing half-done
    assert main(["library", str(root), "--corpus", str(corpus), "--strength", "0.9"]) == 0
    assert "library of 4 recordings" in capsys.readouterr().out
    assert load_bundle(root).defaults.strength == 0.9


def test_generate_names_the_recording_each_file_started_from(tmp_path, corpus, capsys):
    root = make_tiny_bundle(tmp_path / "b")
    assert main(["library", str(root), "--corpus", str(corpus), "--strength", "0.9"]) == 0
    capsys.readouterr()
    args = ["generate", "steady rain", "-n", "2", "--seed", "3", "--duration", "0.5", "--steps", "2"]
    assert main([*args, "--bundle", str(root), "--out", str(tmp_path / "out"), "--threads", "1"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.endswith(")")]
    ids = {json.loads(r)["id"] for r in (corpus / "manifest.jsonl").read_text().splitlines()}
    assert len(lines) == 2
    for line in lines:  # "<file>  (peak -1.0 dBFS, ... LUFS; from CC0-1.0 recording <id>)"
        assert "; from CC0-1.0 recording " in line and line[:-1].rsplit(" ", 1)[1] in ids


def test_data_card_gains_one_library_section_however_often_it_is_built(tmp_path, corpus):
    root = make_tiny_bundle(tmp_path / "b")
    (root / "DATA_CARD.md").write_text("# card\n\nCorpus: tiny.\n")
    build_library(root, corpus, LibraryConfig(strength=0.8))
    build_library(root, corpus, LibraryConfig(strength=0.7))
    card = (root / "DATA_CARD.md").read_text()
    assert card.startswith("# card\n\nCorpus: tiny.\n\n## Sound library\n") and card.count("## Sound library") == 1
    assert "holds 4 recordings" in card and "(strength 0.7)" in card and "- tests: CC0-1.0: 4" in card
