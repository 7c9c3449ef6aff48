"""Tiny random open_clip models: checkpoint round trip by path, ONNX export parity, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from exporters.encoders.clip import (
    CheckpointError,
    ClipConfig,
    ClipImageEncoder,
    ClipTextEncoder,
    export_clip,
    load_clip,
)
from exporters.encoders.export import ort_session
from exporters.encoders.parity_texts import PARITY_TEXTS
from sfxgen.image import preprocess_batch
from sfxgen.tokenizers import load_tokenizer

open_clip = pytest.importorskip("open_clip")

TINY = {
    "embed_dim": 16,
    "vision_cfg": {"image_size": 32, "layers": 2, "width": 32, "head_width": 16, "patch_size": 8},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 2},
}


@pytest.fixture(scope="module")
def configs(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("clip_cfg")
    (d / "sfxgen-tiny-clip.json").write_text(json.dumps(TINY))
    wide = json.loads(json.dumps(TINY))
    wide["text_cfg"]["width"] = 48
    wide["text_cfg"]["heads"] = 3
    (d / "sfxgen-tiny-clip-wide.json").write_text(json.dumps(wide))
    custom = json.loads(json.dumps(TINY)) | {"custom_text": True}
    (d / "sfxgen-tiny-clip-custom.json").write_text(json.dumps(custom))
    return d


@pytest.fixture(scope="module")
def checkpoint(configs, tmp_path_factory) -> Path:
    torch.manual_seed(0)
    model, _, _ = load_clip(ClipConfig("sfxgen-tiny-clip", None, str(configs)))
    path = tmp_path_factory.mktemp("ckpt") / "tiny_clip.pt"
    torch.save(model.state_dict(), path)
    return path


def test_checkpoint_loaded_by_path(configs, checkpoint):
    saved = torch.load(checkpoint, weights_only=True)
    torch.manual_seed(123)  # a different random init, overwritten by the checkpoint
    model, prep, ctx = load_clip(ClipConfig("sfxgen-tiny-clip", str(checkpoint), str(configs)))
    for k, v in model.state_dict().items():
        assert torch.equal(v, saved[k]), k
    assert ctx == 77 and prep.image_size == 32 and prep.interpolation == "bicubic"


def test_export_parity(configs, checkpoint, tmp_path):
    cfg = ClipConfig("sfxgen-tiny-clip", str(checkpoint), str(configs))
    out = export_clip(cfg, tmp_path)
    model, prep, _ = load_clip(cfg)
    assert out["embed_dim"] == 16 and out["text"].config == {"type": "clip", "config": vars(cfg), "precision": "fp32"}
    assert [t.name for t in out["text"].inputs] == ["input_ids"]

    tok = load_tokenizer(out["tokenizer"], tmp_path)  # runtime tokenizer from the bundle copy of the vocab
    feeds = tok.encode(PARITY_TEXTS[:20])
    with torch.no_grad():
        ids = torch.from_numpy(feeds["input_ids"])
        ref = model.encode_text(ids, normalize=True).numpy()
        ref_tokens = ClipTextEncoder(model)(ids)[1].numpy()
    embed, tokens = ort_session(tmp_path / out["text"].file).run(None, feeds)
    assert np.abs(embed - ref).max() < 1e-5
    assert np.abs(tokens - ref_tokens).max() < 1e-5
    assert tokens.shape == (20, 77, 32)

    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (40 + 7 * i, 50, 3), dtype=np.uint8) for i in range(3)]
    pixels = preprocess_batch(images, prep.image_size, prep.mean, prep.std)
    with torch.no_grad():
        ref_img = model.encode_image(torch.from_numpy(pixels), normalize=True).numpy()
    (img_embed,) = ort_session(tmp_path / out["image"].file).run(None, {"pixel_values": pixels})
    assert img_embed.shape == (3, 16)
    assert np.abs(img_embed - ref_img).max() < 1e-5
    np.testing.assert_allclose(np.linalg.norm(img_embed, axis=1), 1.0, atol=1e-5)


def test_custom_text_tower_wrapper(configs):
    torch.manual_seed(0)
    model, _, _ = load_clip(ClipConfig("sfxgen-tiny-clip-custom", None, str(configs)))
    assert type(model).__name__ == "CustomTextCLIP"
    ids = open_clip.get_tokenizer("sfxgen-tiny-clip-custom")(["a dog barks", "rain"])
    with torch.no_grad():
        embed, tokens = ClipTextEncoder(model)(ids)
        ref = model.encode_text(ids, normalize=True)
        img = ClipImageEncoder(model)(torch.zeros(1, 3, 32, 32))
    assert torch.allclose(embed, ref, atol=1e-6) and tokens.shape == (2, 77, 32) and img.shape == (1, 16)
    assert isinstance(model.encode_text(ids), torch.Tensor)  # the wrapper left the model untouched


def test_missing_checkpoint(configs, tmp_path):
    with pytest.raises(FileNotFoundError, match="checkpoint file not found"):
        load_clip(ClipConfig("sfxgen-tiny-clip", str(tmp_path / "nope.pt"), str(configs)))


def test_checkpoint_of_other_architecture(configs, checkpoint):
    with pytest.raises(CheckpointError, match="another architecture"):
        load_clip(ClipConfig("sfxgen-tiny-clip-wide", str(checkpoint), str(configs)))


def test_not_a_checkpoint(configs, tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"definitely not a torch file")
    with pytest.raises(CheckpointError, match=str(bad)):
        load_clip(ClipConfig("sfxgen-tiny-clip", str(bad), str(configs)))


def test_unknown_model_name(configs):
    with pytest.raises(ValueError, match="unknown open_clip model config"):
        load_clip(ClipConfig("no-such-clip", None, str(configs)))
    with pytest.raises(ValueError, match="not supported offline"):
        load_clip(ClipConfig("hf-hub:org/model"))
