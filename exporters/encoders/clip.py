"""open_clip CLIP text and image towers as bundle graphs (``EncoderKind.CLIP``).

Any open_clip model config whose text tower uses the CLIP BPE tokenizer (ViT-*, RN*,
custom configs registered from a folder with ``open_clip.add_model_config``), weights
from a local checkpoint file only (nothing is downloaded). OpenAI's released weights
were trained with QuickGELU: load them with the ``-quickgelu`` config (e.g.
``ViT-L-14-quickgelu``, the CLIPSonic paper's encoder), otherwise the outputs are wrong
although every tensor shape matches.

Wrappers return the graph contract of :mod:`sfxgen.bundle`:
  ClipTextEncoder  input_ids (N, L) -> text_embed (N, E) L2-normalised,
                   text_tokens (N, L, W) = ln_final output of every position (before projection)
  ClipImageEncoder pixel_values (N, 3, H, W) -> image_embed (N, E) L2-normalised
"""

from __future__ import annotations

import copy
import dataclasses
import logging
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from exporters.encoders.torchvision_guard import install as _install_guard

logger = logging.getLogger(__name__)
_install_guard()  # so that `import open_clip` works after importing this module


class CheckpointError(ValueError):
    """A checkpoint is missing, unreadable, or was trained for another architecture."""


@dataclasses.dataclass(frozen=True)
class ClipConfig:
    model_name: str = "ViT-L-14-quickgelu"  # open_clip model config name (built-in or from config_dir)
    checkpoint: str | None = None  # local checkpoint file (.pt/.bin/.safetensors); None = random init (tests only)
    config_dir: str | None = None  # folder (or file) of extra open_clip model-config JSONs


@dataclasses.dataclass(frozen=True)
class ImagePreprocess:
    """What the runtime needs to reproduce open_clip's eval transform (sfxgen.image)."""

    image_size: int  # square center crop after resizing the shortest side to it
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    interpolation: str  # "bicubic" for every CLIP so far
    resize_mode: str  # "shortest"


def _open_clip():
    _install_guard()
    import open_clip

    return open_clip


def load_clip(config: ClipConfig) -> tuple[nn.Module, ImagePreprocess, int]:
    """Build the open_clip model and load the checkpoint; returns (model, preprocess, context_length).

    Raises:
        FileNotFoundError: ``checkpoint`` or ``config_dir`` does not exist.
        CheckpointError: the checkpoint cannot be read or does not fit ``model_name``.
        ValueError: unknown model name, or a text tower that does not use the CLIP BPE tokenizer.
    """
    open_clip = _open_clip()
    if config.config_dir is not None:
        if not Path(config.config_dir).exists():
            raise FileNotFoundError(f"{config.config_dir}: open_clip model-config folder does not exist")
        open_clip.add_model_config(config.config_dir)
    name = config.model_name
    if ":" in name:
        raise ValueError(f"model_name {name!r}: hub/schema names are not supported offline; use a config name")
    if name not in open_clip.list_models():
        raise ValueError(
            f"unknown open_clip model config {name!r}; pass config_dir with its JSON or use one of e.g. "
            "ViT-B-32, ViT-B-16, ViT-L-14, ViT-L-14-quickgelu, RN50-quickgelu"
        )
    ckpt = config.checkpoint
    if ckpt is not None:
        if not Path(ckpt).is_file():
            raise FileNotFoundError(f"{ckpt}: CLIP checkpoint file not found; pass the path of a local weights file")
        if "openai" in Path(ckpt).name.lower() and "quickgelu" not in name:
            logger.warning("%s looks like OpenAI weights: they need the '-quickgelu' config, not %r", ckpt, name)
    try:
        model, _, _ = open_clip.create_model_and_transforms(name, pretrained=ckpt, device="cpu")
    except Exception as exc:  # size mismatch, missing keys, open_clip asserts, pickle/safetensors errors
        if ckpt is None:
            raise
        lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
        detail = "; ".join(lines[:4])[:600]
        raise CheckpointError(
            f"{ckpt}: cannot load into open_clip {name!r} ({type(exc).__name__}: {detail}). "
            "Is it a checkpoint of another architecture, or not a CLIP checkpoint at all? "
            "Pass the model_name (and config_dir) it was trained with."
        ) from exc
    model.eval()
    tok = open_clip.get_tokenizer(name)
    if type(tok).__name__ != "SimpleTokenizer" or getattr(tok, "reduction_fn", None) is not None:
        raise ValueError(f"{name!r} uses the {type(tok).__name__} tokenizer; only CLIP BPE text towers are supported")
    pp = model.visual.preprocess_cfg
    size = pp["size"]
    if isinstance(size, (tuple, list)):
        if size[0] != size[1]:
            raise ValueError(f"{name!r}: non-square image size {size} is not supported")
        size = size[0]
    prep = ImagePreprocess(
        image_size=int(size),
        mean=tuple(float(v) for v in pp["mean"]),
        std=tuple(float(v) for v in pp["std"]),
        interpolation=str(pp["interpolation"]),
        resize_mode=str(pp["resize_mode"]),
    )
    if prep.resize_mode != "shortest" or prep.interpolation != "bicubic":
        raise ValueError(f"{name!r}: preprocessing {prep} differs from CLIP's (bicubic, shortest side)")
    return model, prep, int(tok.context_length)


