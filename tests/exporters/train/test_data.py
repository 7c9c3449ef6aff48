from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from exporters.train.config import DataConfig
from exporters.train.data import (
    DataError,
    caption_from_path,
    caption_pool,
    clean_name,
    read_manifest,
    scan_audio_folder,
    scan_image_audio,
)


def test_clean_name_rules() -> None:
    assert clean_name("dog_bark_03") == "dog bark"
    assert clean_name("heavy1") == "heavy"
    assert caption_from_path(Path("door/slam_2.wav"), "parent_stem") == "door slam"
    assert caption_from_path(Path("rain/heavy1.ogg"), "parent") == "rain"
    with pytest.raises(DataError, match="caption_rule"):
        caption_from_path(Path("a.wav"), "guess")


def test_manifest_split_and_paths(fake_corpus: Path) -> None:
    train = read_manifest(fake_corpus, "train")
    valid = read_manifest(fake_corpus / "manifest.jsonl", "valid")
    assert len(valid) == 4 and all(c.split == "valid" for c in valid)
    assert all(c.path.is_absolute() and c.path.is_file() for c in train)
    assert {c.category for c in valid} == {"beep", "hum", "hiss", "clicks"}
    with pytest.raises(DataError, match="no clips with split"):
        read_manifest(fake_corpus, "nope")
    with pytest.raises(DataError, match="no corpus manifest"):
        read_manifest(fake_corpus / "audio")


def test_caption_pool_has_category_captions_and_paraphrases(fake_corpus: Path) -> None:
    clips = [c for c in read_manifest(fake_corpus, "train") if c.category == "beep"]
    pools = caption_pool(clips, DataConfig())
    pool = pools[clips[0].id]
    assert "a high beep" in pool and "electronic beep tone" in pool
    assert "the sound of beep" in pool and "beep sound effect" in pool
    assert list(pool) == sorted(pool)


def test_audio_folder_csv_and_rules(tmp_path: Path) -> None:
    (tmp_path / "dogs").mkdir()
    sf.write(tmp_path / "dogs" / "bark_01.wav", np.zeros(1000, np.float32), 24000)
    sf.write(tmp_path / "dogs" / "growl.wav", np.zeros(1000, np.float32), 24000)
    clips = scan_audio_folder(tmp_path, caption_rule="parent_stem")
    assert sorted(c.captions[0] for c in clips) == ["dogs bark", "dogs growl"]
    assert {c.category for c in clips} == {"dogs"}
    with open(tmp_path / "caps.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "caption", "category"])
        w.writerow(["dogs/bark_01.wav", "a dog barks", "dog"])
        w.writerow(["dogs/bark_01.wav", "barking hound", "dog"])
    clips = scan_audio_folder(tmp_path, captions_csv="caps.csv")
    assert len(clips) == 1 and clips[0].captions == ("a dog barks", "barking hound") and clips[0].category == "dog"


def test_empty_folders_give_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no usable audio files"):
        scan_audio_folder(tmp_path)
    (tmp_path / "clip.mp4").write_bytes(b"")
    with pytest.raises(DataError, match="video_folder"):
        scan_audio_folder(tmp_path)
    with pytest.raises(DataError, match="image\\+audio pairs"):
        scan_image_audio(tmp_path)


def test_shipped_recipes_parse() -> None:
    from exporters.configs import parse_spec
    from exporters.train.config import RECIPES_DIR, load_config

    names = sorted(p.stem for p in RECIPES_DIR.glob("*.toml"))
    assert {"default_denoiser", "default_vocoder", "clipsonic_video", "prior"} <= set(names)
    for name in names:
        config = load_config(RECIPES_DIR / f"{name}.toml")
        parse_spec(config.model, name)


def test_refiner_recipe_grows_the_shipped_denoiser() -> None:
    """`--init-from models/default` works: the recipe is the bundle's denoiser plus a refiner, trained alone."""
    import json

    from exporters.train.config import RECIPES_DIR, load_config

    config = load_config(RECIPES_DIR / "default_refiner.toml")
    shipped = json.loads((Path(__file__).parents[3] / "models/default/bundle.json").read_text())
    have = shipped["graphs"]["denoiser"]["config"]["config"]
    want = config.model["config"]
    assert want["refiner_channels"] > 0 and config.optim.train_only == ("refiner.",)
    base = {k: v for k, v in want.items() if not k.startswith("refiner_")}
    assert {k: have[k] for k in base} == {k: (list(v) if isinstance(v, tuple) else v) for k, v in base.items()}


def test_joint_recipe_continues_the_shipped_denoiser() -> None:
    """`default_joint` is the shipped denoiser's architecture exactly, refiner included, with every weight free."""
    import json

    from exporters.train.config import RECIPES_DIR, load_config

    config = load_config(RECIPES_DIR / "default_joint.toml")
    shipped = json.loads((Path(__file__).parents[3] / "models/default/bundle.json").read_text())
    have = shipped["graphs"]["denoiser"]["config"]["config"]
    want = {k: (list(v) if isinstance(v, tuple) else v) for k, v in config.model["config"].items()}
    assert {k: have[k] for k in want} == want and have["refiner_channels"] > 0
    assert not config.optim.train_only and config.optim.lr < load_config(RECIPES_DIR / "default_refiner.toml").optim.lr
