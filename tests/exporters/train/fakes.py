"""A small fake corpus (tones / noise with categories) in the corpus manifest format."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import soundfile as sf

SR = 24000
CATEGORIES = {
    "beep": ["a high beep", "electronic beep tone"],
    "hum": ["low electrical hum", "a deep hum"],
    "hiss": ["steam hissing", "white noise hiss"],
    "clicks": ["fast clicking", "mechanical clicks"],
}


def _signal(category: str, seconds: float, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    if category == "beep":
        x = 0.4 * np.sin(2 * np.pi * rng.uniform(800, 1200) * t)
    elif category == "hum":
        x = 0.4 * np.sin(2 * np.pi * rng.uniform(90, 130) * t) + 0.1 * np.sin(2 * np.pi * 240 * t)
    elif category == "hiss":
        x = 0.2 * rng.standard_normal(t.size)
    else:
        x = np.zeros(t.size)
        x[:: int(SR / rng.uniform(8, 16))] = 0.8
    return x.astype(np.float32)


def make_fake_corpus(root: Path, per_category: int = 3, seconds: float = 1.0, bad_files: bool = True) -> Path:
    """Write FLACs + manifest.jsonl; with bad_files also one silent and one corrupt clip."""
    root = Path(root)
    (root / "audio").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    rows = []
    for cat, captions in CATEGORIES.items():
        for i in range(per_category):
            rel = f"audio/{cat}_{i:02d}.flac"
            dur = seconds * (0.6 if i == 0 else 1.0 + 0.5 * i)  # one clip shorter than a crop
            sf.write(root / rel, _signal(cat, dur, rng), SR, format="FLAC")
            split = "valid" if i == per_category - 1 else "train"
            rows.append({"id": f"{cat}_{i}", "path": rel, "split": split, "category": cat, "captions": captions})
    if bad_files:
        sf.write(root / "audio/silent.flac", np.zeros(SR, np.float32), SR, format="FLAC")
        rows.append({"id": "silent", "path": "audio/silent.flac", "split": "train", "category": "hum", "captions": []})
        (root / "audio/corrupt.flac").write_bytes(b"fLaC not really")
        rows.append(
            {"id": "corrupt", "path": "audio/corrupt.flac", "split": "train", "category": "hum", "captions": []}
        )
    with open(root / "manifest.jsonl", "w") as fh:
        for r in rows:
            data = (root / r["path"]).read_bytes()
            r.update(
                ucs_catid="", source_package="fake", licence="CC0", duration_s=0.0, sample_rate=SR,
                sha256=hashlib.sha256(data).hexdigest(),
            )  # fmt: skip
            fh.write(json.dumps(r) + "\n")
    return root
