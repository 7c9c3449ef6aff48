"""The differentiable Griffin-Lim is the runtime's: same waves from the same phase, and gradients that teach."""

import numpy as np
import pytest
import torch

from exporters.griffin_lim import griffin_lim
from exporters.mel_torch import LogMel
from sfxgen import mel as np_mel
from sfxgen import vocoder as np_vocoder
from sfxgen.configs import MelConfig
from sfxgen.pghi import PhaseInit

MEL = MelConfig(sample_rate=8000, n_fft=256, hop_length=64, win_length=256, n_mels=16, f_max=4000.0)


def _noisy_tone(seconds: float = 0.6, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * MEL.sample_rate)) / MEL.sample_rate
    return 0.3 * np.sin(2 * np.pi * 440 * t) * np.exp(-3 * t) + 0.05 * rng.standard_normal(t.size)


def test_matches_the_runtime_griffin_lim_from_the_same_phase() -> None:
    wave = _noisy_tone()
    mag = np.abs(np_mel.stft(wave, MEL))  # (F, T)
    length = np_vocoder.num_samples(mag.shape[-1], MEL)
    expected = np_vocoder.griffin_lim(mag, MEL, length, phase_init=PhaseInit.RANDOM)  # fixed-seed phase, 32 iterations
    stft = LogMel(MEL).double()
    stft.window = torch.from_numpy(np.array(np_mel.hann_window(MEL.win_length, MEL.n_fft)))  # not via float32
    angles = torch.from_numpy(np_vocoder.initial_angles(mag.shape))[None]
    got = griffin_lim(torch.from_numpy(mag)[None], stft, angles)[0].numpy()
    assert got.shape == expected.shape == (length,)
    err = np.max(np.abs(got - expected)) / np.max(np.abs(expected))
    assert err < 1e-8, err  # measured 1e-9 (float64 both sides; the float32 window alone gives 1.5e-5)
    # and it converged somewhere useful: the magnitude is nearly consistent after 32 iterations
    assert np.linalg.norm(np.abs(np_mel.stft(got, MEL)) - mag) / np.linalg.norm(mag) < 0.25


@pytest.mark.parametrize("grad_iters", [None, 0])
def test_gradient_reaches_the_magnitude_and_lowers_the_mel_error(grad_iters: int | None) -> None:
    """One gradient step on the magnitude (through all iterations, or the synthesis only) lowers the mel error."""
    wave = torch.from_numpy(_noisy_tone()).float()[None]
    stft = LogMel(MEL)
    target = stft(wave)  # (1, M, T)
    mag = (stft.stft(wave).abs() * 0.5 + 0.01).requires_grad_(True)  # a wrong start: half the level, a floor
    torch.manual_seed(0)
    angles = torch.polar(torch.ones(mag.shape), 2 * torch.pi * torch.rand(mag.shape))

    def error(m: torch.Tensor) -> torch.Tensor:
        return torch.mean(torch.abs(stft(griffin_lim(m, stft, angles, n_iter=8, grad_iters=grad_iters)) - target))

    before = error(mag)
    before.backward()
    assert mag.grad is not None and torch.isfinite(mag.grad).all() and mag.grad.abs().sum() > 0
    with torch.no_grad():
        after = error(mag - 0.2 * mag.grad / mag.grad.abs().max() * mag.detach().max())
    assert after < before, (float(after), float(before))
