"""A blind listening test of the README's prompts: people name each clip; `sfxgen listen` makes and scores it.

The eval's classifiers are weak exactly where "is it recognisable?" is hardest (footstep surfaces, metal hits:
docs/training.md), so the last word is a listening test. ``make_test`` writes generated clips (the README
command's seeds, from the library and from pure noise) and real recordings of the same categories, all cut to
the same length and loudness, stripped of metadata and shuffled under anonymous names, with a page
(``index.html``, no network, answers kept in the browser until saved) that asks for each clip what it is and
whether it is a real recording. ``key.json`` holds the answers and is not read by the page. ``score`` counts,
per prompt and start, how often listeners named the intended sound, with Wilson 95 % intervals.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from exporters.eval.run import SHOWCASE, load_wave, read_manifest

log = logging.getLogger(__name__)

NONE_OF_THESE = "none of these"
REAL_CHOICES = ("real recording", "generated", "can't tell")


@dataclasses.dataclass(frozen=True)
class ListeningConfig:
    """What the test plays."""

    prompts: tuple[tuple[str, str], ...] = SHOWCASE  # (prompt, corpus category)
    # Near misses a listener may hear instead (the eval's judges confuse gravel with these, sword with a click).
    foils: tuple[str, ...] = ("footsteps on stone", "footsteps in snow", "a metal impact", "a UI click", "wind")
    clips: int = 4  # generated clips per prompt and start: seeds 0..clips-1, as `sfxgen generate -n`
    starts: tuple[float | None, ...] = (None, 1.0)  # None: the bundle's default (its library); 1.0: pure noise
    real: int = 2  # real recordings per category (held-out takes first)
    duration: float = 2.0  # seconds of every clip
    sample_rate: int = 48000
    lufs: float = (
        -27.0
    )  # every clip at this loudness (BS.1770), so level gives nothing away; low enough that few hits peak first
    seed: int = 0  # order of the clips


def start_name(strength: float | None) -> str:
    return "default" if strength is None else "noise" if strength >= 1.0 else f"strength {strength:g}"


def _level(wave: np.ndarray, sr: int, config: ListeningConfig) -> tuple[np.ndarray, float | None]:
    """Cut or pad to the test's duration, then to its loudness (peaks kept under -1 dBFS); (samples, LUFS)."""
    from sfxgen.finishing import FinishSpec, finish

    n = round(config.duration * sr)
    wave = np.pad(wave[:n], (0, max(0, n - len(wave))))
    spec = FinishSpec(sample_rate=config.sample_rate, loudness_lufs=config.lufs, fade_in_ms=2.0, fade_out_ms=50.0)
    done = finish(wave, sr, spec)
    return done.samples, done.lufs


def make_test(bundle_dir: Path, corpus: Path, out_dir: Path, config: ListeningConfig = ListeningConfig()) -> list[dict]:
    """Write out_dir/{clips/NNN.wav, index.html, key.json}; return the key (one row per clip, in page order)."""
    from sfxgen.bundle import load_bundle
    from sfxgen.pipeline import Pipeline
    from sfxgen.request import GenerateRequest
    from sfxgen.sessions import choose_providers

    if (out_dir / "key.json").exists():
        raise FileExistsError(f"{out_dir} already holds a listening test; answers refer to it, so pick another --out")
    rows = read_manifest(corpus)
    known = {r["category"] for r in rows}
    unknown = [c for _, c in config.prompts if c not in known]
    if unknown:
        raise ValueError(f"category {unknown[0]!r} is not in {corpus}'s manifest; name one of its categories")
    bundle = load_bundle(bundle_dir)
    pipeline = Pipeline(bundle, choose_providers("auto"))
    trials: list[tuple[np.ndarray, int, dict[str, Any]]] = []  # (mono wave, its rate, what it is)
    with tempfile.TemporaryDirectory() as tmp:
        for k, (prompt, category) in enumerate(config.prompts):
            sources = set()
            for strength in config.starts:
                result = pipeline.generate(
                    GenerateRequest(
                        prompt=prompt,
                        duration=config.duration,
                        variations=config.clips,
                        seed=0,
                        strength=strength,
                        out_dir=Path(tmp) / f"{k}_{start_name(strength)}",
                    )
                )
                for f, recipe in zip(result.files, result.recipes, strict=True):
                    sources.add(recipe.source_clip)
                    info = {"kind": "generated", "start": start_name(strength), "seed": recipe.seed}
                    if recipe.source_clip:
                        info["source"] = recipe.source_clip
                    wave = load_wave(f, bundle.mel.sample_rate)
                    trials.append((wave, bundle.mel.sample_rate, {"prompt": prompt, "category": category, **info}))
            for r in _real_rows(rows, category, sources, config):
                wave, sr = sf.read(str(corpus / r["path"]), dtype="float64", always_2d=True)
                info = {"kind": "real", "source": r["id"], "split": r["split"], "licence": r.get("licence", "")}
                trials.append((wave.mean(axis=1), sr, {"prompt": prompt, "category": category, **info}))
            if not any(t["kind"] == "real" and t["category"] == category for *_, t in trials):
                log.warning("no real recordings of %r in %s: that prompt has generated clips only", category, corpus)
    order = np.random.default_rng(config.seed).permutation(len(trials))
    (out_dir / "clips").mkdir(parents=True, exist_ok=True)
    key = []
    for n, i in enumerate(order, start=1):
        wave, sr, info = trials[i]
        leveled, lufs = _level(wave, sr, config)
        name = f"clips/{n:03d}.wav"
        sf.write(out_dir / name, leveled, config.sample_rate, subtype="PCM_16")  # plain PCM: no metadata to peek at
        key.append({"clip": name, **info, "lufs": lufs})
    quiet = [k["clip"] for k in key if k["lufs"] is None or k["lufs"] < config.lufs - 1.0]
    if quiet:
        log.warning(
            "%d clips stay under %g LUFS (their peaks reached -1 dBFS first): %s", len(quiet), config.lufs, quiet
        )
    choices = [p for p, _ in config.prompts] + list(config.foils) + [NONE_OF_THESE]
    (out_dir / "index.html").write_text(_page([k["clip"] for k in key], choices))
    test = {"bundle": bundle.bundle_id, "bundle_sha256": bundle.manifest_sha256, "choices": choices,
            "config": dataclasses.asdict(config), "clips": key}  # fmt: skip
    (out_dir / "key.json").write_text(json.dumps(test, indent=2))
    return key


