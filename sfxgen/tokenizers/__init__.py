"""Runtime tokenizers (no torch): CLIP BPE and BERT WordPiece, chosen by the bundle's TokenizerSpec."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from sfxgen.bundle import TokenizerKind, TokenizerSpec


class Tokenizer(Protocol):
    max_length: int

    def encode(self, texts: list[str]) -> dict[str, np.ndarray]:
        """Graph feeds for a batch of prompts: "input_ids" int64 (N, L) [+ "attention_mask" int64 (N, L)]."""
        ...


def load_tokenizer(spec: TokenizerSpec, bundle_root: Path) -> Tokenizer:
    """The tokenizer a bundle's text encoder was exported with.

    Raises:
        FileNotFoundError: the vocabulary file named by the spec is not in the bundle.
        ValueError: unknown tokenizer kind.
    """
    bundle_root = Path(bundle_root)
    kind = TokenizerKind(spec.kind)
    path = None
    if spec.file is not None:
        path = bundle_root / spec.file
        if not path.is_file():
            raise FileNotFoundError(f"{path}: tokenizer file named in bundle.json is missing; re-copy the bundle")
    if kind is TokenizerKind.WORDPIECE:
        from sfxgen.tokenizers.wordpiece import WordPieceTokenizer

        if path is None:
            raise ValueError("a wordpiece tokenizer needs 'file' (tokenizer.json) in bundle.json's query.tokenizer")
        return WordPieceTokenizer(path, spec.max_length)
    if kind is TokenizerKind.CLIP_BPE:
        from sfxgen.tokenizers.clip_bpe import ClipTokenizer

        return ClipTokenizer(path, spec.max_length)
    raise ValueError(f"unknown tokenizer kind {spec.kind!r}")
