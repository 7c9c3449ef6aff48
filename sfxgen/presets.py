"""Preset packs: TOML files describing a sound library for ``sfxgen render``.

A pack (see ``presets/*.toml``)::

    [library]                      # who and what
    name = "Foley Basics"          # LIBRARY field, contact sheet title
    designer = "sfxgen"            # DESIGNER field
    creator_id = "SFXG"            # UCS CreatorID block of every file name
    source_id = "FOLEYBASICS"      # UCS SourceID block
    license = "CC0-1.0"
    created = 2026-01-15T09:00:00  # bext OriginationDate/Time of every file (fixed: re-renders are bit-identical)
    seed_base = 0                  # seed of sound i when it has no seed: seed_base + 1000 * i

    [defaults]                     # any generation or finishing setting; sounds may override each
    duration = 2.0
    count = 8                      # files per sound (takes _01 .. _08)
    batch = 4                      # variations generated together (part of each file's recipe)
    guidance = 1.5                 # omit for the bundle's default (also steps, sampler)
    strength = 0.6                 # (0, 1]: how much of a start sound to redraw (1 = from pure noise)
    channels = 1                   # 2: stereo (two decorrelated draws of each take: ambiences, textures)
    sample_rate = 48000
    bit_depth = "pcm24"
    peak_dbfs = -1.0
    loudness_lufs = -23.0          # omit for peak normalisation

    [[sound]]
    name = "gravel footsteps"      # unique id used in messages (default: fxname)
    prompt = "footsteps on gravel" # or image = "images/x.png" (relative to the pack file)
    init = "takes/gravel.wav"      # optional start sound to make variations of (relative to the pack file)
    catid = "FEETHmn"
    fxname = "Footsteps Gravel"
    keywords = ["footsteps", "gravel"]
    seed = 1000                    # take k uses seed + k - 1

:func:`load_pack` validates everything (types, UCS CatIDs, images, duplicate file names)
and raises :class:`PackError` naming the file, the sound and the field.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import math
import tomllib
from pathlib import Path
from typing import Any

from sfxgen.finishing import BitDepth, FinishSpec
from sfxgen.init_audio import init_duration
from sfxgen.ucs import UcsError, lookup, sanitize_fxname, sanitize_id, ucs_stem

logger = logging.getLogger(__name__)

DEFAULT_CREATED = dt.datetime(2025, 1, 1, 0, 0, 0)
MAX_COUNT = 1000  # files per sound
SAMPLERS = ("ddpm", "ddim", "dpmpp_2m")
_FINISH_KEYS = {f.name for f in dataclasses.fields(FinishSpec)}
_GEN_KEYS = {
    "duration",
    "count",
    "batch",
    "guidance",
    "steps",
    "sampler",
    "blend_prompt",
    "blend",
    "strength",
    "channels",
}
_LIBRARY_KEYS = {"name", "designer", "creator_id", "source_id", "license", "created", "seed_base", "description"}
_SOUND_KEYS = {
    "name", "prompt", "image", "init", "catid", "fxname", "keywords", "seed", "description", "aspirational", "notes",
}  # fmt: skip


class PackError(ValueError):
    """A pack file is invalid; the message names file, sound and field."""


@dataclasses.dataclass(frozen=True)
class LibraryInfo:
    """The [library] table."""

    name: str  # library name (iXML LIBRARY / PROJECT)
    designer: str  # iXML DESIGNER
    creator_id: str  # UCS CreatorID (sanitised)
    source_id: str  # UCS SourceID (sanitised)
    license: str  # licence of the rendered files
    created: dt.datetime  # fixed origination date/time of every file
    seed_base: int  # default seed base
    description: str  # free text


@dataclasses.dataclass(frozen=True)
class SoundSpec:
    """One [[sound]] with every default resolved."""

    index: int  # position in the pack (0-based)
    name: str  # unique id in messages and manifests
    prompt: str  # text prompt ("" for an image-only sound)
    image: Path | None  # absolute image path
    blend_prompt: str  # optional second prompt
    blend: float  # its weight in [0, 1]
    catid: str  # UCS CatID (validated)
    fxname: str  # UCS FXName (sanitised)
    keywords: tuple[str, ...]  # search keywords
    description: str  # DESCRIPTION field (default: the prompt)
    notes: str  # NOTES field ("" -> recipe summary)
    seed: int  # seed of take 1
    count: int  # number of files
    batch: int  # variations per engine call
    duration: float  # seconds
    guidance: float | None  # None -> bundle default
    steps: int | None  # None -> bundle default
    sampler: str | None  # None -> bundle default
    finish: FinishSpec  # finishing and format
    aspirational: bool  # true if the default model was not trained on this category
    init: Path | None = None  # absolute path of the start sound to make variations of (SDEdit), or None
    strength: float | None = None  # (0, 1]; None -> the pipeline's default (0.6 with init, else the bundle's)
    channels: int = 1  # 2: stereo files, two decorrelated draws of each take (ambiences, textures)

    def stem(self, library: LibraryInfo, take: int) -> str:
        """UCS file stem of take ``take`` (1-based)."""
        return ucs_stem(self.catid, self.fxname, library.creator_id, library.source_id, take)


@dataclasses.dataclass(frozen=True)
class Pack:
    """A validated preset pack."""

    path: Path  # the TOML file
    sha256: str  # of the TOML bytes (recorded in manifests)
    library: LibraryInfo
    sounds: tuple[SoundSpec, ...]

    @property
    def total_files(self) -> int:
        return sum(s.count for s in self.sounds)


class _Ctx:
    """Builds error messages: '<file>: sound 'x' (#3): field 'catid': ...'."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def error(self, msg: str, *, sound: str | None = None, field: str | None = None) -> PackError:
        where = [str(self.path)]
        if sound is not None:
            where.append(f"sound {sound}")
        if field is not None:
            where.append(f"field '{field}'")
        return PackError(": ".join(where) + ": " + msg)


