"""Log-mel front end and STFT in numpy, matched bit-for-bit in spirit by the torch side.

Conventions (the training code in ``exporters`` uses the same):
  * periodic Hann window, ``center=True`` with reflect padding (torch.stft defaults);
  * magnitude (power 1) STFT, slaney mel scale with slaney area norm (librosa's default);
  * x = (log(max(mel, log_floor)) - norm_mean) / norm_std is the diffusion space.

The filterbank is written out here (30 lines) instead of importing librosa,
which would pull numba (~400 MB) into the runtime for one matrix; a test
compares it to librosa when librosa is installed.
"""

from __future__ import annotations

import functools

import numpy as np

from sfxgen.configs import MelConfig


def hz_to_mel(f: np.ndarray) -> np.ndarray:
    """Slaney mel scale: linear below 1 kHz, logarithmic above."""
    f = np.asarray(f, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_hz, logstep = 1000.0, np.log(6.4) / 27.0
    mel = f / f_sp
    log_part = min_log_hz / f_sp + np.log(np.maximum(f, min_log_hz) / min_log_hz) / logstep
    return np.where(f >= min_log_hz, log_part, mel)


def mel_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_hz, logstep = 1000.0, np.log(6.4) / 27.0
    min_log_mel = min_log_hz / f_sp
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


@functools.lru_cache(maxsize=8)
def mel_filterbank(config: MelConfig) -> np.ndarray:
    """(n_mels, n_fft // 2 + 1) float64 slaney-normalised triangular filters."""
    n_freqs = config.n_fft // 2 + 1
    fft_freqs = np.linspace(0.0, config.sample_rate / 2, n_freqs)
    mel_pts = mel_to_hz(np.linspace(hz_to_mel(config.f_min), hz_to_mel(config.f_max), config.n_mels + 2))
    fdiff = np.diff(mel_pts)
    ramps = mel_pts[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_pts[2:] - mel_pts[:-2]))[:, None]  # slaney area norm
    weights.setflags(write=False)
    return weights


@functools.lru_cache(maxsize=8)
def hann_window(win_length: int, n_fft: int) -> np.ndarray:
    """Periodic Hann window (torch.hann_window default), zero-padded to n_fft, centred."""
    n = np.arange(win_length, dtype=np.float64)
    w = 0.5 - 0.5 * np.cos(2.0 * np.pi * n / win_length)
    left = (n_fft - win_length) // 2
    out = np.zeros(n_fft, dtype=np.float64)
    out[left : left + win_length] = w
    out.setflags(write=False)
    return out


def num_frames(num_samples: int, config: MelConfig) -> int:
    """Frames a centred STFT gives for a signal of num_samples."""
    return 1 + num_samples // config.hop_length


def stft(wave: np.ndarray, config: MelConfig) -> np.ndarray:
    """Complex STFT (..., n_fft//2 + 1, frames) of wave (..., samples), centred, reflect padded."""
    wave = np.asarray(wave, dtype=np.float64)
    pad = config.n_fft // 2
    mode = "reflect" if wave.shape[-1] > pad else "constant"
    padded = np.pad(wave, [(0, 0)] * (wave.ndim - 1) + [(pad, pad)], mode=mode)
    windows = np.lib.stride_tricks.sliding_window_view(padded, config.n_fft, axis=-1)  # a view, no copy
    window = hann_window(config.win_length, config.n_fft)
    frames = windows[..., :: config.hop_length, :] * window  # (..., frames, n_fft)
    return np.swapaxes(np.fft.rfft(frames, axis=-1), -1, -2)


def istft(spec: np.ndarray, config: MelConfig, length: int | None = None) -> np.ndarray:
    """Inverse of :func:`stft` by windowed overlap-add (torch.istft semantics)."""
    window = hann_window(config.win_length, config.n_fft)
    frames = np.fft.irfft(np.swapaxes(spec, -1, -2), n=config.n_fft, axis=-1) * window  # (..., F, n_fft)
    n_frames = frames.shape[-2]
    total = config.n_fft + config.hop_length * (n_frames - 1)
    out = np.zeros((*frames.shape[:-2], total), dtype=np.float64)
    norm = np.zeros(total, dtype=np.float64)
    for i in range(n_frames):  # overlap-add; n_frames is small (hundreds) so a loop is fine
        sl = slice(i * config.hop_length, i * config.hop_length + config.n_fft)
        out[..., sl] += frames[..., i, :]
        norm[sl] += window**2
    pad = config.n_fft // 2
    out = out[..., pad : total - pad]
    norm = norm[pad : total - pad]
    out = out / np.where(norm > 1e-11, norm, 1.0)
    if length is not None:
        out = (
            out[..., :length]
            if out.shape[-1] >= length
            else np.pad(out, [(0, 0)] * (out.ndim - 1) + [(0, length - out.shape[-1])])
        )
    return out


def log_mel(wave: np.ndarray, config: MelConfig) -> np.ndarray:
    """Natural-log magnitude mel (..., n_mels, frames) of wave (..., samples)."""
    mag = np.abs(stft(wave, config))
    mel = np.einsum("mf,...ft->...mt", mel_filterbank(config), mag)
    return np.log(np.maximum(mel, config.log_floor))


def normalize(log_mel_spec: np.ndarray, config: MelConfig) -> np.ndarray:
    """log-mel -> diffusion space x."""
    return (log_mel_spec - config.norm_mean) / config.norm_std


def denormalize(x: np.ndarray, config: MelConfig) -> np.ndarray:
    """Diffusion space x -> log-mel."""
    return x * config.norm_std + config.norm_mean
