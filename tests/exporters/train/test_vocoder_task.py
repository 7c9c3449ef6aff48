"""The GAN vocoder through the real loop: discriminator updates, exact resume, recipe, DDP."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import pytest
import torch

from exporters.checkpoint import load_checkpoint
from exporters.train.config import TrainConfig, config_from_dict, load_config, recipe_path
from exporters.train.loop import train
from exporters.train.recipes import prepare
from sfxgen.configs import ConfigError
from tests.exporters.train.conftest import tiny_vocoder_config
from tests.exporters.train.torchrun import needs_torchrun, train_two_processes

TINY_DISCRIMINATORS = {"mpd": {"periods": [2, 3], "channels": [4, 8]}, "mrd": {"fft_sizes": [128, 256], "channels": 4}}


def tiny_gan_config(corpus: Path, disc_start_step: int = 2, **loop: object) -> TrainConfig:
    cfg = tiny_vocoder_config(corpus, **loop)
    gan = dataclasses.replace(cfg.vocoder, adversarial=True, disc_start_step=disc_start_step, **TINY_DISCRIMINATORS)
    return cfg.replace(vocoder=gan)


def _run(config: TrainConfig, out: Path, cache: Path, **kw):
    config = config.replace(cache_dir=str(cache))
    return train(config, prepare(config, out, progress=False), out, **kw)


def _state(run: Path) -> dict[str, torch.Tensor]:
    """Generator, EMA and discriminator weights and the discriminator's Adam moments of a run's last.pt."""
    ckpt = load_checkpoint(run / "last.pt")
    comp, ts = ckpt.components["vocoder"], ckpt.train_state
    out = {f"w.{k}": v for k, v in comp.state_dict.items()} | {f"ema.{k}": v for k, v in comp.ema.items()}
    out |= {f"d.{k}": v for k, v in ts.get("discriminator", {}).items()}
    for i, s in ts.get("disc_optimizer", {"state": {}})["state"].items():
        out |= {f"adam.{i}.{k}": v for k, v in s.items()}
    return out


def _same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor], prefix: str = "") -> bool:
    keys = [k for k in a if k.startswith(prefix)]
    return bool(keys) and keys == [k for k in b if k.startswith(prefix)] and all(torch.equal(a[k], b[k]) for k in keys)


def test_gan_steps_train_the_discriminator(fake_corpus: Path, tmp_path: Path) -> None:
    cfg, cache = tiny_gan_config(fake_corpus, steps=4), tmp_path / "cache"
    task = prepare(cfg.replace(cache_dir=str(cache)), tmp_path / "gan", progress=False)
    init = {f"d.{k}": v.clone() for k, v in task.discriminator.state_dict().items()}
    train(cfg.replace(cache_dir=str(cache)), task, tmp_path / "gan", stop_at=2)  # steps 0-1: before disc_start_step
    before = _state(tmp_path / "gan")
    assert _same(init, before, "d.")
    _run(tiny_vocoder_config(fake_corpus, steps=2), tmp_path / "plain", cache)
    assert _same(_state(tmp_path / "plain"), before, "w.")  # until the start the GAN path is the plain path
    _run(cfg, tmp_path / "gan", cache, resume=True)
    after = _state(tmp_path / "gan")
    changed = [k for k in init if not torch.equal(init[k], after[k])]
    assert len(changed) == len(init)  # every discriminator tensor (weight-norm g and v, biases) was updated
    assert not _same(before, after, "w.")
    ckpt = load_checkpoint(tmp_path / "gan" / "last.pt")
    assert set(ckpt.components) == {"vocoder"}  # the discriminators stay out of the exported components
    with open(tmp_path / "gan" / "log.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["step"] for r in rows] == ["2", "4"]
    assert rows[0]["d_loss"] == "nan" and rows[0]["d_mpd"] == "" and rows[0]["fm_mrd"] == ""
    for key in ("d_loss", "d_mpd", "d_mrd", "g_adv_mpd", "g_adv_mrd", "fm_mpd", "fm_mrd", "mel_l1"):
        assert 0 <= float(rows[1][key]) < 100, key


def test_gan_resume_after_kill_is_exact(fake_corpus: Path, tmp_path: Path) -> None:
    cfg, cache = tiny_gan_config(fake_corpus), tmp_path / "cache"
    _run(cfg, tmp_path / "straight", cache)
    # "kill" at step 5: the last checkpoint is step 3 (after the GAN started), steps 4-5 are redone on resume
    _run(cfg, tmp_path / "killed", cache, stop_at=5, save_at_end=False)
    assert load_checkpoint(tmp_path / "killed" / "last.pt").step == 3
    _run(cfg, tmp_path / "killed", cache, resume=True)
    straight, killed = _state(tmp_path / "straight"), _state(tmp_path / "killed")
    assert load_checkpoint(tmp_path / "killed" / "last.pt").step == 8
    for prefix in ("w.", "ema.", "d.", "adam."):
        assert _same(straight, killed, prefix), prefix


def test_resuming_a_plain_run_with_the_gan_is_refused(fake_corpus: Path, tmp_path: Path) -> None:
    _run(tiny_vocoder_config(fake_corpus, steps=1), tmp_path / "run", tmp_path / "cache")
    with pytest.raises(ValueError, match=r"without a discriminator.*init_from"):
        _run(tiny_gan_config(fake_corpus, steps=2), tmp_path / "run", tmp_path / "cache", resume=True)


def test_gan_recipe_matches_the_default_model() -> None:
    gan, plain = load_config(recipe_path("default_vocoder_gan")), load_config(recipe_path("default_vocoder"))
    assert gan.task == "vocoder" and gan.vocoder.adversarial
    assert gan.mel == plain.mel and gan.mel.sample_rate == 24000
    keys = ("n_mels", "n_fft", "hop_length")
    assert [gan.model["config"][k] for k in keys] == [plain.model["config"][k] for k in keys] == [80, 1024, 256]
    with pytest.raises(ConfigError, match=r"vocoder.mpd.*unknown key"):
        config_from_dict({"task": "vocoder", "model": {"type": "vocos"}, "vocoder": {"mpd": {"period": [2]}}})


GAN_TOML = """
task = "vocoder"
[model]
type = "vocos"
[model.config]
n_mels = 80
dim = 16
intermediate_dim = 32
num_layers = 1
[data]
kind = "corpus"
[vocoder]
segment_samples = 2048
adversarial = true
[vocoder.mpd]
periods = [2, 3]
channels = [4, 8]
[vocoder.mrd]
fft_sizes = [128, 256]
channels = 4
[loop]
steps = 3
batch_size = 2
log_every = 1
checkpoint_every = 0
checkpoint_minutes = 0
"""


@pytest.mark.slow  # two processes on two shared cores
@needs_torchrun
def test_gan_under_torchrun_two_processes_gloo(fake_corpus: Path, tmp_path: Path) -> None:
    train_two_processes(GAN_TOML, fake_corpus, tmp_path / "ddp")
    ckpt = load_checkpoint(tmp_path / "ddp" / "last.pt")
    assert ckpt.step == 3 and set(ckpt.components) == {"vocoder"}
    assert all(torch.isfinite(v).all() for v in ckpt.train_state["discriminator"].values())