def _type_name(v: Any) -> str:
    return type(v).__name__


def _want_str(ctx: _Ctx, v: Any, field: str, sound: str | None = None, allow_empty: bool = True) -> str:
    if not isinstance(v, str) or (not allow_empty and not v.strip()):
        got = f"a {_type_name(v)} ({v!r})" if not isinstance(v, str) else "an empty string"
        raise ctx.error(
            f"expected a {'non-empty ' if not allow_empty else ''}string, got {got}", sound=sound, field=field
        )
    return v


def _want_int(ctx: _Ctx, v: Any, field: str, lo: int, hi: int, sound: str | None = None) -> int:
    if not isinstance(v, int) or isinstance(v, bool):
        raise ctx.error(f"expected an integer, got a {_type_name(v)} ({v!r})", sound=sound, field=field)
    if not lo <= v <= hi:
        raise ctx.error(f"{v} is out of range [{lo}, {hi}]", sound=sound, field=field)
    return v


def _want_num(ctx: _Ctx, v: Any, field: str, lo: float, hi: float, sound: str | None = None) -> float:
    if not isinstance(v, int | float) or isinstance(v, bool) or not math.isfinite(v):
        raise ctx.error(f"expected a number, got a {_type_name(v)} ({v!r})", sound=sound, field=field)
    if not lo <= v <= hi:
        raise ctx.error(f"{v} is out of range [{lo}, {hi}]", sound=sound, field=field)
    return float(v)


def _want_strength(ctx: _Ctx, v: Any, sound: str | None) -> float:
    """A number in (0, 1] (1 = from pure noise)."""
    s = _want_num(ctx, v, "strength", -math.inf, math.inf, sound)
    if not 0.0 < s <= 1.0:
        raise ctx.error(f"{v} is out of range (0, 1]; 1 = from pure noise", sound=sound, field="strength")
    return s


