from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from exporters.train.cache import CacheSpec, build_clip_cache, text_embeddings
from exporters.train.data import DataError, read_manifest
from exporters.train.encoders import HashedEncoder
from sfxgen.configs import MelConfig
from sfxgen.mel import log_mel, normalize
from tests.exporters.train.fakes import make_fake_corpus


def test_cache_skips_bad_files_and_resumes(fake_corpus: Path, tmp_path: Path) -> None:
    clips = read_manifest(fake_corpus, "train")
    spec = CacheSpec(mel=MelConfig(), store_audio=True)
    items, report = build_clip_cache(clips, tmp_path, spec, progress=False)
    assert report.ok == len(clips) - 2 and report.cached == 0
    reasons = dict(report.skipped)
    assert "silent" in reasons["silent"] and "unreadable" in reasons["corrupt"]
    # the stored mel is the runtime's normalised log-mel of the 24 kHz audio
    import soundfile as sf

    wave, sr = sf.read(items[0].clip.path, dtype="float32")
    ref = normalize(log_mel(wave, MelConfig()), MelConfig())
    assert sr == 24000 and items[0].mel.shape == ref.shape
    assert np.max(np.abs(items[0].mel - ref)) < 0.01  # float16 storage
    assert items[0].audio.dtype == np.int16
    items2, report2 = build_clip_cache(clips, tmp_path, spec, progress=False)
    assert report2.cached == report.ok and len(report2.skipped) == 2
    assert all(np.array_equal(a.mel, b.mel) for a, b in zip(items, items2, strict=True))


def test_augmented_variants_differ(fake_corpus: Path, tmp_path: Path) -> None:
    clips = [c for c in read_manifest(fake_corpus, "train") if c.category == "beep"]
    items, _ = build_clip_cache(clips, tmp_path, CacheSpec(mel=MelConfig(), variants=1), progress=False)
    assert len(items) == 2 * len(clips)
    a, b = items[0], items[1]
    assert a.clip.id == b.clip.id and (a.variant, b.variant) == (0, 1)
    assert a.mel.shape != b.mel.shape or not np.allclose(a.mel, b.mel)


def test_nothing_usable_is_a_clear_error(tmp_path: Path) -> None:
    root = make_fake_corpus(tmp_path / "c", per_category=1)
    clips = [c for c in read_manifest(root) if c.id in ("silent", "corrupt")]
    with pytest.raises(DataError, match="no usable clips"):
        build_clip_cache(clips, tmp_path / "cache", CacheSpec(mel=MelConfig()), progress=False)


def test_text_embeddings_are_cached_incrementally(tmp_path: Path) -> None:
    enc = HashedEncoder(dim=8)
    e1 = text_embeddings(["a dog", "rain"], enc, tmp_path)
    e2 = text_embeddings(["rain", "thunder", "a dog"], enc, tmp_path)
    assert np.allclose(e2[0], e1[1]) and np.allclose(e2[2], e1[0])
    assert np.allclose(np.linalg.norm(e2, axis=1), 1.0)


def test_sharded_fill_then_full_build_reuses_everything(fake_corpus: Path, tmp_path: Path) -> None:
    clips = read_manifest(fake_corpus, "train")
    spec = CacheSpec(mel=MelConfig())
    for i in range(3):
        build_clip_cache(clips, tmp_path, spec, progress=False, shard=(i, 3))
    assert len(list(tmp_path.glob("index.*-of-3.json"))) == 3
    _, report = build_clip_cache(clips, tmp_path, spec, progress=False)
    assert report.cached == report.ok == len(clips) - 2 and len(report.skipped) == 2


def test_run_writes_a_data_card(fake_corpus: Path, tmp_path: Path) -> None:
    import json

    from exporters.train.recipes import prepare
    from tests.exporters.train.conftest import tiny_denoiser_config

    cfg = tiny_denoiser_config(fake_corpus).replace(cache_dir=str(tmp_path / "cache"))
    prepare(cfg, tmp_path / "run", progress=False)
    card = json.loads((tmp_path / "run" / "data_card.json").read_text())
    assert card["clips"] == 8 and card["skipped"] == 2
    assert card["categories"] == {"beep": 2, "clicks": 2, "hiss": 2, "hum": 2}
    assert card["sources"]["fake"]["licences"] == ["CC0"] and 0.1 < card["minutes"] < 0.2  # 4 x (0.6 + 1.5) s
