"""The user's start sound ("init audio"): checked, measured and read for SDEdit variations.

soundfile reads it (WAV, FLAC, OGG, AIFF...), soxr resamples it to the model rate.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from sfxgen.bundle import sha256_file
from sfxgen.errors import RequestError
from sfxgen.loops import crossfade_loop
from sfxgen.request import MAX_DURATION, MIN_DURATION

INIT_PEAK_DBFS = -3.0  # the start sound's peak: in the corpus's level range whatever the user's file level
SILENT_PEAK = 1e-6  # below this the file holds no sound to vary


def audio_seconds(path: str | Path) -> float | None:
    """Length of a readable, non-empty sound file in seconds, else None."""
    try:
        info = sf.info(str(path))
    except (OSError, RuntimeError):  # missing file, or libsndfile cannot read it
        return None
    return float(info.duration) if info.frames > 0 else None


def init_duration(path: str | Path, fallback: float) -> float:
    """The start sound's length within the request limits (fallback when unreadable: the check says why)."""
    seconds = audio_seconds(path)
    if seconds is None:
        return fallback
    return float(min(MAX_DURATION, max(MIN_DURATION, round(seconds, 3))))


def _read_mono(path: Path) -> tuple[np.ndarray, int]:
    x, sr = sf.read(str(path), dtype="float64", always_2d=True)
    return x.mean(axis=1), int(sr)


def read_audio(path: Path, sample_rate: int) -> np.ndarray:
    """(S,) float64 mono of a sound file at sample_rate (soxr VHQ when the file's rate differs)."""
    x, sr = _read_mono(path)
    return soxr.resample(x, sr, sample_rate, quality="VHQ") if sr != sample_rate else x


def check_init_audio(path: Path) -> str:
    """sha256 of a readable sound file with some sound in it; RequestError naming the fix otherwise."""
    if not path.is_file():
        raise RequestError(f"init audio {path} does not exist or is not a file; check the path")
    try:
        digest = sha256_file(path)
        x, _ = _read_mono(path)
    except (OSError, RuntimeError) as exc:  # soundfile raises LibsndfileError (a RuntimeError) on bad files
        raise RequestError(f"init audio {path} is not a readable sound file ({exc}); use WAV, FLAC or OGG") from exc
    if x.size == 0 or float(np.max(np.abs(x))) < SILENT_PEAK:
        raise RequestError(f"init audio {path} is empty or silent; give a sound with some audio in it")
    return digest


def load_init_audio(path: Path, sample_rate: int, num_samples: int, *, loop_seam: int = 0) -> np.ndarray:
    """(num_samples,) float64 mono at sample_rate, peak at INIT_PEAK_DBFS, cropped, or silence-padded.

    ``loop_seam`` > 0 (samples): the start of a loop. A sound shorter than num_samples runs on into itself
    instead of into silence: made a loop with that crossfade (at most half of it), then repeated.
    """
    x = read_audio(path, sample_rate)
    x = x * (10 ** (INIT_PEAK_DBFS / 20) / max(float(np.max(np.abs(x))), SILENT_PEAK))
    if loop_seam > 0 and x.size < num_samples:
        if x.size >= 2:
            x = crossfade_loop(x, min(loop_seam, x.size // 2))
        return np.resize(x, num_samples)  # np.resize repeats the array to fill
    return np.pad(x[:num_samples], (0, max(0, num_samples - x.size)))