def _pack_file(ctx: _Ctx, raw: dict[str, Any], key: str, what: str, label: str) -> Path | None:
    """The absolute path of an optional file key (relative to the pack file); it must exist."""
    if key not in raw:
        return None
    path = (ctx.path.parent / _want_str(ctx, raw[key], key, label, allow_empty=False)).resolve()
    if not path.is_file():
        raise ctx.error(f"{what} {path} does not exist (paths are relative to the pack file)", sound=label, field=key)
    return path


def _check_keys(ctx: _Ctx, table: dict[str, Any], known: set[str], what: str, sound: str | None = None) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise ctx.error(f"unknown key(s) {unknown} in {what}; known keys are {sorted(known)}", sound=sound)


def _settings(ctx: _Ctx, table: dict[str, Any], sound: str | None) -> dict[str, Any]:
    """Validate generation + finishing keys of [defaults] or a [[sound]] override."""
    out: dict[str, Any] = {}
    for key, v in table.items():
        if key == "duration":
            out[key] = _want_num(ctx, v, key, 0.25, 30.0, sound)
        elif key == "count":
            out[key] = _want_int(ctx, v, key, 1, MAX_COUNT, sound)
        elif key == "batch":
            out[key] = _want_int(ctx, v, key, 1, 64, sound)
        elif key == "guidance":
            out[key] = _want_num(ctx, v, key, 0.0, 50.0, sound)
        elif key == "steps":
            out[key] = _want_int(ctx, v, key, 1, 1000, sound)
        elif key == "sampler":
            if v not in SAMPLERS:
                raise ctx.error(f"{v!r} is not one of {list(SAMPLERS)}", sound=sound, field=key)
            out[key] = v
        elif key == "blend_prompt":
            out[key] = _want_str(ctx, v, key, sound)
        elif key == "blend":
            out[key] = _want_num(ctx, v, key, 0.0, 1.0, sound)
        elif key == "strength":
            out[key] = _want_strength(ctx, v, sound)
        elif key == "channels":
            out[key] = _want_int(ctx, v, key, 1, 2, sound)
        elif key in _FINISH_KEYS:
            out[key] = v
    return out


def _finish_spec(ctx: _Ctx, settings: dict[str, Any], sound: str | None) -> FinishSpec:
    kwargs = {k: v for k, v in settings.items() if k in _FINISH_KEYS}
    for key, v in kwargs.items():
        if key == "bit_depth":
            if v not in [b.value for b in BitDepth]:
                raise ctx.error(f"{v!r} is not one of {[b.value for b in BitDepth]}", sound=sound, field=key)
        elif key in ("remove_dc", "trim_silence"):
            if not isinstance(v, bool):
                raise ctx.error(f"expected true or false, got a {_type_name(v)} ({v!r})", sound=sound, field=key)
        elif key == "sample_rate":
            _want_int(ctx, v, key, 8000, 192000, sound)
        elif v is not None:
            _want_num(ctx, v, key, -1e9, 1e9, sound)
    try:
        return FinishSpec(**kwargs)
    except ValueError as exc:
        raise ctx.error(str(exc), sound=sound) from exc


def _library(ctx: _Ctx, table: Any) -> LibraryInfo:
    if not isinstance(table, dict):
        raise ctx.error("missing [library] table (name, creator_id, source_id, ...)")
    _check_keys(ctx, table, _LIBRARY_KEYS, "[library]")
    for req in ("name", "creator_id", "source_id"):
        if req not in table:
            raise ctx.error(f"[library] needs '{req}'", field=req)
    created = table.get("created")
    if created is None:
        logger.warning("%s: no [library] created = ...; using %s for every file's bext date", ctx.path, DEFAULT_CREATED)
        created = DEFAULT_CREATED
    elif isinstance(created, dt.date) and not isinstance(created, dt.datetime):
        created = dt.datetime(created.year, created.month, created.day)
    elif not isinstance(created, dt.datetime):
        raise ctx.error(f"expected a TOML date-time like 2026-01-15T09:00:00, got {created!r}", field="created")
    try:
        creator = sanitize_id(_want_str(ctx, table["creator_id"], "creator_id", allow_empty=False), "CreatorID")
        source = sanitize_id(_want_str(ctx, table["source_id"], "source_id", allow_empty=False), "SourceID")
    except UcsError as exc:
        raise ctx.error(str(exc), field="creator_id/source_id") from exc
    return LibraryInfo(
        name=_want_str(ctx, table["name"], "name", allow_empty=False),
        designer=_want_str(ctx, table.get("designer", ""), "designer"),
        creator_id=creator,
        source_id=source,
        license=_want_str(ctx, table.get("license", ""), "license"),
        created=created.replace(tzinfo=None, microsecond=0),
        seed_base=_want_int(ctx, table.get("seed_base", 0), "seed_base", 0, 2**62),
        description=_want_str(ctx, table.get("description", ""), "description"),
    )


