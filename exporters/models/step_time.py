"""Measure CPU training-step time and size of model configs: ``python -m exporters.models.step_time``.

One thread (as the background training runs here), AdamW, forward + backward + step;
the median of a few steps after one warm-up. Times on a shared machine are leads:
compare sizes within one run, never across runs.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from exporters.configs import Denoiser1DConfig, VocosConfig, build, make_spec
from exporters.losses import MelL1Loss, MultiResolutionSTFTLoss
from sfxgen.configs import MelConfig


def _time(step, repeats: int) -> float:
    step()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def denoiser_step_time(config: Denoiser1DConfig, batch: int = 32, frames: int = 128, repeats: int = 3):
    """(seconds per step, parameters) of a denoiser_1d training step at (batch, n_mels, frames)."""
    model = build(make_spec("denoiser_1d", config)).train()
    opt = torch.optim.AdamW(model.parameters(), 1e-4)
    x, t = torch.randn(batch, config.n_mels, frames), torch.randint(0, 1000, (batch,))
    cond, mask = torch.randn(batch, config.cond_dim), torch.ones(batch)

    def step() -> None:
        loss = (model(x, t, cond, mask) - x).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()

    return _time(step, repeats), sum(p.numel() for p in model.parameters())


def vocoder_step_time(config: VocosConfig, batch: int = 16, samples: int = 8192, repeats: int = 3):
    """(seconds per step, parameters) of a vocos step with MR-STFT + mel L1 losses on (batch, samples)."""
    mel_cfg = MelConfig(n_mels=config.n_mels, n_fft=config.n_fft, hop_length=config.hop_length)
    model = build(make_spec("vocos", config)).train()
    opt = torch.optim.AdamW(model.parameters(), 2e-4)
    mr, ml = MultiResolutionSTFTLoss(), MelL1Loss(mel_cfg)
    wave = torch.randn(batch, samples) * 0.1
    mel = ml.log_mel(wave)

    def step() -> None:
        w = model.waveform(mel)
        loss = mr(w, wave) + 45.0 * ml(w, wave)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return _time(step, repeats), sum(p.numel() for p in model.parameters())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    for ch, mults, nrb in [(96, (1, 2, 2), 2), (128, (1, 2, 2), 1), (128, (1, 2, 2), 2), (256, (1, 2, 2), 2)]:
        cfg = Denoiser1DConfig(channels=ch, channel_mults=mults, num_res_blocks=nrb)
        sec, n = denoiser_step_time(cfg, repeats=args.repeats)
        print(f"denoiser_1d channels={ch} mults={mults} res_blocks={nrb}: {n / 1e6:.2f} M params, {sec:.3f} s/step")
    for dim, inter in [(192, 576), (256, 768), (384, 1152)]:
        sec, n = vocoder_step_time(VocosConfig(dim=dim, intermediate_dim=inter), repeats=args.repeats)
        print(f"vocos dim={dim} intermediate={inter}: {n / 1e6:.2f} M params, {sec:.3f} s/step")


if __name__ == "__main__":
    main()
