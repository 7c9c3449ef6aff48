"""Denoiser recipes: mel diffusion conditioned on text (CLIP-TTA / CLIPSynth-Text), image (CLIPSonic) or both.

Batch item (one per sample, from its own seeded generator):
  * text: a random caption of the clip's pool -> its cached embedding; a random
    ``crop_frames`` crop of the clip's mel (its head with probability ``head_crop_prob``);
  * image: a random cached video frame embedding and the mel segment centred on
    that frame's time (the frame's aligned audio);
  * hybrid: text with probability ``hybrid_text_prob``, else image.
Clips shorter than the crop are padded with the silence level (the log floor);
a random gain is added in the log-mel domain. With ``min_items_per_category`` an epoch
repeats the items of rare categories (round robin) up to that count, so a category with
7 clips is seen about as often as one with 30 (class-balanced oversampling).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from exporters import configs as mconfigs
from exporters.diffusion import TorchDiffusion
from exporters.train.augment import crop_or_pad, head_or_random_crop, mel_gain, random_gain_db
from exporters.train.cache import CachedClip
from exporters.train.config import TrainConfig
from sfxgen.configs import Prediction

logger = logging.getLogger(__name__)


def silence_level(config: TrainConfig) -> float:
    """Diffusion-space value of a silent mel bin: (log(log_floor) - mean) / std."""
    m = config.mel
    return float((np.log(m.log_floor) - m.norm_mean) / m.norm_std)


def oversample_order(categories: list[str], min_items: int) -> np.ndarray:
    """Item indices of one epoch: every item once, plus round-robin repeats of each category with
    fewer than ``min_items`` items until it has ``min_items`` (uncategorised items are never repeated)."""
    order = list(range(len(categories)))
    by_cat: dict[str, list[int]] = {}
    for i, cat in enumerate(categories):
        if cat:
            by_cat.setdefault(cat, []).append(i)
    for cat in sorted(by_cat):
        members = by_cat[cat]
        order.extend(members[k % len(members)] for k in range(max(0, min_items - len(members))))
    return np.asarray(order, dtype=np.int64)


class DenoiserTask:
    """Diffusion training of a mel denoiser on cached clips and embeddings."""

    role = "denoiser"

    def __init__(
        self,
        config: TrainConfig,
        items: list[CachedClip],
        text_emb: np.ndarray | None,
        text_pools: list[np.ndarray] | None,
        encoder_meta: dict[str, Any],
        valid: dict[str, Any] | None = None,
    ) -> None:
        self.config = config
        tc = config.denoiser
        if tc.condition not in ("text", "image", "hybrid"):
            raise ValueError(f"denoiser.condition must be text, image or hybrid, got {tc.condition!r}")
        self.items = items
        self.text_emb = text_emb  # (N_text, E)
        self.text_pools = text_pools  # per item: indices into text_emb
        self.encoder_meta = encoder_meta
        self.valid = valid or {}
        self.model: nn.Module = mconfigs.build(config.model, "model")
        mc = getattr(self.model, "config", None)
        if mc is not None and getattr(mc, "n_mels", config.mel.n_mels) != config.mel.n_mels:
            raise ValueError(f"model n_mels {mc.n_mels} != mel.n_mels {config.mel.n_mels}")
        dim = encoder_meta.get("dim")
        if mc is not None and dim is not None and getattr(mc, "cond_dim", dim) != dim:
            raise ValueError(f"model cond_dim {mc.cond_dim} != encoder dim {dim}; set model.config.cond_dim = {dim}")
        mult = getattr(mc, "frames_multiple", 1)
        if not 0.0 <= tc.head_crop_prob <= 1.0:
            raise ValueError(f"denoiser.head_crop_prob must be in [0, 1], got {tc.head_crop_prob}")
        if tc.crop_frames % mult:
            raise ValueError(f"denoiser.crop_frames {tc.crop_frames} must be a multiple of {mult}")
        if tc.condition in ("image", "hybrid") and not any(it.image_emb is not None for it in items):
            raise ValueError("image-conditioned training needs video/image clips with cached image embeddings")
        if tc.condition in ("text", "hybrid") and (text_emb is None or text_pools is None):
            raise ValueError("text-conditioned training needs captions")
        self.diffusion_config = mconfigs.DiffusionConfig(
            schedule=config.schedule,
            prediction=Prediction(tc.prediction),
            cond_dropout=tc.cfg_dropout,
            ema_decay=config.optim.ema_decay,
        )
        self.diffusion = TorchDiffusion(self.diffusion_config)
        self.floor_x = silence_level(config)
        self.order = oversample_order([it.clip.category for it in items], tc.min_items_per_category)

    def num_items(self) -> int:
        return len(self.order)

    def _cond(self, i: int, item: CachedClip, rng: np.random.Generator) -> tuple[np.ndarray, float | None]:
        """(embedding, frame time or None) for one sample."""
        mode = self.config.denoiser.condition
        image_emb = item.image_emb
        has_img = image_emb is not None and len(image_emb) > 0
        has_txt = self.text_pools is not None and len(self.text_pools[i]) > 0
        use_text = (
            mode == "text"
            or not has_img
            or (mode == "hybrid" and has_txt and rng.uniform() < self.config.denoiser.hybrid_text_prob)
        )
        if use_text:
            if not has_txt:
                raise ValueError(f"clip {item.clip.id} has no caption for text conditioning")
            return self.text_emb[int(rng.choice(self.text_pools[i]))], None
        k = int(rng.integers(len(image_emb)))
        times = item.frame_times
        return image_emb[k], float(times[k]) if times is not None else None

    def make_batch(self, indices: np.ndarray, rngs: list[np.random.Generator]) -> dict[str, torch.Tensor]:
        crop = self.config.denoiser.crop_frames
        fps = self.config.mel.frames_per_second
        x0, cond = [], []
        for i, rng in zip(self.order[indices], rngs, strict=True):
            item = self.items[int(i)]
            emb, frame_time = self._cond(int(i), item, rng)
            mel = item.mel  # (M, T) float16 (read from disk when the cache is not in memory)
            T = mel.shape[-1]
            if frame_time is not None and crop < T:  # audio aligned with the frame: crop centred on it
                centre = round(frame_time * fps) + int(rng.integers(-crop // 8, crop // 8 + 1))
                start = int(np.clip(centre - crop // 2, 0, T - crop))
            else:
                start = head_or_random_crop(T, crop, rng, self.config.denoiser.head_crop_prob)
            seg = crop_or_pad(mel[:, start : start + crop].astype(np.float32), 0, crop, self.floor_x)
            seg = mel_gain(seg, random_gain_db(rng, self.config.augment), self.floor_x, self.config.mel.norm_std)
            x0.append(seg)
            cond.append(emb)
        return {
            "x0": torch.from_numpy(np.stack(x0).astype(np.float32)),  # (B, M, crop)
            "cond": torch.from_numpy(np.stack(cond).astype(np.float32)),  # (B, E)
        }

    def loss(
        self, model: nn.Module, batch: dict[str, torch.Tensor], generator: torch.Generator
    ) -> tuple[torch.Tensor, dict[str, float]]:
        x0, cond = batch["x0"], batch["cond"]
        mask = torch.ones(x0.shape[0], device=x0.device)
        return self.diffusion.denoiser_loss(model, x0, cond, mask, generator), {}

    def checkpoint_fields(self) -> dict[str, Any]:
        return {
            "mel": self.config.mel,
            "diffusion": self.diffusion_config,
            "query": {**self.encoder_meta, "condition": self.config.denoiser.condition},
            "meta": {"task": "denoiser", "crop_frames": self.config.denoiser.crop_frames},
        }

    def diagnostics(self, ema_model: nn.Module, step: int, out_dir: Path) -> dict[str, float]:
        from exporters.train.diagnostics import modality_gap, write_denoiser_samples

        out = write_denoiser_samples(self, ema_model, step, out_dir)
        if self.valid.get("gap_text") is not None:  # CLIPSonic Table 2, ZS row, on the validation split
            out.update(modality_gap(self.valid["gap_text"], self.valid["gap_image"]))
            return out
        pairs = [
            (self.text_emb[int(self.text_pools[i][0])], it.image_emb.mean(axis=0))
            for i, it in enumerate(self.items[:256])
            if it.image_emb is not None and self.text_pools is not None and len(self.text_pools[i])
        ]
        if pairs:  # no validation split: the same check on training pairs
            out.update(modality_gap(np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])))
        return out
