import numpy as np
import torch

from exporters.configs import VocosConfig, build
from exporters.losses import MelL1Loss, MultiResolutionSTFTLoss
from exporters.mel_torch import LogMel
from exporters.models.vocoder import Vocos
from sfxgen import mel as np_mel
from sfxgen.configs import MelConfig

MEL = MelConfig(sample_rate=8000, n_fft=256, hop_length=64, win_length=256, n_mels=16, f_max=4000.0)
TINY = VocosConfig(n_mels=16, n_fft=256, hop_length=64, win_length=256, dim=32, intermediate_dim=64, num_layers=2)


def test_shapes_and_runtime_istft_matches_torch() -> None:
    model = build({"type": "vocos", "config": {**TINY.__dict__}})
    assert isinstance(model, Vocos)
    mel = torch.randn(2, 16, 21)
    real, imag = model(mel)
    assert real.shape == imag.shape == (2, 129, 21)
    wave = model.waveform(mel)
    assert wave.shape == (2, 64 * 20)
    # the engine finishes the ONNX graph's (spec_real, spec_imag) with sfxgen.mel.istft
    spec = real.detach().double().numpy() + 1j * imag.detach().double().numpy()
    np.testing.assert_allclose(np_mel.istft(spec, MEL), wave.detach().double().numpy(), atol=1e-4)


def test_any_length() -> None:
    model = Vocos(TINY)
    for frames in (1, 7, 64):
        real, _ = model(torch.randn(1, 16, frames))
        assert real.shape == (1, 129, frames)


def test_losses_zero_on_identity_and_positive_otherwise() -> None:
    wave = torch.randn(2, 4096) * 0.1
    mr, ml = MultiResolutionSTFTLoss(), MelL1Loss(MEL)
    assert mr(wave, wave).item() < 1e-5 and ml(wave, wave).item() < 1e-6
    assert mr(wave * 0.5, wave).item() > 0.1 and ml(wave * 0.5, wave).item() > 0.5


def test_vocoder_learns_a_tone() -> None:
    t = torch.arange(64 * 31) / MEL.sample_rate
    wave = (0.3 * torch.sin(2 * np.pi * 440 * t))[None].repeat(2, 1)
    mel = LogMel(MEL)(wave)  # (2, 16, 32)
    model = Vocos(TINY)
    mr, ml = MultiResolutionSTFTLoss(((128, 32, 128), (256, 64, 256))), MelL1Loss(MEL)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    losses = []
    for _ in range(40):
        w = model.waveform(mel)
        loss = mr(w, wave) + ml(w, wave)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert min(losses[-10:]) < 0.75 * losses[0]
