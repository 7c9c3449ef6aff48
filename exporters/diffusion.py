"""Thin torch adapter over :mod:`sfxgen.schedule`: q_sample, training losses, CFG dropout, EMA.

The schedule is computed once in float64 numpy by the runtime's own code, so the
network is trained on exactly the alphas_cumprod the engine samples with.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from exporters.configs import DiffusionConfig
from sfxgen.configs import Prediction
from sfxgen.samplers import ModelFn
from sfxgen.schedule import make_schedule


class TorchDiffusion:
    """The schedule of a :class:`DiffusionConfig` as torch tensors, plus the training loss."""

    def __init__(self, config: DiffusionConfig) -> None:
        self.config = config
        self.schedule = make_schedule(config.schedule)
        self.alphas_cumprod = torch.from_numpy(np.array(self.schedule.alphas_cumprod))  # (T,) float64

    @property
    def num_train_steps(self) -> int:
        return self.schedule.num_train_steps

    def _coef(self, t: torch.Tensor, ndim: int, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
        abar = self.alphas_cumprod.to(t.device)[t]  # (B,) float64
        shape = (-1,) + (1,) * (ndim - 1)
        return abar.sqrt().to(dtype).reshape(shape), (1.0 - abar).sqrt().to(dtype).reshape(shape)

    def q_sample(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps (Ho et al. 2020, eq. 4)."""
        alpha, sigma = self._coef(t, x0.ndim, x0.dtype)
        return alpha * x0 + sigma * noise

    def target(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """What the network must output: eps, v = alpha eps - sigma x0, or x0."""
        prediction = self.config.prediction
        if prediction is Prediction.EPS:
            return noise
        if prediction is Prediction.X0:
            return x0
        alpha, sigma = self._coef(t, x0.ndim, x0.dtype)
        return alpha * noise - sigma * x0

    def sample_t(self, batch: int, device: torch.device | str = "cpu", generator: torch.Generator | None = None):
        """Uniform training timesteps (B,) int64."""
        return torch.randint(0, self.num_train_steps, (batch,), device=device, generator=generator)

    def drop_cond(self, cond_mask: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Zero each row's cond_mask with probability cond_dropout (classifier-free guidance training)."""
        keep = torch.rand(cond_mask.shape, generator=generator, device=cond_mask.device) >= self.config.cond_dropout
        return cond_mask * keep.to(cond_mask.dtype)

    def loss(
        self,
        model_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
        x0: torch.Tensor,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """MSE between model_fn(x_t, t) and the prediction target, t uniform (Ho et al. 2020, eq. 14)."""
        t = self.sample_t(x0.shape[0], x0.device, generator)
        noise = torch.randn(x0.shape, generator=generator, device=x0.device, dtype=x0.dtype)
        x_t = self.q_sample(x0, t, noise)
        return torch.mean((model_fn(x_t, t) - self.target(x0, t, noise)) ** 2)

    def denoiser_loss(
        self,
        model: nn.Module,
        x0: torch.Tensor,
        cond: torch.Tensor,
        cond_mask: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Training loss of a mel denoiser: x0 (B, M, T), cond (B, E); cond dropped cond_dropout of the time."""
        if cond_mask is None:
            cond_mask = torch.ones(x0.shape[0], device=x0.device)
        cond_mask = self.drop_cond(cond_mask, generator)
        return self.loss(lambda x_t, t: model(x_t, t, cond, cond_mask), x0, generator)

    def prior_loss(
        self,
        model: nn.Module,
        image_embed: torch.Tensor,
        text_embed: torch.Tensor,
        text_tokens: torch.Tensor,
        cond_mask: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Training loss of the diffusion prior (CLIPSonic appendix A, MSE on x0 when prediction is x0).

        x0 = unit-norm image_embed * sqrt(E) (B, E); text dropped cond_dropout of the time.
        """
        x0 = torch.nn.functional.normalize(image_embed, dim=-1) * image_embed.shape[-1] ** 0.5
        if cond_mask is None:
            cond_mask = torch.ones(x0.shape[0], device=x0.device)
        cond_mask = self.drop_cond(cond_mask, generator)
        return self.loss(lambda x_t, t: model(x_t, t, text_embed, text_tokens, cond_mask), x0, generator)


@torch.no_grad()
def numpy_model_fn(model: nn.Module, *context: np.ndarray) -> ModelFn:
    """A numpy :data:`sfxgen.samplers.ModelFn` running a torch network in float32.

    ``context`` are the extra inputs after (x_t, t), e.g. (cond, cond_mask), already
    doubled for :func:`sfxgen.samplers.guided` when guidance is used.
    """
    ctx = [torch.from_numpy(np.asarray(c, dtype=np.float32)) for c in context]

    def fn(x_t: np.ndarray, t: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            out = model(torch.from_numpy(x_t.astype(np.float32)), torch.from_numpy(t.astype(np.int64)), *ctx)
        return out.double().numpy()

    return fn


class EMA:
    """Exponential moving average of a model's parameters and buffers (the weights that get exported)."""

    def __init__(self, model: nn.Module, decay: float = 0.999) -> None:
        if not 0.0 <= decay < 1.0:
            raise ValueError("EMA decay must be in [0, 1)")
        self.decay = decay
        self.model = copy.deepcopy(model).eval().requires_grad_(False)
        self.num_updates = 0

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """ema <- d * ema + (1 - d) * w, with warm-up d = min(decay, (1 + n) / (10 + n)); frozen weights copied."""
        self.num_updates += 1
        d = min(self.decay, (1 + self.num_updates) / (10 + self.num_updates))
        ema_state = self.model.state_dict()
        frozen = {name for name, p in model.named_parameters() if not p.requires_grad}
        for name, value in model.state_dict().items():
            if value.dtype.is_floating_point and name not in frozen:
                ema_state[name].mul_(d).add_(value.detach(), alpha=1.0 - d)
            else:
                ema_state[name].copy_(value)

    def state_dict(self) -> dict:
        return {"decay": self.decay, "num_updates": self.num_updates, "model": self.model.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.decay = float(state["decay"])
        self.num_updates = int(state["num_updates"])
        self.model.load_state_dict(state["model"])
