"""`sfxgen eval BUNDLE`: relevance, Fréchet distance, retrieval baseline, vocoder vs Griffin-Lim.

Steps:
  1. read the corpus manifest; classes = categories with training clips;
  2. load (or train and cache) the independent audio classifier on the training split and, for a bundle
     with a library, the two judges that never heard a library clip's recording (exporters.eval.folds);
  3. real references: classifier accuracy on real test clips; Fréchet distance real-vs-real
     (training vs test clips) and noise-vs-real as the floor and ceiling;
  4. for each guidance w: generate clips for every test category's prompt through the engine
     (the very path users run), classify them, Fréchet distance to real test audio;
  5. retrieval baseline (CLIPSynth's CLIPRetriever): the training clip nearest to the prompt by text
     embedding, scored the same way;
  6. vocoder: reconstruction error on held-out audio, neural vocoder vs Griffin-Lim;
  7. showcase: the README's prompts at the bundle's default settings (what `sfxgen generate` plays),
     each clip classified, so "is it recognisable?" is answered per prompt, not only on average;
  8. JSON, the chosen default guidance, and (exporters.eval.report) the tables and a PNG of relevance and
     Fréchet distance against w (CLIPSonic Fig. 3).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import soxr

from exporters.corpus.rules import clip_captions
from exporters.eval.classifier import (
    ClassifierConfig,
    embed_and_classify,
    features,
    load_classifier,
    save_classifier,
    train_classifier,
)
from exporters.eval.folds import FOLDS, FoldJudges, assign_folds
from exporters.eval.metrics import accuracy, frechet_distance, log_mel_l1, multires_spectral_convergence
from exporters.eval.report import plot
from sfxgen.bundle import load_bundle
from sfxgen.configs import MelConfig

log = logging.getLogger(__name__)


# Classifiers trained by this project for corpora that `sfxgen corpus build` makes (the default corpus), each
# used only for the exact training split, classes and settings it was trained on: a first eval of such a corpus
# then takes minutes instead of the half hour that training one costs on 2 CPU cores (--train-classifier redoes it).
SHIPPED_CLASSIFIERS = Path(__file__).resolve().parents[2] / "models" / "eval_classifiers"

SHOWCASE = (  # the prompts the README promises, with the category a listener should hear
    ("dog barking", "dog_bark"),
    ("footsteps on gravel", "footsteps_gravel"),
    ("glass breaking", "glass_break"),
    ("heavy rain", "rain"),
    ("sword clash", "sword_clash"),
    ("car engine idling", "car_engine"),
)


@dataclasses.dataclass(frozen=True)
class EvalConfig:
    """What `sfxgen eval` measures and how much of it."""

    guidances: tuple[float, ...] = (1.0, 2.0, 3.0, 4.0, 6.0, 8.0)  # CFG w swept for the relevance/FD plot
    clips_per_prompt: int = 4  # generated variations per test category and w
    duration: float = 2.0  # seconds per generated clip
    steps: int | None = None  # sampler steps (None: bundle default)
    sampler: str | None = None  # sampler name (None: bundle default)
    seed: int = 1234  # base seed; category i uses seed + i * clips_per_prompt
    vocoder_clips: int = 200  # held-out clips for the vocoder comparison (all test clips when fewer)
    showcase: tuple[tuple[str, str], ...] = SHOWCASE  # (prompt, the corpus category it should sound like)
    showcase_clips: int = 8  # clips per showcase prompt (seeds 0..n-1, as `sfxgen generate -n`)
    classifier: ClassifierConfig = ClassifierConfig()
    second_opinions: tuple[Path, ...] = ()  # saved classifiers (e.g. other corpora's) that also judge the showcase
    # Library-seeded clips are also judged by judges that never heard their recording (exporters.eval.folds):
    # two more classifiers, one per fold of the training split (trained once per corpus, or shipped).
    held_out_judges: bool = True
    strengths: tuple[float, ...] = ()  # extra library strengths to measure at the default guidance
    num_threads: int = 0  # onnxruntime threads per session (0: the cores split between the engine's workers)
    workers: int = 0  # engine workers side by side (0: one per core, at most 4); results do not depend on it


def read_manifest(corpus: Path) -> list[dict[str, Any]]:
    path = corpus / "manifest.jsonl"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: build the corpus first (`sfxgen corpus build {corpus}`)")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def load_wave(path: Path, sample_rate: int) -> np.ndarray:
    """Mono float64 waveform resampled (soxr) to sample_rate."""
    wave, sr = sf.read(str(path), dtype="float64", always_2d=True)
    wave = wave.mean(axis=1)
    return soxr.resample(wave, sr, sample_rate) if sr != sample_rate else wave


def train_split_sha256(train: list[dict]) -> str:
    """Identity of the classifier's training data: its clips' ids, paths and content hashes."""
    lines = sorted(f"{r['id']} {r['path']} {r.get('sha256', '')}" for r in train)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def _matching_classifier(path: Path, classes: list[str], cfg: ClassifierConfig, train_sha: str, n_mels: int):
    """The classifier saved at path if it was trained on exactly these classes, settings and training clips."""
    try:
        model, saved, saved_cfg, saved_sha = load_classifier(path, n_mels)
    except (KeyError, TypeError, RuntimeError) as exc:  # written by another version of this code
        log.info("classifier %s unreadable (%s)", path, exc)
        return None
    if saved == classes and saved_cfg == cfg and saved_sha == train_sha:
        return model
    log.info("classifier %s has other classes, settings or training clips", path)
    return None


def _classifier(
    corpus: Path,
    train: list[dict],
    classes: list[str],
    mel: MelConfig,
    cfg: ClassifierConfig,
    path: Path,
    reuse: bool = True,
    shipped: Path | None = SHIPPED_CLASSIFIERS,
):
    """The eval's judge: the one cached at path, else one shipped for this training split, else trained now."""
    train_sha = train_split_sha256(train)
    model = _matching_classifier(path, classes, cfg, train_sha, mel.n_mels) if reuse and path.is_file() else None
    if model is not None:
        log.info("using cached classifier %s", path)
        return model
    for candidate in sorted(shipped.glob("*.pt")) if reuse and shipped is not None and shipped.is_dir() else []:
        model = _matching_classifier(candidate, classes, cfg, train_sha, mel.n_mels)
        if model is not None:
            log.info("using %s, trained by this project on this very training split", candidate)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            shutil.copyfile(candidate, tmp)
            tmp.replace(path)  # cached in the corpus as if trained here
            return model
    index = {c: i for i, c in enumerate(classes)}
    mels = [features(load_wave(corpus / r["path"], mel.sample_rate), mel) for r in train]
    labels = np.array([index[r["category"]] for r in train])
    t0 = time.perf_counter()
    model = train_classifier(mels, labels, classes, mel, cfg)
    log.info("classifier trained in %.0f s", time.perf_counter() - t0)
    save_classifier(path, model, classes, cfg, train_sha)
    return model


