"""The training-data card of a run: what the model was trained on, for the bundle's ``data_card``.

Written to ``RUN_DIR/data_card.json`` when the data is prepared; ``sfxgen export
--data-card RUN_DIR/data_card.json`` copies it into ``bundle.json`` (add the
training steps and limitations there).
"""

from __future__ import annotations

import collections
import json
from pathlib import Path
from typing import Any

from exporters.train.cache import CachedClip, CacheReport
from exporters.train.config import TrainConfig


def data_card(config: TrainConfig, items: list[CachedClip], report: CacheReport) -> dict[str, Any]:
    """Clips, minutes, categories and sources (with licences) of the clips a run trains on."""
    originals = [it for it in items if it.variant == 0]
    fps = config.mel.frames_per_second
    seconds = {it.clip.id: it.mel.shape[-1] / fps for it in originals}
    sources: dict[str, dict[str, Any]] = {}
    for it in originals:
        src = sources.setdefault(it.clip.source or "unknown", {"clips": 0, "minutes": 0.0, "licences": set()})
        src["clips"] += 1
        src["minutes"] += seconds[it.clip.id] / 60.0
        if it.clip.licence:
            src["licences"].add(it.clip.licence)
    categories = collections.Counter(it.clip.category for it in originals)
    return {
        "task": config.task,
        "data": {"kind": config.data.kind, "path": config.data.path, "split": config.data.split},
        "clips": len(originals),
        "minutes": round(sum(seconds.values()) / 60.0, 2),
        "skipped": len(report.skipped),
        "categories": dict(sorted(categories.items())),
        "sources": {
            name: {"clips": s["clips"], "minutes": round(s["minutes"], 2), "licences": sorted(s["licences"])}
            for name, s in sorted(sources.items())
        },
        "augmentation": {
            "resampled_variants": config.denoiser.augment_variants if config.task == "denoiser" else 0,
            "gain_db": config.augment.gain_db,
            "resample_semitones": config.augment.resample_semitones,
        },
        "encoder": {"type": config.encoder.type, "config": config.encoder.config} if config.task != "vocoder" else None,
    }


def write_data_card(path: Path, card: dict[str, Any]) -> Path:
    path.write_text(json.dumps(card, indent=2) + "\n")
    return path
