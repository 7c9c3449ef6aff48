"""BERT WordPiece tokenizer from the bundle's ``tokenizer.json`` (HF ``tokenizers`` library)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


class WordPieceTokenizer:
    """Truncates to ``max_length`` tokens ([CLS] ... [SEP]) and pads with [PAD] = 0 to exactly ``max_length``.

    Padding to a fixed length keeps text_tokens (N, L, W) the same shape for every prompt;
    the MiniLM graph zeroes padded positions and mean-pools over the mask, so the
    embedding does not depend on the padding.
    """

    def __init__(self, path: Path, max_length: int):
        from tokenizers import Tokenizer

        try:
            self._tok = Tokenizer.from_file(str(path))
        except Exception as exc:  # the library raises a bare Exception on bad JSON
            raise ValueError(f"{path}: not a valid tokenizer.json ({exc}); re-copy or re-export the bundle") from exc
        self.max_length = int(max_length)
        self._tok.enable_truncation(self.max_length)
        self._tok.no_padding()
        self.pad_id = self._tok.token_to_id("[PAD]") or 0

    def encode(self, texts: list[str]) -> dict[str, np.ndarray]:
        """Feeds ``{"input_ids", "attention_mask"}``, int64 (N, max_length)."""
        if isinstance(texts, str):
            raise TypeError("encode takes a list of strings, not one string")
        encs = self._tok.encode_batch([str(t) for t in texts])
        ids = np.full((len(encs), self.max_length), self.pad_id, np.int64)
        mask = np.zeros((len(encs), self.max_length), np.int64)
        for i, e in enumerate(encs):
            ids[i, : len(e.ids)] = e.ids
            mask[i, : len(e.ids)] = 1
        return {"input_ids": ids, "attention_mask": mask}
