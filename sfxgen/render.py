"""Render a preset pack into a finished sound library: ``render_pack(pack, out_dir, engine)``.

Steps:

1. load and validate the whole pack (:func:`sfxgen.presets.load_pack`), pick the requested
   sounds (``sounds=``, default all), check every request against the bundle: nothing is
   rendered if anything is wrong;
2. plan the work: each sound is cut into batches of ``batch`` takes, seeds ``seed + take - 1``;
   batches are numbered in pack order and shard K/N takes batches ``i % N == K - 1``; a sound
   selection keeps the numbering of the whole pack (so shards and resume agree with a full render);
3. resume: a batch is skipped when every file it makes exists and matches its manifest entry
   (sha256); leftover temporary files of a killed run are removed;
4. render each batch through the engine into a staging folder, then write the final UCS-named
   file atomically with the pack's fixed ``created`` timestamp (so two renders are
   byte-identical), record it in the shard manifest (rewritten atomically after each batch);
5. merge the shard manifests found in the folder into ``manifest.json`` / ``manifest.csv`` and
   draw the contact sheet (``contact_sheet.html`` with waveform PNGs).
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import soundfile as sf

from sfxgen import __version__
from sfxgen.bundle import sha256_file
from sfxgen.contact_sheet import write_contact_sheet
from sfxgen.finishing import FinishedAudio, measure
from sfxgen.licences import licence_counts, unhonoured, unhonoured_message
from sfxgen.manifest import (
    ManifestEntry,
    ManifestError,
    merge_manifests,
    off_target,
    off_target_message,
    read_manifest,
    shard_manifest_name,
    write_manifest,
)
from sfxgen.presets import Pack, PackError, SoundSpec, load_pack
from sfxgen.ucs import lookup
from sfxgen.wavfile import SoundTags, is_temp_name, write_wav

logger = logging.getLogger(__name__)

STAGING = ".sfxgen-staging"
ProgressFn = Callable[[int, int, str | None], None]  # (files done, files total, file just written)
CancelFn = Callable[[], bool]


class RenderCancelled(RuntimeError):  # noqa: N818
    """Raised inside the render loop when ``cancel()`` turned true (caught by render_pack)."""


class EngineLike(Protocol):
    """What render needs from :class:`sfxgen.engine.Engine`."""

    bundle: Any

    def submit(self, request: Any, on_progress: Any = None) -> Any: ...


@dataclasses.dataclass(frozen=True)
class Shard:
    """Part K of N (1-based)."""

    k: int
    n: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        try:
            k, n = (int(x) for x in str(text).split("/"))
        except ValueError:
            raise ValueError(f"shard {text!r} must look like K/N, e.g. 1/4") from None
        if not 1 <= k <= n:
            raise ValueError(f"shard {text!r}: need 1 <= K <= N")
        return cls(k, n)

    def __str__(self) -> str:
        return f"{self.k}/{self.n}"


@dataclasses.dataclass(frozen=True)
class Batch:
    """One engine call: consecutive takes of one sound."""

    index: int  # position among all batches of the pack
    sound: SoundSpec
    takes: tuple[int, ...]  # 1-based take numbers
    first_order: int  # manifest order of the first take

    @property
    def seeds(self) -> tuple[int, ...]:
        return tuple(self.sound.seed + t - 1 for t in self.takes)


@dataclasses.dataclass(frozen=True)
class RenderReport:
    """What a render did."""

    pack: str  # library name
    out_dir: Path
    shard: str  # "K/N"
    total: int  # files in this shard
    rendered: int  # files written this run
    skipped: int  # files verified from an earlier run
    cancelled: bool  # stopped by cancel()
    seconds: float
    files: tuple[Path, ...]  # every file of this shard that exists and is verified
    manifest: Path | None  # merged manifest.json (None if cancelled)
    contact_sheet: Path | None
    license: str = ""  # the pack's declared licence
    # {licence: files} of this shard's files that start from a library recording whose licence has
    # conditions the pack's declared licence does not name (empty when none, or none declared)
    unhonoured_licences: dict[str, int] = dataclasses.field(default_factory=dict)
    # this shard's files that missed their loudness target (sfxgen.manifest.off_target), in pack order
    off_target: tuple[str, ...] = ()


def select_sounds(pack: Pack, names: Sequence[str] | None) -> tuple[SoundSpec, ...]:
    """The sounds of ``pack`` named in ``names`` (in pack order), or all of them when ``names`` is None.

    A name matches a sound's ``name`` (the pack's id, default its fxname) exactly, else its
    ``fxname``, else either one ignoring case.

    Raises:
        PackError: a name matches no sound (the message lists the pack's sounds) or several.
    """
    if names is None:
        return pack.sounds
    if isinstance(names, str):
        names = [names]
    if not names:
        raise PackError(f"{pack.path}: no sound names given; pass at least one or None for the whole pack")
    picked: set[int] = set()
    for name in names:
        hits = _match_sound(pack, name)
        if not hits:
            raise PackError(f"{pack.path}: no sound {name!r} in this pack; its sounds are: {_sound_list(pack)}")
        if len(hits) > 1:
            which = ", ".join(f"'{s.name}'" for s in hits)
            raise PackError(f"{pack.path}: sound {name!r} is ambiguous ({which}); use the sound's name")
        picked.add(hits[0].index)
    return tuple(s for s in pack.sounds if s.index in picked)


def _match_sound(pack: Pack, name: str) -> list[SoundSpec]:
    """Sounds whose name is ``name``, else whose fxname is, else either one ignoring case."""
    for hits in (
        [s for s in pack.sounds if s.name == name],
        [s for s in pack.sounds if s.fxname == name],
        [s for s in pack.sounds if name.casefold() in (s.name.casefold(), s.fxname.casefold())],
    ):
        if hits:
            return hits
    return []


def _sound_list(pack: Pack, limit: int = 40) -> str:
    items = [f"'{s.name}'" if s.name == s.fxname else f"'{s.name}' (fxname '{s.fxname}')" for s in pack.sounds]
    more = len(items) - limit
    return ", ".join(items[:limit]) + (f", ... and {more} more (sfxgen render PACK --dry-run)" if more > 0 else "")


def plan_batches(pack: Pack, shard: Shard | None = None, sounds: Sequence[SoundSpec] | None = None) -> list[Batch]:
    """Deterministic batches of the pack (all of them, or the shard's share), optionally of some sounds only.

    Batch indices and manifest order are those of the whole pack, so selecting sounds never
    changes which shard a batch belongs to or where its files sort.
    """
    batches: list[Batch] = []
    order = 0
    for sound in pack.sounds:
        for start in range(1, sound.count + 1, sound.batch):
            takes = tuple(range(start, min(start + sound.batch, sound.count + 1)))
            batches.append(Batch(len(batches), sound, takes, order))
            order += len(takes)
    if shard is not None:
        batches = [b for b in batches if b.index % shard.n == shard.k - 1]
    if sounds is not None:
        wanted = {s.index for s in sounds}
        batches = [b for b in batches if b.sound.index in wanted]
    return batches


def sound_tags(pack: Pack, sound: SoundSpec) -> SoundTags:
    entry = lookup(sound.catid)
    return SoundTags(
        description=sound.description,
        catid=entry.catid,
        category=entry.category,
        subcategory=entry.subcategory,
        fxname=sound.fxname,
        keywords=sound.keywords,
        library=pack.library.name,
        designer=pack.library.designer,
        creator_id=pack.library.creator_id,
        source_id=pack.library.source_id,
        notes=sound.notes,
    )


def build_request(pack: Pack, batch: Batch, staging: Path) -> Any:
    from sfxgen.request import GenerateRequest  # runtime engineer's module; imported lazily

    s = batch.sound
    return GenerateRequest(
        prompt=s.prompt,
        image=s.image,
        blend_prompt=s.blend_prompt,
        blend=s.blend,
        duration=s.duration,
        variations=len(batch.takes),
        seed=batch.seeds[0],
        guidance=s.guidance,
        steps=s.steps,
        sampler=s.sampler,
        init_audio=s.init,
        strength=s.strength,
        channels=s.channels,
        finish=s.finish,
        tags=sound_tags(pack, s),
        out_dir=staging,
        file_stems=tuple(f"b{batch.index:05d}_{t:04d}" for t in batch.takes),
        overwrite=True,
    )


def _db_or_none(v: float | None) -> float | None:
    return None if v is None or not np.isfinite(v) else round(float(v), 3)


def _entry(pack: Pack, batch: Batch, i: int, path: Path, audio: FinishedAudio, recipe: Any) -> ManifestEntry:
    s = batch.sound
    ucs = lookup(s.catid)
    return ManifestEntry(
        order=batch.first_order + i,
        file=path.name,
        sound=s.name,
        prompt=s.prompt,
        image_sha256=getattr(recipe, "image_sha256", None) or "",
        seed=batch.seeds[i],
        take=batch.takes[i],
        batch_seeds=" ".join(str(x) for x in batch.seeds),
        catid=ucs.catid,
        category=ucs.category,
        subcategory=ucs.subcategory,
        duration_s=round(audio.duration, 6),
        sample_rate=audio.sample_rate,
        bit_depth=s.finish.bit_depth.value,
        sample_peak_dbfs=_db_or_none(audio.peak_dbfs),
        true_peak_dbtp=_db_or_none(audio.true_peak_dbtp),
        lufs=_db_or_none(audio.lufs),
        loudness_range=_db_or_none(audio.loudness_range),
        sha256=sha256_file(path),
        strength=float(getattr(recipe, "strength", 1.0)),
        init_sha256=getattr(recipe, "init_sha256", None) or "",
        source_clip=getattr(recipe, "source_clip", None) or "",
        source_licence=getattr(recipe, "source_licence", None) or "",
        loop=audio.loop,
        loop_seam_db=_db_or_none(audio.loop_seam_db),
        channels=audio.channels,
        loudness_target=s.finish.loudness_lufs,
    )


def _verified(out_dir: Path, batch: Batch, pack: Pack, known: dict[str, ManifestEntry]) -> list[ManifestEntry] | None:
    """The batch's manifest entries if every file exists and matches them, else None."""
    entries = []
    for i, take in enumerate(batch.takes):
        name = batch.sound.stem(pack.library, take) + ".wav"
        e = known.get(name)
        path = out_dir / name
        if e is None or not path.is_file() or e.seed != batch.seeds[i] or e.prompt != batch.sound.prompt:
            return None
        if sha256_file(path) != e.sha256:
            logger.warning("%s does not match its manifest entry; re-rendering its batch", path)
            return None
        entries.append(e)
    return entries


def _clean_leftovers(out_dir: Path) -> int:
    """Remove temporary files a killed run left behind (never finished files)."""
    n = 0
    for p in out_dir.iterdir():
        if p.is_file() and is_temp_name(p.name):
            p.unlink()
            n += 1
    for p in out_dir.glob(f"{STAGING}*"):
        shutil.rmtree(p, ignore_errors=True)
    if n:
        logger.info("removed %d temporary file(s) left by an interrupted render", n)
    return n


def validate_against_bundle(pack: Pack, engine: EngineLike, batches: list[Batch], staging: Path) -> None:
    """Check every request with the engine's planner before anything renders (PackError on failure)."""
    bundle = getattr(engine, "bundle", None)
    if bundle is None:
        return
    from sfxgen.errors import RequestError
    from sfxgen.pipeline import plan_request

    seen: set[str] = set()
    for b in batches:
        if b.sound.name in seen:
            continue
        seen.add(b.sound.name)
        try:
            plan_request(build_request(pack, b, staging), bundle)
        except (RequestError, ValueError) as exc:
            raise PackError(f"{pack.path}: sound '{b.sound.name}' (#{b.sound.index + 1}): {exc}") from exc


def check_pack(
    pack_path: str | Path, engine: EngineLike | None = None, sounds: Sequence[str] | None = None
) -> tuple[Pack, tuple[SoundSpec, ...]]:
    """Validate a pack, the sound selection and (given an engine) its requests against the bundle.

    Writes nothing; cheap enough to run before accepting a request (the OSC bridge does).

    Raises:
        PackError: what is wrong and where.
    """
    pack = load_pack(pack_path)
    selected = select_sounds(pack, sounds)
    if engine is not None:
        validate_against_bundle(pack, engine, plan_batches(pack, None, selected), Path(STAGING))
    return pack, selected


def _wait(job: Any, cancel: CancelFn | None) -> Any:
    while True:
        try:
            return job.result(timeout=0.1)
        except TimeoutError:
            if cancel is not None and cancel():
                job.cancel()
                raise RenderCancelled("render cancelled") from None


def _finish_batch(pack: Pack, batch: Batch, result: Any, out_dir: Path) -> list[ManifestEntry]:
    """Rewrite the staged files under their UCS names with the pack timestamp; return manifest entries."""
    tags = sound_tags(pack, batch.sound)
    entries = []
    for i, take in enumerate(batch.takes):
        staged = Path(result.files[i])
        audio = result.audio[i] if len(getattr(result, "audio", ())) > i else None
        if audio is None:  # engine without in-memory audio: read the staged file back (PCM round-trips exactly)
            x, sr = sf.read(staged, dtype="float64", always_2d=False)
            audio = measure(x, sr)
        final = out_dir / (batch.sound.stem(pack.library, take) + ".wav")
        write_wav(
            final,
            audio,
            batch.sound.finish.bit_depth,
            tags,
            result.recipes[i],
            created=pack.library.created,
            overwrite=True,
        )
        staged.unlink(missing_ok=True)
        entries.append(_entry(pack, batch, i, final, audio, result.recipes[i]))
    return entries


def render_pack(
    pack_path: str | Path,
    out_dir: str | Path,
    engine: EngineLike,
    *,
    shard: Shard | str | None = None,
    resume: bool = True,
    on_progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    jobs: int = 1,
    contact_sheet: bool = True,
    sounds: Sequence[str] | None = None,
) -> RenderReport:
    """Render a pack (or one shard of it) into ``out_dir``; see the module docstring.

    Args:
        pack_path: the pack TOML.
        out_dir: library folder (created if missing).
        engine: a started :class:`sfxgen.engine.Engine`.
        shard: "K/N" or :class:`Shard`; None renders the whole pack.
        resume: skip batches whose files verify against the manifest; False re-renders all.
        on_progress: called with (files done, files total, file name) after each file.
        cancel: polled during the render; True stops after cleaning up (report.cancelled).
        jobs: batches kept in flight in the engine queue (overlaps writing with generation).
        contact_sheet: draw ``contact_sheet.html`` with waveform PNGs after the merge.
        sounds: render only these sounds (matched by name or fxname, see :func:`select_sounds`);
            None renders all. Manifest entries of the other sounds whose files exist are kept.

    Raises:
        PackError: the pack, the sound selection or a request is invalid (nothing was written).
    """
    t0 = time.perf_counter()
    pack = load_pack(pack_path)
    selected = select_sounds(pack, sounds)
    shard = Shard.parse(shard) if isinstance(shard, str) else (shard or Shard(1, 1))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _clean_leftovers(out_dir)
    staging = out_dir / f"{STAGING}-{shard.k}-of-{shard.n}"
    batches = plan_batches(pack, shard, selected if sounds is not None else None)
    validate_against_bundle(pack, engine, batches, staging)

    manifest_path = out_dir / shard_manifest_name(shard.k, shard.n)
    bundle = getattr(engine, "bundle", None)
    header = {
        "pack": pack.library.name,
        "pack_file": pack.path.name,
        "pack_sha256": pack.sha256,
        "bundle_id": getattr(bundle, "bundle_id", ""),
        "bundle_sha256": getattr(bundle, "manifest_sha256", ""),
        "created": pack.library.created.isoformat(),
        "license": pack.library.license,
        "model_license": getattr(bundle, "license", ""),
        "shard": str(shard),
        "sfxgen_version": __version__,
    }
    previous: list[ManifestEntry] = []
    if (resume or sounds is not None) and manifest_path.exists():
        try:
            old_header, old_entries = read_manifest(manifest_path)
            if old_header.get("bundle_sha256") == header["bundle_sha256"]:
                previous = list(old_entries)
            else:
                logger.warning("%s was rendered with another bundle; re-rendering everything", manifest_path)
        except ManifestError as exc:
            logger.warning("%s; re-rendering this shard", exc)
    known = {e.file: e for e in previous} if resume else {}
    # A partial render keeps the manifest entries of the sounds it leaves alone (their files must exist).
    others = {s.name for s in pack.sounds} - {s.name for s in selected}
    kept = {e.file: e for e in previous if e.sound in others and (out_dir / e.file).is_file()}

    total = sum(len(b.takes) for b in batches)
    done_entries: dict[str, ManifestEntry] = {}
    todo: list[Batch] = []
    for b in batches:
        ok = _verified(out_dir, b, pack, known) if resume else None
        if ok is None:
            todo.append(b)
        else:
            done_entries.update({e.file: e for e in ok})
    skipped = len(done_entries)
    done = skipped
    if on_progress:
        on_progress(done, total, None)

    rendered, cancelled = 0, False
    warned: set[str] = set()  # licences already warned about
    pending: collections.deque = collections.deque()
    queue = list(todo)
    try:
        while queue or pending:
            while queue and len(pending) < max(1, jobs):
                if cancel is not None and cancel():
                    raise RenderCancelled("render cancelled")
                b = queue.pop(0)
                pending.append((b, engine.submit(build_request(pack, b, staging))))
            b, job = pending.popleft()
            result = _wait(job, cancel)
            for e in _finish_batch(pack, b, result, out_dir):
                done_entries[e.file] = e
                if e.source_licence not in warned and unhonoured(pack.library.license, [e.source_licence]):
                    warned.add(e.source_licence)
                    logger.warning(
                        "%s is a variation of library recording %s (%s), whose terms may apply to it; the pack "
                        "declares license %r. Declare a licence that honours it, or set strength = 1 (model only)",
                        e.file, e.source_clip, e.source_licence, pack.library.license,
                    )  # fmt: skip
                rendered += 1
                done += 1
                if on_progress:
                    on_progress(done, total, e.file)
            write_manifest(manifest_path, [*kept.values(), *done_entries.values()], header)
    except RenderCancelled:
        cancelled = True
        for _, job in pending:
            job.cancel()
    except BaseException:
        for _, job in pending:
            job.cancel()
        raise
    finally:
        if done_entries or kept:
            write_manifest(manifest_path, [*kept.values(), *done_entries.values()], header, csv_too=not cancelled)
        shutil.rmtree(staging, ignore_errors=True)

    merged = sheet = None
    if not cancelled:
        merged, all_entries = merge_manifests([out_dir], out_dir)
        if contact_sheet:
            sheet = write_contact_sheet(out_dir, all_entries, title=pack.library.name, licence=pack.library.license)
    files = tuple(out_dir / e.file for e in sorted(done_entries.values(), key=lambda e: e.order))
    carried = licence_counts(e.source_licence for e in done_entries.values())
    missing = set(unhonoured(pack.library.license, carried))
    bad = {lic: n for lic, n in carried.items() if lic in missing}
    if bad:
        logger.warning("%s", unhonoured_message(bad, pack.library.license))
    shard_entries = sorted([*kept.values(), *done_entries.values()], key=lambda e: e.order)
    missed = off_target(shard_entries)
    if missed:
        logger.warning("%s", off_target_message(missed, len(shard_entries)))
    report = RenderReport(
        pack=pack.library.name,
        out_dir=out_dir,
        shard=str(shard),
        total=total,
        rendered=rendered,
        skipped=skipped,
        cancelled=cancelled,
        seconds=time.perf_counter() - t0,
        files=files,
        manifest=merged,
        contact_sheet=sheet,
        license=pack.library.license,
        unhonoured_licences=bad,
        off_target=tuple(e.file for e in missed),
    )
    logger.info("render %s shard %s: %d rendered, %d verified from before, %d total%s",
                pack.library.name, shard, rendered, skipped, total, " (cancelled)" if cancelled else "")  # fmt: skip
    return report


def dry_run(
    pack_path: str | Path, shard: Shard | str | None = None, sounds: Sequence[str] | None = None
) -> list[tuple[str, int, str]]:
    """Validate a pack and list (file name, seed, prompt) of what a render would write."""
    pack = load_pack(pack_path)
    selected = select_sounds(pack, sounds)
    shard = Shard.parse(shard) if isinstance(shard, str) else shard
    rows = []
    for b in plan_batches(pack, shard, selected if sounds is not None else None):
        for i, take in enumerate(b.takes):
            rows.append((b.sound.stem(pack.library, take) + ".wav", b.seeds[i], b.sound.prompt or str(b.sound.image)))
    return rows
