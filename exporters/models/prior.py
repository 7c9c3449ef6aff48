"""CLIPSonic appendix-A diffusion prior: causal transformer from a text embedding to an image embedding.

Sequence (in this order, as the paper and DALL-E 2's prior): the L encoded text tokens,
the text embedding, the diffusion-step embedding, the noised image embedding x_t and a
learned query token; a causal transformer reads it and the output at the query token
is the prediction of x0 (the clean image embedding).

Shapes: x_t (B, E), t (B,) int64, text_embed (B, E) unit norm, text_tokens (B, L, W),
cond_mask (B,) (0 = text tokens and text embedding replaced by learned placeholders,
classifier-free guidance, 10 % of training) -> out (B, E).

Diffusion space: train on x0 = image_embed * sqrt(E) (DALL-E 2's image_embed_scale) so
each coordinate has unit scale like the N(0, I) noise; the engine L2-normalises the
sampled x0, so the scale never leaves the prior.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from exporters.configs import PriorConfig
from exporters.models.layers import timestep_embedding

NUM_EXTRA = 4  # text embedding, step embedding, x_t, query token


class CausalBlock(nn.Module):
    """Pre-LN transformer block with causal multi-head self-attention: (B, S, D) -> (B, S, D)."""

    def __init__(self, width: int, num_heads: int, mlp_ratio: float, dropout: float) -> None:
        super().__init__()
        if width % num_heads:
            raise ValueError(f"num_heads {num_heads} must divide width {width}")
        self.num_heads = num_heads
        self.head_dim = width // num_heads
        self.ln1 = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.ln2 = nn.LayerNorm(width)
        hidden = int(width * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(width, hidden), nn.GELU(), nn.Linear(hidden, width))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, causal_bias: torch.Tensor) -> torch.Tensor:
        b, s, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).reshape(b, s, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(self.head_dim) + causal_bias  # (B, H, S, S)
        h = (self.drop(torch.softmax(att, dim=-1)) @ v).transpose(1, 2).reshape(b, s, d)
        x = x + self.drop(self.proj(h))
        return x + self.drop(self.mlp(self.ln2(x)))


class DiffusionPrior(nn.Module):
    """The prior network; see the module docstring."""

    def __init__(self, config: PriorConfig) -> None:
        super().__init__()
        self.config = c = config
        D = c.width
        self.token_proj = nn.Linear(c.token_dim, D)
        self.text_proj = nn.Linear(c.embed_dim, D)
        self.time_mlp = nn.Sequential(nn.Linear(D, D), nn.SiLU(), nn.Linear(D, D))
        self.x_proj = nn.Linear(c.embed_dim, D)
        self.query = nn.Parameter(torch.randn(D) * 0.02)  # learned final input embedding
        self.null_tokens = nn.Parameter(torch.randn(c.token_dim) * 0.02)  # placeholder for every text token
        self.null_text = nn.Parameter(torch.randn(c.embed_dim) * 0.02)  # placeholder for the text embedding
        self.pos = nn.Parameter(torch.randn(c.max_tokens + NUM_EXTRA, D) * 0.02)
        self.blocks = nn.ModuleList(CausalBlock(D, c.num_heads, c.mlp_ratio, c.dropout) for _ in range(c.depth))
        self.ln_out = nn.LayerNorm(D)
        self.out = nn.Linear(D, c.embed_dim)
        self.text_scale = math.sqrt(c.embed_dim)  # unit-norm text embedding -> unit-scale coordinates

    def forward(
        self,
        x_t: torch.Tensor,
        t: torch.Tensor,
        text_embed: torch.Tensor,
        text_tokens: torch.Tensor,
        cond_mask: torch.Tensor,
    ) -> torch.Tensor:
        m = cond_mask.to(x_t.dtype)[:, None]  # (B, 1)
        tokens = m[:, :, None] * text_tokens + (1.0 - m[:, :, None]) * self.null_tokens  # (B, L, W)
        text = m * text_embed * self.text_scale + (1.0 - m) * self.null_text  # (B, E)
        step = self.time_mlp(timestep_embedding(t, self.config.width))  # (B, D)
        query = self.query[None].expand(x_t.shape[0], -1)  # (B, D)
        extra = torch.stack([self.text_proj(text), step, self.x_proj(x_t), query], dim=1)  # (B, 4, D)
        h = torch.cat([self.token_proj(tokens), extra], dim=1)  # (B, S = L + 4, D)
        s = h.shape[1]
        h = h + self.pos[:s]
        causal = torch.triu(torch.full((s, s), float("-inf"), device=h.device), diagonal=1)  # (S, S)
        for block in self.blocks:
            h = block(h, causal)
        return self.out(self.ln_out(h[:, -1]))  # (B, E): x0 read at the query token
