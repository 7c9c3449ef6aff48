"""``build_text_encoder(kind, **cfg)``: one entry point for the training and export code.

A :class:`TextEncoder` bundles the torch module (feeds -> text_embed, text_tokens), the
tokenizer that produces the same ids as the runtime (``sfxgen.tokenizers``), and an
``export`` method that writes the graph + vocabulary into a bundle folder.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

KINDS = ("clip", "minilm")


@dataclasses.dataclass
class TextEncoder:
    """A query text encoder ready for caching embeddings (training) or export."""

    kind: str  # "clip" | "minilm" (sfxgen.bundle.EncoderKind value)
    module: Any  # torch.nn.Module: input_ids [, attention_mask] -> (text_embed (N, E), text_tokens (N, L, W))
    tokenize: Callable[[list[str]], dict[str, np.ndarray]]  # runtime-identical feeds, padded to max_length
    embed_dim: int  # E
    token_width: int  # W
    max_length: int  # L
    config: dict[str, Any]  # {"type", "config"} recorded in checkpoints and bundle.json
    image_module: Any = None  # CLIP only: pixel_values -> image_embed
    preprocess: Any = None  # CLIP only: exporters.encoders.clip.ImagePreprocess
    _clip_model: Any = None  # CLIP only: the open_clip model both wrappers share (exported as loaded)

    def encode(self, texts: list[str], batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
        """(text_embed (N, E), text_tokens (N, L, W)) float32 with torch, 1 thread per call's caller."""
        import torch

        embeds, tokens = [], []
        with torch.inference_mode():
            for s in range(0, len(texts), batch_size):
                feeds = self.tokenize(list(texts[s : s + batch_size]))
                out = self.module(*[torch.from_numpy(v) for v in feeds.values()])
                embeds.append(out[0].float().numpy())
                tokens.append(out[1].float().numpy())
        if not embeds:
            shape = (0, self.max_length, self.token_width)
            return np.zeros((0, self.embed_dim), np.float32), np.zeros(shape, np.float32)
        return np.concatenate(embeds), np.concatenate(tokens)

    def export(self, out_dir: str | Path, precision: str = "auto", image: bool = True) -> dict[str, Any]:
        """Write the encoder graph(s) and vocabulary; returns {"text", "image", "tokenizer", "reports", ...}."""
        cfg = self.config["config"]
        if self.kind == "minilm":
            from exporters.encoders.minilm import MiniLMConfig, export_minilm

            graph, tok, reports = export_minilm(out_dir, MiniLMConfig(**cfg), precision=precision, model=self.module)
            return {"text": graph, "image": None, "tokenizer": tok, "embed_dim": self.embed_dim, "reports": reports}
        from exporters.encoders.clip import ClipConfig, export_clip

        loaded = (self._clip_model, self.preprocess, self.max_length)
        return export_clip(ClipConfig(**cfg), out_dir, image=image, precision=precision, loaded=loaded)


def build_text_encoder(kind: str, **cfg: Any) -> TextEncoder:
    """Build the text encoder of ``kind`` ("clip" | "minilm") from its config fields.

    Raises:
        ValueError: unknown kind or unknown config key (the message lists the valid ones).
    """
    if kind == "minilm":
        from exporters.encoders import minilm

        config = _make(minilm.MiniLMConfig, cfg, kind)
        module = minilm.load_minilm(config)
        tok = minilm.load_tokenizer(config)
        return TextEncoder(
            kind=kind,
            module=module,
            tokenize=lambda texts: minilm.tokenize(tok, texts, pad_to=config.max_length),
            embed_dim=module.embed_dim,
            token_width=module.embed_dim,
            max_length=config.max_length,
            config={"type": kind, "config": dataclasses.asdict(config)},
        )
    if kind == "clip":
        import torch

        from exporters.encoders import clip
        from sfxgen.tokenizers.clip_bpe import ClipTokenizer

        config = _make(clip.ClipConfig, cfg, kind)
        model, prep, context_length = clip.load_clip(config)
        from open_clip.tokenizer import default_bpe

        tok = ClipTokenizer(Path(default_bpe()), context_length)
        text = clip.ClipTextEncoder(model).eval()
        with torch.inference_mode():
            e, t = text(torch.from_numpy(tok.encode(["probe"])["input_ids"]))  # (1, E), (1, L, W)
        return TextEncoder(
            kind=kind,
            module=text,
            tokenize=tok.encode,
            embed_dim=int(e.shape[1]),
            token_width=int(t.shape[2]),
            max_length=context_length,
            config={"type": kind, "config": dataclasses.asdict(config)},
            image_module=clip.ClipImageEncoder(model).eval(),
            preprocess=prep,
            _clip_model=model,
        )
    raise ValueError(f"unknown text encoder kind {kind!r}; use one of {KINDS}")


def _make(cls: type, cfg: dict[str, Any], kind: str):
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(cfg) - names)
    if unknown:
        raise ValueError(f"{kind} encoder: unknown config key(s) {unknown}; valid keys: {sorted(names)}")
    return cls(**cfg)
