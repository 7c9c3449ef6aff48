"""Mel -> waveform: the bundle's neural vocoder, else Griffin-Lim in numpy.

A neural vocoder's graph returns the waveform, a complex STFT (``spec_real``, ``spec_imag``),
which we finish with :func:`sfxgen.mel.istft` (ONNX has no ISTFT op), or a linear
``magnitude`` (a mel-to-linear post-net, Tacotron-style), which we phase by Griffin-Lim: the
default bundle's, trained through a torch twin of :func:`griffin_lim` (exporters/griffin_lim.py).
Without a vocoder graph: mel pseudo-inverse to a linear magnitude, then the same fast
Griffin-Lim (Perraudin et al. 2013, momentum 0.99). Griffin-Lim starts from the magnitude's
PGHI phase (:mod:`sfxgen.pghi`; bins too quiet for it, and files written before it, from a
fixed-seed random phase), so it is deterministic.
"""

from __future__ import annotations

import logging

import numpy as np

from sfxgen import mel as melmod
from sfxgen.bundle import Bundle, GraphRole, VocoderOutput
from sfxgen.configs import MelConfig
from sfxgen.pghi import PhaseInit, pghi_phase
from sfxgen.sessions import make_session

log = logging.getLogger(__name__)

GL_ITERS = 32
GL_MOMENTUM = 0.99
GL_SEED = 0


def num_samples(num_frames: int, config: MelConfig) -> int:
    """Samples covered by num_frames centred STFT frames (inverse of :func:`sfxgen.mel.num_frames`)."""
    return (num_frames - 1) * config.hop_length


def mel_to_linear(log_mel: np.ndarray, config: MelConfig) -> np.ndarray:
    """Natural-log mel (..., M, T) -> non-negative linear magnitude (..., F, T) by the filterbank pseudo-inverse."""
    fb = melmod.mel_filterbank(config)  # (M, F)
    mag = np.einsum("fm,...mt->...ft", np.linalg.pinv(fb), np.exp(log_mel))
    return np.maximum(mag, 0.0)


def _overlap_add(frames: np.ndarray, hop: int) -> np.ndarray:
    """Sum frames (..., n, K) placed every ``hop`` samples -> (..., K + hop * (n - 1)); vectorised when hop | K."""
    n, K = frames.shape[-2:]
    total = K + hop * (n - 1)
    if K % hop:
        out = np.zeros((*frames.shape[:-2], total))
        for i in range(n):
            out[..., i * hop : i * hop + K] += frames[..., i, :]
        return out
    r = K // hop
    blocks = frames.reshape((*frames.shape[:-1], r, hop))  # (..., n, r, hop)
    out = np.zeros((*frames.shape[:-2], n + r - 1, hop))
    for j in range(r):  # r = n_fft / hop (4..8): a handful of vectorised adds
        out[..., j : j + n, :] += blocks[..., :, j, :]
    return out.reshape((*frames.shape[:-2], total))


def _window_norm(num_frames: int, config: MelConfig) -> np.ndarray:
    """Overlap-added squared window of num_frames centred frames, floored at 1 where ~0: the ISTFT divisor."""
    window = melmod.hann_window(config.win_length, config.n_fft)
    norm = _overlap_add(np.broadcast_to(window**2, (num_frames, config.n_fft)), config.hop_length)
    pad = config.n_fft // 2
    norm = norm[pad:-pad]
    return np.where(norm > 1e-11, norm, 1.0)


def fast_istft(spec: np.ndarray, config: MelConfig, length: int, norm: np.ndarray | None = None) -> np.ndarray:
    """Same result as :func:`sfxgen.mel.istft` (windowed overlap-add, centred), vectorised over frames.

    ``norm``: :func:`_window_norm` of the frame count, when the caller reuses it across calls.
    """
    window = melmod.hann_window(config.win_length, config.n_fft)
    frames = np.fft.irfft(np.swapaxes(spec, -1, -2), n=config.n_fft, axis=-1) * window  # (..., T, n_fft)
    out = _overlap_add(frames, config.hop_length)
    pad = config.n_fft // 2
    out = out[..., pad:-pad] / (_window_norm(frames.shape[-2], config) if norm is None else norm)
    if out.shape[-1] >= length:
        return out[..., :length]
    return np.pad(out, [(0, 0)] * (out.ndim - 1) + [(0, length - out.shape[-1])])


