"""Parity checks: the torch model and its ONNX graph through the same numpy sampler and seed.

Each check returns the maximum absolute difference on the final product the user
hears (the sampled mel for a denoiser or prior, the waveform for a vocoder), not on
one network call: small per-call differences that a sampler amplifies are caught.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import torch
from torch import nn

from exporters.configs import DiffusionConfig
from exporters.diffusion import numpy_model_fn
from exporters.onnx_io import ort_session
from sfxgen import mel as np_mel
from sfxgen import samplers
from sfxgen.configs import MelConfig
from sfxgen.schedule import make_schedule, spaced_timesteps

# Stated tolerances (max abs difference on the final product) per graph precision.
# Denoiser / prior: diffusion space (data std ~1); vocoder: waveform in [-1, 1].
TOLERANCE = {"fp32": 1e-3, "fp16": 3e-2, "int8": 1e-1}


@dataclasses.dataclass(frozen=True)
class ParityReport:
    """Outcome of one parity check (recorded in the graph's ``config["parity"]``)."""

    role: str  # "denoiser" | "vocoder" | "prior"
    precision: str  # "fp32" | "fp16" | "int8"
    max_abs: float  # max |torch - onnx| on the final product
    tolerance: float  # the bound it was held to
    detail: str  # how it was measured (sampler, steps, guidance, shapes)

    @property
    def ok(self) -> bool:
        return bool(np.isfinite(self.max_abs) and self.max_abs <= self.tolerance)

    def to_json(self) -> dict:
        return {**dataclasses.asdict(self), "ok": self.ok}


def onnx_model_fn(session, context: dict[str, np.ndarray]) -> samplers.ModelFn:
    """A numpy ModelFn over an ONNX graph with inputs (x_t, t, *context) -> out."""
    ctx = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in context.items()}

    def fn(x_t: np.ndarray, t: np.ndarray) -> np.ndarray:
        feeds = {"x_t": x_t.astype(np.float32), "t": t.astype(np.int64), **ctx}
        return session.run(["out"], feeds)[0].astype(np.float64)

    return fn


