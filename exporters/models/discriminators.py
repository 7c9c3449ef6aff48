"""Waveform discriminators of the GAN vocoder (training only; never exported).

* :class:`MultiPeriodDiscriminator` (MPD, HiFi-GAN, Kong et al. 2020): for each period p the wave
  (B, S) is reflect-padded to a multiple of p and folded to (B, 1, S / p, p), so (k x 1) convs see
  every p-th sample: periodic structure at several periods.
* :class:`MultiResolutionDiscriminator` (MRD, UnivNet, Jang et al. 2021, as in Vocos, Siuzdak 2023):
  2-D convs over the linear STFT magnitude (B, 1, F, frames) at several resolutions. Deviation: a
  Hann analysis window where the Vocos code uses a rectangular one.

Every sub-discriminator is weight-normalised and returns its logits (B, N), flattened over its
output map, and its feature maps (every conv output, for the feature-matching loss). Nothing mixes
batch items, so one call on ``cat([real, fake])`` equals two calls.
"""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import weight_norm

from exporters.configs import MultiPeriodDiscriminatorConfig, MultiResolutionDiscriminatorConfig

Scores = tuple[list[torch.Tensor], list[list[torch.Tensor]]]  # logits per sub-discriminator, their feature maps


def _conv_stack(
    x: torch.Tensor, convs: nn.ModuleList, conv_post: nn.Module, slope: float
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Leaky-ReLU convs, then the 1-channel output conv: (logits (B, N), every conv output)."""
    fmaps = []
    for conv in convs:
        x = F.leaky_relu(conv(x), slope)  # (B, C, H', W'), shrinking by each conv's stride
        fmaps.append(x)
    x = conv_post(x)  # (B, 1, H', W')
    fmaps.append(x)
    return x.flatten(1), fmaps


def _score_each(discriminators: nn.ModuleList, wave: torch.Tensor) -> Scores:
    scores = [d(wave) for d in discriminators]
    return [s[0] for s in scores], [s[1] for s in scores]


class DiscriminatorP(nn.Module):
    """One period of the MPD: wave (B, S) -> logits (B, N), feature maps (B, C, H, p)."""

    def __init__(self, period: int, config: MultiPeriodDiscriminatorConfig) -> None:
        super().__init__()
        self.period = period
        self.slope = config.lrelu_slope
        k, widths = config.kernel_size, (1, *config.channels)
        self.convs = nn.ModuleList(
            weight_norm(
                nn.Conv2d(c_in, c_out, (k, 1), (config.stride if i < len(widths) - 2 else 1, 1), padding=(k // 2, 0))
            )
            for i, (c_in, c_out) in enumerate(itertools.pairwise(widths))
        )
        self.conv_post = weight_norm(nn.Conv2d(widths[-1], 1, (3, 1), padding=(1, 0)))

    def forward(self, wave: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        b, s = wave.shape
        x = F.pad(wave[:, None], (0, -s % self.period), mode="reflect")  # (B, 1, S'), S' a multiple of p
        x = x.view(b, 1, -1, self.period)  # (B, 1, S' / p, p)
        return _conv_stack(x, self.convs, self.conv_post, self.slope)  # maps (B, C, H, p), H shrinks by the stride


class MultiPeriodDiscriminator(nn.Module):
    """HiFi-GAN MPD: wave (B, S) -> one (logits, feature maps) per period."""

    def __init__(self, config: MultiPeriodDiscriminatorConfig) -> None:
        super().__init__()
        self.config = config
        self.discriminators = nn.ModuleList(DiscriminatorP(p, config) for p in config.periods)

    def forward(self, wave: torch.Tensor) -> Scores:
        return _score_each(self.discriminators, wave)


class DiscriminatorR(nn.Module):
    """One resolution of the MRD: wave (B, S) -> logits (B, N), feature maps (B, C, F', frames')."""

    def __init__(self, n_fft: int, config: MultiResolutionDiscriminatorConfig) -> None:
        super().__init__()
        self.n_fft = n_fft
        self.slope = config.lrelu_slope
        c = config.channels
        self.convs = nn.ModuleList(
            weight_norm(conv)
            for conv in (
                nn.Conv2d(1, c, (7, 5), (2, 2), padding=(3, 2)),
                nn.Conv2d(c, c, (5, 3), (2, 1), padding=(2, 1)),
                nn.Conv2d(c, c, (5, 3), (2, 2), padding=(2, 1)),
                nn.Conv2d(c, c, 3, (2, 1), padding=1),
                nn.Conv2d(c, c, 3, (2, 2), padding=1),
            )
        )
        self.conv_post = weight_norm(nn.Conv2d(c, 1, 3, padding=1))
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)

    def forward(self, wave: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        spec = torch.stft(wave, self.n_fft, self.n_fft // 4, window=self.window, center=True, return_complex=True)
        x = spec.abs()[:, None]  # (B, 1, F, frames) linear magnitude
        return _conv_stack(x, self.convs, self.conv_post, self.slope)  # maps (B, C, F', frames'), F' halves


class MultiResolutionDiscriminator(nn.Module):
    """UnivNet / Vocos MRD: wave (B, S) -> one (logits, feature maps) per STFT resolution."""

    def __init__(self, config: MultiResolutionDiscriminatorConfig) -> None:
        super().__init__()
        self.config = config
        self.discriminators = nn.ModuleList(DiscriminatorR(n, config) for n in config.fft_sizes)

    def forward(self, wave: torch.Tensor) -> Scores:
        return _score_each(self.discriminators, wave)


class Discriminators(nn.Module):
    """Named discriminators trained together (one module to optimise, checkpoint and wrap in DDP).

    wave (B, S) -> {name: (logits, feature maps)}.
    """

    def __init__(self, discriminators: dict[str, nn.Module]) -> None:
        super().__init__()
        self.members = nn.ModuleDict(discriminators)

    def forward(self, wave: torch.Tensor) -> dict[str, Scores]:
        return {name: d(wave) for name, d in self.members.items()}
