import numpy as np
import torch

from exporters.configs import MagnitudePostNetConfig, VocosConfig, build
from exporters.losses import MelL1Loss, MultiResolutionSTFTLoss, spectral_losses
from exporters.mel_torch import LogMel
from exporters.models.vocoder import MagnitudePostNet, Vocos
from sfxgen import mel as np_mel
from sfxgen.configs import MelConfig

MEL = MelConfig(sample_rate=8000, n_fft=256, hop_length=64, win_length=256, n_mels=16, f_max=4000.0)
TINY = VocosConfig(n_mels=16, n_fft=256, hop_length=64, win_length=256, dim=32, intermediate_dim=64, num_layers=2)
TINY_MAG = MagnitudePostNetConfig(**TINY.__dict__ | {"sample_rate": 8000, "f_max": 4000.0})


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


def test_magnitude_postnet_shapes_and_clamp() -> None:
    model = build({"type": "mag_postnet", "config": {**TINY_MAG.__dict__}})
    assert isinstance(model, MagnitudePostNet) and model.output == "magnitude"
    from sfxgen.vocoder import mel_to_linear

    torch.manual_seed(0)
    mel = LogMel(MEL)(0.1 * torch.randn(2, 64 * 20))  # (2, 16, 21): the mel of real (noise) audio
    with torch.no_grad():
        mag = model(mel)
    assert mag.shape == (2, 129, 21) and (mag >= 0).all()
    # untrained, it is about the runtime's Griffin-Lim magnitude, the filterbank pseudo-inverse
    pinv = mel_to_linear(mel.double().numpy(), MEL)
    assert np.linalg.norm(mag.numpy() - pinv) < 0.05 * np.linalg.norm(pinv)
    # any correction keeps the mel of the input (the projection): a uniform boost is projected away,
    # a per-bin one reshapes the magnitude within each band
    fb = torch.from_numpy(np_mel.mel_filterbank(MEL)).float()
    with torch.no_grad():
        model.head.bias.fill_(2.0)
        assert (model(mel) - mag).abs().max() < 1e-3 * mag.max()
        model.head.bias.normal_(std=1.0)
        boosted = model(mel)
    assert (boosted - mag).abs().max() > 0.1 * mag.max()
    lin = torch.exp(mel)
    mel_err = (torch.einsum("mf,bft->bmt", fb, boosted) - lin).abs().mean() / lin.mean()
    assert mel_err < 0.03  # measured 0.014 after a random 1-nat reshaping of every bin


def test_magnitude_postnet_learns_harmonics_griffin_lim_then_beats_the_pseudo_inverse() -> None:
    """A harmonic tone: the mel pseudo-inverse smears its partials; the post-net learns them back."""
    from sfxgen.vocoder import griffin_lim, mel_to_linear

    t = torch.arange(64 * 63) / MEL.sample_rate
    wave = sum(0.2 / k * torch.sin(2 * np.pi * 220 * k * t) for k in range(1, 8))[None]  # (1, S)
    log_mel = LogMel(MEL)
    mel = log_mel(wave)  # (1, 16, 64)
    mag = log_mel.stft(wave).abs() + 1e-5  # (1, 129, 64)
    torch.manual_seed(0)
    model = MagnitudePostNet(TINY_MAG)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    losses = []
    for _ in range(300):
        sc, log_l1 = spectral_losses(model(mel) + 1e-5, mag)
        opt.zero_grad()
        (sc + log_l1).backward()
        opt.step()
        losses.append(sc.item())
    assert losses[-1] < 0.3 * losses[0]
    target = wave[0].double().numpy()
    lm = mel.double().numpy()

    def error(estimate: np.ndarray) -> float:
        return float(np.mean(np.abs(np_mel.log_mel(target, MEL) - np_mel.log_mel(estimate, MEL))))

    with torch.no_grad():
        learned = griffin_lim(model(mel).double().numpy(), MEL, target.size)[0]
    pinv = griffin_lim(mel_to_linear(lm, MEL), MEL, target.size)[0]
    assert error(learned) < 0.5 * error(pinv)  # measured 0.09-0.12 vs 0.30 (AVX2 or AVX-512, 1 or 2 threads)
