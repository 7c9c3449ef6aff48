"""Vocoder recipe: Vocos-style mel -> waveform on random segments of the corpus audio.

Reconstruction loss = stft_weight * multi-resolution STFT loss (Yamamoto et al. 2020) +
mel_weight * L1 between log-mels (the bundle's own front end). Alone it trains stably on one
CPU core but sounds buzzy and lost to Griffin-Lim. With ``vocoder.adversarial`` the generator
also trains against the HiFi-GAN multi-period and the UnivNet multi-resolution discriminators
(Vocos, Siuzdak 2023): hinge losses plus feature matching, MRD terms weighted by ``mrd_weight``::

    L_D = hinge_D(MPD) + mrd_weight * hinge_D(MRD)
    L_G = reconstruction + sum over (MPD, 1), (MRD, mrd_weight) of weight * (adv_weight * hinge_G + fm_weight * FM)

The discriminators are training-only: the loop keeps them in the checkpoint's train_state.

A magnitude model (``mag_postnet`` recipe) instead learns the linear STFT
magnitude of each segment from its mel, with the STFT loss at the bundle's own resolution
(spectral convergence + log-magnitude L1 against the true magnitude); Griffin-Lim phases it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from exporters import configs as mconfigs
from exporters.griffin_lim import griffin_lim as griffin_lim_torch
from exporters.losses import (
    MelL1Loss,
    MultiResolutionSTFTLoss,
    discriminator_hinge_loss,
    feature_matching_loss,
    generator_hinge_loss,
    spectral_losses,
)
from exporters.mel_torch import LogMel
from exporters.models.discriminators import Discriminators
from exporters.train.augment import wave_segment
from exporters.train.cache import CachedClip
from exporters.train.config import OptimConfig, TrainConfig
from sfxgen.pghi import PhaseInit, pghi_phase


class VocoderTask:
    """Trains a registered vocoder (``vocos``, ``mag_postnet``) on cached int16 waveforms."""

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
        v, o = config.vocoder, config.optim
        self.output = getattr(self.model, "output", "stft")  # "stft" (Vocos) or "magnitude" (post-net)
        if self.output == "magnitude" and v.adversarial:
            raise ValueError("vocoder.adversarial needs a waveform vocoder (vocos); a magnitude post-net has no wave")
        self.discriminator: nn.Module | None = None  # set: the loop trains it (loop.AdversarialTask)
        if v.adversarial:
            self.discriminator = Discriminators(
                {
                    name: mconfigs.build({"type": name, "config": getattr(v, name)}, f"vocoder.{name}")
                    for name in ("mpd", "mrd")
                }
            )
            self.disc_weights = {"mpd": 1.0, "mrd": v.mrd_weight}
            self.disc_optim = OptimConfig(
                lr=v.disc_lr,
                betas=v.disc_betas,
                weight_decay=o.weight_decay,
                warmup_steps=o.warmup_steps,
                grad_clip=o.grad_clip,
                ema_decay=0.0,
            )
            self.disc_start_step = v.disc_start_step

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

    def generate(
        self, model: nn.Module, batch: dict[str, torch.Tensor], generator: torch.Generator
    ) -> dict[str, torch.Tensor]:
        """Resynthesise the batch from its log-mels: {"wave", "wave_hat"}, both (B, S') trimmed to one length."""
        wave = batch["wave"]  # (B, S)
        self.log_mel.to(wave.device)
        mel = self.log_mel(wave)  # (B, M, 1 + S / hop) natural-log mel
        real, imag = model(mel)  # (B, F, T) each; called through forward so DDP syncs gradients
        c = self.config.mel
        window = self.log_mel.window
        wave_hat = torch.istft(torch.complex(real.float(), imag.float()), c.n_fft, c.hop_length, c.n_fft, window=window)
        n = min(wave_hat.shape[-1], wave.shape[-1])
        return {"wave": wave[:, :n], "wave_hat": wave_hat[:, :n]}

    def reconstruction_loss(self, outputs: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
        """stft_weight * multi-resolution STFT loss + mel_weight * log-mel L1."""
        wave_hat, wave = outputs["wave_hat"], outputs["wave"]
        self.stft_loss.to(wave.device)
        self.mel_loss.to(wave.device)
        l_stft = self.stft_loss(wave_hat, wave)
        l_mel = self.mel_loss(wave_hat, wave)
        total = self.config.vocoder.stft_weight * l_stft + self.config.vocoder.mel_weight * l_mel
        return total, {"stft_loss": float(l_stft.detach()), "mel_l1": float(l_mel.detach())}

    def loss(
        self, model: nn.Module, batch: dict[str, torch.Tensor], generator: torch.Generator
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """The reconstruction loss alone (the non-adversarial recipe); the magnitude loss for a post-net."""
        if self.output == "magnitude":
            return self.magnitude_loss(model, batch, generator)
        return self.reconstruction_loss(self.generate(model, batch, generator))

    def magnitude_loss(
        self, model: nn.Module, batch: dict[str, torch.Tensor], generator: torch.Generator
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """The post-net's loss, by ``vocoder.magnitude_target``.

        "stft": spectral convergence + log-magnitude L1 of the predicted vs the true linear STFT magnitude.
        "griffin_lim": the predicted magnitude is phased by the runtime's fast Griffin-Lim (started from a
        fresh random phase, or with ``gl_phase_init = "pghi"`` from the runtime's PGHI phase of the predicted
        magnitude, random where PGHI gives none; gradient through its last ``gl_grad_iters`` iterations and
        the synthesis) and the wave scored as the eval does: mel_weight * log-mel L1 + stft_weight *
        multi-resolution spectral convergence, both against the true segment.
        """
        wave = batch["wave"]  # (B, S)
        self.log_mel.to(wave.device)
        spec = self.log_mel.stft(wave)  # (B, F, T) complex, the bundle's STFT
        mel = self.log_mel.from_stft(spec)  # (B, M, T) natural-log mel, the model's input
        mag_hat = model(mel)  # (B, F, T); through forward so DDP syncs gradients
        v = self.config.vocoder
        if v.magnitude_target == "griffin_lim":
            phase = torch.rand(mag_hat.shape, generator=generator, device=generator.device) * (2 * torch.pi)
            if v.gl_phase_init == PhaseInit.PGHI.value:  # no gradient through the start (nor the early iterations)
                est = pghi_phase(mag_hat.detach().double().cpu().numpy(), self.config.mel)  # (B, F, T), NaN: none
                est = torch.from_numpy(est).to(phase)
                phase = torch.where(torch.isnan(est), phase, est)
            angles = torch.polar(torch.ones_like(phase), phase).to(wave.device)  # (B, F, T) initial phase
            wave_hat = griffin_lim_torch(mag_hat, self.log_mel, angles, v.gl_iters, grad_iters=v.gl_grad_iters)
            n = min(wave_hat.shape[-1], wave.shape[-1])  # = S: segments are whole hops
            target = mel if n == wave.shape[-1] else self.log_mel(wave[:, :n])  # the input mel, not recomputed
            l_mel = torch.mean(torch.abs(self.log_mel(wave_hat[:, :n]) - target))
            l_sc = self.stft_loss.spectral_convergence(wave_hat[:, :n], wave[:, :n])
            total = v.mel_weight * l_mel + v.stft_weight * l_sc
            return total, {"mel_l1": float(l_mel.detach()), "sc": float(l_sc.detach())}
        eps = self.stft_loss.eps
        mag = torch.sqrt(spec.real**2 + spec.imag**2 + eps**2)
        sc, log_l1 = spectral_losses(torch.sqrt(mag_hat**2 + eps**2), mag)
        return sc + log_l1, {"sc": float(sc.detach()), "log_mag_l1": float(log_l1.detach())}

    def discriminator_loss(
        self, discriminator: nn.Module, outputs: dict[str, torch.Tensor]
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """Hinge loss of the discriminators on real vs generated (detached) waves."""
        b = outputs["wave"].shape[0]
        scores = discriminator(torch.cat([outputs["wave"], outputs["wave_hat"].detach()]))  # one pass over (2B, S')
        total, metrics = outputs["wave"].new_zeros(()), {}
        for name, (logits, _) in scores.items():
            loss = discriminator_hinge_loss([x[:b] for x in logits], [x[b:] for x in logits])
            total = total + self.disc_weights[name] * loss
            metrics[f"d_{name}"] = float(loss.detach())
        return total, metrics

    def generator_loss(
        self, discriminator: nn.Module | None, outputs: dict[str, torch.Tensor]
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """Reconstruction loss, plus hinge and feature-matching losses when a discriminator is given."""
        total, metrics = self.reconstruction_loss(outputs)
        if discriminator is None:  # before vocoder.disc_start_step
            return total, metrics
        v = self.config.vocoder
        b = outputs["wave"].shape[0]
        scores = discriminator(torch.cat([outputs["wave"], outputs["wave_hat"]]))  # one pass over (2B, S')
        for name, (logits, fmaps) in scores.items():
            adv = generator_hinge_loss([x[b:] for x in logits])
            fm = feature_matching_loss([[f[:b] for f in fs] for fs in fmaps], [[f[b:] for f in fs] for fs in fmaps])
            total = total + self.disc_weights[name] * (v.adv_weight * adv + v.fm_weight * fm)
            metrics[f"g_adv_{name}"] = float(adv.detach())
            metrics[f"fm_{name}"] = float(fm.detach())
        return total, metrics

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
            n_out = num_samples(lm.shape[-1], c)
            with torch.no_grad():
                mel = torch.from_numpy(lm.astype(np.float32))[None]
                if self.output == "magnitude":  # the runtime's path: Griffin-Lim on the predicted magnitude
                    hat = griffin_lim(ema_model(mel).double().numpy(), c, n_out)[0]
                else:
                    hat = ema_model.waveform(mel)[0].numpy()
            gl = griffin_lim(mel_to_linear(lm, c), c, n_out)
            for name, w, acc in (("vocoder", hat, l_voc), ("griffinlim", gl, l_gl)):
                n = min(w.size, wave.size)
                acc.append(float(np.mean(np.abs(np_log_mel(w[:n], c) - np_log_mel(wave[:n], c)))))
                sf.write(str(out_dir / f"{k}_{name}.wav"), np.clip(w, -1, 1).astype(np.float32), c.sample_rate)
        ema_model.train(was_training)
        return {"mel_l1_vocoder": float(np.mean(l_voc)), "mel_l1_griffinlim": float(np.mean(l_gl))}