def _pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    spec = np.fft.rfft(rng.standard_normal(n))
    spec /= np.sqrt(np.maximum(np.arange(len(spec)), 1))
    wave = np.fft.irfft(spec, n)
    return 0.3 * wave / np.max(np.abs(wave))


def evaluate(
    bundle_dir: Path,
    corpus: Path,
    out_dir: Path,
    config: EvalConfig,
    classifier_path: Path | None = None,
    train_new_classifier: bool = False,
):
    """Run the whole evaluation; write eval.json and eval.png into out_dir; return the results dict.

    ``train_new_classifier``: train the judge even when a cached or shipped one matches the training split.
    """

    t_start = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    bundle = load_bundle(bundle_dir)
    mel = bundle.mel
    rows = read_manifest(corpus)
    train = [r for r in rows if r["split"] == "train"]
    test = [r for r in rows if r["split"] == "test"]
    classes = sorted({r["category"] for r in train})
    index = {c: i for i, c in enumerate(classes)}
    test = [r for r in test if r["category"] in index]
    if not test:
        raise ValueError(f"{corpus}: no test clips in trained categories")
    # 2. classifier
    clf_path = classifier_path or (corpus / "eval_classifier.pt")
    clf = _classifier(corpus, train, classes, mel, config.classifier, clf_path, reuse=not train_new_classifier)
    judges, folds = None, []  # library-seeded clips start from training recordings the judge heard: cross-fit
    if bundle.library is not None and config.held_out_judges:
        judges, folds = _fold_judges(corpus, train, classes, mel, config.classifier, clf_path, not train_new_classifier)
    # 3. real references
    test_waves = [load_wave(corpus / r["path"], mel.sample_rate) for r in test]
    test_labels = np.array([index[r["category"]] for r in test])
    test_feats = [features(w, mel) for w in test_waves]
    real_emb, real_logp = embed_and_classify(clf, test_feats, mel)
    rng = np.random.default_rng(config.seed)
    train_sample = [train[i] for i in rng.choice(len(train), size=min(len(train), 4 * len(test)), replace=False)]
    train_emb, _ = embed_and_classify(
        clf, [features(load_wave(corpus / r["path"], mel.sample_rate), mel) for r in train_sample], mel
    )
    n = int(config.duration * mel.sample_rate)
    noise_emb, _ = embed_and_classify(clf, [features(_pink_noise(n, rng), mel) for _ in range(len(test))], mel)
    results: dict[str, Any] = {
        "bundle": bundle.bundle_id,
        "bundle_sha256": bundle.manifest_sha256,
        "classes": len(classes),
        "test_categories": len({r["category"] for r in test}),
        "test_clips": len(test),
        "classifier_train": {"clips": len(train), "sha256": train_split_sha256(train)},
        "real": {"top1": accuracy(real_logp, test_labels), "top5": accuracy(real_logp, test_labels, 5)},
        "held_out_judges": folds,  # the training clips of each fold's judge ([] when not used)
        "fd_real_vs_real": frechet_distance(train_emb, real_emb),
        "fd_noise_vs_real": frechet_distance(noise_emb, real_emb),
    }
    # 4. generated, per guidance (at the bundle's default strength: library-seeded when it has a library)
    prompts = sorted({(r["category"], r["captions"][0]) for r in test})
    results["prompts"] = [p for _, p in prompts]
    results["strength"] = bundle.defaults.strength if bundle.library is not None else 1.0
    results["library_entries"] = bundle.library.entries if bundle.library is not None else 0
    if judges is not None:
        results["real"]["top1_held_out"], _ = judges.top1(test_feats, [r["category"] for r in test], mel)
    sweep = []
    judge = _Judge(clf, judges, index, real_emb, mel)
    with _engine(bundle_dir, config, len(prompts)) as engine, tempfile.TemporaryDirectory() as tmp:
        results["provider"] = engine.provider
        for w in config.guidances:
            sweep.append(_generated_row(engine, prompts, judge, config, w, None, Path(tmp)))
        if results["strength"] < 1.0:  # the model alone: the same prompts from pure noise
            results["from_noise"] = _generated_row(
                engine, prompts, judge, config, bundle.defaults.guidance, 1.0, Path(tmp)
            )
        if bundle.library is not None:  # other library strengths at the default guidance
            results["strength_sweep"] = [
                _generated_row(engine, prompts, judge, config, bundle.defaults.guidance, st, Path(tmp))
                for st in config.strengths
            ]
    results["sweep"] = sweep
    results["chosen_guidance"] = choose_guidance(sweep)
    # 5. retrieval baseline
    results["retrieval"] = _retrieval(corpus, train, prompts, judge, config)
    # 6. vocoder vs Griffin-Lim
    n_voc = config.vocoder_clips
    results["vocoder"] = _vocoder_scores(
        bundle, test_waves[:n_voc], test_labels[:n_voc], clf, real_emb, _threads(config)
    )
    # 7. showcase prompts
    recordings = {r["id"]: corpus / r["path"] for r in train}
    results["showcase"] = _showcase(bundle_dir, bundle, classes, clf, judges, recordings, config)
    for show in results["showcase"]:  # the classifier's own hit rate on that category's held-out real clips
        held = [r for r in rows if r["category"] == show["category"] and r["split"] in ("valid", "test")]
        show["real_clips"] = len(held)
        show["real_top1"] = None
        if held:
            _, logp = embed_and_classify(
                clf, [features(load_wave(corpus / r["path"], mel.sample_rate), mel) for r in held], mel
            )
            show["real_top1"] = accuracy(logp, np.full(len(held), index[show["category"]]))
    results["seconds"] = time.perf_counter() - t_start
    (out_dir / "eval.json").write_text(json.dumps(results, indent=2))
    plot(results, out_dir / "eval.png")
    return results