def _sound(ctx: _Ctx, i: int, raw: Any, defaults: dict[str, Any], library: LibraryInfo) -> SoundSpec:
    label = f"#{i + 1}"
    if not isinstance(raw, dict):
        raise ctx.error(f"each [[sound]] must be a table, got {_type_name(raw)}", sound=label)
    if isinstance(raw.get("name"), str) and raw["name"].strip():
        label = f"'{raw['name']}' (#{i + 1})"
    elif isinstance(raw.get("fxname"), str):
        label = f"'{raw['fxname']}' (#{i + 1})"
    _check_keys(ctx, raw, _SOUND_KEYS | _GEN_KEYS | _FINISH_KEYS, "[[sound]]", sound=label)
    if "catid" not in raw:
        raise ctx.error("missing (every sound needs a UCS CatID, e.g. 'DOORWood')", sound=label, field="catid")
    catid = _want_str(ctx, raw["catid"], "catid", label, allow_empty=False)
    try:
        lookup(catid)
    except UcsError as exc:
        raise ctx.error(str(exc), sound=label, field="catid") from exc
    if "fxname" not in raw:
        raise ctx.error("missing (a short title like 'Door Slam Heavy')", sound=label, field="fxname")
    try:
        fxname = sanitize_fxname(_want_str(ctx, raw["fxname"], "fxname", label, allow_empty=False))
    except UcsError as exc:
        raise ctx.error(str(exc), sound=label, field="fxname") from exc
    prompt = _want_str(ctx, raw.get("prompt", ""), "prompt", label)
    image = _pack_file(ctx, raw, "image", "image file", label)
    init = _pack_file(ctx, raw, "init", "init sound", label)
    if not prompt.strip() and image is None:
        raise ctx.error("a sound needs a prompt or an image", sound=label, field="prompt")
    keywords = raw.get("keywords", [])
    if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
        raise ctx.error(f"expected a list of strings, got {keywords!r}", sound=label, field="keywords")
    aspirational = raw.get("aspirational", False)
    if not isinstance(aspirational, bool):
        raise ctx.error(f"expected true or false, got {aspirational!r}", sound=label, field="aspirational")
    merged = {**defaults, **_settings(ctx, {k: v for k, v in raw.items() if k in _GEN_KEYS | _FINISH_KEYS}, label)}
    seed = raw.get("seed", library.seed_base + 1000 * i)
    seed = _want_int(ctx, seed, "seed", 0, 2**62, label)
    duration = merged["duration"] if "duration" in merged else _init_duration(init)
    finish = _finish_spec(ctx, merged, label)
    if finish.loop_crossfade_ms > 1000 * duration:
        raise ctx.error(
            f"{finish.loop_crossfade_ms:g} ms is longer than the sound ({duration:g} s); shorten it or the sound",
            sound=label,
            field="loop_crossfade_ms",
        )
    return SoundSpec(
        index=i,
        name=raw.get("name") or fxname,
        prompt=prompt,
        image=image,
        blend_prompt=merged.get("blend_prompt", ""),
        blend=merged.get("blend", 0.0),
        catid=catid,
        fxname=fxname,
        keywords=tuple(keywords),
        description=_want_str(ctx, raw.get("description", prompt), "description", label),
        notes=_want_str(ctx, raw.get("notes", ""), "notes", label),
        seed=seed,
        count=merged.get("count", 1),
        batch=merged.get("batch", 4),
        duration=duration,
        guidance=merged.get("guidance"),
        steps=merged.get("steps"),
        sampler=merged.get("sampler"),
        finish=finish,
        aspirational=aspirational,
        init=init,
        strength=merged.get("strength"),
        channels=merged.get("channels", 1),
    )


