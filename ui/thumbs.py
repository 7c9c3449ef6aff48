"""Waveform and spectrogram thumbnails as RGBA numpy images (Qt-free).

The results view wraps these arrays in ``QImage``; keeping the drawing in
numpy makes it testable without a display and fast enough to run per result.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

# (position, R, G, B) stops of a perceptual dark-to-bright colour map (close to "magma")
_CMAP_STOPS = np.array(
    [
        [0.00, 8, 9, 16],
        [0.25, 59, 15, 112],
        [0.50, 140, 41, 129],
        [0.70, 222, 73, 104],
        [0.85, 254, 159, 109],
        [1.00, 252, 253, 191],
    ],
    dtype=np.float64,
)


def load_mono(path: str | Path, max_seconds: float = 60.0) -> tuple[np.ndarray, int]:
    """Read a sound file as float32 mono ``(S,)`` and its sample rate."""
    info = sf.info(str(path))
    frames = min(info.frames, int(max_seconds * info.samplerate))
    data, sr = sf.read(str(path), frames=frames, dtype="float32", always_2d=True)  # (S, C)
    return data.mean(axis=1), int(sr)


def colormap(v: np.ndarray) -> np.ndarray:
    """Map values in [0, 1] to RGB uint8 ``(..., 3)``."""
    v = np.clip(v, 0.0, 1.0)
    rgb = [np.interp(v, _CMAP_STOPS[:, 0], _CMAP_STOPS[:, c]) for c in (1, 2, 3)]
    return np.stack(rgb, axis=-1).astype(np.uint8)


def waveform_rgba(
    samples: np.ndarray,
    width: int,
    height: int,
    color: tuple[int, int, int] = (94, 200, 255),
    background: tuple[int, int, int, int] = (0, 0, 0, 0),
) -> np.ndarray:
    """Min/max peak drawing of ``samples (S,)`` into an RGBA image ``(height, width, 4)`` uint8."""
    img = np.empty((height, width, 4), dtype=np.uint8)
    img[:] = background
    mid = (height - 1) / 2.0
    img[round(mid), :, :3] = (60, 66, 78)  # zero line
    img[round(mid), :, 3] = 255
    if samples.size == 0:
        return img
    edges = np.linspace(0, samples.size, width + 1).astype(np.int64)
    edges[1:] = np.maximum(edges[1:], edges[:-1] + 1)
    edges = np.minimum(edges, samples.size)
    lo = np.minimum.reduceat(samples, edges[:-1].clip(max=samples.size - 1))  # (width,)
    hi = np.maximum.reduceat(samples, edges[:-1].clip(max=samples.size - 1))
    peak = max(float(np.abs(samples).max()), 1e-9)
    scale = mid / peak * 0.95
    top = np.clip(np.floor(mid - hi * scale), 0, height - 1).astype(np.int64)
    bottom = np.clip(np.ceil(mid - lo * scale), 0, height - 1).astype(np.int64)
    rows = np.arange(height)[:, None]  # (H, 1)
    mask = (rows >= top[None, :]) & (rows <= bottom[None, :])  # (H, W)
    # brighter core, dimmer tips: a slight vertical gradient reads as "level"
    shade = 1.0 - 0.45 * np.abs(rows - mid) / max(mid, 1.0)  # (H, 1)
    for c in range(3):
        channel = np.broadcast_to(color[c] * shade, (height, width))
        img[..., c] = np.where(mask, channel, img[..., c]).astype(np.uint8)
    img[..., 3] = np.where(mask, 255, img[..., 3])
    return img


def spectrogram_rgba(
    samples: np.ndarray, sample_rate: int, width: int, height: int, n_fft: int = 512, top_db: float = 80.0
) -> np.ndarray:
    """Log-frequency, dB-scaled magnitude spectrogram as RGBA ``(height, width, 4)`` uint8."""
    if samples.size < n_fft:
        samples = np.pad(samples, (0, n_fft - samples.size))
    starts = np.linspace(0, samples.size - n_fft, width).astype(np.int64)  # one frame per column
    idx = starts[:, None] + np.arange(n_fft)[None, :]  # (W, n_fft)
    frames = samples[idx] * np.hanning(n_fft)[None, :].astype(np.float32)
    mag = np.abs(np.fft.rfft(frames, axis=1))  # (W, F)
    db = 20.0 * np.log10(np.maximum(mag, 1e-10))
    db = np.maximum(db, db.max() - top_db)
    norm = (db - db.min()) / max(float(db.max() - db.min()), 1e-9)  # (W, F) in [0, 1]
    # log-spaced frequency rows from ~40 Hz to Nyquist, low frequencies at the bottom
    n_bins = norm.shape[1]
    f_lo = max(1.0, 40.0 * n_fft / sample_rate)
    bins = np.geomspace(f_lo, n_bins - 1, height)[::-1]  # (H,)
    rows = np.stack([np.interp(bins, np.arange(n_bins), col) for col in norm], axis=1)  # (H, W)
    img = np.empty((height, width, 4), dtype=np.uint8)
    img[..., :3] = colormap(rows)
    img[..., 3] = 255
    return img
