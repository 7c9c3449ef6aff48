"""Content-hashed, resumable cache of normalised log-mels, waveforms and embeddings.

Layout of a cache folder::

    clips/<key>.npz     mel (M, T) float16 in diffusion space; optional audio (S,) int16;
                        optional image_emb (K, E) float32 + frame_times (K,) for video / image clips
    text/<encoder>.npz  texts (N,) and their embeddings (N, E), grown as new captions appear
    index.json          clip id -> {"key", "status": "ok" | "skipped", "reason"}

A clip's key hashes its file content together with every setting that changes
what is stored (mel config, encoder, frames per video, augmentation variant),
so a changed file or setting is recomputed and an interrupted build resumes
where it stopped (each file is written atomically). Unreadable and silent
files are skipped and reported, never fatal; a dataset with nothing usable is
a clear error.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from exporters.train.augment import resample_factor
from exporters.train.data import Clip, DataError
from exporters.train.encoders import QueryEncoder
from exporters.train.media import MediaError, load_audio, load_image, resample, video_duration, video_frames
from sfxgen.bundle import sha256_file
from sfxgen.configs import MelConfig, to_dict
from sfxgen.mel import log_mel, normalize

logger = logging.getLogger(__name__)

CACHE_VERSION = 1


@dataclasses.dataclass(frozen=True)
class CacheSpec:
    """What to store per clip (part of every key)."""

    mel: MelConfig
    store_audio: bool = False  # keep the int16 waveform (vocoder training)
    image_encoder: str | None = None  # encoder id for image/video embeddings (None = no images)
    frames_per_video: int = 8
    max_clip_seconds: float = 30.0
    min_peak: float = 1e-4
    variants: int = 0  # augmented copies per clip (resampled: mild pitch + time change)
    variant_semitones: float = 1.0  # max pitch change of a variant, semitones
    seed: int = 0  # seeds frame times and augmentation factors


class CachedClip:
    """A decoded clip: arrays held in memory, or read from its npz on each access (``in_memory=False``).

    Attributes (arrays): mel (M, T) float16 diffusion space; audio (S,) int16 or None;
    image_emb (K, E) float32 or None; frame_times (K,) seconds or None.
    """

    def __init__(self, clip: Clip, variant: int, arrays: dict[str, np.ndarray] | None, path: Path | None = None):
        self.clip = clip
        self.variant = variant
        self._arrays = arrays  # None: lazy, read members from path when asked
        self._path = path
        if arrays is None and path is None:
            raise ValueError("CachedClip needs arrays or an npz path")

    def _get(self, name: str) -> np.ndarray | None:
        if self._arrays is not None:
            return self._arrays.get(name)
        with np.load(self._path) as z:  # an npz reads only the member asked for
            return z[name] if name in z.files else None

    @property
    def mel(self) -> np.ndarray:
        return self._get("mel")  # type: ignore[return-value]

    @property
    def audio(self) -> np.ndarray | None:
        return self._get("audio")

    @property
    def image_emb(self) -> np.ndarray | None:
        return self._get("image_emb")

    @property
    def frame_times(self) -> np.ndarray | None:
        return self._get("frame_times")


@dataclasses.dataclass
class CacheReport:
    ok: int = 0
    cached: int = 0  # of ok, how many were already in the cache
    skipped: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (clip id, reason)

    def summary(self) -> str:
        lines = [f"{self.ok} clips usable ({self.cached} from cache), {len(self.skipped)} skipped"]
        lines += [f"  skipped {cid}: {why}" for cid, why in self.skipped[:50]]
        if len(self.skipped) > 50:
            lines.append(f"  ... and {len(self.skipped) - 50} more (see index.json)")
        return "\n".join(lines)


def _atomic_savez(path: Path, **arrays: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp.npz")
    os.close(fd)
    try:
        np.savez(tmp, **arrays)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def clip_key(content_sha: str, spec: CacheSpec, variant: int) -> str:
    settings = json.dumps(
        {
            "v": CACHE_VERSION,
            "mel": to_dict(spec.mel),
            **{k: v for k, v in dataclasses.asdict(spec).items() if k != "mel" and k != "variants"},
            "variant": variant,
        },
        sort_keys=True,
    )
    return hashlib.sha256(f"{content_sha}:{settings}".encode()).hexdigest()[:24]


def _compute(clip: Clip, spec: CacheSpec, variant: int, image_encoder: QueryEncoder | None) -> dict[str, np.ndarray]:
    """Decode one clip into the arrays stored in its npz (raises MediaError to skip it)."""
    sr = spec.mel.sample_rate
    wave = load_audio(clip.path, sr, spec.max_clip_seconds)
    peak = float(np.max(np.abs(wave))) if wave.size else 0.0
    if peak < spec.min_peak:
        raise MediaError(f"{clip.path}: silent (peak {peak:.1e} < {spec.min_peak:g})")
    if wave.size < spec.mel.n_fft:
        raise MediaError(f"{clip.path}: too short ({wave.size} samples < n_fft {spec.mel.n_fft})")
    if variant > 0:  # mild pitch + time change by resampling (played back at sr: factor r shifts pitch by r)
        r = resample_factor(np.random.default_rng([spec.seed, variant, clip_key_int(clip.id)]), spec.variant_semitones)
        wave = resample(wave, sr, round(sr / r))
    wave = np.clip(wave, -1.0, 1.0)
    out: dict[str, np.ndarray] = {"mel": normalize(log_mel(wave, spec.mel), spec.mel).astype(np.float16)}
    if spec.store_audio:
        out["audio"] = np.round(wave * 32767.0).astype(np.int16)
    if spec.image_encoder is not None and image_encoder is not None:
        if clip.kind == "video":
            dur = video_duration(clip.path)
            rng = np.random.default_rng([spec.seed, int(clip_key_int(clip.id))])
            times = np.sort(rng.uniform(0.0, max(dur - 1e-3, 0.0), size=spec.frames_per_video))
            frames = video_frames(clip.path, [float(t) for t in times])
            out["image_emb"] = image_encoder.embed_images(frames).astype(np.float32)
            out["frame_times"] = times.astype(np.float32)
        elif clip.kind == "image_audio" and clip.image is not None:
            out["image_emb"] = image_encoder.embed_images([load_image(clip.image)]).astype(np.float32)
            out["frame_times"] = np.zeros(1, dtype=np.float32)
    return out


def clip_key_int(text: str) -> int:
    """A stable 32-bit integer of a string (seeds per-clip randomness)."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")


