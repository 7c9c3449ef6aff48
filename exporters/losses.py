"""Vocoder losses: reconstruction (multi-resolution STFT, Yamamoto et al. 2020; mel L1) and adversarial.

The adversarial losses follow Vocos (Siuzdak 2023): hinge losses (Lim & Ye 2017) and HiFi-GAN's
feature matching, each averaged over the sub-discriminators of one discriminator (MPD or MRD).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from exporters.mel_torch import LogMel
from sfxgen.configs import MelConfig

DEFAULT_RESOLUTIONS = ((512, 128, 512), (1024, 256, 1024), (2048, 512, 2048))  # (n_fft, hop, win)


def spectral_losses(m_hat: torch.Tensor, m: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(spectral convergence ||m - m_hat||_F / ||m||_F, mean |log m - log m_hat|) of magnitudes (B, F, frames) > 0."""
    sc = torch.linalg.norm(m - m_hat) / torch.linalg.norm(m)
    return sc, torch.mean(torch.abs(torch.log(m) - torch.log(m_hat)))


class MultiResolutionSTFTLoss(nn.Module):
    """Sum over resolutions of spectral convergence + L1 of log magnitudes, averaged over resolutions."""

    def __init__(self, resolutions: tuple[tuple[int, int, int], ...] = DEFAULT_RESOLUTIONS, eps: float = 1e-5) -> None:
        super().__init__()
        self.resolutions = resolutions
        self.eps = eps
        for i, (_, _, win) in enumerate(resolutions):
            self.register_buffer(f"window{i}", torch.hann_window(win), persistent=False)

    def _mag(self, wave: torch.Tensor, i: int) -> torch.Tensor:
        n_fft, hop, win = self.resolutions[i]
        spec = torch.stft(wave, n_fft, hop, win, window=getattr(self, f"window{i}"), return_complex=True)
        return torch.sqrt(spec.real**2 + spec.imag**2 + self.eps**2)  # (B, F, frames), safe gradient at 0

    def spectral_convergence(self, wave_hat: torch.Tensor, wave: torch.Tensor) -> torch.Tensor:
        """Spectral convergence alone, averaged over resolutions (as :mod:`exporters.eval.metrics` reports it)."""
        total = wave.new_zeros(())
        for i in range(len(self.resolutions)):
            total = total + spectral_losses(self._mag(wave_hat, i), self._mag(wave, i))[0]
        return total / len(self.resolutions)

    def forward(self, wave_hat: torch.Tensor, wave: torch.Tensor) -> torch.Tensor:
        """wave_hat, wave (B, S) -> scalar loss."""
        total = wave.new_zeros(())
        for i in range(len(self.resolutions)):
            sc, log_l1 = spectral_losses(self._mag(wave_hat, i), self._mag(wave, i))
            total = total + sc + log_l1
        return total / len(self.resolutions)


class MelL1Loss(nn.Module):
    """L1 between the log-mels (the bundle's own front end) of the two waves."""

    def __init__(self, config: MelConfig) -> None:
        super().__init__()
        self.log_mel = LogMel(config)

    def forward(self, wave_hat: torch.Tensor, wave: torch.Tensor) -> torch.Tensor:
        return torch.mean(torch.abs(self.log_mel(wave_hat) - self.log_mel(wave)))


def discriminator_hinge_loss(real: Sequence[torch.Tensor], fake: Sequence[torch.Tensor]) -> torch.Tensor:
    """mean_k ( E[max(0, 1 - D_k(x))] + E[max(0, 1 + D_k(G(s)))] ) over sub-discriminators k (logits (B, N_k))."""
    terms = [F.relu(1 - r).mean() + F.relu(1 + f).mean() for r, f in zip(real, fake, strict=True)]
    return torch.stack(terms).mean()


def generator_hinge_loss(fake: Sequence[torch.Tensor]) -> torch.Tensor:
    """mean_k E[max(0, 1 - D_k(G(s)))] over sub-discriminators k (Vocos' generator hinge)."""
    return torch.stack([F.relu(1 - f).mean() for f in fake]).mean()


def feature_matching_loss(
    real: Sequence[Sequence[torch.Tensor]], fake: Sequence[Sequence[torch.Tensor]]
) -> torch.Tensor:
    """HiFi-GAN eq. 4: mean_k sum_i E|D_k^i(x) - D_k^i(G(s))| over sub-discriminators k and their layers i.

    The real feature maps are targets: no gradient flows into them.
    """
    terms = [
        sum(torch.mean(torch.abs(r.detach() - f)) for r, f in zip(rs, fs, strict=True))
        for rs, fs in zip(real, fake, strict=True)
    ]
    return torch.stack(terms).mean()
