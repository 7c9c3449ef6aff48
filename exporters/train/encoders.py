"""Frozen query encoders used to precompute conditioning embeddings for the cache.

Each encoder has an ``id`` (part of the cache key), ``embed_texts(list[str])
-> (N, E)`` and, for image-capable encoders, ``embed_images(list[PIL]) ->
(N, E)``; all outputs are float32 and L2-normalised, as the bundle's graph
contract says. Heavy libraries are imported only when an encoder is built.

Types:
  * ``minilm``: all-MiniLM-L6-v2 sentence embeddings (384-d), through
    :mod:`exporters.encoders.factory` (text only; the default model's encoder).
  * ``clip``: open_clip text + image towers through the same factory (config:
    model_name, checkpoint, config_dir; a tiny random CLIP from a config JSON in tests).
  * ``hashed``: a tiny deterministic stand-in (bag of hashed words and a
    4x4 colour thumbnail, each through a fixed random projection). No weights,
    no download: for tests and smoke runs only.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from exporters.train.config import EncoderConfig

logger = logging.getLogger(__name__)


class QueryEncoder(Protocol):
    id: str
    dim: int

    def embed_texts(self, texts: list[str]) -> np.ndarray: ...

    def embed_images(self, images: list[Any]) -> np.ndarray: ...


def _l2(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


class HashedEncoder:
    """Deterministic bag-of-words / thumbnail embeddings (tests and smoke runs only)."""

    def __init__(self, dim: int = 32, seed: int = 0) -> None:
        self.dim = dim
        self.id = f"hashed-{dim}-{seed}"
        rng = np.random.default_rng(seed)
        self._img_proj = rng.standard_normal((48, dim)).astype(np.float32)
        self._seed = seed

    def _word(self, word: str) -> np.ndarray:
        h = int.from_bytes(hashlib.sha256(f"{self._seed}:{word}".encode()).digest()[:8], "little")
        return np.random.default_rng(h).standard_normal(self.dim).astype(np.float32)

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in t.lower().split():
                out[i] += self._word(w)
        return _l2(out)

    def embed_images(self, images: list[Any]) -> np.ndarray:
        thumbs = np.stack(
            [np.asarray(img.convert("RGB").resize((4, 4)), dtype=np.float32).reshape(-1) / 255.0 for img in images]
        )
        return _l2((thumbs - 0.5) @ self._img_proj)


class FactoryEncoder:
    """A text encoder from :func:`exporters.encoders.factory.build_text_encoder` (MiniLM or CLIP).

    CLIP also embeds images: runtime-identical preprocessing (:mod:`sfxgen.image`),
    then the image tower.
    """

    def __init__(self, kind: str, **config: Any) -> None:
        from exporters.encoders.factory import build_text_encoder

        self._enc = build_text_encoder(kind, **config)
        self.kind = kind
        self.dim = int(self._enc.embed_dim)
        ident: dict[str, Any] = dict(self._enc.config)
        ckpt = config.get("checkpoint")
        if ckpt:  # the weights are part of the cache key: path, size and modification time
            st = Path(ckpt).stat()
            ident["weights"] = [str(Path(ckpt).resolve()), st.st_size, st.st_mtime_ns]
        elif kind == "clip":
            logger.warning("CLIP encoder without a checkpoint: random weights, embeddings are meaningless (tests only)")
            ident["random"] = id(self)  # never reuse cached embeddings of random weights
        self.id = f"{kind}-" + _digest(ident)
        self.spec = self._enc.config  # {"type", "config"} for checkpoints and export

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        return _l2(self._enc.encode(list(texts))[0])

    def encode_texts(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(text_embed (N, E), text_tokens (N, L, W)): the prior's inputs."""
        return self._enc.encode(list(texts))

    def embed_images(self, images: list[Any]) -> np.ndarray:
        if self._enc.image_module is None:
            raise ValueError(f"the {self.kind} encoder has no image tower; use encoder.type = 'clip' for video/images")
        import torch

        from sfxgen.image import preprocess_batch

        p = self._enc.preprocess
        pixels = preprocess_batch(images, p.image_size, p.mean, p.std)  # (N, 3, S, S)
        device = "cuda" if torch.cuda.is_available() else "cpu"  # ViT-L/14 over millions of frames needs a GPU
        module = self._enc.image_module.to(device)
        out = []
        with torch.inference_mode():
            for s in range(0, len(pixels), 64):
                batch = torch.from_numpy(pixels[s : s + 64]).to(device)
                out.append(module(batch).float().cpu().numpy())
        return _l2(np.concatenate(out))


def MiniLMEncoder(**config: Any) -> FactoryEncoder:
    return FactoryEncoder("minilm", **config)


def ClipEncoder(**config: Any) -> FactoryEncoder:
    return FactoryEncoder("clip", **config)


def _digest(config: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:12]


ENCODERS = {"hashed": HashedEncoder, "minilm": MiniLMEncoder, "clip": ClipEncoder}


def build_encoder(config: EncoderConfig) -> QueryEncoder:
    """Build the encoder named by ``config.type``; fails loudly on an unknown type."""
    if config.type not in ENCODERS:
        raise ValueError(f"unknown encoder type {config.type!r}; known: {sorted(ENCODERS)}")
    return ENCODERS[config.type](**config.config)
