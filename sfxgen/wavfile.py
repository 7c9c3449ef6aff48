"""Finished WAV files: RIFF/WAVE with BWF ``bext`` v2 and iXML, written atomically.

Layout (every chunk padded to an even size)::

    RIFF <size> WAVE
      fmt   PCM 16/24-bit (format 1) or IEEE float 32-bit (format 3), mono or stereo
      fact  sample frames (float files only, as the WAVE spec asks for non-PCM formats)
      bext  EBU Tech 3285 v2: description, originator, date/time, v2 loudness fields, coding history
      iXML  <BWFXML> with <USER> fields Soundminer / BaseHead / Soundly read, and <SFXGEN><RECIPE>
      smpl  loops only: one forward loop over the whole file, the loop points samplers read
      data  interleaved little-endian samples

``bext`` and ``iXML`` sit before ``data`` so library tools read tags without seeking past the
audio. The bytes are a pure function of (audio, bit depth, tags, recipe, ``created``):
``created`` (bext OriginationDate/Time) defaults to now, and batch renders pass one fixed
timestamp per pack so a re-render is byte-identical.

Atomic write: the file is written to a temporary file in the target folder, fsynced, then
linked (refusing to overwrite) or ``os.replace``-d (``overwrite=True``) into place. On any
error the temporary file is removed, so a crash or a full disk never leaves a partial WAV.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import errno
import hashlib
import os
import re
import struct
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np

from sfxgen import __version__
from sfxgen.finishing import BitDepth, FinishedAudio
from sfxgen.recipe import Recipe

IXML_VERSION = "2.10"
BEXT_FIXED = struct.Struct("<256s32s32s10s8sIIH64shhhhh180s")  # 602 bytes (EBU Tech 3285 v2)
LOUDNESS_UNKNOWN = 0x7FFF  # EBU Tech 3285: value for a loudness field that was not measured


class WavFormatError(ValueError):
    """A file is not a RIFF/WAVE we can read, or lacks our metadata."""


@dataclasses.dataclass(frozen=True)
class SoundTags:
    """UCS / iXML USER fields of one file."""

    description: str = ""  # free text; bext Description (ASCII, 256) and iXML DESCRIPTION (full)
    catid: str = ""  # UCS CatID, e.g. "DOORWood"
    category: str = ""  # UCS Category, e.g. "DOORS"
    subcategory: str = ""  # UCS SubCategory, e.g. "WOOD"
    fxname: str = ""  # short title (UCS FXName)
    keywords: tuple[str, ...] = ()  # search keywords
    library: str = ""  # library / pack name
    designer: str = ""  # sound designer's name
    creator_id: str = ""  # UCS CreatorID (iXML SHORTID)
    source_id: str = ""  # UCS SourceID (iXML SHOW)
    originator: str = "sfxgen"  # bext Originator (32 ASCII chars)
    notes: str = ""  # extra notes; when empty a one-line recipe summary is written

    def __post_init__(self) -> None:
        if isinstance(self.keywords, list):
            object.__setattr__(self, "keywords", tuple(self.keywords))
        if isinstance(self.keywords, str) or not all(isinstance(k, str) for k in self.keywords):
            raise ValueError(f"keywords must be a tuple of strings, got {self.keywords!r}")

    @property
    def category_full(self) -> str:
        """UCS CategoryFull, "CATEGORY-SUBCATEGORY" (empty if either is unknown)."""
        return f"{self.category}-{self.subcategory}" if self.category and self.subcategory else ""


@dataclasses.dataclass(frozen=True)
class WavMetadata:
    """What :func:`read_wav_metadata` found in a file."""

    tags: SoundTags
    recipe: Recipe | None  # None if the file has no sfxgen recipe
    bext: dict[str, Any]  # decoded bext fields (loudness in LUFS/LU/dBTP, None when not measured)
    ixml_user: dict[str, str]  # raw iXML <USER> fields
    sample_rate: int
    channels: int
    bit_depth: BitDepth
    frames: int
    loop: tuple[int, int] | None = None  # smpl loop: first and last frame (inclusive), when the file loops

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate


# ---------------------------------------------------------------------------------- encoding


def _ascii(s: str) -> str:
    """ASCII-only text for bext (non-ASCII characters become '?')."""
    return s.encode("ascii", "replace").decode("ascii")


def _fixed(s: str, n: int) -> bytes:
    return _ascii(s).encode("ascii")[:n]


def _loudness_field(value: float | None) -> int:
    if value is None or not np.isfinite(value):
        return LOUDNESS_UNKNOWN
    return int(np.clip(round(value * 100), -32767, 32766))


def _chunk(ident: bytes, payload: bytes) -> bytes:
    pad = b"\0" if len(payload) % 2 else b""
    return ident + struct.pack("<I", len(payload)) + payload + pad


def encode_samples(samples: np.ndarray, bit_depth: BitDepth) -> bytes:
    """Interleaved little-endian sample bytes; PCM values are rounded and clamped (never wrap)."""
    x = np.asarray(samples, dtype=np.float64)
    if bit_depth is BitDepth.FLOAT32:
        return np.clip(x, -1.0, 1.0).astype("<f4").tobytes()
    if bit_depth is BitDepth.PCM16:
        return np.clip(np.round(x * 32768.0), -32768, 32767).astype("<i2").tobytes()
    q = np.clip(np.round(x * 8388608.0), -8388608, 8388607).astype("<i4").reshape(-1)
    return q.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()  # little-endian: drop the high byte


def _coding_history(sr: int, bit_depth: BitDepth, channels: int) -> str:
    mode = "mono" if channels == 1 else "stereo"
    w = bit_depth.bits
    a = "PCM" if bit_depth is not BitDepth.FLOAT32 else "PCM_FLOAT"
    return f"A={a},F={sr},W={w},M={mode},T=sfxgen {__version__}\r\n"


def _bext(audio: FinishedAudio, bit_depth: BitDepth, tags: SoundTags, recipe: Recipe, created: dt.datetime) -> bytes:
    ref = "SFXGEN" + hashlib.sha256(recipe.to_json().encode("ascii")).hexdigest()[:26].upper()
    fixed = BEXT_FIXED.pack(
        _fixed(tags.description or recipe.prompt, 256),
        _fixed(tags.originator, 32),
        _fixed(ref, 32),
        created.strftime("%Y-%m-%d").encode("ascii"),
        created.strftime("%H:%M:%S").encode("ascii"),
        0,  # TimeReference low (samples since midnight: 0, generated sounds have no timecode)
        0,  # TimeReference high
        2,  # Version
        b"\0" * 64,  # UMID (none)
        _loudness_field(audio.lufs),
        _loudness_field(audio.loudness_range),
        _loudness_field(audio.true_peak_dbtp),
        _loudness_field(audio.max_momentary_lufs),
        _loudness_field(audio.max_short_term_lufs),
        b"\0" * 180,
    )
    return fixed + _coding_history(audio.sample_rate, bit_depth, audio.channels).encode("ascii")


def _smpl(audio: FinishedAudio) -> bytes:
    """RIFF ``smpl`` chunk with one forward loop over the whole file, as samplers read loop points.

    Nine header fields (manufacturer, product, sample period in ns, MIDI unity note 60, pitch fraction,
    SMPTE format and offset, one loop, no sampler data), then the loop: cue id, type 0 (forward), first
    and last frame (inclusive), fraction, play count 0 (forever).
    """
    period_ns = round(1e9 / audio.sample_rate)
    header = struct.pack("<9I", 0, 0, period_ns, 60, 0, 0, 0, 1, 0)
    return header + struct.pack("<6I", 0, 0, 0, audio.frames - 1, 0, 0)


def read_loop(chunks: dict[bytes, bytes]) -> tuple[int, int] | None:
    """The first loop of a ``smpl`` chunk as (first frame, last frame inclusive), or None."""
    smpl = chunks.get(b"smpl", b"")
    if len(smpl) < 36 + 24 or struct.unpack_from("<I", smpl, 28)[0] < 1:
        return None
    _, _, start, end, _, _ = struct.unpack_from("<6I", smpl, 36)
    return start, end


def recipe_summary(recipe: Recipe) -> str:
    """One human line for the NOTES field: what a designer needs to regenerate by hand."""
    query = f'prompt "{recipe.prompt}"' if recipe.prompt else f"image sha256 {recipe.image_sha256}"
    if recipe.blend_prompt:
        query += f' + "{recipe.blend_prompt}" x{recipe.blend:g}'
    start = ""
    if recipe.source_clip:
        start = f", from library recording {recipe.source_clip} ({recipe.source_licence})"
        start += f" at strength {recipe.strength:g}"
    elif recipe.init_sha256:
        start = f", from init audio sha256 {recipe.init_sha256[:12]} at strength {recipe.strength:g}"
    crossfade = (recipe.finish or {}).get("loop_crossfade_ms")
    loop = f", seamless loop ({crossfade:g} ms crossfade)" if crossfade else ""
    loop += ", stereo (two draws)" if recipe.channels == 2 else ""
    return (
        f"sfxgen {query}, seed {recipe.seed}, guidance {recipe.guidance:g}, {recipe.steps} steps {recipe.sampler}"
        f"{start}{loop}, model {recipe.bundle_id} ({recipe.bundle_sha256[:12]})"
    )


def _ixml_user(tags: SoundTags, recipe: Recipe) -> list[tuple[str, str]]:
    """USER fields in the order Soundminer writes them (uppercase names, as REAPER and Soundminer use)."""
    return [
        ("CATID", tags.catid),
        ("CATEGORY", tags.category),
        ("SUBCATEGORY", tags.subcategory),
        ("CATEGORYFULL", tags.category_full),
        ("FXNAME", tags.fxname),
        ("TRACKTITLE", tags.fxname),
        ("DESCRIPTION", tags.description or recipe.prompt),
        ("KEYWORDS", ", ".join(tags.keywords)),
        ("NOTES", tags.notes or recipe_summary(recipe)),
        ("DESIGNER", tags.designer),
        ("LIBRARY", tags.library),
        ("SHORTID", tags.creator_id),
        ("SHOW", tags.source_id),
        ("EMBEDDER", f"sfxgen {__version__}"),
    ]


def _ixml(tags: SoundTags, recipe: Recipe, sfxgen_block: str | None = None) -> bytes:
    """The iXML text; ``sfxgen_block`` (``<SFXGEN>...</SFXGEN>`` of an existing file) is kept verbatim."""
    user = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in _ixml_user(tags, recipe))
    if sfxgen_block is None:
        sfxgen_block = (
            f"<SFXGEN><VERSION>{escape(__version__)}</VERSION><RECIPE>{escape(recipe.to_json())}</RECIPE></SFXGEN>"
        )
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<BWFXML><IXML_VERSION>{IXML_VERSION}</IXML_VERSION>"
        f"<PROJECT>{escape(tags.library)}</PROJECT>"
        f"<USER>{user}</USER>"
        f"{sfxgen_block}"
        "</BWFXML>\n"
    )
    return text.encode("utf-8")


def wav_bytes(
    audio: FinishedAudio, bit_depth: BitDepth, tags: SoundTags, recipe: Recipe, created: dt.datetime
) -> bytes:
    """The complete file as bytes (a pure function of its arguments)."""
    bit_depth = BitDepth(bit_depth)
    channels, sr = audio.channels, audio.sample_rate
    if channels not in (1, 2):
        raise ValueError(f"write_wav: {channels} channels; only mono and stereo are supported")
    block = channels * bit_depth.bits // 8
    fmt_tag = 3 if bit_depth is BitDepth.FLOAT32 else 1
    fmt = struct.pack("<HHIIHH", fmt_tag, channels, sr, sr * block, block, bit_depth.bits)
    data = encode_samples(audio.samples, bit_depth)
    body = b"WAVE" + _chunk(b"fmt ", fmt)
    if fmt_tag == 3:
        body += _chunk(b"fact", struct.pack("<I", audio.frames))
    body += _chunk(b"bext", _bext(audio, bit_depth, tags, recipe, created))
    body += _chunk(b"iXML", _ixml(tags, recipe))
    if audio.loop:
        body += _chunk(b"smpl", _smpl(audio))
    body += _chunk(b"data", data)
    if len(body) + 8 > 0xFFFFFFFF:
        raise ValueError("write_wav: file would exceed 4 GiB (RIFF limit); render shorter sounds")
    return b"RIFF" + struct.pack("<I", len(body)) + body


# ---------------------------------------------------------------------------------- writing


def write_wav(
    path: str | Path,
    audio: FinishedAudio,
    bit_depth: BitDepth,
    tags: SoundTags,
    recipe: Recipe,
    *,
    created: dt.datetime | None = None,
    overwrite: bool = False,
) -> Path:
    """Write a finished BWF/iXML WAV atomically.

    Args:
        path: target file (its folder must exist).
        audio: finished signal (from :func:`sfxgen.finishing.finish`).
        bit_depth: PCM16, PCM24 or FLOAT32.
        tags: UCS / iXML USER fields.
        recipe: regeneration recipe, stored in iXML ``<SFXGEN><RECIPE>``.
        created: bext OriginationDate/Time; defaults to now (local time). Pass a fixed value
            (render does: one per pack) for byte-identical re-renders.
        overwrite: replace an existing file; otherwise an existing file raises FileExistsError.

    Returns:
        The path written.
    """
    path = Path(path)
    created = created or dt.datetime.now().replace(microsecond=0)
    payload = wav_bytes(audio, bit_depth, tags, recipe, created)
    atomic_write_bytes(path, payload, overwrite=overwrite)
    return path


def atomic_write_bytes(path: Path, payload: bytes, *, overwrite: bool = False) -> None:
    """Write ``payload`` to ``path`` via a temp file in the same folder; never leave a partial file."""
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(errno.ENOENT, f"output folder {folder} does not exist; create it first", str(folder))
    if not overwrite and path.exists():
        raise FileExistsError(errno.EEXIST, f"{path} already exists; pass overwrite=True or pick another name")
    try:
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".part")
    except OSError as exc:
        raise OSError(exc.errno, f"cannot write in {folder}: {exc.strerror}; check permissions") from exc
    tmp = Path(tmp_name)
    try:
        try:
            os.fchmod(fd, 0o644)  # mkstemp makes 0600; delivered files are world-readable like any saved file
            view = memoryview(payload)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        if overwrite:
            os.replace(tmp, path)
        else:
            _link_no_clobber(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError) and not isinstance(exc, FileExistsError):
            raise OSError(exc.errno, f"could not write {path}: {exc.strerror or exc}; nothing was written") from exc
        raise
    _fsync_dir(folder)


def _link_no_clobber(tmp: Path, path: Path) -> None:
    """Move ``tmp`` to ``path`` unless ``path`` exists (atomic where hard links work)."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise FileExistsError(
            errno.EEXIST, f"{path} already exists; pass overwrite=True or pick another name"
        ) from None
    except OSError as exc:  # no hard links on this filesystem (FAT, some network shares)
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        if path.exists():
            raise FileExistsError(errno.EEXIST, f"{path} already exists; pass overwrite=True") from None
        os.replace(tmp, path)
        return
    tmp.unlink()


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def is_temp_name(name: str) -> bool:
    """True for the temporary files :func:`atomic_write_bytes` creates (``.NAME.XXXX.part``)."""
    return name.startswith(".") and name.endswith(".part")


