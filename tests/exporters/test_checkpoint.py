from pathlib import Path

import pytest
import torch

from exporters.checkpoint import (
    CheckpointError,
    build_component,
    load_checkpoint,
    load_into,
    make_checkpoint,
    save_checkpoint,
)
from exporters.configs import Denoiser1DConfig, DiffusionConfig, build, make_spec
from exporters.diffusion import EMA
from exporters.models.denoiser_1d import Denoiser1D
from sfxgen.configs import MelConfig, Prediction

TINY = Denoiser1DConfig(
    n_mels=8, cond_dim=6, channels=16, channel_mults=(1, 2), num_res_blocks=1, norm_groups=4, num_heads=2
)


def _ckpt(tmp_path: Path) -> tuple[Path, Denoiser1D, EMA]:
    model = Denoiser1D(TINY)
    ema = EMA(model, 0.9)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.5)
    ckpt = make_checkpoint(
        {"denoiser": model},
        ema={"denoiser": ema},
        mel=MelConfig(n_mels=8),
        diffusion=DiffusionConfig(prediction=Prediction.V),
        query={"kind": "minilm"},
        step=7,
        train_state={"opt": {"lr": torch.tensor(1e-3)}},
    )
    return save_checkpoint(tmp_path / "ck" / "a.pt", ckpt), model, ema


def test_round_trip(tmp_path: Path) -> None:
    path, model, ema = _ckpt(tmp_path)
    ck = load_checkpoint(path)
    assert ck.step == 7 and ck.mel.n_mels == 8 and ck.diffusion.prediction is Prediction.V
    assert ck.query == {"kind": "minilm"} and ck.components["denoiser"].spec == make_spec("denoiser_1d", TINY)
    raw = build_component(ck, "denoiser", use_ema=False)
    for a, b in zip(raw.state_dict().values(), model.state_dict().values()):
        torch.testing.assert_close(a, b)
    emam = build_component(ck, "denoiser", use_ema=True)
    for a, b in zip(emam.state_dict().values(), ema.model.state_dict().values()):
        torch.testing.assert_close(a, b)
    fresh = load_into(Denoiser1D(TINY), ck, "denoiser")
    x = (torch.randn(1, 8, 4), torch.tensor([5]), torch.randn(1, 6), torch.ones(1))
    torch.testing.assert_close(fresh(*x), model(*x))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "nope.pt")


def test_not_a_checkpoint(tmp_path: Path) -> None:
    (tmp_path / "junk.pt").write_bytes(b"hello")
    with pytest.raises(CheckpointError, match="not a readable"):
        load_checkpoint(tmp_path / "junk.pt")
    torch.save({"a": 1}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not an sfxgen checkpoint"):
        load_checkpoint(tmp_path / "other.pt")


def test_mismatched_config_and_architecture(tmp_path: Path) -> None:
    path, _, _ = _ckpt(tmp_path)
    ck = load_checkpoint(path)
    wider = Denoiser1D(Denoiser1DConfig(**{**TINY.__dict__, "channels": 32}))
    with pytest.raises(CheckpointError, match=r"config mismatch \(channels: checkpoint 16 vs given 32\)"):
        load_into(wider, ck, "denoiser")
    vocoder_spec = {"type": "vocos", "config": {"n_mels": 8}}
    with pytest.raises(CheckpointError, match="is a 'denoiser_1d' model, not 'vocos'"):
        build_component(ck, "denoiser", expect=vocoder_spec)
    with pytest.raises(CheckpointError, match="has no 'vocoder' component"):
        build_component(ck, "vocoder")


def test_weights_not_fitting_spec(tmp_path: Path) -> None:
    path, _, _ = _ckpt(tmp_path)
    ck = load_checkpoint(path)
    ck.components["denoiser"].spec = make_spec("denoiser_1d", Denoiser1DConfig(**{**TINY.__dict__, "channels": 32}))
    ck.components["denoiser"].ema = None
    with pytest.raises(CheckpointError, match="weights do not fit"):
        build_component(ck, "denoiser")


def test_unknown_type_in_file(tmp_path: Path) -> None:
    path, _, _ = _ckpt(tmp_path)
    data = torch.load(path, weights_only=True)
    data["components"]["denoiser"]["spec"]["type"] = "mystery"
    torch.save(data, path)
    with pytest.raises(Exception, match="unknown type 'mystery'"):
        load_checkpoint(path)


def test_build_matches_registry() -> None:
    assert isinstance(build(make_spec("denoiser_1d", TINY)), Denoiser1D)
