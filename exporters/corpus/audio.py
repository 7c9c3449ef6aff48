"""Finding audio in extracted packages (plain files, zip/pk3 and Qt resource members) and preparing clips."""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import io
import itertools
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from exporters.corpus.sources import Source

AUDIO_SUFFIXES = (".ogg", ".wav", ".flac")
MIN_DURATION_S = 0.1  # shorter clips are dropped
MAX_CHUNK_S = 10.0  # longer clips (ambience loops) are cut into equal pieces no longer than this
SILENCE_PEAK_DB = -50.0  # a clip whose peak stays below this is near-silent
SILENCE_RMS_DB = -70.0  # ... or whose RMS stays below this


@dataclass(frozen=True)
class AudioFile:
    """One audio file of a package: a plain file, or a member of an archive (zip format or Qt resources)."""

    package: str
    source_path: str  # relative to the package root; archive members as "<archive>:<member>"
    licence_path: str  # installed-looking path used for DEP-5 licence lookup
    file: Path  # the file itself, or the archive that holds it
    member: str | None = None  # archive member name, if inside an archive
    archive_kind: str = "zip"  # "zip" or "qrc", for archive members

    def read_bytes(self) -> bytes:
        """The encoded audio bytes."""
        if self.member is None:
            return self.file.read_bytes()
        if self.archive_kind == "qrc":
            return _read_qrc(self.file, self.member)
        return _open_zip(self.file).read(self.member)


@functools.lru_cache(maxsize=4)
def _open_zip(path: Path) -> zipfile.ZipFile:
    """Archives stay open between reads: 0 A.D.'s public.zip has tens of thousands of members."""
    return zipfile.ZipFile(path)


def find_audio(source: Source, root: Path) -> list[AudioFile]:
    """All audio files of ``source`` extracted under ``root``, sorted by source path."""
    found: dict[str, AudioFile] = {}
    for pattern in source.audio_globs:
        for path in root.glob(pattern):
            if path.is_file() and path.suffix.lower() in AUDIO_SUFFIXES:
                rel = path.relative_to(root).as_posix()
                found[rel] = AudioFile(source.package, rel, rel, path)
    for spec in source.archives:
        for archive in root.glob(spec.archive):
            for item in archive_members(archive, spec.members, spec.kind):
                rel_archive = archive.relative_to(root).as_posix()
                rel = f"{rel_archive}:{item}"
                licence_path = f"{archive.parent.relative_to(root).as_posix()}/{item}"
                found[rel] = AudioFile(source.package, rel, licence_path, archive, item, spec.kind)
    return [found[k] for k in sorted(found)]


def archive_members(archive: Path, pattern: str, kind: str = "zip") -> list[str]:
    """Audio members of an archive (``kind`` "zip": zip, pk3; "qrc": Qt .rcc) matching the fnmatch ``pattern``."""
    if kind == "qrc":
        names = _qrc_members(archive)
    elif kind == "zip":
        with zipfile.ZipFile(archive) as zf:
            names = [i.filename for i in zf.infolist() if not i.is_dir()]
    else:
        raise ValueError(f"unknown archive kind {kind!r}; use 'zip' or 'qrc'")
    return sorted(n for n in names if fnmatch.fnmatchcase(n, pattern) and n.lower().endswith(AUDIO_SUFFIXES))


@functools.cache
def _qrc_root(archive: Path) -> str:
    """Register a binary Qt resource file under a private resource root and return that root.

    Qt's own reader (PySide6, already a dependency for the panel) handles the format's tree and its
    zlib/zstd member compression; hand-parsing it would duplicate that.
    """
    from PySide6.QtCore import QResource  # imported here: only resource-packed packages need Qt

    root = "/sfxgen-" + hashlib.sha1(str(archive.resolve()).encode()).hexdigest()[:12]
    if not QResource.registerResource(str(archive), root):
        raise ValueError(f"{archive} is not a readable Qt resource (.rcc) file")
    return root


def _qrc_members(archive: Path) -> list[str]:
    from PySide6.QtCore import QDirIterator

    prefix = f":{_qrc_root(archive)}/"
    it = QDirIterator(prefix, QDirIterator.IteratorFlag.Subdirectories)
    names = []
    while it.hasNext():
        path = it.next()
        if it.fileInfo().isFile():
            names.append(path[len(prefix) :])
    return names


def _read_qrc(archive: Path, member: str) -> bytes:
    from PySide6.QtCore import QFile, QIODevice

    f = QFile(f":{_qrc_root(archive)}/{member}")
    if not f.open(QIODevice.OpenModeFlag.ReadOnly):
        raise OSError(f"cannot read {member} from Qt resource file {archive}")
    try:
        return bytes(f.readAll().data())
    finally:
        f.close()


def decode_mono(data: bytes) -> tuple[np.ndarray, int]:
    """Decode ogg/wav/flac bytes to mono float32 ``(T,)`` and its sample rate."""
    x, sr = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)  # (T, C)
    return x.mean(axis=1), int(sr)


def resample(x: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """Resample mono float32 audio with soxr (high quality)."""
    if sr_in == sr_out:
        return x.astype(np.float32, copy=False)
    return soxr.resample(x, sr_in, sr_out, quality="HQ").astype(np.float32, copy=False)


def level_db(x: np.ndarray) -> tuple[float, float]:
    """Peak and RMS level in dBFS (-inf for digital silence)."""
    if x.size == 0:
        return float("-inf"), float("-inf")
    peak = float(np.max(np.abs(x)))
    rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))
    to_db = lambda v: 20.0 * np.log10(v) if v > 0 else float("-inf")  # noqa: E731
    return to_db(peak), to_db(rms)


def drop_reason(x: np.ndarray, sr: int) -> str | None:
    """Why a clip is unusable ('too_short', 'near_silent'), or None if it is kept."""
    if x.size < MIN_DURATION_S * sr:
        return "too_short"
    peak_db, rms_db = level_db(x)
    if peak_db < SILENCE_PEAK_DB or rms_db < SILENCE_RMS_DB:
        return "near_silent"
    return None


def chunk(x: np.ndarray, sr: int, max_s: float = MAX_CHUNK_S) -> list[np.ndarray]:
    """Cut audio longer than ``max_s`` into equal consecutive pieces no longer than ``max_s``."""
    max_n = int(max_s * sr)
    if x.size <= max_n:
        return [x]
    pieces = -(-x.size // max_n)
    bounds = np.linspace(0, x.size, pieces + 1).round().astype(int)
    return [x[a:b] for a, b in itertools.pairwise(bounds)]


def to_pcm16(x: np.ndarray) -> np.ndarray:
    """Float audio to int16, scaled down (never clipped) when resampling overshot full scale."""
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if peak > 1.0:
        x = x * (0.999 / peak)
    return np.round(x * 32767.0).astype(np.int16)


def pcm_sha256(pcm: np.ndarray) -> str:
    """sha256 of little-endian int16 PCM: the identity used for deduplication and in the manifest."""
    return hashlib.sha256(pcm.astype("<i2").tobytes()).hexdigest()
