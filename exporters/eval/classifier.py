"""The evaluation's audio classifier: a small log-mel CNN trained on real training clips only.

It is independent of the generator (different architecture, never sees generated audio) and serves
two measures: relevance (does a generated clip classify as the prompt's category?) and the Fréchet
distance between its penultimate embeddings of generated and real audio (a local stand-in for FAD's
VGGish, which cannot be downloaded here).
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import numpy as np
import torch
from torch import nn

from sfxgen.configs import MelConfig
from sfxgen.mel import log_mel, normalize

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class ClassifierConfig:
    """Training settings of the evaluation classifier."""

    widths: tuple[int, ...] = (16, 32, 64, 128)  # conv block widths; each block halves mel and time
    embed_dim: int = 64  # penultimate embedding for Fréchet distances (< ~120 real test clips: full-rank covariance)
    crop_frames: int = 128  # training crop (about 1.4 s at 24 kHz / hop 256)
    batch_size: int = 32
    # Optimiser steps, about 30 min on one core here. On the 2061-clip corpus 2000 steps underfit (top-1 0.60 on
    # its own training clips, 0.21 on the validation split); 6000 reach 0.87 / 0.27 (docs/training.md).
    steps: int = 6000
    spec_augment: int = 2  # SpecAugment masks per example (frequency and time, each up to 1/8 of the axis)
    lr: float = 2e-3
    seed: int = 0


class AudioClassifier(nn.Module):
    """(B, M, T) normalised log-mel -> (embedding (B, D), logits (B, C)); any T >= 16."""

    def __init__(self, n_mels: int, num_classes: int, config: ClassifierConfig) -> None:
        super().__init__()
        self.crop_frames = config.crop_frames  # the window it is trained on, and judges clips by
        layers: list[nn.Module] = []
        c_in = 1
        for w in config.widths:
            # One conv per block keeps a training step ~0.2 s on one core (two cost ~10x more).
            layers += [nn.Conv2d(c_in, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU(), nn.MaxPool2d(2)]
            c_in = w
        self.features = nn.Sequential(*layers)
        self.embed = nn.Sequential(nn.Dropout(0.3), nn.Linear(2 * c_in, config.embed_dim), nn.ReLU())
        self.head = nn.Linear(config.embed_dim, num_classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.features(x.unsqueeze(1))  # (B, C, M', T')
        h = h.mean(dim=2)  # (B, C, T')
        h = torch.cat([h.mean(dim=-1), h.amax(dim=-1)], dim=-1)  # (B, 2C)
        emb = self.embed(h)  # (B, D)
        return emb, self.head(emb)


def features(wave: np.ndarray, mel: MelConfig) -> np.ndarray:
    """Normalised log-mel (M, T) float32 of a mono waveform at mel.sample_rate."""
    return normalize(log_mel(wave, mel), mel).astype(np.float32)


def _crop(x: np.ndarray, frames: int, rng: np.random.Generator) -> np.ndarray:
    """Random crop, or pad with the silence level, to exactly ``frames``."""
    if x.shape[-1] >= frames:
        start = int(rng.integers(0, x.shape[-1] - frames + 1))
        return x[:, start : start + frames]
    pad = np.full((x.shape[0], frames - x.shape[-1]), x.min(), dtype=x.dtype)
    return np.concatenate([x, pad], axis=-1)


def _spec_augment(x: np.ndarray, masks: int, rng: np.random.Generator) -> None:
    """In place: mask random mel bands and frame ranges to the batch minimum (Park et al. 2019)."""
    floor = float(x.min())
    B, M, T = x.shape
    for b in range(B):
        for _ in range(masks):
            f, t = int(rng.integers(0, M // 8 + 1)), int(rng.integers(0, T // 8 + 1))
            f0, t0 = int(rng.integers(0, M - f + 1)), int(rng.integers(0, T - t + 1))
            x[b, f0 : f0 + f, :] = floor
            x[b, :, t0 : t0 + t] = floor


def train_classifier(
    mels: list[np.ndarray], labels: np.ndarray, classes: list[str], mel: MelConfig, config: ClassifierConfig
) -> AudioClassifier:
    """Train on (M, T) features with integer labels; gain augmentation shifts the log-mel."""
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    model = AudioClassifier(mel.n_mels, len(classes), config)
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=config.lr, total_steps=config.steps)
    # Balance classes: sample a class uniformly, then a clip of it.
    by_class = [np.flatnonzero(labels == c) for c in range(len(classes))]
    by_class = [ix for ix in by_class if len(ix)]
    model.train()
    for step in range(config.steps):
        picks = [by_class[int(rng.integers(len(by_class)))] for _ in range(config.batch_size)]
        idx = [int(p[int(rng.integers(len(p)))]) for p in picks]
        gain = rng.uniform(-6, 6, size=(config.batch_size, 1, 1)) / 20 * np.log(10) / mel.norm_std
        x = np.stack([_crop(mels[i], config.crop_frames, rng) for i in idx]) + gain
        _spec_augment(x, config.spec_augment, rng)
        _, logits = model(torch.from_numpy(x.astype(np.float32)))
        loss = nn.functional.cross_entropy(logits, torch.from_numpy(labels[idx]).long())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if step % 250 == 0 or step == config.steps - 1:
            log.info("classifier step %d/%d loss %.3f", step + 1, config.steps, loss.item())
    model.eval()
    return model


ACTIVE_DB = 30.0  # windows whose loudest frame is this far below the clip's loudest frame are not judged


def windows(x: np.ndarray, frames: int) -> np.ndarray:
    """(M, T) -> (K, M, frames): the windows the classifier was trained on (half-overlapping; short clips padded)."""
    if x.shape[-1] < frames:
        x = np.pad(x, ((0, 0), (0, frames - x.shape[-1])), constant_values=float(x.min()))
    starts = list(range(0, x.shape[-1] - frames + 1, frames // 2))
    if starts[-1] != x.shape[-1] - frames:
        starts.append(x.shape[-1] - frames)
    return np.stack([x[:, s : s + frames] for s in starts])


def active(w: np.ndarray, mel: MelConfig, db: float = ACTIVE_DB) -> np.ndarray:
    """Boolean (K,) of windows (K, M, F) whose loudest frame is within ``db`` of the loudest window's."""
    magnitude = np.exp(w.astype(np.float64) * mel.norm_std + mel.norm_mean).sum(axis=1)  # (K, F) mel magnitude
    level = 20.0 * np.log10(magnitude.max(axis=1) + 1e-12)  # (K,) dB
    return level >= level.max() - db