class ClipTextEncoder(nn.Module):
    """CLIP text tower: input_ids (N, L) int64 -> (text_embed (N, E), text_tokens (N, L, W))."""

    def __init__(self, model: nn.Module):
        super().__init__()
        if hasattr(model, "text"):  # CustomTextCLIP
            text = model.text
            if type(text).__name__ != "TextTransformer" or getattr(text, "cls_emb", None) is not None:
                raise ValueError(f"text tower {type(text).__name__} is not supported (need a CLIP TextTransformer)")
            self.text = copy.copy(text)  # shares parameters; only the output flag differs
            self.text.output_tokens = True
            self.clip = None
        else:
            self.clip = model
            self.text = None

    def forward(self, input_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.text is not None:
            pooled, tokens = self.text(input_ids)
            return F.normalize(pooled, dim=-1), tokens
        m = self.clip
        x = m.token_embedding(input_ids) + m.positional_embedding[: input_ids.shape[1]]  # (N, L, W)
        x = m.transformer(x, attn_mask=m.attn_mask[: input_ids.shape[1], : input_ids.shape[1]])
        tokens = m.ln_final(x)  # (N, L, W)
        # pool at <end_of_text> (the highest id in each row), as open_clip's "argmax" pool_type
        _install_guard()
        from open_clip.transformer import text_global_pool

        pooled = text_global_pool(tokens, input_ids, m.text_pool_type, eos_token_id=getattr(m, "text_eos_id", None))
        if m.text_projection is not None:
            proj = m.text_projection
            pooled = proj(pooled) if isinstance(proj, nn.Linear) else pooled @ proj
        return F.normalize(pooled, dim=-1), tokens  # (N, E), (N, L, W)


class ClipImageEncoder(nn.Module):
    """CLIP image tower: pixel_values (N, 3, H, W) -> image_embed (N, E) L2-normalised."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.visual = model.visual

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.visual(pixel_values), dim=-1)


def export_clip(
    config: ClipConfig,
    out_dir: str | Path,
    *,
    image: bool = True,
    precision: str = "fp32",
    atol: float = 1e-4,
    loaded: tuple[nn.Module, ImagePreprocess, int] | None = None,
) -> dict[str, Any]:
    """Export the text (and image) tower plus the BPE vocabulary into a bundle folder.

    Args:
        loaded: the ``load_clip(config)`` result to export (else it is loaded here; a
            checkpoint-less config would then get fresh random weights).

    Returns ``{"text": GraphSpec, "image": GraphSpec | None, "tokenizer": TokenizerSpec,
    "preprocess": ImagePreprocess, "embed_dim": E, "reports": {...}}``.
    """
    import shutil

    import numpy as np

    from exporters.encoders.export import export_image_encoder, export_text_encoder
    from exporters.encoders.parity_texts import PARITY_TEXTS
    from sfxgen.bundle import TokenizerKind, TokenizerSpec, sha256_file
    from sfxgen.tokenizers.clip_bpe import VOCAB_FILE, ClipTokenizer

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model, prep, context_length = loaded if loaded is not None else load_clip(config)
    from open_clip.tokenizer import default_bpe

    vocab = out_dir / VOCAB_FILE
    shutil.copyfile(default_bpe(), vocab)
    tok = ClipTokenizer(vocab, context_length)
    cfg = {"type": "clip", "config": dataclasses.asdict(config)}
    feeds = tok.encode(PARITY_TEXTS[:4])
    parity = [tok.encode(PARITY_TEXTS[i : i + 25]) for i in range(0, len(PARITY_TEXTS), 25)]
    text_spec, text_rep = export_text_encoder(
        ClipTextEncoder(model), out_dir, feeds, config=cfg, atol=atol, precision=precision, parity_feeds=parity
    )
    image_spec, image_rep = None, []
    if image:
        rng = np.random.default_rng(0)
        pixels = rng.standard_normal((2, 3, prep.image_size, prep.image_size)).astype(np.float32)
        image_spec, image_rep = export_image_encoder(
            ClipImageEncoder(model), out_dir, pixels, config=cfg, atol=atol, precision=precision
        )
    tok_spec = TokenizerSpec(TokenizerKind.CLIP_BPE, context_length, VOCAB_FILE, sha256_file(vocab))
    return {
        "text": text_spec,
        "image": image_spec,
        "tokenizer": tok_spec,
        "preprocess": prep,
        "embed_dim": int(text_spec.outputs[0].shape[1]),
        "reports": {"text": text_rep, "image": image_rep},
    }