def initial_angles(shape: tuple[int, ...]) -> np.ndarray:
    """Griffin-Lim's fixed-seed initial phase factors exp(i phi), phi ~ U[0, 2 pi), of a magnitude's shape."""
    rng = np.random.default_rng(GL_SEED)
    return np.exp(2j * np.pi * rng.random(shape))


def start_angles(magnitude: np.ndarray, config: MelConfig, phase_init: PhaseInit) -> np.ndarray:
    """Griffin-Lim's start exp(i phi) (..., F, T): PGHI's phase, the fixed-seed random one where it has none."""
    angles = initial_angles(magnitude.shape)
    if PhaseInit(phase_init) is PhaseInit.RANDOM:
        return angles
    phase = pghi_phase(magnitude, config)  # NaN in bins under its tolerance
    return np.where(np.isnan(phase), angles, np.exp(1j * np.nan_to_num(phase)))


def griffin_lim(
    magnitude: np.ndarray,
    config: MelConfig,
    length: int,
    n_iter: int = GL_ITERS,
    phase_init: PhaseInit = PhaseInit.PGHI,
) -> np.ndarray:
    """Fast Griffin-Lim: linear magnitude (..., F, T) -> waveform (..., length), deterministic."""
    full = num_samples(magnitude.shape[-1], config)  # iterate on every frame, crop at the end
    angles = start_angles(magnitude, config, phase_init)
    norm = _window_norm(magnitude.shape[-1], config)
    prev = np.zeros_like(angles)
    for _ in range(n_iter):
        wave = fast_istft(magnitude * angles, config, full, norm)
        rebuilt = melmod.stft(wave, config)  # (..., F, T)
        # in place and by a real reciprocal: on these CPUs fresh 6 MB temporaries (page faults) and a
        # complex / real division cost more than the FFTs; the result is the same
        prev *= -GL_MOMENTUM / (1.0 + GL_MOMENTUM)
        prev += rebuilt  # accel = rebuilt - momentum / (1 + momentum) * prev
        accel, prev = prev, rebuilt
        angles = accel * (1.0 / np.maximum(np.abs(accel), 1e-16))
    return fast_istft(magnitude * angles, config, length, norm)


class Vocoder:
    """Turns natural-log mel (N, M, T) into waveforms (N, S) float64 at ``bundle.mel.sample_rate``."""

    def __init__(self, bundle: Bundle, providers: list[str], num_threads: int | None = None) -> None:
        self.config = bundle.mel
        self.output = bundle.vocoder_output
        self.session = (
            make_session(bundle.path(GraphRole.VOCODER), providers, num_threads)
            if bundle.has(GraphRole.VOCODER)
            else None
        )

    @property
    def kind(self) -> str:
        if self.session is None:
            return "griffin_lim"
        if self.output is VocoderOutput.MAGNITUDE:
            return "neural magnitude + griffin_lim"
        return f"neural ({self.output.value})"  # type: ignore[union-attr]

    def __call__(self, log_mel: np.ndarray, length: int, phase_init: PhaseInit = PhaseInit.PGHI) -> np.ndarray:
        """log_mel (N, M, T) natural log -> waveform (N, length) float64 (cropped or zero-padded).

        ``phase_init``: where Griffin-Lim starts (ignored by vocoders that return a phase or a wave).
        """
        if self.session is None:
            return griffin_lim(mel_to_linear(log_mel, self.config), self.config, length, phase_init=phase_init)
        feeds = {"mel": np.ascontiguousarray(log_mel, dtype=np.float32)}
        if self.output is VocoderOutput.MAGNITUDE:
            (mag,) = self.session.run(["magnitude"], feeds)  # (N, F, T)
            return griffin_lim(mag.astype(np.float64), self.config, length, phase_init=phase_init)
        if self.output is VocoderOutput.STFT:
            real, imag = self.session.run(["spec_real", "spec_imag"], feeds)  # (N, F, T) each
            spec = real.astype(np.float64) + 1j * imag.astype(np.float64)
            return melmod.istft(spec, self.config, length=length)
        (wave,) = self.session.run(["waveform"], feeds)  # (N, S')
        wave = wave.astype(np.float64)
        if wave.shape[-1] >= length:
            return wave[..., :length]
        return np.pad(wave, [(0, 0), (0, length - wave.shape[-1])])
