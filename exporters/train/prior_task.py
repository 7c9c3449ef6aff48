"""Diffusion prior recipe (CLIPSonic-SD): text embedding -> image embedding, trained on the dataset's pairs.

Each sample pairs a random caption of a clip (its embedding and encoded tokens)
with a random cached frame embedding of the same clip. As DALL-E 2's prior and
:mod:`exporters.models.prior`, the network predicts x0 = image_embed * sqrt(E);
the text condition is dropped ``prior.cfg_dropout`` of the time for CFG.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from exporters import configs as mconfigs
from exporters.diffusion import TorchDiffusion
from exporters.train.cache import CachedClip
from exporters.train.config import TrainConfig
from exporters.train.diagnostics import modality_gap
from sfxgen.configs import Prediction

logger = logging.getLogger(__name__)


class PriorTask:
    """Trains a registered ``prior`` on (caption, frame) pairs of image/video clips."""

    role = "prior"

    def __init__(
        self,
        config: TrainConfig,
        items: list[CachedClip],
        texts: list[str],
        text_emb: np.ndarray | None,
        text_pools: list[np.ndarray],
        encoder: Any,
        encoder_meta: dict[str, Any],
        valid: dict[str, Any] | None = None,
    ) -> None:
        self.config = config
        keep = [i for i, it in enumerate(items) if it.image_emb is not None and len(text_pools[i])]
        if not keep:
            raise ValueError("prior training needs clips with both captions and image/video frames")
        self.items = [items[i] for i in keep]
        self.pools = [text_pools[i] for i in keep]
        if text_emb is None or not hasattr(encoder, "encode_texts"):
            raise ValueError("prior training needs a text encoder with token outputs (encoder.type = 'clip')")
        _, tokens = encoder.encode_texts(texts)
        self.text_emb = np.asarray(text_emb, dtype=np.float32)  # (N, E)
        self.text_tokens = np.asarray(tokens, dtype=np.float32)  # (N, L, W)
        self.encoder_meta = encoder_meta
        self.valid = dict(valid or {})
        if self.valid.get("gap_texts"):
            self.valid["gap_tokens"] = np.asarray(encoder.encode_texts(self.valid["gap_texts"])[1], np.float32)
        self.model: nn.Module = mconfigs.build(config.model, "model")
        mc = self.model.config
        E, L, W = self.text_emb.shape[1], self.text_tokens.shape[1], self.text_tokens.shape[2]
        if (mc.embed_dim, mc.max_tokens, mc.token_dim) != (E, L, W):
            raise ValueError(
                f"prior (embed_dim, max_tokens, token_dim) = {(mc.embed_dim, mc.max_tokens, mc.token_dim)} must equal "
                f"the text encoder's {(E, L, W)}; set them in [model.config]"
            )
        self.scale = math.sqrt(E)
        self.diffusion_config = mconfigs.DiffusionConfig(
            schedule=config.schedule,
            prediction=Prediction(config.prior.prediction),
            cond_dropout=config.prior.cfg_dropout,
            ema_decay=config.optim.ema_decay,
        )
        self.diffusion = TorchDiffusion(self.diffusion_config)

    def num_items(self) -> int:
        return len(self.items)

    def make_batch(self, indices: np.ndarray, rngs: list[np.random.Generator]) -> dict[str, torch.Tensor]:
        x0, te, tt = [], [], []
        for i, rng in zip(indices, rngs, strict=True):
            item = self.items[int(i)]
            j = int(rng.choice(self.pools[int(i)]))
            x0.append(item.image_emb[int(rng.integers(len(item.image_emb)))] * self.scale)
            te.append(self.text_emb[j])
            tt.append(self.text_tokens[j])
        return {
            "x0": torch.from_numpy(np.stack(x0).astype(np.float32)),  # (B, E)
            "text_embed": torch.from_numpy(np.stack(te)),  # (B, E)
            "text_tokens": torch.from_numpy(np.stack(tt)),  # (B, L, W)
        }

    def loss(
        self, model: nn.Module, batch: dict[str, torch.Tensor], generator: torch.Generator
    ) -> tuple[torch.Tensor, dict[str, float]]:
        x0, te, tt = batch["x0"], batch["text_embed"], batch["text_tokens"]
        mask = self.diffusion.drop_cond(torch.ones(x0.shape[0], device=x0.device), generator)
        return self.diffusion.loss(lambda x_t, t: model(x_t, t, te, tt, mask), x0, generator), {}

    def checkpoint_fields(self) -> dict[str, Any]:
        return {
            "mel": self.config.mel,
            "prior_diffusion": self.diffusion_config,
            "query": self.encoder_meta,
            "meta": {"task": "prior"},
        }

    @torch.no_grad()
    def sample(
        self, model: nn.Module, text_emb: np.ndarray, text_tokens: np.ndarray, steps: int = 16, seed: int = 0
    ) -> np.ndarray:
        """q_hat_img (N, E) unit norm for texts (N, E) / (N, L, W), 2 candidates each, the one closer to the text."""
        from exporters.diffusion import numpy_model_fn
        from sfxgen.samplers import SamplerName, randn, sample
        from sfxgen.schedule import make_schedule, spaced_timesteps

        schedule = make_schedule(self.diffusion_config.schedule)
        n = len(text_emb)
        te = np.repeat(text_emb, 2, axis=0)
        tt = np.repeat(text_tokens, 2, axis=0)
        was_training = model.training
        model.eval()
        fn = numpy_model_fn(model, te, tt, np.ones(len(te), np.float32))
        rngs = [np.random.default_rng(seed + k) for k in range(len(te))]
        x_T = randn(rngs, (te.shape[1],))
        ts = spaced_timesteps(schedule.num_train_steps, min(steps, schedule.num_train_steps))
        x0 = sample(SamplerName.DDIM, fn, x_T, schedule, ts, self.diffusion_config.prediction, rngs)
        model.train(was_training)
        x0 = x0 / np.maximum(np.linalg.norm(x0, axis=-1, keepdims=True), 1e-12)
        x0 = x0.reshape(n, 2, -1)
        sims = np.einsum("nke,ne->nk", x0, text_emb)
        return x0[np.arange(n), np.argmax(sims, axis=1)]

    def diagnostics(self, ema_model: nn.Module, step: int, out_dir: Path) -> dict[str, float]:
        """CLIPSonic Table 2: sim(q_text, q_img) vs sim(q_hat_img, q_img), validation pairs (else 32 training ones)."""
        if self.valid.get("gap_text") is not None:
            te, tt, img = self.valid["gap_text"], self.valid["gap_tokens"], self.valid["gap_image"]
        else:
            n = min(32, len(self.items))
            idx = np.array([int(self.pools[i][0]) for i in range(n)])
            te, tt = self.text_emb[idx], self.text_tokens[idx]
            img = np.stack([self.items[i].image_emb.mean(axis=0) for i in range(n)])
        return modality_gap(te, img, self.sample(ema_model, te, tt, seed=step))
