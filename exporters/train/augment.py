"""Augmentation: random gain, random crop, mild pitch + time change by resampling.

All functions take an explicit numpy Generator so a run is deterministic and
resumes exactly (the loop derives one generator per step and sample).
"""

from __future__ import annotations

import numpy as np

from exporters.train.config import AugmentConfig


def resample_factor(rng: np.random.Generator, semitones: float) -> float:
    """A playback-rate factor r = 2**(s/12), s uniform in [-semitones, semitones]."""
    return float(2.0 ** (rng.uniform(-semitones, semitones) / 12.0))


def random_gain_db(rng: np.random.Generator, config: AugmentConfig) -> float:
    return float(rng.uniform(-config.gain_db, config.gain_db)) if config.gain_db > 0 else 0.0


def mel_gain(mel: np.ndarray, gain_db: float, floor_x: float, norm_std: float) -> np.ndarray:
    """Apply a gain to a normalised log-mel: log(g * m) = log m + log g, clamped at the floor.

    Args:
        mel: (M, T) diffusion-space mel x = (log m - mean) / std.
        gain_db: gain in dB (amplitude).
        floor_x: the diffusion-space value of the log floor (silence level).
        norm_std: the mel config's norm_std.
    """
    if gain_db == 0.0:
        return mel
    shift = (gain_db / 20.0 * np.log(10.0)) / norm_std
    return np.maximum(mel + shift, floor_x).astype(np.float32)


def random_crop(length: int, crop: int, rng: np.random.Generator) -> int:
    """Start index of a random crop of ``crop`` out of ``length`` (0 when it does not fit)."""
    return int(rng.integers(0, length - crop + 1)) if length > crop else 0


def head_or_random_crop(length: int, crop: int, rng: np.random.Generator, head_prob: float) -> int:
    """Start of a crop: 0 (the clip's head, where a one-shot has its attack) with probability ``head_prob``,
    else uniform. Uniform crops of a 4 s glass break at 1.4 s almost never hold its impact."""
    if head_prob > 0 and rng.random() < head_prob:  # no draw at 0: runs without it keep their random streams
        return 0
    return random_crop(length, crop, rng)


def crop_or_pad(x: np.ndarray, start: int, crop: int, pad_value: float) -> np.ndarray:
    """x[..., start:start+crop], padded at the end with pad_value when shorter."""
    seg = x[..., start : start + crop]
    if seg.shape[-1] < crop:
        pad = np.full((*seg.shape[:-1], crop - seg.shape[-1]), pad_value, dtype=seg.dtype)
        seg = np.concatenate([seg, pad], axis=-1)
    return seg


def wave_segment(
    audio: np.ndarray, segment: int, rng: np.random.Generator, config: AugmentConfig, sample_rate: int
) -> np.ndarray:
    """A random float32 segment of an int16 waveform, with random gain and optional resampling."""
    from exporters.train.media import resample

    r = 1.0
    if config.resample_semitones > 0 and rng.uniform() < config.resample_prob:
        r = resample_factor(rng, config.resample_semitones)
    need = int(np.ceil(segment * r)) + 16 if r != 1.0 else segment
    start = random_crop(audio.shape[-1], need, rng)
    seg = audio[start : start + need].astype(np.float32) / 32767.0
    if r != 1.0 and seg.size > 32:
        seg = resample(seg, sample_rate, round(sample_rate / r))
    seg = crop_or_pad(seg, 0, segment, 0.0)
    gain = 10.0 ** (random_gain_db(rng, config) / 20.0)
    peak = float(np.max(np.abs(seg))) if seg.size else 0.0
    if peak * gain > 0.99:  # never clip
        gain = 0.99 / max(peak, 1e-9)
    return (seg * gain).astype(np.float32)
