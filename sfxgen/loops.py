"""Seamless loops: a sound's tail crossfaded into its head, so that it plays end to start without a seam.

Used on the finished waveform (``FinishSpec.loop_crossfade_ms``, sfxgen.finishing) and on the start of a loop's
generation: a start sound or library recording shorter than the loop is made a loop itself before it is
repeated, so the repeats join without a cut (sfxgen.init_audio, sfxgen.library).

Hand-written (a dozen lines of numpy): the audio libraries we use (soxr, pyloudnorm, soundfile) have no
looping, and the usual loop editors are interactive tools, not libraries.
"""

from __future__ import annotations

import numpy as np

MAX_LOOP_CROSSFADE_MS = 10_000.0
DEFAULT_LOOP_CROSSFADE_MS = 500.0  # what `--loop` alone asks for: long enough to hide a texture's seam
SEAM_WINDOW_S = 0.25  # the level either side of the seam is measured over this long


def make_loop(x: np.ndarray, sr: int, crossfade_ms: float) -> np.ndarray:
    """A seamless loop of ``x`` (S, ...) at ``sr``: its last ``crossfade_ms`` crossfaded into its head; (S - k, ...).

    Callers that want S samples out render S + k (the pipeline does). See :func:`crossfade_loop`.
    """
    n = x.shape[0]
    # at most half the clip; a sample more can be asked for when resampling rounded the length down
    k = min(round(crossfade_ms * 1e-3 * sr), n // 2)
    if k < 1:
        raise ValueError(f"finish: a {n}-sample clip is too short to loop with a {crossfade_ms:g} ms crossfade")
    return crossfade_loop(x, k)


def crossfade_loop(x: np.ndarray, k: int, *, equal_power: bool = True) -> np.ndarray:
    """``x[:S - k]`` (S, ...) whose first k samples fade from the tail ``x[S - k:]`` into the head; 0 < k <= S / 2.

    Played from its end back to its start, the result runs on from ``x[S - k - 1]`` to (nearly) ``x[S - k]``,
    consecutive samples of the original, so the seam is as smooth as the sound itself. ``equal_power`` (sin /
    cos) for waveforms: the textures one loops (rain, wind, engines) are uncorrelated between head and tail,
    where equal power keeps the level constant through the crossfade (equal gain would dip 3 dB in its
    middle). Equal gain (linear) for values that are levels already, such as log-mels.
    """
    n = x.shape[0]
    if not 0 < k <= n // 2:
        raise ValueError(f"crossfade_loop: crossfade {k} must be in 1 .. {n // 2} for {n} samples")
    t = (np.arange(k) + 0.5) / k  # (k,) 0..1 at sample centres
    fade_in, fade_out = (np.sin(0.5 * np.pi * t), np.cos(0.5 * np.pi * t)) if equal_power else (t, 1.0 - t)
    if x.ndim == 2:
        fade_in, fade_out = fade_in[:, None], fade_out[:, None]
    y = x[: n - k].copy()
    y[:k] = x[:k] * fade_in + x[n - k :] * fade_out
    return y


def seam_step_db(x: np.ndarray, sr: int) -> float:
    """How far the level jumps where a loop ``x`` (S, ...) wraps: RMS of its last vs its first 250 ms, in dB.

    A steady texture that loops well steps by less than a decibel; a sound that swells or fades over its
    length steps by as much as it changed, once per loop (a longer crossfade smooths it).
    """
    n = max(1, min(round(SEAM_WINDOW_S * sr), x.shape[0] // 2))
    tail, head = x[-n:], x[:n]
    power = [float(np.mean(np.square(a))) for a in (tail, head)]
    if min(power) <= 0:
        return 0.0 if max(power) <= 0 else float("inf")
    return abs(10.0 * np.log10(power[0] / power[1]))
