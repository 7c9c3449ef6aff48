"""The ready-made listening test in docs/listening/: complete, blind, and scored by `sfxgen listen score`."""

from __future__ import annotations

import json
from pathlib import Path

import soundfile as sf

from exporters.eval.listening import score
from sfxgen.bundle import load_bundle

REPO = Path(__file__).resolve().parents[2]
KIT = REPO / "docs" / "listening" / "v10"


def test_shipped_listening_test_is_complete_and_blind():
    key = json.loads((KIT / "key.json").read_text())
    page = (KIT / "index.html").read_text()
    clips = [c["clip"] for c in key["clips"]]
    assert len(clips) == 60 and len(set(clips)) == 60 and key["bundle"] == "sfxgen-default-v10"
    # made from the shipped bundle: rebuild it (`sfxgen listen make ... --sample-rate 24000`) when that changes
    assert key["bundle_sha256"] == load_bundle(REPO / "models" / "default").manifest_sha256
    assert sorted(p.relative_to(KIT).as_posix() for p in (KIT / "clips").iterdir()) == sorted(clips)
    for c in key["clips"]:
        info = sf.info(KIT / c["clip"])
        assert (info.samplerate, info.channels, info.frames) == (24000, 1, 48000)
        assert c["clip"] in page and c.get("source", "@@") not in page  # the page names no recording
    assert "key.json" not in page and all(json.dumps(choice)[1:-1] in page for choice in key["choices"])
    assert {c["kind"] for c in key["clips"]} == {"generated", "real"}
    assert all(c["licence"] for c in key["clips"] if c["kind"] == "real")  # each real take keeps its licence


def test_shipped_listening_test_scores_an_answers_file(tmp_path):
    key = json.loads((KIT / "key.json").read_text())
    truth = {c["clip"]: {"label": c["prompt"], "real": "can't tell"} for c in key["clips"]}
    (tmp_path / "a.json").write_text(json.dumps({"listener": "oracle", "answers": truth}))
    result = score(KIT, [tmp_path / "a.json"])
    rows = {(r["prompt"], r["start"]): (r["named"], r["answered"]) for r in result["rows"]}
    for prompt, _ in key["config"]["prompts"]:  # 4 from the library, 4 from noise, 2 real takes, all named right
        assert [rows[prompt, s] for s in ("default", "noise", "real")] == [(4, 4), (4, 4), (2, 2)]
    assert result["bundle"] == "sfxgen-default-v10" and result["chance"] == 1 / 12
