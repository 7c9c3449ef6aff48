"""Build the default model's training corpus from Debian packages and the GM soundfont.

Steps: fetch and unpack packages (apt-get download + dpkg -x, cached); find audio (plain files
and zip/pk3 members); classify with the reviewed rule table; decode, mono, resample, chunk long
loops, drop short or silent pieces (per-file work records make re-runs resume); dedupe by PCM
hash; split by take series; write FLAC, ``manifest.jsonl`` and ``report.json``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
from tqdm import tqdm

from exporters.corpus import audio, gm
from exporters.corpus.licences import LicenceMap
from exporters.corpus.rules import SKIP, RuleTable, load_rules
from exporters.corpus.sources import GM_SOURCE, SOURCES, SOURCES_BY_NAME, Source
from exporters.corpus.splits import SPLITS, assign_splits, series_key

log = logging.getLogger(__name__)
RECORD_VERSION = 1  # bump when clip processing changes, so stale work records are redone


@dataclass(frozen=True)
class Clip:
    """One manifest line (``path`` is relative to the corpus folder)."""

    id: str
    path: str
    split: str
    category: str
    captions: tuple[str, ...]
    ucs_catid: str
    source_package: str
    source_path: str
    licence: str
    duration_s: float
    sample_rate: int
    sha256: str
    file_captions: tuple[str, ...] = ()  # the rule's own captions, more exact than the category's


@dataclass(frozen=True)
class CorpusReport:
    """What a build produced and what it left out, and why."""

    clips: int
    minutes: float
    categories: int
    per_split: dict[str, dict[str, float]]  # split -> {"clips", "minutes"}
    per_category: dict[str, dict[str, int]]  # category -> split -> clips
    per_package: dict[str, int]
    licences: dict[str, int]
    excluded: dict[str, int]  # unmatched / skipped_by_rule / too_short / near_silent / decode_error / duplicate
    unmatched_files: list[str] = field(default_factory=list)
    categories_missing_splits: dict[str, list[str]] = field(default_factory=dict)

    def to_json(self) -> str:
        """Pretty JSON text of the report."""
        return json.dumps(asdict(self), indent=2, sort_keys=True)


@dataclass(frozen=True)
class _Task:
    """A classified audio file (or GM note) waiting to become clips."""

    package: str
    source_path: str
    category: str
    licence: str
    file: audio.AudioFile | None = None  # None for GM notes
    note: gm.GmNote | None = None
    captions: tuple[str, ...] = ()  # the rule's own captions (file_captions), if it gives any


def fetch_package(name: str, cache_dir: Path) -> Path:
    """Extracted root of a Debian package; downloads and unpacks it unless already done."""
    root = cache_dir / "extracted" / name
    stamp = cache_dir / "extracted" / f"{name}.ok"
    if stamp.exists():
        return root
    debs = cache_dir / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    found = sorted(debs.glob(f"{name}_*.deb"))
    if not found:
        log.info("downloading %s", name)
        subprocess.run(["apt-get", "download", name], cwd=debs, check=True, capture_output=True)
        found = sorted(debs.glob(f"{name}_*.deb"))
    if not found:
        raise FileNotFoundError(f"apt-get download {name} produced no .deb in {debs}")
    log.info("unpacking %s", found[-1].name)
    shutil.rmtree(root, ignore_errors=True)
    root.parent.mkdir(parents=True, exist_ok=True)  # dpkg -x creates the target, not its parents
    subprocess.run(["dpkg", "-x", str(found[-1]), str(root)], check=True)
    stamp.touch()
    return root


def build_corpus(
    out_dir: Path,
    cache_dir: Path,
    sample_rate: int = 24000,
    packages: Sequence[str] | None = None,
    rules: RuleTable | None = None,
) -> CorpusReport:
    """Build (or resume) the corpus in ``out_dir``; see the module docstring for the steps."""
    out_dir, cache_dir = Path(out_dir), Path(cache_dir)
    rules = rules or load_rules()
    names = list(packages) if packages is not None else [s.package for s in (*SOURCES, GM_SOURCE)]
    unknown = [n for n in names if n not in SOURCES_BY_NAME]
    if unknown:
        raise ValueError(f"unknown packages {unknown}; known: {sorted(SOURCES_BY_NAME)}")
    excluded: Counter[str] = Counter()
    unmatched: list[str] = []
    tasks: list[_Task] = []
    for name in names:
        source = SOURCES_BY_NAME[name]
        root = fetch_package(name, cache_dir)
        if source is GM_SOURCE:
            tasks += _gm_tasks(source, rules)
            continue
        tasks += _package_tasks(source, root, rules, excluded, unmatched)
    work = out_dir / ".work"
    (work / "records").mkdir(parents=True, exist_ok=True)
    (work / "audio").mkdir(parents=True, exist_ok=True)
    records = _process(tasks, work, sample_rate, cache_dir)
    clips = _assemble(tasks, records, rules, out_dir, work, sample_rate, excluded)
    report = _report(clips, rules, excluded, unmatched)
    (out_dir / "report.json").write_text(report.to_json() + "\n", encoding="utf-8")
    log.info("corpus: %d clips, %.1f min, %d categories", report.clips, report.minutes, report.categories)
    return report


def _package_tasks(
    source: Source, root: Path, rules: RuleTable, excluded: Counter[str], unmatched: list[str]
) -> list[_Task]:
    licences = LicenceMap.from_copyright(
        root / "usr/share/doc" / source.package / "copyright", source.licence, source.upstream_prefix
    )
    tasks = []
    for f in audio.find_audio(source, root):
        rule = rules.match(source.package, f.source_path)
        if rule is None:
            excluded["unmatched"] += 1
            unmatched.append(f"{source.package}:{f.source_path}")
        elif rule.category == SKIP:
            excluded["skipped_by_rule"] += 1
        else:
            licence = licences.licence_for(f.licence_path)
            tasks.append(_Task(source.package, f.source_path, rule.category, licence, file=f, captions=rule.captions))
    log.info("%s: %d audio files classified", source.package, len(tasks))
    return tasks


def _gm_tasks(source: Source, rules: RuleTable) -> list[_Task]:
    missing = sorted({n.category for n in gm.gm_notes()} - set(rules.categories))
    if missing:
        raise ValueError(f"GM categories missing from the rule file: {missing}")
    return [_Task(source.package, n.source_path, n.category, source.licence, note=n) for n in gm.gm_notes()]


def clip_id(package: str, source_path: str, piece: int | None) -> str:
    """Readable, stable clip id: file stem slug plus a short hash of package and path."""
    stem = re.sub(r"[^a-z0-9]+", "_", source_path.rsplit("/", 1)[-1].rsplit(".", 1)[0].lower()).strip("_")
    digest = hashlib.sha1(f"{package}:{source_path}".encode()).hexdigest()[:8]
    return f"{stem[:40] or 'clip'}-{digest}" + ("" if piece is None else f"-c{piece:02d}")


def _record_path(work: Path, task: _Task) -> Path:
    digest = hashlib.sha1(f"{task.package}:{task.source_path}".encode()).hexdigest()
    return work / "records" / f"{digest}.json"


def _process(tasks: list[_Task], work: Path, sample_rate: int, cache_dir: Path) -> dict[str, dict]:
    """Decode/render every task that has no valid work record yet; return all records by source."""
    records: dict[str, dict] = {}
    todo: list[_Task] = []
    for task in tasks:
        path = _record_path(work, task)
        if path.exists():
            rec = json.loads(path.read_text(encoding="utf-8"))
            files_ok = all((work / "audio" / f"{c['id']}.flac").exists() for c in rec["clips"])
            if rec.get("version") == RECORD_VERSION and rec.get("sample_rate") == sample_rate and files_ok:
                records[f"{task.package}:{task.source_path}"] = rec
                continue
        todo.append(task)
    log.info("%d sources done before, %d to process", len(records), len(todo))
    gm_todo = [t for t in todo if t.note is not None]
    if gm_todo:
        sf2 = cache_dir / "extracted" / GM_SOURCE.package / gm.SF2_RELPATH
        rendered = gm.render_notes(sf2, tuple(t.note for t in gm_todo if t.note), sample_rate)
        for task, (_, x) in tqdm(zip(gm_todo, rendered), total=len(gm_todo), desc="GM notes"):
            records[f"{task.package}:{task.source_path}"] = _make_record(task, x, sample_rate, work)
    for task in tqdm([t for t in todo if t.file is not None], desc="audio files"):
        assert task.file is not None
        try:
            x, sr = audio.decode_mono(task.file.read_bytes())
            x = audio.resample(x, sr, sample_rate)
        except (RuntimeError, OSError, ValueError) as exc:  # soundfile raises LibsndfileError(RuntimeError)
            log.warning("cannot decode %s:%s (%s)", task.package, task.source_path, exc)
            records[f"{task.package}:{task.source_path}"] = _save_record(task, work, sample_rate, [], ["decode_error"])
            continue
        records[f"{task.package}:{task.source_path}"] = _make_record(task, x, sample_rate, work)
    return records


def _make_record(task: _Task, x: np.ndarray, sample_rate: int, work: Path) -> dict:
    pieces = audio.chunk(x, sample_rate)
    clips, drops = [], []
    for k, piece in enumerate(pieces):
        reason = audio.drop_reason(piece, sample_rate)
        if reason is not None:
            drops.append(reason)
            continue
        pcm = audio.to_pcm16(piece)
        cid = clip_id(task.package, task.source_path, k if len(pieces) > 1 else None)
        sf.write(work / "audio" / f"{cid}.flac", pcm, sample_rate, format="FLAC", subtype="PCM_16")
        clips.append({"id": cid, "sha256": audio.pcm_sha256(pcm), "duration_s": round(pcm.size / sample_rate, 4)})
    return _save_record(task, work, sample_rate, clips, drops)


def _save_record(task: _Task, work: Path, sample_rate: int, clips: list[dict], drops: list[str]) -> dict:
    rec = {"version": RECORD_VERSION, "sample_rate": sample_rate, "clips": clips, "dropped": drops}
    path = _record_path(work, task)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(rec), encoding="utf-8")
    os.replace(tmp, path)
    return rec


def _assemble(
    tasks: list[_Task],
    records: dict[str, dict],
    rules: RuleTable,
    out_dir: Path,
    work: Path,
    sample_rate: int,
    excluded: Counter[str],
) -> list[Clip]:
    """Dedupe, split, place FLACs under audio/<split>/<category>/ and write the manifest."""
    seen: set[str] = set()
    kept: list[tuple[_Task, dict]] = []
    for task in tasks:
        rec = records[f"{task.package}:{task.source_path}"]
        for reason in rec["dropped"]:
            excluded[reason] += 1
        for c in rec["clips"]:
            if c["sha256"] in seen:
                excluded["duplicate"] += 1
                continue
            seen.add(c["sha256"])
            kept.append((task, c))
    split_of = assign_splits((series_key(t.package, t.source_path), t.category) for t, _ in kept)
    clips: list[Clip] = []
    for task, c in kept:
        split = split_of[series_key(task.package, task.source_path)]
        cat = rules.categories[task.category]
        rel = f"audio/{split}/{task.category}/{c['id']}.flac"
        clips.append(
            Clip(
                c["id"], rel, split, cat.slug, cat.captions, cat.catid, task.package, task.source_path,
                task.licence, c["duration_s"], sample_rate, c["sha256"], task.captions,
            )
        )  # fmt: skip
        _place(work / "audio" / f"{c['id']}.flac", out_dir / rel)
    _remove_stale(out_dir / "audio", {out_dir / c.path for c in clips})
    tmp = out_dir / "manifest.jsonl.tmp"
    with tmp.open("w", encoding="utf-8") as fh:
        for clip in clips:
            row = asdict(clip)
            if not row["file_captions"]:  # only where a rule gives them: other rows stay as they were
                del row["file_captions"]
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    os.replace(tmp, out_dir / "manifest.jsonl")
    return clips


def _place(src: Path, dst: Path) -> None:
    """Hard-link (or copy) a staged clip to its final place, unless it is already there."""
    if dst.exists() and dst.stat().st_size == src.stat().st_size:
        return
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.unlink(missing_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _remove_stale(audio_dir: Path, keep: set[Path]) -> None:
    """Delete FLACs left by an earlier build whose rules or splits differed."""
    if not audio_dir.exists():
        return
    for path in audio_dir.rglob("*.flac"):
        if path not in keep:
            log.info("removing stale %s", path)
            path.unlink()


def _report(clips: Iterable[Clip], rules: RuleTable, excluded: Counter[str], unmatched: list[str]) -> CorpusReport:
    clips = list(clips)
    per_split: dict[str, dict[str, float]] = {s: {"clips": 0, "minutes": 0.0} for s in SPLITS}
    per_category: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(SPLITS, 0))
    for c in clips:
        per_split[c.split]["clips"] += 1
        per_split[c.split]["minutes"] += c.duration_s / 60.0
        per_category[c.category][c.split] += 1
    for s in per_split.values():
        s["minutes"] = round(s["minutes"], 2)
    missing = {cat: [s for s in SPLITS if n[s] == 0] for cat, n in sorted(per_category.items())}
    unused = sorted(set(rules.categories) - set(per_category))
    if unused:
        log.info("categories without clips in this build: %s", unused)
    return CorpusReport(
        clips=len(clips),
        minutes=round(sum(c.duration_s for c in clips) / 60.0, 2),
        categories=len(per_category),
        per_split=per_split,
        per_category=dict(sorted(per_category.items())),
        per_package=dict(sorted(Counter(c.source_package for c in clips).items())),
        licences=dict(sorted(Counter(c.licence for c in clips).items())),
        excluded=dict(sorted(excluded.items())),
        unmatched_files=sorted(unmatched),
        categories_missing_splits={k: v for k, v in missing.items() if v},
    )
