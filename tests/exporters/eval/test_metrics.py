import numpy as np
import pytest

from exporters.eval.metrics import accuracy, frechet_distance, log_mel_l1, multires_spectral_convergence
from sfxgen.configs import MelConfig


def test_frechet_distance_of_shifted_gaussians_is_squared_shift():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((20000, 4))
    b = rng.standard_normal((20000, 4)) + np.array([3.0, 0.0, 0.0, 0.0])
    assert frechet_distance(a, b) == pytest.approx(9.0, rel=0.03)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)


def test_frechet_distance_of_scaled_gaussians():
    # N(0, I) vs N(0, 4 I) in D dims: Tr(I + 4I - 2*2I) = D
    rng = np.random.default_rng(1)
    a = rng.standard_normal((40000, 3))
    b = 2.0 * rng.standard_normal((40000, 3))
    assert frechet_distance(a, b) == pytest.approx(3.0, rel=0.05)


def test_accuracy_topk():
    logits = np.array([[0.1, 0.9, 0.0], [0.8, 0.1, 0.1], [0.2, 0.3, 0.5]])
    labels = np.array([1, 2, 2])
    assert accuracy(logits, labels) == pytest.approx(2 / 3)
    assert accuracy(logits, labels, k=2) == pytest.approx(2 / 3)
    assert accuracy(logits, labels, k=3) == 1.0


def test_vocoder_errors_are_zero_for_identity_and_grow_with_noise():
    mel = MelConfig()
    rng = np.random.default_rng(0)
    t = np.arange(mel.sample_rate) / mel.sample_rate
    wave = 0.5 * np.sin(2 * np.pi * 440 * t)
    assert log_mel_l1(wave, wave, mel) == pytest.approx(0.0, abs=1e-9)
    assert multires_spectral_convergence(wave, wave, mel.sample_rate) == pytest.approx(0.0, abs=1e-9)
    small = wave + 0.001 * rng.standard_normal(len(wave))
    big = wave + 0.1 * rng.standard_normal(len(wave))
    assert log_mel_l1(wave, small, mel) < log_mel_l1(wave, big, mel)
    assert multires_spectral_convergence(wave, small, mel.sample_rate) < multires_spectral_convergence(
        wave, big, mel.sample_rate
    )
