"""Diagnostics during training: listenable samples and the CLIPSonic Table 2 modality-gap check."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

logger = logging.getLogger(__name__)


def mean_cosine(query: np.ndarray, target: np.ndarray) -> float:
    """Mean cosine similarity between rows of query (N, E) and target (N, E) (CLIPSonic Table 2)."""
    q = query / np.maximum(np.linalg.norm(query, axis=-1, keepdims=True), 1e-12)
    g = target / np.maximum(np.linalg.norm(target, axis=-1, keepdims=True), 1e-12)
    return float(np.mean(np.sum(q * g, axis=-1)))


def modality_gap(text_emb: np.ndarray, image_emb: np.ndarray, prior_emb: np.ndarray | None = None) -> dict[str, float]:
    """ZS: sim(q_text, q_img); PD/SD: sim(q_hat_img, q_img) on paired validation rows."""
    out = {"sim_text_image": mean_cosine(text_emb, image_emb)}
    if prior_emb is not None:
        out["sim_prior_image"] = mean_cosine(prior_emb, image_emb)
    return out


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:40] or "sample"


@torch.no_grad()
def sample_mels(
    model: nn.Module,
    diffusion_config: Any,
    cond: np.ndarray,
    frames: int,
    n_mels: int,
    guidance: float = 1.5,
    steps: int = 25,
    seed: int = 0,
) -> np.ndarray:
    """(P, M, frames) diffusion-space mels for P conditions with DPM-Solver++(2M) and CFG."""
    from exporters.diffusion import numpy_model_fn
    from sfxgen.samplers import SamplerName, guided, randn, sample
    from sfxgen.schedule import make_schedule, spaced_timesteps

    schedule = make_schedule(diffusion_config.schedule)
    P = cond.shape[0]
    cond2 = np.concatenate([cond, cond]).astype(np.float32)
    mask2 = np.concatenate([np.ones(P), np.zeros(P)]).astype(np.float32)
    was_training = model.training
    model.eval()
    try:
        fn = guided(numpy_model_fn(model, cond2, mask2), guidance)
        rngs = [np.random.default_rng(seed + i) for i in range(P)]
        x_T = randn(rngs, (n_mels, frames))
        ts = spaced_timesteps(schedule.num_train_steps, steps)
        return sample(SamplerName.DPMPP_2M, fn, x_T, schedule, ts, diffusion_config.prediction, rngs)
    finally:
        model.train(was_training)


def _sample_vocoder(path: str) -> nn.Module | None:
    """The EMA vocoder of a (possibly still training) vocoder run, or None for Griffin-Lim."""
    if not path:
        return None
    from exporters.checkpoint import CheckpointError, build_component, load_checkpoint

    try:
        return build_component(load_checkpoint(path), "vocoder", use_ema=True)
    except CheckpointError as exc:
        logger.warning("sample vocoder unavailable (%s); using Griffin-Lim", exc)
        return None


def write_denoiser_samples(task: Any, ema_model: nn.Module, step: int, out_dir: Path) -> dict[str, float]:
    """Sample the validation prompts with the EMA weights, invert with Griffin-Lim, write WAVs."""
    import soundfile as sf

    from sfxgen.mel import denormalize
    from sfxgen.vocoder import griffin_lim, mel_to_linear, num_samples

    prompts: list[str] = task.valid.get("prompts", [])
    emb: np.ndarray | None = task.valid.get("prompt_emb")
    if not prompts or emb is None:
        return {}
    mel_cfg = task.config.mel
    frames = task.config.denoiser.crop_frames
    x0 = sample_mels(ema_model, task.diffusion_config, emb, frames, mel_cfg.n_mels, seed=step)
    out_dir = Path(out_dir) / f"step_{step:07d}"
    out_dir.mkdir(parents=True, exist_ok=True)
    vocoder = _sample_vocoder(task.config.denoiser.sample_vocoder)
    for p, x in zip(prompts, x0, strict=True):
        log_mel = denormalize(x, mel_cfg)
        if vocoder is not None:
            with torch.no_grad():
                wave = vocoder.waveform(torch.from_numpy(log_mel.astype(np.float32))[None])[0].double().numpy()
        else:
            wave = griffin_lim(mel_to_linear(log_mel, mel_cfg), mel_cfg, num_samples(frames, mel_cfg))
        peak = float(np.max(np.abs(wave))) or 1.0
        sf.write(str(out_dir / f"{slug(p)}.wav"), (0.9 * wave / peak).astype(np.float32), mel_cfg.sample_rate)
    logger.info("wrote %d samples to %s", len(prompts), out_dir)
    return {"samples": float(len(prompts))}