def build_clip_cache(
    clips: list[Clip],
    cache_dir: Path,
    spec: CacheSpec,
    image_encoder: QueryEncoder | None = None,
    progress: bool = True,
    in_memory: bool = True,
    shard: tuple[int, int] = (0, 1),
) -> tuple[list[CachedClip], CacheReport]:
    """Decode (or load from cache) every clip and variant; return the usable ones and a report.

    ``in_memory=False`` keeps only file paths and reads arrays per batch (datasets larger than RAM).
    ``shard=(i, n)`` handles only clips i, i+n, i+2n ... so n processes can fill one cache in parallel
    (each writes its own ``index.<i>-of-<n>.json``; a later unsharded build reads them all).
    """
    from tqdm import tqdm

    cache_dir = Path(cache_dir)
    i_shard, n_shard = shard
    if not 0 <= i_shard < n_shard:
        raise ValueError(f"shard {i_shard}/{n_shard}: need 0 <= i < n")
    clips = clips[i_shard::n_shard]
    index_path = cache_dir / ("index.json" if n_shard == 1 else f"index.{i_shard}-of-{n_shard}.json")
    index: dict[str, Any] = {}
    for other in sorted(cache_dir.glob("index*.json")):
        index.update(json.loads(other.read_text()))
    report = CacheReport()
    out: list[CachedClip] = []
    dirty = 0
    for clip in tqdm(clips, desc="cache", unit="clip", disable=not progress, mininterval=2.0):
        try:
            content = clip.sha256 or sha256_file(clip.path)
        except OSError as exc:
            report.skipped.append((clip.id, f"unreadable ({exc})"))
            continue
        for variant in range(spec.variants + 1):
            key = clip_key(content, spec, variant)
            entry_id = f"{clip.id}#{variant}"
            entry = index.get(entry_id)
            path = cache_dir / "clips" / f"{key}.npz"
            if entry is not None and entry.get("key") == key and entry["status"] == "skipped":
                report.skipped.append((clip.id, entry["reason"]))
                break
            arrays = None
            if path.is_file():
                try:
                    with np.load(path) as z:
                        arrays = {k: z[k] for k in z.files} if in_memory else {}
                    report.cached += variant == 0
                except (OSError, ValueError) as exc:
                    logger.warning("%s: corrupt cache entry (%s); recomputing", path, exc)
            if arrays is None:
                try:
                    arrays = _compute(clip, spec, variant, image_encoder)
                except (MediaError, OSError, ValueError) as exc:
                    reason = str(exc)
                    logger.warning("skipping %s: %s", clip.id, reason)
                    index[entry_id] = {"key": key, "status": "skipped", "reason": reason}
                    report.skipped.append((clip.id, reason))
                    dirty += 1
                    break
                _atomic_savez(path, **arrays)
                index[entry_id] = {"key": key, "status": "ok"}
                dirty += 1
            report.ok += variant == 0
            out.append(CachedClip(clip, variant, arrays if in_memory else None, path))
            if dirty >= 50:  # persist progress now and then, so a kill loses little
                _atomic_write_text(index_path, json.dumps(index, indent=0, sort_keys=True))
                dirty = 0
    _atomic_write_text(index_path, json.dumps(index, indent=0, sort_keys=True))
    if not out:
        raise DataError(f"no usable clips out of {len(clips)}:\n{report.summary()}")
    logger.info("cache %s: %s", cache_dir, report.summary())
    return out, report


def text_embeddings(texts: list[str], encoder: QueryEncoder, cache_dir: Path) -> np.ndarray:
    """(len(texts), E) embeddings, computing only texts not yet in the cache."""
    path = Path(cache_dir) / "text" / f"{encoder.id}.npz"
    known: dict[str, np.ndarray] = {}
    if path.is_file():
        with np.load(path, allow_pickle=False) as z:
            known = dict(zip(z["texts"].tolist(), z["emb"], strict=True))
    missing = sorted({t for t in texts if t not in known})
    if missing:
        logger.info("embedding %d new texts with %s", len(missing), encoder.id)
        for i in range(0, len(missing), 256):
            batch = missing[i : i + 256]
            known.update(zip(batch, encoder.embed_texts(batch), strict=True))
        all_texts = sorted(known)
        _atomic_savez(path, texts=np.array(all_texts), emb=np.stack([known[t] for t in all_texts]).astype(np.float32))
    return np.stack([known[t] for t in texts]).astype(np.float32) if texts else np.zeros((0, encoder.dim), np.float32)