def retag_wav(path: str | Path, tags: SoundTags, new_path: str | Path | None = None) -> Path:
    """Rewrite the tags of an existing sfxgen WAV, optionally under a new name, atomically.

    Only bext Description/Originator and the iXML ``<PROJECT>`` / ``<USER>`` fields change (from
    ``tags``, exactly as :func:`write_wav` writes them). Every other byte stays as it was: the
    samples and every other chunk, the ``<SFXGEN>`` recipe block, and the rest of bext
    (originator reference, origination date/time, loudness fields, coding history).

    Args:
        path: an sfxgen WAV (it must carry a bext chunk and an iXML recipe).
        tags: the new UCS / iXML USER fields.
        new_path: rename to this path (any folder that exists); None rewrites in place.

    Returns:
        The path of the retagged file.

    Raises:
        WavFormatError: not a RIFF/WAVE, or not written by sfxgen (no bext or no recipe).
        FileExistsError: ``new_path`` is another existing file (it is never overwritten).
    """
    path = Path(path)
    target = Path(new_path) if new_path is not None else path
    raw = path.read_bytes()
    if len(raw) < 12 or raw[:4] != b"RIFF" or raw[8:12] != b"WAVE":
        raise WavFormatError(f"{path}: not a RIFF/WAVE file")
    chunks = _split_chunks(raw, path)
    idents = [ident for ident, _, _ in chunks]
    if b"bext" not in idents or b"iXML" not in idents:
        raise WavFormatError(f"{path}: no bext/iXML chunk; only WAVs written by sfxgen can be retagged")
    ixml = next(payload for ident, payload, _ in chunks if ident == b"iXML")
    text = ixml.rstrip(b"\0").decode("utf-8", "replace")
    block = re.search(r"<SFXGEN>.*?</SFXGEN>", text, re.DOTALL)
    node = ET.fromstring(block.group(0)).find("./RECIPE") if block else None
    if node is None or not node.text:
        raise WavFormatError(f"{path}: no sfxgen recipe in its iXML; only WAVs written by sfxgen can be retagged")
    recipe = Recipe.from_json(node.text)
    body = b"WAVE"
    for ident, payload, pad in chunks:
        if ident == b"bext":
            if len(payload) < BEXT_FIXED.size:
                raise WavFormatError(f"{path}: bext chunk shorter than {BEXT_FIXED.size} bytes")
            head = struct.pack("<256s32s", _fixed(tags.description or recipe.prompt, 256), _fixed(tags.originator, 32))
            body += _chunk(ident, head + payload[len(head) :])
        elif ident == b"iXML":
            body += _chunk(ident, _ixml(tags, recipe, block.group(0)))
        else:
            body += ident + struct.pack("<I", len(payload)) + payload + pad  # as found, padding included
    payload = b"RIFF" + struct.pack("<I", len(body)) + body
    if target == path or (target.exists() and os.path.samefile(path, target)):
        atomic_write_bytes(path, payload, overwrite=True)
        if target != path:  # same file under another spelling (case-insensitive filesystems)
            os.replace(path, target)
    else:
        atomic_write_bytes(target, payload, overwrite=False)  # FileExistsError: never clobber another file
        path.unlink()
        _fsync_dir(path.parent)
    return target


