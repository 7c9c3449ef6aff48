"""The runtime vocoder: Griffin-Lim on the pseudo-inverse, on a graph's magnitude, or a graph's STFT."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort

from sfxgen import mel as melmod
from sfxgen.bundle import GraphRole, load_bundle
from sfxgen.vocoder import Vocoder, griffin_lim, mel_to_linear
from tests.helpers.tiny_bundle import TINY_MEL, make_tiny_bundle


def _tone(seconds: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * TINY_MEL.sample_rate)) / TINY_MEL.sample_rate
    return sum(0.2 / k * np.sin(2 * np.pi * 330 * k * t) for k in range(1, 6))


def _log_mel_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(np.abs(melmod.log_mel(a, TINY_MEL) - melmod.log_mel(b, TINY_MEL))))


def test_griffin_lim_on_the_true_magnitude_beats_the_pseudo_inverse() -> None:
    """Why a learned magnitude helps: the pseudo-inverse's smeared partials are what Griffin-Lim cannot fix."""
    wave = _tone()
    true_mag = np.abs(melmod.stft(wave, TINY_MEL))[None]
    pinv = mel_to_linear(melmod.log_mel(wave, TINY_MEL)[None], TINY_MEL)
    e_true = _log_mel_error(wave, griffin_lim(true_mag, TINY_MEL, wave.size)[0])
    e_pinv = _log_mel_error(wave, griffin_lim(pinv, TINY_MEL, wave.size)[0])
    assert e_true < 0.5 * e_pinv


def test_magnitude_graph_is_phased_by_the_same_griffin_lim(tmp_path: Path) -> None:
    bundle = load_bundle(make_tiny_bundle(tmp_path / "b", vocoder_output="magnitude"))
    vocoder = Vocoder(bundle, ["CPUExecutionProvider"], num_threads=1)
    log_mel = melmod.log_mel(_tone(), bundle.mel)[None].astype(np.float32)  # (1, M, T)
    length = 4000
    got = vocoder(log_mel, length)
    (mag,) = ort.InferenceSession(str(bundle.path(GraphRole.VOCODER))).run(["magnitude"], {"mel": log_mel})
    np.testing.assert_allclose(got, griffin_lim(mag.astype(np.float64), bundle.mel, length))
    assert got.shape == (1, length) and np.isfinite(got).all()
