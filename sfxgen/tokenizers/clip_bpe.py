"""CLIP byte-level BPE tokenizer: a numpy port of open_clip's ``SimpleTokenizer``.

Copied in behaviour from https://github.com/openai/CLIP (MIT, Copyright (c) 2021 OpenAI)
via open_clip: ftfy + double HTML unescape, whitespace collapse, lower case, the same
regex split and BPE merges (the first 48894 lines of ``bpe_simple_vocab_16e6.txt.gz``,
which the exporter copies into the bundle). Each prompt becomes
``<start_of_text> tokens <end_of_text>`` zero-padded to ``max_length``; longer prompts
are cut and their last token replaced by ``<end_of_text>``.
"""

from __future__ import annotations

import functools
import gzip
import html
import itertools
from pathlib import Path

import ftfy
import numpy as np
import regex as re

VOCAB_FILE = "bpe_simple_vocab_16e6.txt.gz"
NUM_MERGES = 49152 - 256 - 2  # open_clip reads merges[1 : NUM_MERGES + 1]


@functools.lru_cache
def bytes_to_unicode() -> dict[int, str]:
    """Reversible map utf-8 byte -> printable unicode char (no whitespace/control chars)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def _pairs(word: tuple[str, ...]) -> set[tuple[str, str]]:
    return set(itertools.pairwise(word))


def clean(text: str) -> str:
    """open_clip's ``clean="lower"``: ftfy, HTML unescape twice, collapse whitespace, lower case."""
    text = html.unescape(html.unescape(ftfy.fix_text(text))).strip()
    return " ".join(text.split()).strip().lower()


class ClipTokenizer:
    """open_clip SimpleTokenizer without torch; ``encode`` returns {"input_ids": int64 (N, max_length)}."""

    def __init__(self, path: Path | None, max_length: int = 77):
        if path is None:
            raise ValueError(f"the clip_bpe tokenizer needs its vocabulary file ({VOCAB_FILE}) named in bundle.json")
        path = Path(path)
        try:
            with gzip.open(path) as fh:
                merges_txt = fh.read().decode("utf-8").split("\n")
        except (OSError, EOFError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path}: unreadable CLIP BPE vocabulary ({exc}); re-copy or re-export it") from exc
        merges = [tuple(m.split()) for m in merges_txt[1 : NUM_MERGES + 1]]
        if len(merges) != NUM_MERGES or any(len(m) != 2 for m in merges):
            raise ValueError(f"{path}: not a CLIP BPE vocabulary ({VOCAB_FILE} with {NUM_MERGES} merges expected)")
        self.byte_encoder = bytes_to_unicode()
        vocab = list(self.byte_encoder.values())
        vocab = vocab + [v + "</w>" for v in vocab] + ["".join(m) for m in merges]
        special = ["<start_of_text>", "<end_of_text>"]
        vocab.extend(special)
        self.encoder = {t: i for i, t in enumerate(vocab)}
        self.bpe_ranks = {m: i for i, m in enumerate(merges)}
        self.cache = {t: t for t in special}
        self.pat = re.compile(
            "|".join(special) + r"""|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""", re.IGNORECASE
        )
        self.sot_token_id = self.encoder["<start_of_text>"]
        self.eot_token_id = self.encoder["<end_of_text>"]
        self.vocab_size = len(self.encoder)
        self.max_length = int(max_length)

    def bpe(self, token: str) -> str:
        if token in self.cache:
            return self.cache[token]
        word = (*tuple(token[:-1]), token[-1] + "</w>")
        pairs = _pairs(word)
        if not pairs:
            return token + "</w>"
        while True:
            bigram = min(pairs, key=lambda p: self.bpe_ranks.get(p, float("inf")))
            if bigram not in self.bpe_ranks:
                break
            first, second = bigram
            new_word: list[str] = []
            i = 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                except ValueError:
                    new_word.extend(word[i:])
                    break
                new_word.extend(word[i:j])
                i = j
                if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                    new_word.append(first + second)
                    i += 2
                else:
                    new_word.append(word[i])
                    i += 1
            word = tuple(new_word)
            if len(word) == 1:
                break
            pairs = _pairs(word)
        out = " ".join(word)
        self.cache[token] = out
        return out

    def encode_one(self, text: str) -> list[int]:
        """BPE ids of one prompt, without start/end tokens and without truncation."""
        ids: list[int] = []
        for token in re.findall(self.pat, clean(text)):
            token = "".join(self.byte_encoder[b] for b in token.encode("utf-8"))
            ids.extend(self.encoder[t] for t in self.bpe(token).split(" "))
        return ids

    def encode(self, texts: list[str]) -> dict[str, np.ndarray]:
        """Feeds ``{"input_ids": int64 (N, max_length)}``, zero-padded, truncated with a final <end_of_text>."""
        if isinstance(texts, str):
            raise TypeError("encode takes a list of strings, not one string")
        out = np.zeros((len(texts), self.max_length), np.int64)
        for i, text in enumerate(texts):
            ids = [self.sot_token_id, *self.encode_one(str(text)), self.eot_token_id]
            if len(ids) > self.max_length:
                ids = ids[: self.max_length]
                ids[-1] = self.eot_token_id
            out[i, : len(ids)] = ids
        return {"input_ids": out}