def _split_chunks(raw: bytes, path: Path) -> list[tuple[bytes, bytes, bytes]]:
    """Top-level chunks as (id, payload, pad byte or b"") in file order, ``data`` included."""
    chunks = []
    off = 12
    while off + 8 <= len(raw):
        ident, size = raw[off : off + 4], struct.unpack("<I", raw[off + 4 : off + 8])[0]
        payload = raw[off + 8 : off + 8 + size]
        if len(payload) < size:
            raise WavFormatError(f"{path}: truncated {ident!r} chunk")
        pad = raw[off + 8 + size : off + 9 + size] if size & 1 else b""
        chunks.append((ident, payload, pad))
        off += 8 + size + len(pad)
    return chunks


# ---------------------------------------------------------------------------------- reading


def read_chunks(path: str | Path) -> dict[bytes, bytes]:
    """All top-level chunks of a RIFF/WAVE file (first occurrence of each id), ``data`` excluded."""
    chunks, _ = _walk(Path(path))
    return chunks


def _walk(path: Path) -> tuple[dict[bytes, bytes], int]:
    chunks: dict[bytes, bytes] = {}
    data_size = -1
    with open(path, "rb") as fh:
        head = fh.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise WavFormatError(f"{path}: not a RIFF/WAVE file")
        while True:
            hdr = fh.read(8)
            if len(hdr) < 8:
                break
            ident, size = hdr[:4], struct.unpack("<I", hdr[4:])[0]
            if ident == b"data":
                data_size = size
                fh.seek(size + (size & 1), os.SEEK_CUR)
                continue
            payload = fh.read(size)
            if len(payload) < size:
                raise WavFormatError(f"{path}: truncated {ident!r} chunk")
            chunks.setdefault(ident, payload)
            if size & 1:
                fh.seek(1, os.SEEK_CUR)
    if b"fmt " not in chunks or data_size < 0:
        raise WavFormatError(f"{path}: missing fmt or data chunk")
    return chunks, data_size