def _real_rows(rows: list[dict], category: str, used: set, config: ListeningConfig) -> list[dict]:
    """Real takes of the category: held-out ones first, then training takes no generated clip started from."""
    held = [r for r in rows if r["category"] == category and r["split"] in ("valid", "test")]
    train = [r for r in rows if r["category"] == category and r["split"] == "train" and r["id"] not in used]
    rng = np.random.default_rng(config.seed)
    pick = [held[i] for i in rng.permutation(len(held))] + [train[i] for i in rng.permutation(len(train))]
    return pick[: config.real]


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a proportion k / n (hand-written: four lines, no statistics dependency)."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


class AnswersError(ValueError):
    """An answers file that does not belong to this test (the message says what is wrong)."""


def _answers(path: Path, key: dict[str, Any]) -> dict[str, dict[str, str]]:
    try:
        data = json.loads(path.read_text())
        answers = data["answers"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AnswersError(f"{path}: not an answers file saved by the test page ({exc})") from exc
    clips = {c["clip"] for c in key["clips"]}
    unknown = sorted(set(answers) - clips)
    if unknown:
        raise AnswersError(f"{path}: clip {unknown[0]!r} is not in this test; was it saved from another test's page?")
    bad = [c for c, a in answers.items() if a.get("label") not in (None, "", *key["choices"])]  # "": not named yet
    if bad:
        raise AnswersError(f"{path}: answer {answers[bad[0]].get('label')!r} for {bad[0]} is not one of the choices")
    return answers


def score(test_dir: Path, answer_files: list[Path]) -> dict[str, Any]:
    """Identification and "heard as real" per (prompt, start), pooled over listeners; unanswered clips skipped."""
    key = json.loads((test_dir / "key.json").read_text())
    per = defaultdict(lambda: {"named": 0, "real": 0, "answered": 0})
    for path in answer_files:
        answers = _answers(path, key)
        for clip in key["clips"]:
            a = answers.get(clip["clip"], {})
            if not a.get("label"):
                continue
            cell = per[clip["prompt"], clip["kind"] if clip["kind"] == "real" else clip["start"]]
            cell["answered"] += 1
            cell["named"] += a["label"] == clip["prompt"]
            cell["real"] += a.get("real") == REAL_CHOICES[0]
    table = []
    for (prompt, start), c in sorted(per.items()):
        lo, hi = wilson(c["named"], c["answered"])
        table.append({"prompt": prompt, "start": start, **c, "named_share": c["named"] / c["answered"],
                      "named_ci95": [lo, hi], "real_share": c["real"] / c["answered"]})  # fmt: skip
    return {"bundle": key["bundle"], "listeners": len(answer_files), "chance": 1 / len(key["choices"]), "rows": table}


def format_scores(result: dict[str, Any]) -> str:
    lines = [
        f"{result['bundle']}: {result['listeners']} listener(s); chance of naming a clip by guessing "
        f"{result['chance']:.2f}",
        "",
        "| prompt | clips | answers | named as the prompt | 95 % interval | heard as a real recording |",
        "|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        lo, hi = r["named_ci95"]
        clips = {"default": "generated (the README command)", "noise": "generated from pure noise"}.get(
            r["start"], "real recordings" if r["start"] == "real" else f"generated, {r['start']}"
        )
        lines.append(
            f"| {r['prompt']} | {clips} | {r['answered']} | {r['named']} ({r['named_share']:.0%}) "
            f"| {lo:.0%}-{hi:.0%} | {r['real']} ({r['real_share']:.0%}) |"
        )
    return "\n".join(lines)


def _page(clips: list[str], choices: list[str]) -> str:
    """The test page: one row per clip; answers autosave in the browser and download as answers.json."""
    data = json.dumps({"clips": clips, "choices": choices, "real": list(REAL_CHOICES)})
    return _PAGE.replace("/*DATA*/", data)


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sfxgen listening test</title>
<style>
body { font: 15px system-ui, sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em; }
table { border-collapse: collapse; width: 100%; } td { padding: .4em; border-bottom: 1px solid #ddd; }
audio { width: 16em; } .done { background: #eef7ee; }
</style></head><body>
<h1>Listening test</h1>
<p>Listen to each clip (headphones, one level for all) and say what you hear, and whether you think it is a
real recording or generated. Clips are in random order and say nothing about themselves. Your answers stay in
this browser as you go; press <b>Save answers</b> at the end and send the downloaded <code>answers.json</code>.</p>
<p><label>Your name or initials: <input id="who"></label></p>
<table id="rows"></table>
<p><button id="save">Save answers</button> <span id="count"></span> <span id="nostore"></span></p>
<script>
const T = /*DATA*/;
const store = "sfxgen-listening-" + T.clips.length + "-" + T.choices.join("|");
// Answers autosave where the browser lets a page keep them (some refuse localStorage to file:// pages or
// private windows): without it the test still works, only a reload would lose the answers.
let storage = null;
try { storage = window.localStorage; storage.getItem(store); } catch (e) { storage = null; }
let saved = {};
try { saved = JSON.parse((storage && storage.getItem(store)) || "{}"); } catch (e) { saved = {}; }
if (!storage) document.getElementById("nostore").textContent =
  "(this browser does not keep answers across a reload here: save before you close the page)";
const ans = saved.answers || {};
document.getElementById("who").value = saved.listener || "";
function keep() {
  if (storage) {
    try { storage.setItem(store, JSON.stringify({listener: document.getElementById("who").value, answers: ans})); }
    catch (e) { /* full or refused: the answers stay in this page */ }
  }
  const n = Object.values(ans).filter(a => a.label).length;
  document.getElementById("count").textContent = n + " of " + T.clips.length + " named";
}
const table = document.getElementById("rows");
T.clips.forEach((clip, i) => {
  const tr = table.insertRow(); const a = ans[clip] || (ans[clip] = {});
  tr.insertCell().textContent = i + 1;
  const au = document.createElement("audio"); au.controls = true; au.preload = "none"; au.src = clip;
  tr.insertCell().appendChild(au);
  const sel = document.createElement("select");
  [""].concat(T.choices).forEach(c => { const o = new Option(c || "what is it?", c); sel.add(o); });
  sel.value = a.label || "";
  sel.onchange = () => { a.label = sel.value; tr.className = sel.value ? "done" : ""; keep(); };
  tr.className = a.label ? "done" : "";
  tr.insertCell().appendChild(sel);
  const cell = tr.insertCell();
  T.real.forEach(r => {
    const l = document.createElement("label"); const b = document.createElement("input");
    b.type = "radio"; b.name = "real" + i; b.checked = a.real === r;
    b.onchange = () => { a.real = r; keep(); };
    l.appendChild(b); l.append(" " + r + " "); cell.appendChild(l);
  });
});
document.getElementById("who").oninput = keep;
document.getElementById("save").onclick = () => {
  keep();
  const who = document.getElementById("who").value;
  const blob = new Blob([JSON.stringify({listener: who, answers: ans}, null, 1)], {type: "application/json"});
  const link = document.createElement("a"); link.href = URL.createObjectURL(blob);
  link.download = "answers" + (who ? "-" + who.replace(/[^A-Za-z0-9_-]/g, "") : "") + ".json";
  document.body.appendChild(link); link.click(); link.remove();  // in the document: older Firefox needs it
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
};
keep();
</script></body></html>
"""
