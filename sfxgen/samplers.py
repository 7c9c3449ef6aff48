"""Diffusion samplers as pure float64 numpy functions.

A sampler takes the model as an argument (never stores it), a start noise
x_T, the schedule and the timesteps, and returns x_0. The model function maps
``(x_t, t) -> output`` where output is eps, v or x0 according to ``prediction``.
Per-row random generators make variation i identical whatever the batch size.

Notation (Ho et al. 2020; Song et al. 2021; Lu et al. 2022):
    abar_t = alphas_cumprod[t], alpha_t = sqrt(abar_t), sigma_t = sqrt(1 - abar_t),
    x_t = alpha_t * x0 + sigma_t * eps, lambda_t = log(alpha_t / sigma_t).
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Callable, Sequence

import numpy as np

from sfxgen.configs import Prediction
from sfxgen.schedule import Schedule

ModelFn = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (x_t (B,...), t (B,)) -> output (B,...)
StepCallback = Callable[[int, int], None]  # (steps done, steps total); may raise to cancel


class SamplerName(str, enum.Enum):
    DDPM = "ddpm"  # ancestral sampling, Ho et al. 2020 (the papers' 1000-step reference)
    DDIM = "ddim"  # deterministic, eta = 0, Song et al. 2021
    DPMPP_2M = "dpmpp_2m"  # DPM-Solver++(2M), Lu et al. 2022, algorithm 2


def cfg_combine(out_cond: np.ndarray, out_uncond: np.ndarray, w: float) -> np.ndarray:
    """Classifier-free guidance as in CLIPSonic: eps = (1 - w) * eps_uncond + w * eps_cond.

    Linear, so it applies to eps, v and x0 outputs alike. w = 1 is the plain
    conditional model, w = 0 the unconditional one.
    """
    return (1.0 - w) * out_uncond + w * out_cond


def guided(net: ModelFn, w: float) -> ModelFn:
    """Wrap a network that takes the batch twice: first half cond, second half uncond.

    ``net(x (2B,...), t (2B,))`` is evaluated once per step (cond and uncond in
    one batched call); the caller binds the conditions and null mask to it.
    """

    def model_fn(x_t: np.ndarray, t: np.ndarray) -> np.ndarray:
        out = net(np.concatenate([x_t, x_t]), np.concatenate([t, t]))
        out_cond, out_uncond = np.split(out, 2)
        return cfg_combine(out_cond, out_uncond, w)

    return model_fn


def to_x0_eps(
    output: np.ndarray, x_t: np.ndarray, abar: float, prediction: Prediction
) -> tuple[np.ndarray, np.ndarray]:
    """Convert a model output to (x0, eps) at noise level abar."""
    alpha, sigma = np.sqrt(abar), np.sqrt(1.0 - abar)
    if prediction is Prediction.EPS:
        eps = output
        x0 = (x_t - sigma * eps) / alpha
    elif prediction is Prediction.V:
        # v = alpha * eps - sigma * x0  =>  x0 = alpha * x_t - sigma * v, eps = sigma * x_t + alpha * v
        x0 = alpha * x_t - sigma * output
        eps = sigma * x_t + alpha * output
    elif prediction is Prediction.X0:
        x0 = output
        eps = (x_t - alpha * x0) / sigma
    else:  # pragma: no cover
        raise ValueError(f"unknown prediction {prediction!r}")
    return x0, eps


def randn(rngs: Sequence[np.random.Generator], shape: tuple[int, ...]) -> np.ndarray:
    """Standard normal noise of shape (len(rngs), *shape), row i drawn from rngs[i]."""
    return np.stack([rng.standard_normal(shape) for rng in rngs])


def _abar(schedule: Schedule, t: int) -> float:
    return 1.0 if t < 0 else float(schedule.alphas_cumprod[t])


def _call(model_fn: ModelFn, x: np.ndarray, t: int) -> np.ndarray:
    return np.asarray(model_fn(x, np.full((x.shape[0],), t, dtype=np.int64)), dtype=np.float64)


def sample(
    name: SamplerName,
    model_fn: ModelFn,
    x_T: np.ndarray,
    schedule: Schedule,
    timesteps: np.ndarray,
    prediction: Prediction,
    rngs: Sequence[np.random.Generator] | None = None,
    on_step: StepCallback | None = None,
    clip_x0: float | None = None,
) -> np.ndarray:
    """Run a sampler from x_T down to x_0.

    Args:
        name: which sampler.
        model_fn: (x_t, t) -> output; called once per timestep.
        x_T: (B, ...) start noise, float64.
        schedule: the model's training schedule.
        timesteps: descending int indices, e.g. :func:`sfxgen.schedule.spaced_timesteps`.
        prediction: what model_fn outputs.
        rngs: one generator per batch row (DDPM draws fresh noise every step).
        on_step: progress callback after each model call; raising from it cancels.
        clip_x0: clamp predicted x0 to [-clip_x0, clip_x0] (None: no clamp).
    """
    x = np.asarray(x_T, dtype=np.float64)
    ts = [int(t) for t in timesteps]
    if any(a <= b for a, b in itertools.pairwise(ts)):
        raise ValueError("timesteps must be strictly descending")
    if name is SamplerName.DDPM and rngs is None:
        raise ValueError("DDPM needs one random generator per batch row")
    n = len(ts)
    x0_prev: np.ndarray | None = None
    h_prev = 0.0
    for i, t in enumerate(ts):
        s = ts[i + 1] if i + 1 < n else -1  # next (less noisy) timestep; -1 is clean data
        abar_t, abar_s = _abar(schedule, t), _abar(schedule, s)
        x0, eps = to_x0_eps(_call(model_fn, x, t), x, abar_t, prediction)
        if clip_x0 is not None:
            x0 = np.clip(x0, -clip_x0, clip_x0)
            eps = (x - np.sqrt(abar_t) * x0) / np.sqrt(1.0 - abar_t)
        if name is SamplerName.DDPM:
            # Posterior q(x_s | x_t, x0), Ho et al. 2020 eq. 6-7, with the respaced beta = 1 - abar_t/abar_s.
            beta = 1.0 - abar_t / abar_s
            mean = (np.sqrt(abar_s) * beta / (1.0 - abar_t)) * x0 + (
                np.sqrt(1.0 - beta) * (1.0 - abar_s) / (1.0 - abar_t)
            ) * x
            var = beta * (1.0 - abar_s) / (1.0 - abar_t)
            x = mean + np.sqrt(var) * randn(rngs, x.shape[1:]) if s >= 0 else mean  # type: ignore[arg-type]
        elif name is SamplerName.DDIM:
            # Song et al. 2021 eq. 12 with eta = 0.
            x = np.sqrt(abar_s) * x0 + np.sqrt(1.0 - abar_s) * eps
        elif name is SamplerName.DPMPP_2M:
            x, h_prev = _dpmpp_2m_step(x, x0, x0_prev, abar_t, abar_s, h_prev)
        else:  # pragma: no cover
            raise ValueError(f"unknown sampler {name!r}")
        x0_prev = x0
        if on_step is not None:
            on_step(i + 1, n)
    return x


def _dpmpp_2m_step(
    x: np.ndarray, x0: np.ndarray, x0_prev: np.ndarray | None, abar_t: float, abar_s: float, h_prev: float
) -> tuple[np.ndarray, float]:
    """One DPM-Solver++(2M) step t -> s (Lu et al. 2022, algorithm 2); returns (x_s, h)."""
    if abar_s >= 1.0:  # last step to clean data: sigma_s = 0, first order gives x0 exactly
        return x0, 0.0
    alpha_t, sigma_t = np.sqrt(abar_t), np.sqrt(1.0 - abar_t)
    alpha_s, sigma_s = np.sqrt(abar_s), np.sqrt(1.0 - abar_s)
    h = np.log(alpha_s / sigma_s) - np.log(alpha_t / sigma_t)  # lambda_s - lambda_t > 0
    if x0_prev is None:
        d = x0  # first step: DPM-Solver++(1) = DDIM
    else:
        r = h_prev / h
        d = (1.0 + 1.0 / (2.0 * r)) * x0 - (1.0 / (2.0 * r)) * x0_prev
    return (sigma_s / sigma_t) * x - alpha_s * np.expm1(-h) * d, float(h)