@dataclasses.dataclass(frozen=True)
class _Judge:
    """Everything that scores a set of clips against the real test audio."""

    clf: Any  # the eval's classifier (trained on the whole training split)
    folds: FoldJudges | None  # judges that never heard a clip's recording (None: not used)
    index: dict[str, int]  # category -> class index
    real_emb: np.ndarray  # (N, D) classifier embeddings of the real test clips
    mel: MelConfig

    def score(self, feats: list[np.ndarray], cats: list[str], sources: list[str | None]) -> dict[str, Any]:
        """top-1 / top-5 / FD to real test audio; with fold judges also their top-1 and how many judgements."""
        emb, logp = embed_and_classify(self.clf, feats, self.mel)
        labels = np.array([self.index[c] for c in cats])
        row: dict[str, Any] = {
            "top1": accuracy(logp, labels),
            "top5": accuracy(logp, labels, 5),
            "fd": frechet_distance(emb, self.real_emb),
        }
        if self.folds is not None:
            row["top1_held_out"], row["held_out_judgements"] = self.folds.top1(feats, cats, self.mel, sources)
        return row


def _fold_judges(
    corpus: Path, train: list[dict], classes: list[str], mel: MelConfig, cfg, clf_path: Path, reuse: bool
) -> tuple[FoldJudges, list[dict[str, Any]]]:
    """The judge of each fold of the training split, cached next to the eval's classifier (or shipped),
    and each one's training clips (count, split SHA-256)."""
    fold = assign_folds(train)
    models, known, info = [], [], []
    for k in range(FOLDS):
        rows = [r for r in train if fold[r["id"]] == k]
        path = clf_path.with_name(f"{clf_path.stem}_fold{k}{clf_path.suffix}")
        models.append(_classifier(corpus, rows, classes, mel, cfg, path, reuse=reuse))
        known.append(frozenset(r["category"] for r in rows))
        info.append({"clips": len(rows), "sha256": train_split_sha256(rows)})
    return FoldJudges(tuple(models), tuple(classes), fold, tuple(known)), info


