"""Finishing: turn a raw model waveform into a delivery-ready signal, and measure it.

Steps of :func:`finish`, in order (each one documented where it happens):

1. check the input (finite, 1-D ``(S,)`` or 2-D ``(S, C)``), promote to float64;
2. resample to the delivery rate with soxr, quality "VHQ";
3. DC removal: subtract the mean, then a 1st-order DC-blocking high-pass at 5 Hz
   (the mean removes the offset without a start-up transient; the high-pass removes slow
   drift that vocoders leave; 5 Hz is far below any content we care about);
4. optional silence trim, threshold relative to the clip's own peak; or, for a loop, the clip's
   tail crossfaded into its head (:func:`make_loop`);
5. raised-cosine fades in/out (not on a loop: its ends must meet);
6. gain: loudness target (ITU-R BS.1770 integrated loudness via pyloudnorm) or peak
   normalisation to ``peak_dbfs``; in both cases the sample peak never exceeds ``peak_dbfs``
   (we never clip, never limit: if the loudness target would break the ceiling, the file is
   quieter than the target and a warning is logged);
7. measurements: sample peak, true peak (4x oversampled with soxr), integrated loudness,
   loudness range (EBU Tech 3342), max momentary (400 ms) and max short-term (3 s) loudness.

BS.1770 needs at least one 400 ms gating block: for shorter clips integrated loudness is
undefined and reported as ``None``; a loudness *target* on such a clip is met on a tiled copy
of the clip (the loudness the sound has when repeated), which keeps one-shots level-matched.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import math
from typing import Any

import numpy as np
import pyloudnorm
import soxr
from scipy.signal import lfilter

from sfxgen.loops import MAX_LOOP_CROSSFADE_MS, make_loop, seam_step_db

logger = logging.getLogger(__name__)

BS1770_BLOCK_S = 0.4  # gating block of ITU-R BS.1770 (s)
SHORT_TERM_S = 3.0  # EBU R128 short-term window (s)
TRUE_PEAK_OVERSAMPLE = 4  # ITU-R BS.1770 Annex 2 true-peak oversampling factor
DC_CUTOFF_HZ = 5.0  # DC-blocking high-pass corner
TRIM_PAD_S = 0.005  # kept around the sound when trimming silence
SUPPORTED_RATES = (22050, 24000, 32000, 44100, 48000, 88200, 96000)


class BitDepth(enum.StrEnum):
    """Sample format of the delivered WAV."""

    PCM16 = "pcm16"
    PCM24 = "pcm24"
    FLOAT32 = "float32"

    @property
    def bits(self) -> int:
        return {"pcm16": 16, "pcm24": 24, "float32": 32}[self.value]


@dataclasses.dataclass(frozen=True)
class FinishSpec:
    """How a generated waveform is finished for delivery."""

    sample_rate: int = 48000  # delivery rate in Hz (48000 default, 44100 selectable)
    bit_depth: BitDepth = BitDepth.PCM24  # sample format of the written file
    peak_dbfs: float = -1.0  # sample-peak ceiling in dBFS (never clip); also the peak-normalisation target
    loudness_lufs: float | None = None  # integrated loudness target (BS.1770); None = peak-normalise
    fade_in_ms: float = 2.0  # raised-cosine fade-in length
    fade_out_ms: float = 20.0  # raised-cosine fade-out length
    remove_dc: bool = True  # mean removal + 5 Hz DC-blocking high-pass
    trim_silence: bool = False  # cut leading/trailing silence
    trim_threshold_db: float = -60.0  # silence = below this level relative to the clip's peak (dB)
    loop_crossfade_ms: float = 0.0  # > 0: a seamless loop, its tail crossfaded into its head over this long

    @property
    def loop(self) -> bool:
        return self.loop_crossfade_ms > 0

    def __post_init__(self) -> None:
        if isinstance(self.bit_depth, str) and not isinstance(self.bit_depth, BitDepth):
            try:
                object.__setattr__(self, "bit_depth", BitDepth(self.bit_depth))
            except ValueError:
                raise ValueError(f"bit_depth {self.bit_depth!r} is not one of {[b.value for b in BitDepth]}") from None
        if not isinstance(self.sample_rate, int) or self.sample_rate not in SUPPORTED_RATES:
            raise ValueError(f"sample_rate {self.sample_rate!r} is not one of {list(SUPPORTED_RATES)}")
        if not _finite(self.peak_dbfs) or not -60.0 <= self.peak_dbfs <= 0.0:
            raise ValueError(f"peak_dbfs {self.peak_dbfs!r} must be in [-60, 0] dBFS")
        if self.loudness_lufs is not None and (not _finite(self.loudness_lufs) or not -70 <= self.loudness_lufs <= 0):
            raise ValueError(f"loudness_lufs {self.loudness_lufs!r} must be in [-70, 0] LUFS or None")
        for name in ("fade_in_ms", "fade_out_ms"):
            v = getattr(self, name)
            if not _finite(v) or not 0 <= v <= 10_000:
                raise ValueError(f"{name} {v!r} must be in [0, 10000] ms")
        if not _finite(self.trim_threshold_db) or not -120 <= self.trim_threshold_db < 0:
            raise ValueError(f"trim_threshold_db {self.trim_threshold_db!r} must be in [-120, 0) dB")
        if not _finite(self.loop_crossfade_ms) or not 0 <= self.loop_crossfade_ms <= MAX_LOOP_CROSSFADE_MS:
            limit = f"[0, {MAX_LOOP_CROSSFADE_MS:g}] ms (0 = no loop)"
            raise ValueError(f"loop_crossfade_ms {self.loop_crossfade_ms!r} must be in {limit}")
        if self.loop and self.trim_silence:
            raise ValueError("a loop cannot have its silence trimmed: choose loop_crossfade_ms or trim_silence")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (recorded in every recipe; ``loop_crossfade_ms`` only for loops, as recipes before it)."""
        out = dataclasses.asdict(self)
        out["bit_depth"] = self.bit_depth.value
        if not self.loop:
            del out["loop_crossfade_ms"]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "finish") -> FinishSpec:
        """Inverse of :meth:`to_dict`; unknown keys and bad values raise ValueError naming ``where``."""
        if not isinstance(data, dict):
            raise ValueError(f"{where}: expected a table/object, got {type(data).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {unknown}; known keys are {sorted(known)}")
        try:
            return cls(**data)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where}: {exc}") from exc


