"""`sfxgen train` / `python -m exporters.train`: config handling, clear errors, torchrun (DDP on gloo)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from exporters.checkpoint import load_checkpoint
from exporters.commands import train as command
from tests.exporters.train.torchrun import needs_torchrun, train_two_processes

TINY_TOML = """
task = "denoiser"
[model]
type = "denoiser_1d"
[model.config]
n_mels = 80
cond_dim = 16
channels = 16
channel_mults = [1, 2]
num_res_blocks = 1
norm_groups = 8
attention = false
[data]
kind = "corpus"
[encoder]
type = "hashed"
config = { dim = 16 }
[denoiser]
crop_frames = 32
[loop]
steps = 4
batch_size = 4
log_every = 2
checkpoint_every = 2
checkpoint_minutes = 0
"""


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    return parser.parse_args(list(argv))


def test_command_module_is_light() -> None:
    code = "import sys, exporters.commands.train; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_cli_trains_and_refuses_to_overwrite(fake_corpus: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "tiny.toml"
    cfg.write_text(TINY_TOML)
    out = tmp_path / "run"
    assert command.run(_args(str(cfg), "--data", str(fake_corpus), "--out", str(out), "--no-progress")) == 0
    assert load_checkpoint(out / "last.pt").step == 4
    # same out dir without --resume: refused; with --resume and more steps: continues
    assert command.run(_args(str(cfg), "--data", str(fake_corpus), "--out", str(out), "--no-progress")) == 2
    argv = [str(cfg), "--data", str(fake_corpus), "--out", str(out), "--resume", "--steps", "6", "--no-progress"]
    assert command.run(_args(*argv)) == 0
    assert load_checkpoint(out / "last.pt").step == 6


def test_cli_errors_are_clear(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(TINY_TOML + "\n[extra]\nx = 1\n")
    assert command.run(_args(str(bad), "--data", str(tmp_path), "--out", str(tmp_path / "r"))) == 2
    assert "unknown key(s) ['extra']" in caplog.text
    good = tmp_path / "good.toml"
    good.write_text(TINY_TOML)
    assert command.run(_args(str(good), "--data", str(tmp_path / "empty"), "--out", str(tmp_path / "r"))) == 2
    assert "no corpus manifest" in caplog.text
    assert command.run(_args("--recipe", "nope", "--out", str(tmp_path / "r"))) == 2
    assert "default_denoiser" in caplog.text  # lists the recipes that exist


@pytest.mark.slow  # two processes on two shared cores: ~12 s
@needs_torchrun
def test_torchrun_two_processes_gloo(fake_corpus: Path, tmp_path: Path) -> None:
    train_two_processes(TINY_TOML, fake_corpus, tmp_path / "ddp")
    ckpt = load_checkpoint(tmp_path / "ddp" / "last.pt")
    assert ckpt.step == 4
    assert all(torch.isfinite(v).all() for v in ckpt.components["denoiser"].state_dict.values())


def test_sigterm_checkpoints_and_resume_continues(fake_corpus: Path, tmp_path: Path) -> None:
    """A background run stopped with SIGTERM saves its current step; --resume carries on from it."""
    import signal
    import time

    cfg = tmp_path / "tiny.toml"
    cfg.write_text(
        TINY_TOML.replace("steps = 4", "steps = 100000").replace("checkpoint_every = 2", "checkpoint_every = 0")
    )
    out = tmp_path / "bg"
    cmd = [sys.executable, "-m", "exporters.train", str(cfg), "--data", str(fake_corpus), "--out", str(out),
           "--no-progress"]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd, env=env, cwd=Path(__file__).parents[3], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not ((out / "log.csv").is_file() and len((out / "log.csv").read_text().splitlines()) > 3):
            assert proc.poll() is None and time.monotonic() < deadline, "training did not start"
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    step = load_checkpoint(out / "last.pt").step
    assert step >= 6
    argv = [str(cfg), "--data", str(fake_corpus), "--out", str(out), "--resume", "--steps", str(step + 2)]
    assert command.run(_args(*argv, "--no-progress")) == 0
    assert load_checkpoint(out / "last.pt").step == step + 2


def test_cli_fine_tunes_from_a_bundle(fake_corpus: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """--init-from BUNDLE recovers the shipped denoiser's weights and starts the run from them."""
    import logging

    caplog.set_level(logging.INFO)
    from exporters.checkpoint import make_checkpoint, save_checkpoint
    from exporters.configs import Denoiser1DConfig
    from exporters.export import export_bundle
    from sfxgen.configs import MelConfig
    from tests.exporters.tiny_components import DIFFUSION, perturb, tiny, tiny_query_exporter

    base = perturb(
        tiny(
            "denoiser_1d",
            Denoiser1DConfig(
                n_mels=80,
                cond_dim=16,
                channels=16,
                channel_mults=(1, 2),
                num_res_blocks=1,
                norm_groups=8,
                attention=False,
            ),
        )
    )
    ck = make_checkpoint({"denoiser": base}, mel=MelConfig(), diffusion=DIFFUSION, ema={"denoiser": base})
    export_bundle(save_checkpoint(tmp_path / "base.pt", ck), tmp_path / "bundle", query_exporter=tiny_query_exporter)
    cfg = tmp_path / "tiny.toml"
    cfg.write_text(TINY_TOML.replace("steps = 4", "steps = 1"))
    out = tmp_path / "run"
    argv = [str(cfg), "--data", str(fake_corpus), "--out", str(out), "--no-progress", "--init-from"]
    assert command.run(_args(*argv, str(tmp_path / "bundle"))) == 0
    assert (out / "init_from_bundle.pt").is_file() and "initialised from" in caplog.text
    tuned = load_checkpoint(out / "last.pt").components["denoiser"].ema  # EMA after 1 step: still the base
    for name, value in base.state_dict().items():
        assert torch.allclose(tuned[name], value, atol=1e-3), name
    assert command.run(_args(*argv, str(tmp_path / "missing"))) == 2
    assert "no such checkpoint or bundle folder" in caplog.text
    other = TINY_TOML.replace("channels = 16", "channels = 24").replace("steps = 4", "steps = 1")
    cfg.write_text(other)
    argv[4] = str(tmp_path / "run2")
    assert command.run(_args(*argv, str(tmp_path / "bundle"))) == 2  # another architecture: a clear refusal
    assert "config mismatch" in caplog.text
    voc = 'task = "vocoder"\n[model]\ntype = "mag_postnet"\n[model.config]\nn_mels = 80\n[data]\nkind = "corpus"\n'
    cfg.write_text(voc + "[loop]\nsteps = 1\nbatch_size = 2\n")
    argv[4] = str(tmp_path / "run3")
    assert command.run(_args(*argv, str(tmp_path / "bundle"))) == 2  # a vocoder recipe takes the bundle's vocoder
    assert "the bundle has no vocoder graph" in caplog.text
