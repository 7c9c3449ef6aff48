"""improved-diffusion style 2-D UNet over the (mel, time) plane (the CLIPSonic denoiser).

Shapes: x_t (B, M, T) -> seen as one-channel image (B, 1, M, T); t (B,), cond (B, E),
cond_mask (B,) -> out (B, M, T). Residual blocks with GroupNorm and FiLM (scale, shift)
from emb = MLP(time) + MLP(cond or learned null), self-attention at the levels in
``attention_levels`` and in the middle, convolutional in time: T (and M) must be
multiples of ``config.frames_multiple``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from exporters.configs import UNet2DConfig
from exporters.models.layers import SelfAttention, TimeCondEmbedding, zero_module


class ResBlock2D(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, emb_dim: int, groups: int, dropout: float) -> None:
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, in_ch)
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.emb = nn.Linear(emb_dim, 2 * out_ch)
        self.norm2 = nn.GroupNorm(groups, out_ch)
        self.drop = nn.Dropout(dropout)
        self.conv2 = zero_module(nn.Conv2d(out_ch, out_ch, 3, padding=1))
        self.skip = nn.Identity() if in_ch == out_ch else nn.Conv2d(in_ch, out_ch, 1)

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))  # (B, out, H, W)
        scale, shift = self.emb(F.silu(emb))[:, :, None, None].chunk(2, dim=1)  # (B, out, 1, 1)
        h = self.conv2(self.drop(F.silu(self.norm2(h) * (1.0 + scale) + shift)))
        return self.skip(x) + h


class Attention2D(nn.Module):
    """Self-attention over the H*W positions of (B, C, H, W)."""

    def __init__(self, ch: int, num_heads: int, groups: int) -> None:
        super().__init__()
        self.attn = SelfAttention(ch, num_heads, groups)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        return self.attn(x.reshape(b, c, -1)).reshape(b, c, h, w)


class Down2D(nn.Module):
    def __init__(self, ch: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(ch, ch, 3, stride=2, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class Up2D(nn.Module):
    def __init__(self, ch: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(ch, ch, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class UNet2D(nn.Module):
    """2-D UNet denoiser; see the module docstring for the I/O contract."""

    def __init__(self, config: UNet2DConfig) -> None:
        super().__init__()
        self.config = c = config
        emb_dim = c.channels * c.time_embed_mult
        g, p = c.norm_groups, c.dropout
        self.embed = TimeCondEmbedding(c.channels, emb_dim, c.cond_dim, c.cond_scale)
        self.conv_in = nn.Conv2d(1, c.channels, 3, padding=1)
        self.down = nn.ModuleList()
        skips, ch = [c.channels], c.channels
        for level, mult in enumerate(c.channel_mults):
            for _ in range(c.num_res_blocks):
                blocks = [ResBlock2D(ch, c.channels * mult, emb_dim, g, p)]
                ch = c.channels * mult
                if level in c.attention_levels:
                    blocks.append(Attention2D(ch, c.num_heads, g))
                self.down.append(nn.ModuleList(blocks))
                skips.append(ch)
            if level < len(c.channel_mults) - 1:
                self.down.append(nn.ModuleList([Down2D(ch)]))
                skips.append(ch)
        self.mid = nn.ModuleList(
            [ResBlock2D(ch, ch, emb_dim, g, p), Attention2D(ch, c.num_heads, g), ResBlock2D(ch, ch, emb_dim, g, p)]
        )
        self.up = nn.ModuleList()
        for level, mult in reversed(list(enumerate(c.channel_mults))):
            for i in range(c.num_res_blocks + 1):
                blocks = [ResBlock2D(ch + skips.pop(), c.channels * mult, emb_dim, g, p)]
                ch = c.channels * mult
                if level in c.attention_levels:
                    blocks.append(Attention2D(ch, c.num_heads, g))
                if level > 0 and i == c.num_res_blocks:
                    blocks.append(Up2D(ch))
                self.up.append(nn.ModuleList(blocks))
        self.norm_out = nn.GroupNorm(g, ch)
        self.conv_out = zero_module(nn.Conv2d(ch, 1, 3, padding=1))

    @staticmethod
    def _run(blocks: nn.ModuleList, h: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        for block in blocks:
            h = block(h, emb) if isinstance(block, ResBlock2D) else block(h)
        return h

    def forward(self, x_t: torch.Tensor, t: torch.Tensor, cond: torch.Tensor, cond_mask: torch.Tensor) -> torch.Tensor:
        k = self.config.frames_multiple
        if not torch.jit.is_tracing() and (x_t.shape[-1] % k or x_t.shape[-2] % k):
            raise ValueError(f"mels {x_t.shape[-2]} and frames {x_t.shape[-1]} must be multiples of {k}")
        emb = self.embed(t, cond, cond_mask)  # (B, D)
        h = self.conv_in(x_t[:, None])  # (B, C, M, T)
        hs = [h]
        for blocks in self.down:
            h = self._run(blocks, h, emb)
            hs.append(h)
        h = self._run(self.mid, h, emb)
        for blocks in self.up:
            h = self._run(blocks, torch.cat([h, hs.pop()], dim=1), emb)
        return self.conv_out(F.silu(self.norm_out(h)))[:, 0]  # (B, M, T)