def _decode_bext(b: bytes) -> dict[str, Any]:
    if len(b) < BEXT_FIXED.size:
        raise WavFormatError("bext chunk shorter than 602 bytes")
    f = BEXT_FIXED.unpack(b[: BEXT_FIXED.size])

    def txt(v: bytes) -> str:
        return v.split(b"\0", 1)[0].decode("ascii", "replace")

    def loud(v: int) -> float | None:
        return None if v == LOUDNESS_UNKNOWN else v / 100.0

    return {
        "description": txt(f[0]),
        "originator": txt(f[1]),
        "originator_reference": txt(f[2]),
        "origination_date": txt(f[3]),
        "origination_time": txt(f[4]),
        "time_reference": f[5] | (f[6] << 32),
        "version": f[7],
        "loudness_value": loud(f[9]),
        "loudness_range": loud(f[10]),
        "max_true_peak_level": loud(f[11]),
        "max_momentary_loudness": loud(f[12]),
        "max_short_term_loudness": loud(f[13]),
        "coding_history": txt(b[BEXT_FIXED.size :]),
    }


def read_wav_metadata(path: str | Path) -> WavMetadata:
    """Read format, bext, iXML USER fields and the sfxgen recipe of a WAV."""
    path = Path(path)
    chunks, data_size = _walk(path)
    fmt_tag, channels, sr, _, block, bits = struct.unpack("<HHIIHH", chunks[b"fmt "][:16])
    depth = {(1, 16): BitDepth.PCM16, (1, 24): BitDepth.PCM24, (3, 32): BitDepth.FLOAT32}.get((fmt_tag, bits))
    if depth is None:
        raise WavFormatError(f"{path}: unsupported sample format (tag {fmt_tag}, {bits} bits)")
    bext = _decode_bext(chunks[b"bext"]) if b"bext" in chunks else {}
    user: dict[str, str] = {}
    recipe = None
    if b"iXML" in chunks:
        try:
            root = ET.fromstring(chunks[b"iXML"].rstrip(b"\0"))
        except ET.ParseError as exc:
            raise WavFormatError(f"{path}: corrupt iXML ({exc})") from exc
        for el in root.findall("./USER/*"):
            user[el.tag] = el.text or ""
        node = root.find("./SFXGEN/RECIPE")
        if node is not None and node.text:
            recipe = Recipe.from_json(node.text)
    keywords = tuple(k.strip() for k in re.split(r"[,;]", user.get("KEYWORDS", "")) if k.strip())
    tags = SoundTags(
        description=user.get("DESCRIPTION", bext.get("description", "")),
        catid=user.get("CATID", ""),
        category=user.get("CATEGORY", ""),
        subcategory=user.get("SUBCATEGORY", ""),
        fxname=user.get("FXNAME", ""),
        keywords=keywords,
        library=user.get("LIBRARY", ""),
        designer=user.get("DESIGNER", ""),
        creator_id=user.get("SHORTID", ""),
        source_id=user.get("SHOW", ""),
        originator=bext.get("originator", ""),
        notes=user.get("NOTES", ""),
    )
    return WavMetadata(
        tags=tags,
        recipe=recipe,
        bext=bext,
        ixml_user=user,
        sample_rate=sr,
        channels=channels,
        bit_depth=depth,
        frames=data_size // block if block else 0,
        loop=read_loop(chunks),
    )


def metadata_dict(meta: WavMetadata) -> dict[str, Any]:
    """JSON-ready dict of what a file carries (``sfxgen info FILE --json``)."""
    return {
        "tags": dataclasses.asdict(meta.tags),
        "recipe": meta.recipe.to_dict() if meta.recipe else None,
        "bext": meta.bext,
        "sample_rate": meta.sample_rate,
        "channels": meta.channels,
        "bit_depth": meta.bit_depth.value,
        "frames": meta.frames,
        "loop": list(meta.loop) if meta.loop else None,
    }