def _init_duration(path: Path | None) -> float:
    """A sound's default duration: 2 s, or its start sound's length within the request limits (2 s when
    unreadable: the bundle check then says why)."""
    return 2.0 if path is None else init_duration(path, 2.0)


PACK_SUFFIXES = ("", ".toml", ".json")  # tried in order after a bare pack name


def find_pack(name: str, presets_dir: Path) -> Path:
    """The pack called ``name`` (``x`` -> x, x.toml, x.json) inside ``presets_dir``.

    Raises:
        ValueError: the name escapes the folder, or no such pack (the folder's packs are listed).
    """
    presets_dir = presets_dir.resolve()
    for suffix in PACK_SUFFIXES:
        cand = (presets_dir / f"{name}{suffix}").resolve()
        if not cand.is_relative_to(presets_dir):
            raise ValueError(f"<pack> {name!r} points outside the presets folder {presets_dir}")
        if cand.exists():
            return cand
    names = sorted(c.name for c in presets_dir.iterdir()) if presets_dir.is_dir() else []
    raise ValueError(f"no pack {name!r} in {presets_dir}; available: {', '.join(names[:20]) or 'none'}")


def load_pack(path: str | Path) -> Pack:
    """Read and validate a pack; raise :class:`PackError` before anything is rendered."""
    path = Path(path)
    ctx = _Ctx(path)
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise PackError(f"{path}: cannot read the pack ({exc.strerror or exc})") from exc
    try:
        data = tomllib.loads(raw_bytes.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PackError(f"{path}: not valid TOML ({exc})") from exc
    _check_keys(ctx, data, {"library", "defaults", "sound"}, "the pack (top level)")
    library = _library(ctx, data.get("library"))
    defaults_raw = data.get("defaults", {})
    if not isinstance(defaults_raw, dict):
        raise ctx.error("[defaults] must be a table")
    _check_keys(ctx, defaults_raw, _GEN_KEYS | _FINISH_KEYS, "[defaults]", sound=None)
    defaults = _settings(ctx, defaults_raw, None)
    _finish_spec(ctx, defaults, "[defaults]")
    raw_sounds = data.get("sound")
    if not isinstance(raw_sounds, list) or not raw_sounds:
        raise ctx.error("no [[sound]] entries; a pack needs at least one")
    sounds = tuple(_sound(ctx, i, raw, defaults, library) for i, raw in enumerate(raw_sounds))
    _check_unique(ctx, sounds, library)
    return Pack(path=path, sha256=hashlib.sha256(raw_bytes).hexdigest(), library=library, sounds=sounds)


def _check_unique(ctx: _Ctx, sounds: tuple[SoundSpec, ...], library: LibraryInfo) -> None:
    names: dict[str, str] = {}
    stems: dict[str, str] = {}
    for s in sounds:
        label = f"'{s.name}' (#{s.index + 1})"
        if s.name in names:
            raise ctx.error(f"duplicate name; {names[s.name]} has the same name", sound=label, field="name")
        names[s.name] = label
        for take in range(1, s.count + 1):
            key = s.stem(library, take).lower()  # case-insensitive filesystems (macOS, Windows)
            if key in stems:
                raise ctx.error(
                    f"file name {s.stem(library, take)}.wav is also produced by {stems[key]}; "
                    "give one of them another fxname or catid",
                    sound=label,
                    field="fxname",
                )
            stems[key] = label