def _generated_row(
    engine, prompts, judge: _Judge, config: EvalConfig, w: float, strength: float | None, tmp: Path
) -> dict[str, Any]:
    """Generate clips_per_prompt clips for every test prompt at guidance w; classify them; FD to real test audio."""
    from sfxgen.request import GenerateRequest

    t0 = time.perf_counter()
    requests = [
        GenerateRequest(
            prompt=prompt,
            duration=config.duration,
            variations=config.clips_per_prompt,
            seed=config.seed + i * config.clips_per_prompt,
            guidance=w,
            steps=config.steps,
            sampler=config.sampler,
            strength=strength,
            out_dir=tmp / f"w{w}_s{strength}",
            overwrite=True,
        )
        for i, (_, prompt) in enumerate(prompts)
    ]
    feats, cats, sources = [], [], []
    for (cat, _), job in zip(prompts, [engine.submit(r) for r in requests], strict=True):
        result = job.result()
        for f, recipe in zip(result.files, result.recipes, strict=True):
            feats.append(features(load_wave(f, judge.mel.sample_rate), judge.mel))
            cats.append(cat)
            sources.append(recipe.source_clip)
    row = {"guidance": w, **judge.score(feats, cats, sources)}
    if strength is not None:
        row["strength"] = strength
    row["seconds"] = time.perf_counter() - t0
    log.info("w=%.1f strength %s top1 %.3f fd %.2f (%.0f s)", w, strength, row["top1"], row["fd"], row["seconds"])
    return row


