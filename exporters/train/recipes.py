"""Build a training task from a :class:`TrainConfig`: load clips, fill the cache, make the task.

This is the glue between data/cache/encoders and the per-task modules; the
loop itself is in :mod:`exporters.train.loop`.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

import numpy as np

from exporters.train.cache import CacheSpec, build_clip_cache, text_embeddings
from exporters.train.config import TrainConfig
from exporters.train.data import DataError, caption_pool, load_clips
from exporters.train.encoders import QueryEncoder, build_encoder

logger = logging.getLogger(__name__)


def cache_dir_of(config: TrainConfig, out_dir: Path) -> Path:
    return Path(config.cache_dir) if config.cache_dir else Path(out_dir) / "cache"


def _needs_images(config: TrainConfig) -> bool:
    return config.task == "prior" or (config.task == "denoiser" and config.denoiser.condition != "text")


def _valid_prompts(config: TrainConfig, base: Path | None, limit: int = 6) -> list[str]:
    """A few captions of the validation split (one per category) for listening samples."""
    if not config.data.valid_split:
        return []
    try:
        clips = load_clips(config.data, split=config.data.valid_split, base=base)
    except (DataError, OSError):
        return []
    seen: dict[str, str] = {}
    for c in clips:
        if c.category not in seen and c.captions:
            seen[c.category] = c.captions[0]
    prompts = sorted(seen.values())
    if len(prompts) <= limit:
        return prompts
    return [prompts[int(i)] for i in np.linspace(0, len(prompts) - 1, limit).round()]  # spread over categories


def _valid_pairs(
    config: TrainConfig, base: Path | None, cache_dir: Path, spec: CacheSpec, encoder: QueryEncoder
) -> dict[str, Any]:
    """(caption, frame) pairs of the validation split for the Table 2 modality-gap check ({} if none)."""
    if not config.data.valid_split:
        return {}
    try:
        clips = load_clips(config.data, split=config.data.valid_split, base=base)
        items, _ = build_clip_cache(clips, cache_dir, spec, encoder, progress=False)
    except (DataError, OSError):
        return {}
    pairs = [
        (it.clip.captions[0] if it.clip.captions else it.clip.category.replace("_", " "), it.image_emb.mean(axis=0))
        for it in items[:256]
        if it.image_emb is not None and (it.clip.captions or it.clip.category)
    ]
    if not pairs:
        return {}
    texts = [p[0] for p in pairs]
    return {"gap_texts": texts, "gap_text": encoder.embed_texts(texts), "gap_image": np.stack([p[1] for p in pairs])}


def prepare(
    config: TrainConfig,
    out_dir: Path,
    base: Path | None = None,
    progress: bool = True,
    shard: tuple[int, int] = (0, 1),
) -> Any:
    """The task of a config, with its data cached (resumable) under the cache dir.

    With ``shard=(i, n)``, n > 1, only fills that shard of the cache and returns None.
    """
    out_dir = Path(out_dir)
    cache_dir = cache_dir_of(config, out_dir)
    clips = load_clips(config.data, base=base)
    logger.info("%d clips from %s (%s)", len(clips), config.data.path, config.data.kind)
    encoder: QueryEncoder | None = None
    if config.task in ("denoiser", "prior"):
        encoder = build_encoder(config.encoder)
    spec = CacheSpec(
        mel=config.mel,
        store_audio=config.task == "vocoder",
        image_encoder=encoder.id if encoder is not None and _needs_images(config) else None,
        frames_per_video=config.data.frames_per_video,
        max_clip_seconds=config.data.max_clip_seconds,
        min_peak=config.data.min_peak,
        variants=config.denoiser.augment_variants if config.task == "denoiser" else 0,
        variant_semitones=config.augment.resample_semitones,
        seed=config.loop.seed,
    )
    items, report = build_clip_cache(
        clips, cache_dir, spec, encoder if spec.image_encoder else None, progress, config.data.in_memory, shard
    )
    if shard[1] > 1:
        logger.info("cache shard %d/%d: %s", shard[0], shard[1], report.summary())
        return None
    (out_dir / "cache_report.txt").parent.mkdir(parents=True, exist_ok=True)
    (out_dir / "cache_report.txt").write_text(report.summary() + "\n")
    from exporters.train.datacard import data_card, write_data_card

    write_data_card(out_dir / "data_card.json", data_card(config, items, report))
    import torch

    torch.manual_seed(config.loop.seed)  # model initialisation is part of the seeded run
    if config.task == "vocoder":
        from exporters.train.vocoder_task import VocoderTask

        return VocoderTask(config, items)
    assert encoder is not None
    pools = caption_pool([it.clip for it in items], config.data)
    texts = sorted({t for p in pools.values() for t in p})
    text_emb = text_embeddings(texts, encoder, cache_dir) if texts else None
    index = {t: i for i, t in enumerate(texts)}
    text_pools = [np.array([index[t] for t in pools[it.clip.id]], dtype=np.int64) for it in items]
    meta = {"type": config.encoder.type, "config": dict(config.encoder.config), "id": encoder.id, "dim": encoder.dim}
    prompts = _valid_prompts(config, base)
    valid = {"prompts": prompts, "prompt_emb": encoder.embed_texts(prompts) if prompts else None}
    if spec.image_encoder is not None:
        valid.update(_valid_pairs(config, base, cache_dir, dataclasses.replace(spec, variants=0), encoder))
    if config.task == "prior":
        from exporters.train.prior_task import PriorTask

        return PriorTask(config, items, texts, text_emb, text_pools, encoder, meta, valid)
    from exporters.train.denoiser_task import DenoiserTask

    return DenoiserTask(config, items, text_emb, text_pools if texts else None, meta, valid)
