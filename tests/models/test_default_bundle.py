"""The shipped default bundle: valid, within its size budget, carded, and it generates reproducibly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import soundfile as sf

from sfxgen.bundle import GraphRole, load_bundle

DEFAULT = Path(__file__).resolve().parents[2] / "models" / "default"
BUDGET_BYTES = 150 * 1024 * 1024  # all committed model files together


def test_default_bundle_loads_with_checksums_and_fits_the_budget():
    bundle = load_bundle(DEFAULT)  # verifies every sha256
    total = sum(p.stat().st_size for p in DEFAULT.parent.rglob("*") if p.is_file())  # the eval's judges too
    assert total <= BUDGET_BYTES, f"models/ is {total / 2**20:.1f} MiB, budget 150 MiB"
    assert bundle.has(GraphRole.TEXT_ENCODER) and bundle.has(GraphRole.DENOISER)
    assert bundle.query.kind.value == "minilm"
    # the vocoder: a mel -> magnitude post-net the engine phases with Griffin-Lim
    assert bundle.has(GraphRole.VOCODER) and bundle.vocoder_output.value == "magnitude"
    # the sound library: the corpus's training recordings, every one with its licence
    assert bundle.library is not None and bundle.library.entries > 1000
    assert "## Sound library" in (DEFAULT / "DATA_CARD.md").read_text()


def test_default_bundle_carries_its_licence_and_model_card():
    bundle = load_bundle(DEFAULT, verify_checksums=False)
    card = bundle.data_card
    assert bundle.license
    assert card["corpus"]["clips"] > 1000 and len(card["corpus"]["categories"]) > 50
    assert card["corpus"]["licences"] and card["limitations"]
    assert card["denoiser"]["steps"] > 0
    assert card["vocoder"]["magnitude_target"] == "griffin_lim" and card["vocoder"]["steps"] > 0
    assert (DEFAULT / "DATA_CARD.md").read_text().startswith("# sfxgen default model")
    json.dumps(card)


def test_default_bundle_generates_and_regenerates_bit_identically(tmp_path):
    from sfxgen.engine import Engine
    from sfxgen.pipeline import Pipeline
    from sfxgen.regenerate import regenerate
    from sfxgen.request import GenerateRequest
    from sfxgen.sessions import choose_providers

    with Engine(DEFAULT, num_threads=1) as engine:
        result = engine.generate(
            GenerateRequest(prompt="a dog barking", duration=1.0, variations=2, seed=11, steps=8, out_dir=tmp_path)
        )
        assert len(result.files) == 2
        for f in result.files:
            audio, sr = sf.read(f)
            assert sr == 48000 and len(audio) == 48000
            peak = np.max(np.abs(audio))
            assert 0.8 < peak <= 10 ** (-1 / 20) + 1e-4  # peak-normalised to -1 dBFS, never clipped
        # library-seeded by default: each variation starts from a different real dog recording, named with its licence
        library = engine.pipeline.library
        sources = [library.entries[library.index(r.source_clip)] for r in result.recipes]
        assert [e.category for e in sources] == ["dog_bark", "dog_bark"] and sources[0].id != sources[1].id
        assert all(r.strength == engine.bundle.defaults.strength < 1 and r.source_licence for r in result.recipes)
    pipeline = Pipeline(load_bundle(DEFAULT), choose_providers("cpu"), num_threads=1)
    again = regenerate(pipeline, result.files[1], out_dir=tmp_path / "again")
    assert again.identical and again.max_abs_diff == 0.0


def test_the_shipped_eval_classifiers_are_the_judges_of_the_readme_eval():
    from exporters.eval.classifier import ClassifierConfig, load_classifier

    n_mels = load_bundle(DEFAULT, verify_checksums=False).mel.n_mels
    shipped = {}
    for path in sorted((DEFAULT.parent / "eval_classifiers").glob("*.pt")):
        _, classes, config, train_sha = load_classifier(path, n_mels)
        assert config == ClassifierConfig() and len(classes) == 143 and path.stem == train_sha[:16]
        shipped[train_sha] = path
    evaluated = json.loads((DEFAULT.parents[1] / "docs" / "eval" / "eval.json").read_text())
    judges = [evaluated["classifier_train"], *evaluated["held_out_judges"]]  # the judge, then one per fold
    assert sorted(j["sha256"] for j in judges) == sorted(shipped)
    assert sum(j["clips"] for j in judges[1:]) == judges[0]["clips"]  # the folds split the training clips
