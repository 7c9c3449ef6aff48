"""Tiny random components and a tiny text encoder for the export tests (no downloads, seconds)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from exporters.configs import Denoiser1DConfig, DiffusionConfig, VocosConfig, build, make_spec
from exporters.export import QueryExport, _onnx_export
from exporters.onnx_io import graph_spec
from sfxgen import bundle as sb
from sfxgen.configs import MelConfig, Prediction, ScheduleConfig
from tests.helpers.tiny_bundle import write_wordpiece_tokenizer

E, W, L, VOCAB = 16, 8, 12, 128  # embed dim, token width, tokens per prompt, vocabulary (>= the tiny WordPiece one)
MEL = MelConfig(sample_rate=8000, n_fft=256, hop_length=64, win_length=256, n_mels=16, f_max=4000.0)
DIFFUSION = DiffusionConfig(schedule=ScheduleConfig(num_train_steps=100), prediction=Prediction.V)
DENOISER = Denoiser1DConfig(
    n_mels=16, cond_dim=E, channels=16, channel_mults=(1, 2), num_res_blocks=1, norm_groups=4, num_heads=2
)
DENOISER_REFINED = dataclasses.replace(DENOISER, refiner_channels=8)  # with the 2-D frequency refiner
VOCODER = VocosConfig(n_mels=16, n_fft=256, hop_length=64, win_length=256, dim=32, intermediate_dim=64, num_layers=2)


def perturb(model: nn.Module, std: float = 0.1) -> nn.Module:
    """Randomise zero-initialised layers so the parity checks compare non-trivial outputs."""
    with torch.no_grad():
        for p in model.parameters():
            if p.abs().max() == 0:
                p.normal_(std=std)
    return model


def tiny(kind: str, config) -> nn.Module:
    return perturb(build(make_spec(kind, config))).eval()


class TinyTextEncoder(nn.Module):
    """input_ids (N, L) -> text_embed (N, E) unit norm, text_tokens (N, L, W)."""

    def __init__(self) -> None:
        super().__init__()
        self.tok = nn.Embedding(VOCAB, W)
        self.proj = nn.Linear(W, E)

    def forward(self, input_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        tokens = self.tok(input_ids)  # (N, L, W)
        return F.normalize(self.proj(tokens.mean(1)), dim=-1), tokens


def tiny_query_exporter(out_dir: Path) -> QueryExport:
    torch.manual_seed(123)
    path = out_dir / "text_encoder.onnx"
    dyn = {"input_ids": {0: "batch", 1: "tokens"}, "text_embed": {0: "batch"}, "text_tokens": {0: "batch", 1: "tokens"}}
    ids = torch.randint(0, VOCAB, (2, L))
    _onnx_export(TinyTextEncoder(), (ids,), path, ["input_ids"], ["text_embed", "text_tokens"], dyn)
    T = sb.TensorSpec
    spec = graph_spec(
        path,
        [T("input_ids", "int64", ("batch", L))],
        [T("text_embed", "float32", ("batch", E)), T("text_tokens", "float32", ("batch", L, W))],
        {"type": "tiny_test", "config": {}},
    )
    tok = out_dir / "tokenizer.json"
    write_wordpiece_tokenizer(tok, max_length=L)
    tok_spec = sb.TokenizerSpec(sb.TokenizerKind.WORDPIECE, L, tok.name, sb.sha256_file(tok))
    return QueryExport(sb.EncoderKind.MINILM, E, spec, tok_spec)
