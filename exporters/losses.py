"""Reconstruction losses for the vocoder: multi-resolution STFT (Yamamoto et al. 2020) and mel L1."""

from __future__ import annotations

import torch
from torch import nn

from exporters.mel_torch import LogMel
from sfxgen.configs import MelConfig

DEFAULT_RESOLUTIONS = ((512, 128, 512), (1024, 256, 1024), (2048, 512, 2048))  # (n_fft, hop, win)


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

    def forward(self, wave_hat: torch.Tensor, wave: torch.Tensor) -> torch.Tensor:
        """wave_hat, wave (B, S) -> scalar loss."""
        total = wave.new_zeros(())
        for i in range(len(self.resolutions)):
            m_hat, m = self._mag(wave_hat, i), self._mag(wave, i)
            sc = torch.linalg.norm(m - m_hat) / torch.linalg.norm(m)
            log_l1 = torch.mean(torch.abs(torch.log(m) - torch.log(m_hat)))
            total = total + sc + log_l1
        return total / len(self.resolutions)


class MelL1Loss(nn.Module):
    """L1 between the log-mels (the bundle's own front end) of the two waves."""

    def __init__(self, config: MelConfig) -> None:
        super().__init__()
        self.log_mel = LogMel(config)

    def forward(self, wave_hat: torch.Tensor, wave: torch.Tensor) -> torch.Tensor:
        return torch.mean(torch.abs(self.log_mel(wave_hat) - self.log_mel(wave)))
