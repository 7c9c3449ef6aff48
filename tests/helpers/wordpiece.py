"""Minimal WordPiece tokenizer for tests, used only until ``sfxgen.tokenizers`` exists.

Same API as the encoder engineer's ``sfxgen.tokenizers.load_tokenizer(spec, bundle_root)``.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

import numpy as np


class WordPieceTokenizer:
    def __init__(self, path: Path, max_length: int) -> None:
        from tokenizers import Tokenizer

        self._tok = Tokenizer.from_file(str(path))
        self._tok.enable_truncation(max_length=max_length)
        self._tok.enable_padding(length=max_length)

    def encode(self, texts: list[str]) -> dict[str, np.ndarray]:
        enc = self._tok.encode_batch(list(texts))
        return {
            "input_ids": np.array([e.ids for e in enc], np.int64),  # (N, L)
            "attention_mask": np.array([e.attention_mask for e in enc], np.int64),  # (N, L)
        }


def load_tokenizer(spec, bundle_root: Path) -> WordPieceTokenizer:
    return WordPieceTokenizer(Path(bundle_root) / spec.file, spec.max_length)


def install_fallback() -> bool:
    """Register this module as ``sfxgen.tokenizers`` if the real one is missing; True if it did."""
    try:
        import sfxgen.tokenizers  # noqa: F401

        return False
    except ImportError:
        mod = types.ModuleType("sfxgen.tokenizers")
        mod.load_tokenizer = load_tokenizer  # type: ignore[attr-defined]
        sys.modules["sfxgen.tokenizers"] = mod
        return True


def preprocess(image, size: int, mean, std) -> np.ndarray:
    """CLIP-style preprocessing (resize short side, centre crop, scale, normalise) -> (3, H, W) float32."""
    from PIL import Image

    im = image if isinstance(image, Image.Image) else Image.open(image)
    im = im.convert("RGB")
    scale = size / min(im.size)
    im = im.resize((max(size, round(im.width * scale)), max(size, round(im.height * scale))), Image.BICUBIC)
    left, top = (im.width - size) // 2, (im.height - size) // 2
    im = im.crop((left, top, left + size, top + size))
    x = np.asarray(im, np.float32) / 255.0
    x = (x - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    return np.ascontiguousarray(x.transpose(2, 0, 1))


def install_image_fallback() -> bool:
    """Register :func:`preprocess` as ``sfxgen.image`` if the real one is missing; True if it did."""
    try:
        import sfxgen.image  # noqa: F401

        return False
    except ImportError:
        mod = types.ModuleType("sfxgen.image")
        mod.preprocess = preprocess  # type: ignore[attr-defined]
        sys.modules["sfxgen.image"] = mod
        return True
