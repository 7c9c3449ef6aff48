"""Noise schedules in float64 numpy, shared by training and the engine.

A schedule is computed once from its config and never changed after a model
is released (improved-diffusion's rule): the bundle stores the config, the
engine recomputes the exact same ``alphas_cumprod``.
"""

from __future__ import annotations

import dataclasses
import enum
import math

import numpy as np

from sfxgen.configs import ScheduleConfig, ScheduleKind


@dataclasses.dataclass(frozen=True)
class Schedule:
    """Discrete schedule: index t in [0, T) means noise level alphas_cumprod[t]."""

    config: ScheduleConfig
    betas: np.ndarray  # (T,) float64
    alphas_cumprod: np.ndarray  # (T,) float64, abar_t = prod_{s<=t} (1 - beta_s)

    @property
    def num_train_steps(self) -> int:
        return int(self.betas.shape[0])


def make_schedule(config: ScheduleConfig) -> Schedule:
    """Compute betas and alphas_cumprod for a config."""
    T = config.num_train_steps
    if config.kind is ScheduleKind.COSINE:
        # Nichol & Dhariwal 2021, eq. 17: abar(t) = f(t)/f(0), f(t) = cos^2(((t/T)+s)/(1+s) * pi/2)
        def f(t: np.ndarray) -> np.ndarray:
            return np.cos((t / T + config.cosine_s) / (1 + config.cosine_s) * math.pi / 2) ** 2

        steps = np.arange(T + 1, dtype=np.float64)
        abar = f(steps) / f(np.zeros(1))
        betas = np.clip(1.0 - abar[1:] / abar[:-1], 0.0, config.max_beta)
    elif config.kind is ScheduleKind.LINEAR:
        # Ho et al. 2020, sec. 4: betas linear from 1e-4 to 0.02, scaled for T != 1000.
        scale = 1000.0 / T
        betas = np.linspace(scale * 1e-4, scale * 0.02, T, dtype=np.float64)
    else:  # pragma: no cover - enum is exhaustive
        raise ValueError(f"unknown schedule kind {config.kind!r}")
    alphas_cumprod = np.cumprod(1.0 - betas)
    betas.setflags(write=False)
    alphas_cumprod.setflags(write=False)
    return Schedule(config=config, betas=betas, alphas_cumprod=alphas_cumprod)


class Spacing(str, enum.Enum):
    """How K sampling timesteps are picked out of T training timesteps."""

    TRAILING = "trailing"  # start at T-1 (Lin et al. 2024, table 2): best for few steps
    LEADING = "leading"  # DDIM's original choice: 0, T/K, 2T/K, ...


def spaced_timesteps(num_train_steps: int, num_steps: int, spacing: Spacing = Spacing.TRAILING) -> np.ndarray:
    """K timesteps in descending order, as int64 indices into the schedule.

    ``num_steps == num_train_steps`` gives every timestep (the 1000-step DDPM
    reference of the papers).
    """
    T, K = num_train_steps, num_steps
    if not 1 <= K <= T:
        raise ValueError(f"steps must be between 1 and {T}, got {K}")
    if spacing is Spacing.TRAILING:
        ts = np.round(np.arange(T, 0, -T / K)).astype(np.int64) - 1
    else:
        ts = (np.arange(K) * (T // K)).astype(np.int64)[::-1].copy()
    return np.unique(ts)[::-1].copy()
