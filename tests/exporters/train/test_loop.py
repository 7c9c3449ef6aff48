"""The shared loop: falling loss, determinism, and exact resume after a kill."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import pytest
import torch

from exporters.checkpoint import load_checkpoint
from exporters.train.loop import train
from exporters.train.recipes import prepare
from tests.exporters.train.conftest import tiny_denoiser_config, tiny_vocoder_config


def _weights(run: Path, role: str) -> dict[str, torch.Tensor]:
    ckpt = load_checkpoint(run / "last.pt")
    comp = ckpt.components[role]
    return {**{f"w.{k}": v for k, v in comp.state_dict.items()}, **{f"ema.{k}": v for k, v in comp.ema.items()}}


def _same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _run(config, out: Path, cache: Path, **kw):
    config = config.replace(cache_dir=str(cache))
    return train(config, prepare(config, out, progress=False), out, **kw)


def test_denoiser_resume_after_kill_is_exact(fake_corpus: Path, tmp_path: Path) -> None:
    cfg = tiny_denoiser_config(fake_corpus)
    cache = tmp_path / "cache"
    _run(cfg, tmp_path / "straight", cache)
    # "kill" at step 7: the last checkpoint is step 4, steps 5-7 are lost and redone on resume
    _run(cfg, tmp_path / "killed", cache, stop_at=7, save_at_end=False)
    assert load_checkpoint(tmp_path / "killed" / "last.pt").step == 4
    _run(cfg, tmp_path / "killed", cache, resume=True)
    assert load_checkpoint(tmp_path / "killed" / "last.pt").step == 12
    assert _same(_weights(tmp_path / "straight", "denoiser"), _weights(tmp_path / "killed", "denoiser"))
    with open(tmp_path / "killed" / "log.csv") as fh:
        steps = [int(r["step"]) for r in csv.DictReader(fh)]
    assert steps == [2, 4, 6, 8, 10, 12]  # rows of lost steps were dropped on resume
    # a different seed gives different weights (the test can fail)
    other = cfg.replace(loop=cfg.loop.__class__(**{**cfg.loop.__dict__, "seed": 1}))
    _run(other, tmp_path / "seed1", cache)
    assert not _same(_weights(tmp_path / "straight", "denoiser"), _weights(tmp_path / "seed1", "denoiser"))


def test_denoiser_loss_falls(fake_corpus: Path, tmp_path: Path) -> None:
    cfg = tiny_denoiser_config(fake_corpus, steps=80, log_every=10, checkpoint_every=0)
    _run(cfg, tmp_path / "run", tmp_path / "cache")
    with open(tmp_path / "run" / "log.csv") as fh:
        losses = [float(r["loss"]) for r in csv.DictReader(fh)]
    assert sum(losses[-3:]) / 3 < 0.7 * sum(losses[:2]) / 2


def test_vocoder_trains_and_resumes_exactly(fake_corpus: Path, tmp_path: Path) -> None:
    cfg = tiny_vocoder_config(fake_corpus)
    cache = tmp_path / "cache"
    _run(cfg, tmp_path / "a", cache)
    _run(cfg, tmp_path / "b", cache, stop_at=5, save_at_end=False)
    _run(cfg, tmp_path / "b", cache, resume=True)
    assert _same(_weights(tmp_path / "a", "vocoder"), _weights(tmp_path / "b", "vocoder"))
    ckpt = load_checkpoint(tmp_path / "a" / "last.pt")
    assert ckpt.step == 8 and ckpt.components["vocoder"].spec["type"] == "vocos"


def test_magnitude_postnet_trains_resumes_exactly_and_beats_its_start(fake_corpus: Path, tmp_path: Path) -> None:
    post = {"type": "mag_postnet", "config": {"n_mels": 80, "dim": 16, "intermediate_dim": 32, "num_layers": 1}}
    cfg = tiny_vocoder_config(fake_corpus, steps=30).replace(model=post)
    cache = tmp_path / "cache"
    _run(cfg, tmp_path / "a", cache)
    _run(cfg, tmp_path / "b", cache, stop_at=12, save_at_end=False)
    _run(cfg, tmp_path / "b", cache, resume=True)
    assert _same(_weights(tmp_path / "a", "vocoder"), _weights(tmp_path / "b", "vocoder"))
    with open(tmp_path / "a" / "log.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert {"sc", "log_mag_l1"} <= set(rows[0]) and float(rows[-1]["loss"]) < 0.7 * float(rows[0]["loss"])
    gan = dataclasses.replace(cfg.vocoder, adversarial=True)
    with pytest.raises(ValueError, match="needs a waveform vocoder"):
        _run(cfg.replace(vocoder=gan), tmp_path / "c", cache)


def test_magnitude_postnet_trains_through_griffin_lim(fake_corpus: Path, tmp_path: Path) -> None:
    """magnitude_target = "griffin_lim": the loss is the runtime Griffin-Lim's wave error (mel L1, SC)."""
    post = {"type": "mag_postnet", "config": {"n_mels": 80, "dim": 16, "intermediate_dim": 32, "num_layers": 1}}
    cfg = tiny_vocoder_config(fake_corpus, steps=6, log_every=2, checkpoint_every=0).replace(model=post)
    cfg = cfg.replace(vocoder=dataclasses.replace(cfg.vocoder, magnitude_target="griffin_lim", gl_iters=4))
    _run(cfg, tmp_path / "gl", tmp_path / "cache")
    with open(tmp_path / "gl" / "log.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert {"mel_l1", "sc"} <= set(rows[0]) and "log_mag_l1" not in rows[0]
    assert all(0 < float(r["sc"]) < 2 and float(r["mel_l1"]) > 0 for r in rows)
    head = load_checkpoint(tmp_path / "gl" / "last.pt").components["vocoder"].state_dict["head.weight"]
    assert head.abs().max() > 0  # zero at initialisation: the gradient came back through Griffin-Lim
    _run(cfg, tmp_path / "again", tmp_path / "cache")  # its random initial phases come from the seeded generator
    assert _same(_weights(tmp_path / "gl", "vocoder"), _weights(tmp_path / "again", "vocoder"))
    with pytest.raises(ValueError, match="magnitude_target"):
        dataclasses.replace(cfg.vocoder, magnitude_target="phase")


def test_griffin_lim_in_training_can_start_from_pghi(fake_corpus: Path, tmp_path: Path) -> None:
    """gl_phase_init = "pghi" (the runtime's start): the same first batch, phased better than from random."""
    post = {"type": "mag_postnet", "config": {"n_mels": 80, "dim": 16, "intermediate_dim": 32, "num_layers": 1}}
    cfg = tiny_vocoder_config(fake_corpus, steps=1, log_every=1, checkpoint_every=0).replace(model=post)
    first = {}
    for start in ("random", "pghi"):
        gl = dataclasses.replace(cfg.vocoder, magnitude_target="griffin_lim", gl_iters=4, gl_phase_init=start)
        _run(cfg.replace(vocoder=gl), tmp_path / start, tmp_path / "cache")
        with open(tmp_path / start / "log.csv") as fh:
            first[start] = next(csv.DictReader(fh))
    assert float(first["pghi"]["mel_l1"]) < 0.9 * float(first["random"]["mel_l1"])
    assert float(first["pghi"]["sc"]) < float(first["random"]["sc"])
    with pytest.raises(ValueError, match="gl_phase_init"):
        dataclasses.replace(cfg.vocoder, gl_phase_init="zero")


def test_lazy_cache_trains_identically(fake_corpus: Path, tmp_path: Path) -> None:
    """data.in_memory = false (read arrays per batch, for sets larger than RAM) gives the same weights."""
    import dataclasses

    cfg = tiny_denoiser_config(fake_corpus, steps=4)
    lazy = cfg.replace(data=dataclasses.replace(cfg.data, in_memory=False))
    _run(cfg, tmp_path / "mem", tmp_path / "cache")
    task = prepare(lazy.replace(cache_dir=str(tmp_path / "cache")), tmp_path / "lazy", progress=False)
    assert task.items[0]._arrays is None
    train(lazy, task, tmp_path / "lazy")
    assert _same(_weights(tmp_path / "mem", "denoiser"), _weights(tmp_path / "lazy", "denoiser"))


def test_init_from_starts_a_new_run_from_ema_weights(fake_corpus: Path, tmp_path: Path) -> None:
    import dataclasses

    cfg = tiny_denoiser_config(fake_corpus, steps=4)
    _run(cfg, tmp_path / "base", tmp_path / "cache")
    tuned = cfg.replace(loop=dataclasses.replace(cfg.loop, init_from=str(tmp_path / "base" / "last.pt")))
    _run(tuned, tmp_path / "tuned", tmp_path / "cache", stop_at=0)
    base = load_checkpoint(tmp_path / "base" / "last.pt").components["denoiser"]
    new = load_checkpoint(tmp_path / "tuned" / "last.pt")
    assert new.step == 0
    assert all(torch.equal(base.ema[k], new.components["denoiser"].state_dict[k]) for k in base.ema)


def test_listening_samples_through_a_vocoder_checkpoint(fake_corpus: Path, tmp_path: Path) -> None:
    import dataclasses

    import soundfile as sf

    _run(tiny_vocoder_config(fake_corpus, steps=2), tmp_path / "voc", tmp_path / "cache")
    cfg = tiny_denoiser_config(fake_corpus, steps=2, sample_every=2)
    cfg = cfg.replace(denoiser=dataclasses.replace(cfg.denoiser, sample_vocoder=str(tmp_path / "voc" / "last.pt")))
    _run(cfg, tmp_path / "den", tmp_path / "cache")
    wavs = sorted((tmp_path / "den" / "samples" / "step_0000002").glob("*.wav"))
    assert len(wavs) == 4  # one validation prompt per category of the fake corpus
    wave, sr = sf.read(wavs[0])
    assert sr == 24000 and len(wave) == 31 * 256 and abs(wave).max() > 0


def test_train_only_updates_the_named_parameters(fake_corpus: Path, tmp_path: Path) -> None:
    """A refiner recipe started from a denoiser without one: the refiner is added and trained alone."""
    cfg = tiny_denoiser_config(fake_corpus, steps=4)
    _run(cfg, tmp_path / "base", tmp_path / "cache")
    model = {**cfg.model, "config": {**cfg.model["config"], "refiner_channels": 8, "refiner_blocks": 1}}
    tuned = cfg.replace(
        model=model,
        optim=dataclasses.replace(cfg.optim, train_only=("refiner.",)),
        loop=dataclasses.replace(cfg.loop, init_from=str(tmp_path / "base" / "last.pt")),
    )
    _run(tuned, tmp_path / "tuned", tmp_path / "cache")
    base = load_checkpoint(tmp_path / "base" / "last.pt").components["denoiser"].ema
    new = load_checkpoint(tmp_path / "tuned" / "last.pt").components["denoiser"]
    assert new.spec["config"]["refiner_channels"] == 8
    assert all(torch.equal(base[k], new.state_dict[k]) for k in base)  # frozen, EMA included
    assert all(torch.equal(base[k], new.ema[k]) for k in base)
    assert new.state_dict["refiner.conv_out.weight"].abs().sum() > 0  # trained from its zero start
    with pytest.raises(ValueError, match="names no parameter"):
        nothing = tuned.replace(optim=dataclasses.replace(cfg.optim, train_only=("nope.",)))
        _run(nothing, tmp_path / "x", tmp_path / "cache")