def choose_guidance(sweep: list[dict[str, float]]) -> float:
    """Highest relevance among guidances whose Fréchet distance is within 25 % of the best one."""
    best_fd = min(s["fd"] for s in sweep)
    ok = [s for s in sweep if s["fd"] <= 1.25 * best_fd]
    return float(max(ok, key=lambda s: (s["top1"], -s["guidance"]))["guidance"])


def _retrieval(corpus, train, prompts, judge: _Judge, config: EvalConfig) -> dict[str, Any]:
    from exporters.encoders.minilm import embed_texts

    captions = [clip_captions(r) for r in train]  # as the library embeds them
    flat = [c for cs in captions for c in cs]
    owner = np.repeat(np.arange(len(train)), [len(cs) for cs in captions])
    cap_emb = embed_texts(flat)  # (K, E) L2-normalised
    q_emb = embed_texts([p for _, p in prompts])  # (P, E)
    # Rounded so that clips sharing a caption tie exactly and the seeded shuffle below picks among them: the
    # captions are embedded in padded batches, and the last bits differ between CPUs (an AVX-512 machine
    # picked other clips than an AVX2 one: retrieval FD 125.1 vs 115.7, all else equal).
    sims = np.round(q_emb @ cap_emb.T, 4)  # (P, K)
    mel = judge.mel
    feats, cats, sources = [], [], []
    for i, (cat, _) in enumerate(prompts):
        clip_score = np.full(len(train), -np.inf)
        np.maximum.at(clip_score, owner, sims[i])
        # The nearest clips (ties inside a category broken by a seeded shuffle), as many as generated clips.
        order = np.random.default_rng(config.seed + i).permutation(len(train))
        top = order[np.argsort(-clip_score[order], kind="stable")[: config.clips_per_prompt]]
        for j in top:
            wave = load_wave(corpus / train[j]["path"], mel.sample_rate)[: int(config.duration * mel.sample_rate)]
            feats.append(features(wave, mel))
            cats.append(cat)
            sources.append(train[j]["id"])
    return judge.score(feats, cats, sources)