@dataclasses.dataclass(frozen=True)
class FinishedAudio:
    """A finished signal and its measurements."""

    samples: np.ndarray  # (S,) mono or (S, C) float64 in [-1, 1]
    sample_rate: int  # Hz
    peak_dbfs: float  # sample peak (-inf for silence)
    true_peak_dbtp: float  # 4x-oversampled true peak (-inf for silence)
    lufs: float | None  # integrated loudness (None if < 400 ms or silent)
    loudness_range: float | None  # LRA in LU (None if too short or too quiet)
    max_momentary_lufs: float | None = None  # max 400 ms loudness (None if < 400 ms or silent)
    max_short_term_lufs: float | None = None  # max 3 s loudness (None if < 3 s or silent)
    loop: bool = False  # made to loop seamlessly from its last sample to its first (written as a smpl loop)
    loop_seam_db: float | None = None  # a loop's level step where it wraps (sfxgen.loops.seam_step_db)

    @property
    def frames(self) -> int:
        return int(self.samples.shape[0])

    @property
    def channels(self) -> int:
        return 1 if self.samples.ndim == 1 else int(self.samples.shape[1])

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate


def _finite(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def db(x: float) -> float:
    """Amplitude ratio -> dB (-inf for 0)."""
    return 20.0 * math.log10(x) if x > 0 else -math.inf


def finish(wave: np.ndarray, sample_rate: int, spec: FinishSpec = FinishSpec()) -> FinishedAudio:
    """Finish a raw waveform for delivery (see the module docstring for the steps).

    Args:
        wave: (S,) or (S, C) samples at ``sample_rate``, any float dtype.
        sample_rate: rate of ``wave`` in Hz.
        spec: how to finish.

    Returns:
        The finished float64 signal at ``spec.sample_rate`` with its measurements.
    """
    # 1. check inputs
    x = np.asarray(wave, dtype=np.float64)
    if x.ndim not in (1, 2) or x.shape[0] == 0 or (x.ndim == 2 and not 1 <= x.shape[1] <= 2):
        raise ValueError(f"finish: expected (S,) or (S, C<=2) samples with S > 0, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("finish: the waveform contains NaN or inf (the model diverged); try other steps/guidance")
    if not isinstance(sample_rate, int) or sample_rate <= 0:
        raise ValueError(f"finish: sample_rate must be a positive int, got {sample_rate!r}")

    # 2. resample (soxr VHQ)
    if sample_rate != spec.sample_rate:
        x = soxr.resample(x, sample_rate, spec.sample_rate, quality="VHQ")
    sr = spec.sample_rate

    # 3. DC removal: mean, then 1st-order DC blocker y[n] = x[n] - x[n-1] + R y[n-1]
    if spec.remove_dc:
        x = x - x.mean(axis=0)
        r = math.exp(-2.0 * math.pi * DC_CUTOFF_HZ / sr)
        x = lfilter([1.0, -1.0], [1.0, -r], x, axis=0)

    # 4. silence trim (threshold relative to the peak so it works before gain), or the loop seam
    if spec.trim_silence:
        x = trim_silence(x, sr, spec.trim_threshold_db)
    if spec.loop:
        x = make_loop(x, sr, spec.loop_crossfade_ms)  # (S, ...) -> (S - crossfade, ...)

    # 5. fades (a loop has none: its last sample leads into its first)
    if not spec.loop:
        x = apply_fades(x, sr, spec.fade_in_ms, spec.fade_out_ms)

    # 6. gain
    x = _apply_gain(x, sr, spec)

    # 7. measure
    seam = seam_step_db(x, sr) if spec.loop else None
    return dataclasses.replace(measure(x, sr), loop=spec.loop, loop_seam_db=seam)


def trim_silence(x: np.ndarray, sr: int, threshold_db: float) -> np.ndarray:
    """Cut leading/trailing samples quieter than ``threshold_db`` below the peak (keeps 5 ms pad)."""
    env = np.abs(x) if x.ndim == 1 else np.abs(x).max(axis=1)
    peak = float(env.max())
    if peak <= 0:
        return x
    loud = np.flatnonzero(env >= peak * 10 ** (threshold_db / 20))
    pad = int(TRIM_PAD_S * sr)
    start, stop = max(int(loud[0]) - pad, 0), min(int(loud[-1]) + 1 + pad, len(env))
    return x[start:stop]


def apply_fades(x: np.ndarray, sr: int, fade_in_ms: float, fade_out_ms: float) -> np.ndarray:
    """Raised-cosine fades; each is limited to half the clip so they never overlap."""
    n = x.shape[0]
    x = x.copy()
    for ms, is_in in ((fade_in_ms, True), (fade_out_ms, False)):
        k = min(round(ms * 1e-3 * sr), n // 2)
        if k <= 0:
            continue
        ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(k) + 0.5) / k)  # (k,) rising 0..1, never exactly 0 or 1
        if not is_in:
            ramp = ramp[::-1]
        ramp = ramp if x.ndim == 1 else ramp[:, None]
        if is_in:
            x[:k] *= ramp
        else:
            x[n - k :] *= ramp
    return x


def _apply_gain(x: np.ndarray, sr: int, spec: FinishSpec) -> np.ndarray:
    peak = float(np.max(np.abs(x)))
    if peak <= 0:
        return x  # digital silence: nothing to normalise
    ceiling = 10 ** (spec.peak_dbfs / 20)
    if spec.loudness_lufs is None:
        return x * (ceiling / peak)
    lufs = integrated_loudness(x, sr, allow_short=True)
    if lufs is None:
        logger.warning("finish: clip is below the -70 LUFS gate; peak-normalising instead of loudness target")
        return x * (ceiling / peak)
    gain = 10 ** ((spec.loudness_lufs - lufs) / 20)
    if peak * gain > ceiling:
        logger.warning(
            "finish: loudness target %.1f LUFS would put the peak at %.1f dBFS; holding the %.1f dBFS ceiling "
            "(file ends up at %.1f LUFS)",
            spec.loudness_lufs, db(peak * gain), spec.peak_dbfs, lufs + db(ceiling / peak),
        )  # fmt: skip
        gain = ceiling / peak
    return x * gain


def _meter(sr: int) -> pyloudnorm.Meter:
    return pyloudnorm.Meter(sr)  # BS.1770-4 K-weighting, 400 ms blocks, 75 % overlap


def integrated_loudness(x: np.ndarray, sr: int, allow_short: bool = False) -> float | None:
    """BS.1770 integrated loudness in LUFS, or None if silent (below the -70 LUFS gate).

    Clips shorter than one 400 ms block return None, unless ``allow_short``: then the clip
    is tiled up to 400 ms and the loudness of the repeated sound is returned.
    """
    n_block = math.ceil(BS1770_BLOCK_S * sr)
    if x.shape[0] < n_block + 1:
        if not allow_short:
            return None
        reps = math.ceil((n_block + 1) / x.shape[0])
        x = np.concatenate([x] * reps, axis=0)
    value = float(_meter(sr).integrated_loudness(x))
    return value if math.isfinite(value) and value > -70.0 else None


def true_peak(x: np.ndarray, sr: int) -> float:
    """True peak in dBTP: max |x| of a 4x oversampled (soxr VHQ) copy, never below the sample peak."""
    up = soxr.resample(x, sr, sr * TRUE_PEAK_OVERSAMPLE, quality="VHQ")
    return db(max(float(np.max(np.abs(up))), float(np.max(np.abs(x)))))


def _window_loudness_max(kx: np.ndarray, sr: int, window_s: float) -> float | None:
    """Max loudness over sliding windows of the K-weighted signal ``kx`` (S, C), 10 Hz hop."""
    n = round(window_s * sr)
    if kx.shape[0] < n:
        return None
    power = np.concatenate([np.zeros((1, kx.shape[1])), np.cumsum(kx**2, axis=0)])  # (S+1, C)
    starts = np.arange(0, kx.shape[0] - n + 1, max(int(sr * 0.1), 1))
    ms = (power[starts + n] - power[starts]) / n  # (windows, C) mean square per channel
    total = ms.sum(axis=1)  # channel gains G = 1 for L/R
    best = float(total.max())
    if best <= 0:
        return None
    value = -0.691 + 10 * math.log10(best)
    return value if value > -70.0 else None


def measure(x: np.ndarray, sr: int) -> FinishedAudio:
    """Measure a finished signal: peaks and EBU R128 loudness figures."""
    peak = float(np.max(np.abs(x)))
    lufs = integrated_loudness(x, sr) if peak > 0 else None
    lra = mom = st = None
    if lufs is not None:
        meter = _meter(sr)
        if x.shape[0] >= int(SHORT_TERM_S * sr):
            value = float(meter.loudness_range(x))
            lra = value if math.isfinite(value) else None
        kx = x.reshape(x.shape[0], -1).copy()
        for stage in meter._filters.values():  # the same K-weighting pyloudnorm measured with
            for c in range(kx.shape[1]):
                kx[:, c] = stage.apply_filter(kx[:, c])
        mom = _window_loudness_max(kx, sr, BS1770_BLOCK_S)
        st = _window_loudness_max(kx, sr, SHORT_TERM_S)
    return FinishedAudio(
        samples=x,
        sample_rate=sr,
        peak_dbfs=db(peak),
        true_peak_dbtp=true_peak(x, sr) if peak > 0 else -math.inf,
        lufs=lufs,
        loudness_range=lra,
        max_momentary_lufs=mom,
        max_short_term_lufs=st,
    )
