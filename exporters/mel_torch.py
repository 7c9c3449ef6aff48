"""Torch log-mel front end, identical to :mod:`sfxgen.mel` (tested against it).

Periodic Hann window zero-padded to n_fft, ``center=True`` reflect padding (constant
when the signal is too short, as the numpy code), magnitude STFT, slaney mel
filterbank taken from :func:`sfxgen.mel.mel_filterbank`, natural log with a floor.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from sfxgen.configs import MelConfig
from sfxgen.mel import hann_window, mel_filterbank


class LogMel(nn.Module):
    """wave (B, S) -> natural-log mel (B, n_mels, 1 + S // hop)."""

    def __init__(self, config: MelConfig) -> None:
        super().__init__()
        self.config = config
        self.register_buffer("window", torch.from_numpy(np.array(hann_window(config.win_length, config.n_fft))).float())
        self.register_buffer("fbank", torch.from_numpy(np.array(mel_filterbank(config))).float())  # (M, F)

    def stft(self, wave: torch.Tensor) -> torch.Tensor:
        """Complex STFT (B, F, frames), centred like :func:`sfxgen.mel.stft`."""
        c = self.config
        pad = c.n_fft // 2
        mode = "reflect" if wave.shape[-1] > pad else "constant"
        padded = F.pad(wave[:, None], (pad, pad), mode=mode)[:, 0]  # (B, S + n_fft)
        return torch.stft(padded, c.n_fft, c.hop_length, c.n_fft, window=self.window, center=False, return_complex=True)

    def mel(self, wave: torch.Tensor) -> torch.Tensor:
        """Magnitude mel (B, M, frames)."""
        return torch.einsum("mf,bft->bmt", self.fbank, self.stft(wave).abs())

    def from_stft(self, spec: torch.Tensor) -> torch.Tensor:
        """Complex STFT (B, F, frames) from :meth:`stft` -> natural-log mel (B, M, frames)."""
        mel = torch.einsum("mf,bft->bmt", self.fbank, spec.abs())
        return torch.log(torch.clamp(mel, min=self.config.log_floor))

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        return self.from_stft(self.stft(wave))

    def normalize(self, log_mel: torch.Tensor) -> torch.Tensor:
        """log-mel -> diffusion space x."""
        return (log_mel - self.config.norm_mean) / self.config.norm_std

    def denormalize(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.config.norm_std + self.config.norm_mean