def _showcase(
    bundle_dir: Path,
    bundle,
    classes: list[str],
    clf,
    judges: FoldJudges | None,
    recordings: dict[str, Path],
    config: EvalConfig,
) -> list[dict[str, Any]]:
    """Per README prompt: how many clips the classifier assigns to the intended category (top-1 / top-3).

    For a library-seeded bundle also: the same seeds from pure noise (the model alone), the share of clips
    whose library recording is of the intended category, and how far the clips are from their recording
    next to how far that recording is from the prompt's other candidate recordings (level-matched dB).
    """
    from collections import Counter

    from sfxgen.library import Library
    from sfxgen.request import GenerateRequest

    out = []
    mel, defaults = bundle.mel, bundle.defaults
    others = [(path, *load_classifier(path, mel.n_mels)[:2]) for path in config.second_opinions]
    seeded = bundle.library is not None and defaults.strength < 1.0
    library = Library.load(bundle.root / bundle.library.file) if seeded else None
    shown = []
    for prompt, category in config.showcase:
        if category in classes:
            shown.append((prompt, category))
        else:
            log.info("showcase %r: category %r has no training clips; skipped", prompt, category)
    starts = [None, 1.0] if seeded else [None]
    with _engine(bundle_dir, config, len(shown) * len(starts)) as engine, tempfile.TemporaryDirectory() as tmp:
        jobs = {
            (k, strength): engine.submit(
                GenerateRequest(
                    prompt=prompt,
                    duration=defaults.duration,
                    variations=config.showcase_clips,
                    seed=0,
                    strength=strength,
                    out_dir=Path(tmp) / f"{k}_{strength}",
                    overwrite=True,
                )
            )
            for strength in starts
            for k, (prompt, _) in enumerate(shown)
        }
        for k, (prompt, category) in enumerate(shown):
            result = jobs[k, None].result()
            waves = [load_wave(f, mel.sample_rate) for f in result.files]
            feats = [features(w, mel) for w in waves]
            noise_feats = (
                [features(load_wave(f, mel.sample_rate), mel) for f in jobs[k, 1.0].result().files] if seeded else []
            )
            _, logp = embed_and_classify(clf, feats, mel)  # (n, C)
            top3 = np.argsort(-logp, axis=1)[:, :3]
            heard = Counter(classes[i] for i in top3[:, 0])
            c = classes.index(category)
            row: dict[str, Any] = {
                "prompt": prompt,
                "category": category,
                "clips": len(waves),
                "top1": float(np.mean(top3[:, 0] == c)),
                "top3": float(np.mean((top3 == c).any(axis=1))),
                "heard_as": heard.most_common(3),
                "guidance": defaults.guidance,
                "duration": defaults.duration,
                "strength": defaults.strength if seeded else 1.0,
            }
            if library is not None:
                row["top1_from_noise"] = _top1(clf, classes, noise_feats, category, mel)
                row.update(_source_distances(library, result.recipes, waves, mel))
                # the recordings these clips start from, cut to the clip length: what the start alone scores
                # (only when they are this corpus's training clips: a library may come from another corpus)
                sources = [r.source_clip for r in result.recipes]
                n = len(waves[0])
                in_corpus = all(i in recordings for i in sources)
                source_feats = (
                    [features(load_wave(recordings[i], mel.sample_rate)[:n], mel) for i in sources] if in_corpus else []
                )
                row["source_top1"] = _top1(clf, classes, source_feats, category, mel) if in_corpus else None
                if judges is not None:
                    cats = [category] * len(feats)
                    row["top1_held_out"], row["held_out_judgements"] = judges.top1(feats, cats, mel, sources)
                    row["source_top1_held_out"] = (
                        judges.top1(source_feats, cats, mel, sources)[0] if in_corpus else None
                    )
                    row["top1_from_noise_held_out"], _ = judges.top1(noise_feats, cats, mel)
            row["second_opinions"] = [
                {
                    "judge": str(path),
                    "top1": _top1(model, judge_classes, feats, category, mel),
                    "top1_from_noise": _top1(model, judge_classes, noise_feats, category, mel) if noise_feats else None,
                }
                for path, model, judge_classes in others
            ]
            out.append(row)
            log.info(
                "showcase %r: top-1 %.2f top-3 %.2f (heard as %s)",
                prompt,
                row["top1"],
                row["top3"],
                heard.most_common(2),
            )
    return out


def _top1(clf, classes: list[str], feats: list[np.ndarray], category: str, mel: MelConfig) -> float | None:
    """Share of clips a classifier assigns to ``category`` (None when it does not know the category)."""
    if category not in classes:
        return None
    _, logp = embed_and_classify(clf, feats, mel)
    return float(np.mean(logp.argmax(axis=1) == classes.index(category)))


def _level_matched_db(a: np.ndarray, b: np.ndarray) -> float:
    """Mean |a - b| of two natural-log mels (M, T) after removing each one's mean level, in dB."""
    return float(np.mean(np.abs((a - a.mean()) - (b - b.mean()))) * 20.0 / np.log(10.0))


