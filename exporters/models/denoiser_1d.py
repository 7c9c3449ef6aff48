"""1-D convolutional UNet over time with mel bins as channels: the CPU-trainable denoiser.

Shapes: x_t (B, M, T), t (B,) int64, cond (B, E), cond_mask (B,) float (1 = use cond,
0 = the learned null condition) -> out (B, M, T). Fully convolutional in time; T must
be a multiple of ``config.frames_multiple`` (the engine pads the noise to it).
Conditioning: FiLM (scale, shift) from emb = MLP(time) + MLP(cond or null) in every
residual block, as improved-diffusion's ``use_scale_shift_norm``.
With ``refiner_channels`` > 0 a small 2-D network over the (mel, time) plane adds a correction to the
UNet's output, conditioned on the same emb: convolutions shared across frequency, as CLIPSonic's 2-D UNet
has and mel-bins-as-channels lacks. Its last convolution starts at zero, so adding one to a trained
denoiser changes nothing until it is trained (``exporters.train.warm_start --refiner-channels``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from exporters.configs import REFINER_GROUPS, Denoiser1DConfig
from exporters.models.layers import SelfAttention, TimeCondEmbedding, zero_module
from exporters.models.unet_2d import ResBlock2D


class ResBlock1D(nn.Module):
    """GroupNorm-SiLU-Conv, FiLM from emb, GroupNorm-SiLU-Dropout-Conv(zero), skip."""

    def __init__(self, in_ch: int, out_ch: int, emb_dim: int, kernel: int, groups: int, dropout: float) -> None:
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, in_ch)
        self.conv1 = nn.Conv1d(in_ch, out_ch, kernel, padding=kernel // 2)
        self.emb = nn.Linear(emb_dim, 2 * out_ch)
        self.norm2 = nn.GroupNorm(groups, out_ch)
        self.drop = nn.Dropout(dropout)
        self.conv2 = zero_module(nn.Conv1d(out_ch, out_ch, kernel, padding=kernel // 2))
        self.skip = nn.Identity() if in_ch == out_ch else nn.Conv1d(in_ch, out_ch, 1)

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))  # (B, out, T)
        scale, shift = self.emb(F.silu(emb))[:, :, None].chunk(2, dim=1)  # (B, out, 1) each
        h = self.norm2(h) * (1.0 + scale) + shift
        h = self.conv2(self.drop(F.silu(h)))
        return self.skip(x) + h


class Downsample1D(nn.Module):
    def __init__(self, ch: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(ch, ch, 3, stride=2, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)  # (B, C, T/2)


class Upsample1D(nn.Module):
    def __init__(self, ch: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(ch, ch, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))  # (B, C, 2T)


class FrequencyRefiner(nn.Module):
    """out + f(out, x_t, emb): residual 2-D blocks over (mel, time), zero-initialised output."""

    def __init__(self, channels: int, blocks: int, emb_dim: int) -> None:
        super().__init__()
        self.conv_in = nn.Conv2d(2, channels, 3, padding=1)
        self.blocks = nn.ModuleList(ResBlock2D(channels, channels, emb_dim, REFINER_GROUPS, 0.0) for _ in range(blocks))
        self.norm_out = nn.GroupNorm(REFINER_GROUPS, channels)
        self.conv_out = zero_module(nn.Conv2d(channels, 1, 3, padding=1))

    def forward(self, out: torch.Tensor, x_t: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv_in(torch.stack([out, x_t], dim=1))  # (B, 2, M, T) -> (B, R, M, T)
        for block in self.blocks:
            h = block(h, emb)
        return out + self.conv_out(F.silu(self.norm_out(h)))[:, 0]  # (B, M, T)


class Denoiser1D(nn.Module):
    """UNet over time; see the module docstring for the I/O contract."""

    def __init__(self, config: Denoiser1DConfig) -> None:
        super().__init__()
        self.config = c = config
        emb_dim = c.channels * c.time_embed_mult
        g, k, p = c.norm_groups, c.kernel_size, c.dropout
        self.embed = TimeCondEmbedding(c.channels, emb_dim, c.cond_dim, c.cond_scale)
        self.conv_in = nn.Conv1d(c.n_mels, c.channels, 3, padding=1)

        self.down = nn.ModuleList()
        skips = [c.channels]
        ch = c.channels
        for level, mult in enumerate(c.channel_mults):
            for _ in range(c.num_res_blocks):
                self.down.append(ResBlock1D(ch, c.channels * mult, emb_dim, k, g, p))
                ch = c.channels * mult
                skips.append(ch)
            if level < len(c.channel_mults) - 1:
                self.down.append(Downsample1D(ch))
                skips.append(ch)

        self.mid1 = ResBlock1D(ch, ch, emb_dim, k, g, p)
        self.mid_attn = SelfAttention(ch, c.num_heads, g) if c.attention else nn.Identity()
        self.mid2 = ResBlock1D(ch, ch, emb_dim, k, g, p)

        self.up = nn.ModuleList()
        for level, mult in reversed(list(enumerate(c.channel_mults))):
            for i in range(c.num_res_blocks + 1):
                self.up.append(ResBlock1D(ch + skips.pop(), c.channels * mult, emb_dim, k, g, p))
                ch = c.channels * mult
                if level > 0 and i == c.num_res_blocks:
                    self.up.append(Upsample1D(ch))

        self.norm_out = nn.GroupNorm(g, ch)
        self.conv_out = zero_module(nn.Conv1d(ch, c.n_mels, 3, padding=1))
        self.refiner = FrequencyRefiner(c.refiner_channels, c.refiner_blocks, emb_dim) if c.refiner_channels else None

    def forward(self, x_t: torch.Tensor, t: torch.Tensor, cond: torch.Tensor, cond_mask: torch.Tensor) -> torch.Tensor:
        if not torch.jit.is_tracing() and x_t.shape[-1] % self.config.frames_multiple:
            raise ValueError(f"frames {x_t.shape[-1]} must be a multiple of {self.config.frames_multiple}")
        emb = self.embed(t, cond, cond_mask)  # (B, D)
        h = self.conv_in(x_t)  # (B, C, T)
        hs = [h]
        for block in self.down:
            h = block(h, emb) if isinstance(block, ResBlock1D) else block(h)
            hs.append(h)
        h = self.mid2(self.mid_attn(self.mid1(h, emb)), emb)  # (B, C_low, T / 2^(levels-1))
        for block in self.up:
            h = block(torch.cat([h, hs.pop()], dim=1), emb) if isinstance(block, ResBlock1D) else block(h)
        out = self.conv_out(F.silu(self.norm_out(h)))  # (B, M, T)
        return out if self.refiner is None else self.refiner(out, x_t, emb)
