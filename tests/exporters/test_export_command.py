import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from exporters.checkpoint import make_checkpoint, save_checkpoint
from exporters.commands import export as cmd
from tests.exporters.tiny_components import DIFFUSION, MEL, VOCODER, tiny

ROOT = Path(__file__).resolve().parents[2]


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cmd.add_arguments(parser)
    return parser.parse_args(list(argv))


def test_no_torch_at_import() -> None:
    code = "import sys, exporters.commands.export as m; assert m.HELP; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_missing_checkpoint_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert cmd.run(_parse(str(tmp_path / "nope.pt"), "--out", str(tmp_path / "b"))) == 2
    assert "checkpoint file not found" in capsys.readouterr().err


def test_unexportable_encoder_and_flags(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    ck = make_checkpoint({"vocoder": tiny("vocos", VOCODER)}, mel=MEL, diffusion=DIFFUSION, query={"type": "hashed"})
    path = save_checkpoint(tmp_path / "v.pt", ck)
    assert cmd.run(_parse(str(path), "--out", str(tmp_path / "b"))) == 2
    assert "query encoder 'hashed' cannot be exported" in capsys.readouterr().err
    args = _parse(str(path), "--out", "x", "--text-encoder", "clip", "--clip-model", "ViT-B-32", "--precision", "auto")
    assert cmd._query(args, {"type": "minilm", "config": {"model_dir": "m"}}) == {
        "type": "clip",
        "config": {"model_name": "ViT-B-32"},
    }
    assert cmd._query(_parse(str(path), "--out", "x"), {"type": "minilm", "config": {"model_dir": "m"}}) == {
        "type": "minilm",
        "config": {"model_dir": "m"},
    }


def test_checkpoint_without_denoiser(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    ck = make_checkpoint({"vocoder": tiny("vocos", VOCODER)}, mel=MEL, query={"type": "minilm"})
    path = save_checkpoint(tmp_path / "v.pt", ck)
    assert cmd.run(_parse(str(path), "--out", str(tmp_path / "b"))) == 2
    assert "no diffusion config" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_exports_with_real_minilm(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """CLI end to end with the packaged MiniLM encoder (384-d) and a tiny denoiser + vocoder."""
    from exporters.configs import Denoiser1DConfig
    from sfxgen.bundle import GraphRole, load_bundle
    from tests.exporters.tiny_components import DENOISER

    den = tiny("denoiser_1d", Denoiser1DConfig(**{**DENOISER.__dict__, "cond_dim": 384}))
    ck = make_checkpoint(
        {"denoiser": den, "vocoder": tiny("vocos", VOCODER)},
        mel=MEL,
        diffusion=DIFFUSION,
        query={"type": "minilm", "config": {}, "dim": 384, "condition": "text"},
        step=3,
    )
    path = save_checkpoint(tmp_path / "m.pt", ck)
    assert cmd.run(_parse(str(path), "--out", str(tmp_path / "b"), "--steps", "30")) == 0, capsys.readouterr().err
    b = load_bundle(tmp_path / "b")
    assert b.query.embed_dim == 384 and b.defaults.steps == 30 and b.has(GraphRole.VOCODER)
    assert "parity denoiser fp32" in capsys.readouterr().out