def _source_distances(library, recipes, waves: list[np.ndarray], mel: MelConfig) -> dict[str, Any]:
    """How close library-seeded clips stay to their recordings, next to the recordings' own spread."""
    from collections import Counter

    from sfxgen.mel import denormalize, log_mel

    ids = [r.source_clip for r in recipes]
    entries = [library.index(i) for i in ids]
    gen = [log_mel(w, mel) for w in waves]  # (M, T) each
    src = [denormalize(library.x0(k, g.shape[1]), mel) for k, g in zip(entries, gen, strict=True)]
    to_source = [_level_matched_db(g, s) for g, s in zip(gen, src, strict=True)]
    distinct = sorted(set(entries))
    sibling = [
        _level_matched_db(
            denormalize(library.x0(a, gen[0].shape[1]), mel), denormalize(library.x0(b, gen[0].shape[1]), mel)
        )
        for i, a in enumerate(distinct)
        for b in distinct[i + 1 :]
    ]
    return {
        "source_categories": sorted(Counter(library.entries[k].category for k in entries).items()),
        "source_ids": ids,
        "to_source_db": float(np.mean(to_source)),
        "between_sources_db": float(np.mean(sibling)) if sibling else None,
    }


def _threads(config: EvalConfig) -> int:
    return config.num_threads or os.cpu_count() or 1


def _engine(bundle_dir: Path, config: EvalConfig, jobs: int):
    """An engine with room to queue ``jobs`` requests at once, run by ``config.workers`` workers."""
    from sfxgen.engine import Engine, batch_workers

    workers = config.workers or batch_workers()
    return Engine(bundle_dir, max_queue=max(1, jobs), num_threads=config.num_threads or None, workers=workers)


def _vocoder_scores(
    bundle, waves: list[np.ndarray], labels: np.ndarray, clf, real_emb, threads: int
) -> dict[str, float | str]:
    """Resynthesise held-out clips from their mels: signal errors, and classifier top-1 / FD as a perceptual proxy."""
    from sfxgen.mel import log_mel
    from sfxgen.pghi import PhaseInit
    from sfxgen.sessions import choose_providers
    from sfxgen.vocoder import Vocoder, griffin_lim, mel_to_linear

    mel = bundle.mel
    neural = Vocoder(bundle, choose_providers("cpu"), num_threads=threads) if bundle.vocoder_output else None
    # "gl": the classic baseline (random start); "gl_pghi": the runtime's Griffin-Lim without a vocoder graph
    resynth: dict[str, list[np.ndarray]] = {"gl": [], "gl_pghi": [], "neural": []}
    scores: dict[str, list[float]] = {f"{k}_{m}": [] for k in resynth for m in ("logmel_l1", "sc")}
    for wave in waves:
        lm = log_mel(wave, mel)[None]  # (1, M, T)
        pinv = mel_to_linear(lm, mel)
        waves_hat = {
            "gl": griffin_lim(pinv, mel, len(wave), phase_init=PhaseInit.RANDOM)[0],
            "gl_pghi": griffin_lim(pinv, mel, len(wave), phase_init=PhaseInit.PGHI)[0],
        }
        if neural is not None:
            waves_hat["neural"] = neural(lm, len(wave))[0]
        for name, hat in waves_hat.items():
            scores[f"{name}_logmel_l1"].append(log_mel_l1(wave, hat, mel))
            scores[f"{name}_sc"].append(multires_spectral_convergence(wave, hat, mel.sample_rate))
            resynth[name].append(features(hat, mel))
    out: dict[str, float | str] = {k: float(np.mean(v)) for k, v in scores.items() if v}
    for name, mels in resynth.items():
        if mels:
            emb, logp = embed_and_classify(clf, mels, mel)
            out[f"{name}_top1"] = accuracy(logp, labels)
            out[f"{name}_fd"] = frechet_distance(emb, real_emb[: len(mels)])
    out["clips"] = float(len(waves))
    out["neural"] = neural.kind if neural is not None else "none"
    return out