def _sample_both(
    torch_fn: samplers.ModelFn,
    onnx_fn: samplers.ModelFn,
    shape: tuple[int, ...],
    diffusion: DiffusionConfig,
    steps: int,
    guidance: float | None,
    sampler: samplers.SamplerName,
    seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    schedule = make_schedule(diffusion.schedule)
    ts = spaced_timesteps(schedule.num_train_steps, steps)
    outs = []
    for fn in (torch_fn, onnx_fn):
        rngs = [np.random.default_rng(seed + i) for i in range(shape[0])]
        x_T = samplers.randn(rngs, shape[1:])
        model = fn if guidance is None else samplers.guided(fn, guidance)
        outs.append(samplers.sample(sampler, model, x_T, schedule, ts, diffusion.prediction, rngs=rngs))
    return outs[0], outs[1]


def denoiser_parity(
    model: nn.Module,
    onnx_path: str | Path,
    diffusion: DiffusionConfig,
    *,
    precision: str = "fp32",
    batch: int = 2,
    frames: int | None = None,
    steps: int = 8,
    guidance: float = 1.5,
    sampler: samplers.SamplerName = samplers.SamplerName.DDIM,
    seed: int = 0,
) -> ParityReport:
    """Sample a mel with CFG through torch and through ONNX from the same noise; compare x0."""
    cfg = model.config
    frames = frames or 3 * cfg.frames_multiple * 2
    rng = np.random.default_rng(seed + 1000)
    cond = rng.standard_normal((batch, cfg.cond_dim))
    cond /= np.linalg.norm(cond, axis=1, keepdims=True)
    cond2 = np.concatenate([cond, cond])  # guided(): first half cond, second half uncond
    mask2 = np.concatenate([np.ones(batch), np.zeros(batch)])
    torch_fn = numpy_model_fn(model.eval(), cond2, mask2)
    onnx_fn = onnx_model_fn(ort_session(onnx_path), {"cond": cond2, "cond_mask": mask2})
    a, b = _sample_both(torch_fn, onnx_fn, (batch, cfg.n_mels, frames), diffusion, steps, guidance, sampler, seed)
    detail = f"{sampler.value} {steps} steps, w={guidance}, x_T {(batch, cfg.n_mels, frames)} seed {seed}"
    return ParityReport("denoiser", precision, float(np.abs(a - b).max()), TOLERANCE[precision], detail)


def prior_parity(
    model: nn.Module,
    onnx_path: str | Path,
    diffusion: DiffusionConfig,
    *,
    precision: str = "fp32",
    batch: int = 2,
    tokens: int = 7,
    steps: int = 16,
    seed: int = 0,
) -> ParityReport:
    """Sample an image embedding from a text embedding and tokens through torch and ONNX (no guidance)."""
    cfg = model.config
    rng = np.random.default_rng(seed + 2000)
    text_embed = rng.standard_normal((batch, cfg.embed_dim))
    text_embed /= np.linalg.norm(text_embed, axis=1, keepdims=True)
    text_tokens = rng.standard_normal((batch, tokens, cfg.token_dim))
    mask = np.ones(batch)
    torch_fn = numpy_model_fn(model.eval(), text_embed, text_tokens, mask)
    ctx = {"text_embed": text_embed, "text_tokens": text_tokens, "cond_mask": mask}
    onnx_fn = onnx_model_fn(ort_session(onnx_path), ctx)
    a, b = _sample_both(
        torch_fn, onnx_fn, (batch, cfg.embed_dim), diffusion, steps, None, samplers.SamplerName.DDIM, seed
    )
    detail = f"ddim {steps} steps, no guidance, (N, L) = {(batch, tokens)} seed {seed}"
    return ParityReport("prior", precision, float(np.abs(a - b).max()), TOLERANCE[precision], detail)


def vocoder_parity(
    model: nn.Module,
    onnx_path: str | Path,
    mel_config: MelConfig,
    *,
    precision: str = "fp32",
    batch: int = 2,
    frames: int = 40,
    seed: int = 0,
) -> ParityReport:
    """Waveform from torch.istft of the torch model vs sfxgen.mel.istft of the ONNX graph's spectrum;
    for a magnitude post-net, both magnitudes, the error relative to the peak (Griffin-Lim then runs on that)."""
    rng = np.random.default_rng(seed + 3000)
    # a plausible natural-log mel: norm_mean + norm_std * N(0, 1), smoothed over time
    x = rng.standard_normal((batch, mel_config.n_mels, frames))
    x = (x + np.roll(x, 1, axis=-1)) / np.sqrt(2.0)
    log_mel = (mel_config.norm_mean + mel_config.norm_std * x).astype(np.float32)
    if getattr(model, "output", "stft") == "magnitude":
        with torch.no_grad():
            ref = model.eval()(torch.from_numpy(log_mel)).double().numpy()
        (mag,) = ort_session(onnx_path).run(["magnitude"], {"mel": log_mel})
        err = float(np.abs(ref - mag).max() / max(np.abs(ref).max(), 1e-12))
        detail = f"magnitude / its peak, mel {(batch, mel_config.n_mels, frames)} seed {seed}"
        return ParityReport("vocoder", precision, err, TOLERANCE[precision], detail)
    with torch.no_grad():
        ref = model.eval().waveform(torch.from_numpy(log_mel)).double().numpy()
    real, imag = ort_session(onnx_path).run(["spec_real", "spec_imag"], {"mel": log_mel})
    got = np_mel.istft(real.astype(np.float64) + 1j * imag.astype(np.float64), mel_config)
    detail = f"waveform via runtime iSTFT, mel {(batch, mel_config.n_mels, frames)} seed {seed}"
    return ParityReport("vocoder", precision, float(np.abs(ref - got).max()), TOLERANCE[precision], detail)