@torch.no_grad()
def embed_and_classify(model: AudioClassifier, mels: list[np.ndarray], mel: MelConfig) -> tuple[np.ndarray, np.ndarray]:
    """(embeddings (N, D), log-probabilities (N, C)) of whole clips of any length.

    A clip is judged as the model was trained: windows of ``crop_frames`` (short clips padded with
    their silence level), of which only the active ones count (a 4 s clip holding one 0.5 s dog bark
    is judged on the bark, not on the silence after it); the clip's log-probabilities and embedding
    are the means over those windows.
    """
    embs, logps = [], []
    for x in mels:
        w = windows(x, model.crop_frames)  # (K, M, F)
        e, lg = model(torch.from_numpy(w[active(w, mel)]))  # (K', D), (K', C)
        embs.append(e.mean(dim=0).numpy())
        logps.append(torch.log_softmax(lg, dim=-1).mean(dim=0).numpy())
    return np.stack(embs).astype(np.float64), np.stack(logps).astype(np.float64)


def save_classifier(
    path: Path, model: AudioClassifier, classes: list[str], config: ClassifierConfig, train_sha256: str = ""
) -> None:
    """Save atomically; ``train_sha256`` identifies the training clips (see ``exporters.eval.run``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    state = {"state_dict": model.state_dict(), "classes": classes, "config": dataclasses.asdict(config)}
    torch.save({**state, "train_sha256": train_sha256}, tmp)
    tmp.replace(path)


def load_classifier(path: Path, n_mels: int) -> tuple[AudioClassifier, list[str], ClassifierConfig, str]:
    """(model, classes, config, train_sha256) of a saved classifier ("" when it was not recorded)."""
    ckpt = torch.load(path, map_location="cpu", weights_only=False)
    cfg = ckpt["config"]
    cfg["widths"] = tuple(cfg["widths"])
    config = ClassifierConfig(**cfg)
    model = AudioClassifier(n_mels, len(ckpt["classes"]), config)
    model.load_state_dict(ckpt["state_dict"])
    model.eval()
    return model, list(ckpt["classes"]), config, str(ckpt.get("train_sha256", ""))
