import numpy as np
import pytest
import torch

from exporters.mel_torch import LogMel
from sfxgen import mel as np_mel
from sfxgen.configs import MelConfig


@pytest.mark.parametrize("samples", [8192, 5000, 300])
def test_matches_numpy(samples: int) -> None:
    cfg = MelConfig()
    rng = np.random.default_rng(0)
    t = np.arange(samples) / cfg.sample_rate
    wave = 0.5 * np.sin(2 * np.pi * 440 * t) + 0.05 * rng.standard_normal(samples)
    wave = np.stack([wave, 0.1 * wave[::-1]])
    ref = np_mel.log_mel(wave, cfg)
    got = LogMel(cfg)(torch.tensor(wave, dtype=torch.float32)).double().numpy()
    assert got.shape == ref.shape == (2, cfg.n_mels, np_mel.num_frames(samples, cfg))
    np.testing.assert_allclose(got, ref, atol=2e-3)  # float32 STFT vs float64


def test_other_config_and_normalize() -> None:
    cfg = MelConfig(sample_rate=16000, n_fft=2048, hop_length=512, win_length=2048, n_mels=64, f_max=8000.0)
    wave = np.random.default_rng(1).standard_normal((1, 16000)) * 0.1
    lm = LogMel(cfg)
    got = lm(torch.tensor(wave, dtype=torch.float32))
    np.testing.assert_allclose(got.double().numpy(), np_mel.log_mel(wave, cfg), atol=2e-3)
    x = lm.normalize(got)
    np.testing.assert_allclose(x.numpy(), np_mel.normalize(got.numpy(), cfg), atol=1e-6)
    torch.testing.assert_close(lm.denormalize(x), got)
