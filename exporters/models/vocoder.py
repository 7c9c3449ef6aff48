"""Neural vocoders on a ConvNeXt 1-D backbone (Vocos, Siuzdak 2023).

* :class:`Vocos`: mel (B, M, T) natural-log mel (not normalised) -> complex STFT (B, F, T),
  F = n_fft // 2 + 1. The ONNX graph stops at (spec_real, spec_imag) because ONNX has no
  ISTFT op; the engine finishes with :func:`sfxgen.mel.istft`. Training uses
  :meth:`Vocos.waveform`, the same overlap-add through ``torch.istft`` (centred, periodic
  Hann), so a wave of ``hop * (T - 1)`` samples comes out of T frames in both places.
* :class:`MagnitudePostNet`: mel (B, M, T) -> linear STFT magnitude (B, F, T), the
  mel-to-linear post-processing net of Tacotron (Wang et al. 2017) that Griffin-Lim then
  phases. It predicts a log-domain correction of the filterbank pseudo-inverse (zero at
  initialisation, so it starts as Griffin-Lim's own magnitude), then projects the result
  back onto the magnitudes whose mel is the input (m + pinv(fb) (mel - fb m), alternated with
  m >= 0): a regression in the log domain predicts a median, not a mean, and would lose
  energy in noisy bands (measured: mel 0.05-0.2 nats low). Trained on true STFT magnitudes; the pseudo-inverse's
  smeared partials are what keep Griffin-Lim from converging.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from exporters.configs import MagnitudePostNetConfig, VocosConfig
from sfxgen.configs import MelConfig
from sfxgen.mel import hann_window, mel_filterbank


class ConvNeXtBlock(nn.Module):
    """Depthwise conv, LayerNorm, pointwise MLP (GELU), layer scale, residual: (B, C, T) -> (B, C, T)."""

    def __init__(self, dim: int, intermediate_dim: int, kernel_size: int, layer_scale: float) -> None:
        super().__init__()
        self.dwconv = nn.Conv1d(dim, dim, kernel_size, padding=kernel_size // 2, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pw1 = nn.Linear(dim, intermediate_dim)
        self.pw2 = nn.Linear(intermediate_dim, dim)
        self.gamma = nn.Parameter(torch.full((dim,), layer_scale))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.dwconv(x).transpose(1, 2)  # (B, T, C)
        h = self.pw2(F.gelu(self.pw1(self.norm(h)))) * self.gamma
        return x + h.transpose(1, 2)


class ConvNeXtVocoder(nn.Module):
    """Embedding conv, ConvNeXt blocks and a per-frame linear head: mel (B, M, T) -> (B, head_dim, T)."""

    def __init__(self, config: VocosConfig | MagnitudePostNetConfig, head_dim: int) -> None:
        super().__init__()
        self.config = c = config
        self.embed = nn.Conv1d(c.n_mels, c.dim, 7, padding=3)
        self.norm = nn.LayerNorm(c.dim, eps=1e-6)
        self.blocks = nn.ModuleList(
            ConvNeXtBlock(c.dim, c.intermediate_dim, c.kernel_size, 1.0 / c.num_layers) for _ in range(c.num_layers)
        )
        self.final_norm = nn.LayerNorm(c.dim, eps=1e-6)
        self.head = nn.Linear(c.dim, head_dim)

    def features(self, mel: torch.Tensor) -> torch.Tensor:
        """mel (B, M, T) -> head output (B, head_dim, T)."""
        x = self.norm(self.embed(mel).transpose(1, 2)).transpose(1, 2)  # (B, C, T)
        for block in self.blocks:
            x = block(x)
        return self.head(self.final_norm(x.transpose(1, 2))).transpose(1, 2)


class MagnitudePostNet(ConvNeXtVocoder):
    """Mel -> linear STFT magnitude for Griffin-Lim; see the module docstring."""

    output = "magnitude"  # the bundle's vocoder_output

    floor = 1e-5  # added to the pseudo-inverse magnitude before the log (the STFT losses' eps)
    projections = 3  # rounds of (onto mel = input, onto magnitude >= 0)

    def __init__(self, config: MagnitudePostNetConfig) -> None:
        super().__init__(config, config.n_fft // 2 + 1)
        c = config
        mel = MelConfig(
            sample_rate=c.sample_rate, n_fft=c.n_fft, hop_length=c.hop_length, win_length=c.win_length,
            n_mels=c.n_mels, f_min=c.f_min, f_max=c.f_max,
        )  # fmt: skip
        fb = np.array(mel_filterbank(mel))  # (M, F), a writable copy of the cached filterbank
        self.register_buffer("fb", torch.from_numpy(fb).float(), persistent=False)
        self.register_buffer("pinv", torch.from_numpy(np.linalg.pinv(fb)).float(), persistent=False)  # (F, M)
        nn.init.zeros_(self.head.weight)  # start as the pseudo-inverse
        nn.init.zeros_(self.head.bias)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        """mel (B, M, T) natural-log mel -> magnitude (B, F, T) whose mel is the input's (up to the relu)."""
        lin = torch.exp(mel)  # (B, M, T)
        base = torch.relu(torch.einsum("fm,bmt->bft", self.pinv, lin))  # (B, F, T)
        log_raw = torch.clamp(torch.log(base + self.floor) + self.features(mel), max=self.config.max_log_mag)
        mag = torch.exp(log_raw)
        for _ in range(self.projections):  # alternating projections: mel = input, then magnitude >= 0
            residual = lin - torch.einsum("mf,bft->bmt", self.fb, mag)  # (B, M, T): mel the magnitude misses
            mag = torch.relu(mag + torch.einsum("fm,bmt->bft", self.pinv, residual))
        return mag


class Vocos(ConvNeXtVocoder):
    """Vocos generator; see the module docstring."""

    output = "stft"  # the bundle's vocoder_output

    def __init__(self, config: VocosConfig) -> None:
        super().__init__(config, config.n_fft + 2)  # log magnitude and phase for F bins
        c = config
        window = torch.from_numpy(np.array(hann_window(c.win_length, c.n_fft))).float()
        self.register_buffer("window", window, persistent=False)

    def forward(self, mel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """mel (B, M, T) -> spec_real, spec_imag (B, F, T)."""
        h = self.features(mel)  # (B, n_fft + 2, T)
        log_mag, phase = h.chunk(2, dim=1)  # (B, F, T) each
        mag = torch.exp(torch.clamp(log_mag, max=self.config.max_log_mag))
        return mag * torch.cos(phase), mag * torch.sin(phase)

    def waveform(self, mel: torch.Tensor) -> torch.Tensor:
        """mel (B, M, T) -> wave (B, hop * (T - 1)) via torch.istft (training and torch-side eval)."""
        real, imag = self(mel)
        c = self.config
        spec = torch.complex(real, imag)
        return torch.istft(spec, c.n_fft, c.hop_length, c.n_fft, window=self.window, center=True)
