"""The issue's end-to-end path: a tiny open_clip model from a custom config saved to a file, a denoiser
conditioned on it, `sfxgen export` by path, then the engine generating from text and from an image."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from exporters.checkpoint import make_checkpoint, save_checkpoint
from exporters.commands import export as cmd
from exporters.configs import Denoiser1DConfig
from tests.exporters.test_export_command import _parse
from tests.exporters.tiny_components import DENOISER, DIFFUSION, MEL, VOCODER, tiny

TINY_CLIP = {
    "embed_dim": 16,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "head_width": 16, "patch_size": 8},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}


@pytest.mark.slow
def test_tiny_clip_checkpoint_to_engine(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from PIL import Image

    from exporters.encoders.clip import ClipConfig, load_clip
    from sfxgen.bundle import GraphRole
    from sfxgen.engine import Engine
    from sfxgen.request import GenerateRequest, QueryMode

    (tmp_path / "sfxgen-export-tiny-clip.json").write_text(json.dumps(TINY_CLIP))
    clip_cfg = {"model_name": "sfxgen-export-tiny-clip", "checkpoint": None, "config_dir": str(tmp_path)}
    clip, _, _ = load_clip(ClipConfig(**clip_cfg))
    torch.save(clip.state_dict(), tmp_path / "clip.pt")
    clip_cfg["checkpoint"] = str(tmp_path / "clip.pt")

    den = tiny("denoiser_1d", Denoiser1DConfig(**{**DENOISER.__dict__, "cond_dim": 16}))
    ck = make_checkpoint(
        {"denoiser": den, "vocoder": tiny("vocos", VOCODER)},
        mel=MEL,
        diffusion=DIFFUSION,
        query={"type": "clip", "config": clip_cfg, "dim": 16, "condition": "image"},
        step=9,
    )
    path = save_checkpoint(tmp_path / "model.pt", ck)
    assert cmd.run(_parse(str(path), "--out", str(tmp_path / "b"))) == 0, capsys.readouterr().err

    Image.fromarray((np.random.default_rng(0).random((40, 50, 3)) * 255).astype(np.uint8)).save(tmp_path / "f.png")
    with Engine(tmp_path / "b", providers="cpu", num_threads=1) as eng:
        b = eng.bundle
        assert b.has(GraphRole.IMAGE_ENCODER) and b.query.image_size == 32 and b.query.condition == "image"
        text = eng.generate(
            GenerateRequest(
                prompt="a dog barking", duration=0.25, variations=1, seed=5, steps=3, out_dir=tmp_path / "out"
            ),
            timeout=120,
        )
        image = eng.generate(
            GenerateRequest(
                image=tmp_path / "f.png",
                query_mode=QueryMode.IMAGE,
                duration=0.25,
                variations=1,
                seed=5,
                steps=3,
                out_dir=tmp_path / "out",
            ),
            timeout=120,
        )
    assert text.files[0].is_file() and image.files[0].is_file() and text.files[0] != image.files[0]
