"""Vocoder recipe: Vocos-style mel -> waveform on random segments of the corpus audio.

Loss = stft_weight * multi-resolution STFT loss (Yamamoto et al. 2020) +
mel_weight * L1 between log-mels (the bundle's own front end). No adversarial
term: it trains stably on one CPU core and already beats Griffin-Lim; a GAN
fine-tune can be added as another task later.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from exporters import configs as mconfigs
from exporters.losses import MelL1Loss, MultiResolutionSTFTLoss
from exporters.mel_torch import LogMel
from exporters.train.augment import wave_segment
from exporters.train.cache import CachedClip
from exporters.train.config import TrainConfig


class VocoderTask:
    """Trains a registered vocoder (``vocos``) on cached int16 waveforms."""

    role = "vocoder"

    def __init__(self, config: TrainConfig, items: list[CachedClip]) -> None:
        self.config = config
        self.items = [it for it in items if it.audio is not None]
        if not self.items:
            raise ValueError("vocoder training needs cached audio (store_audio); the cache holds none")
        self.model: nn.Module = mconfigs.build(config.model, "model")
        mc = self.model.config
        mel = config.mel
        if (mc.n_mels, mc.n_fft, mc.hop_length) != (mel.n_mels, mel.n_fft, mel.hop_length):
            raise ValueError(
                f"vocoder (n_mels, n_fft, hop) = {(mc.n_mels, mc.n_fft, mc.hop_length)} must equal the mel config's "
                f"{(mel.n_mels, mel.n_fft, mel.hop_length)}"
            )
        seg = config.vocoder.segment_samples
        if seg % mel.hop_length:
            raise ValueError(f"vocoder.segment_samples {seg} must be a multiple of hop_length {mel.hop_length}")
        self.log_mel = LogMel(mel)
        self.stft_loss = MultiResolutionSTFTLoss(tuple((n, n // 4, n) for n in config.vocoder.fft_sizes))
        self.mel_loss = MelL1Loss(mel)

    def num_items(self) -> int:
        return len(self.items)

    def make_batch(self, indices: np.ndarray, rngs: list[np.random.Generator]) -> dict[str, torch.Tensor]:
        seg = self.config.vocoder.segment_samples
        sr = self.config.mel.sample_rate
        waves = [
            wave_segment(self.items[int(i)].audio, seg, rng, self.config.augment, sr)
            for i, rng in zip(indices, rngs, strict=True)
        ]
        return {"wave": torch.from_numpy(np.stack(waves))}  # (B, S)

    def loss(
        self, model: nn.Module, batch: dict[str, torch.Tensor], generator: torch.Generator
    ) -> tuple[torch.Tensor, dict[str, float]]:
        wave = batch["wave"]  # (B, S)
        self.log_mel.to(wave.device)
        self.stft_loss.to(wave.device)
        self.mel_loss.to(wave.device)
        mel = self.log_mel(wave)  # (B, M, 1 + S / hop) natural-log mel
        real, imag = model(mel)  # (B, F, T) each; called through forward so DDP syncs gradients
        c = self.config.mel
        window = self.log_mel.window
        wave_hat = torch.istft(torch.complex(real.float(), imag.float()), c.n_fft, c.hop_length, c.n_fft, window=window)
        n = min(wave_hat.shape[-1], wave.shape[-1])
        wave_hat, wave = wave_hat[:, :n], wave[:, :n]
        l_stft = self.stft_loss(wave_hat, wave)
        l_mel = self.mel_loss(wave_hat, wave)
        total = self.config.vocoder.stft_weight * l_stft + self.config.vocoder.mel_weight * l_mel
        return total, {"stft_loss": float(l_stft.detach()), "mel_l1": float(l_mel.detach())}

    def checkpoint_fields(self) -> dict[str, Any]:
        return {"mel": self.config.mel, "diffusion": None, "query": {}, "meta": {"task": "vocoder"}}

    def diagnostics(self, ema_model: nn.Module, step: int, out_dir: Path) -> dict[str, float]:
        """Resynthesise a few held-in clips; report log-mel L1 of the vocoder next to Griffin-Lim's."""
        import soundfile as sf

        from sfxgen.mel import log_mel as np_log_mel
        from sfxgen.vocoder import griffin_lim, mel_to_linear, num_samples

        out_dir = Path(out_dir) / f"step_{step:07d}"
        out_dir.mkdir(parents=True, exist_ok=True)
        c = self.config.mel
        l_voc, l_gl = [], []
        was_training = ema_model.training
        ema_model.eval()
        sr = c.sample_rate
        longest = sorted(range(len(self.items)), key=lambda i: -min(self.items[i].audio.size, 2 * sr))[:3]
        for k, it in enumerate(self.items[i] for i in longest):
            wave = it.audio[: 2 * sr].astype(np.float32) / 32767.0
            wave = wave[: (wave.size // c.hop_length) * c.hop_length]
            lm = np_log_mel(wave, c)
            with torch.no_grad():
                hat = ema_model.waveform(torch.from_numpy(lm.astype(np.float32))[None])[0].numpy()
            gl = griffin_lim(mel_to_linear(lm, c), c, num_samples(lm.shape[-1], c))
            for name, w, acc in (("vocoder", hat, l_voc), ("griffinlim", gl, l_gl)):
                n = min(w.size, wave.size)
                acc.append(float(np.mean(np.abs(np_log_mel(w[:n], c) - np_log_mel(wave[:n], c)))))
                sf.write(str(out_dir / f"{k}_{name}.wav"), np.clip(w, -1, 1).astype(np.float32), c.sample_rate)
        ema_model.train(was_training)
        return {"mel_l1_vocoder": float(np.mean(l_voc)), "mel_l1_griffinlim": float(np.mean(l_gl))}
