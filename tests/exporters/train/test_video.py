"""CLIPSonic on real (tiny) video files: PyAV decoding, tiny random CLIP, image/text/hybrid conditioning."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from exporters.checkpoint import load_checkpoint
from exporters.encoders.torchvision_guard import install as _guard
from exporters.train.config import config_from_dict
from exporters.train.data import scan_video_folder
from exporters.train.loop import train
from exporters.train.recipes import prepare
from tests.exporters.train.conftest import TINY_DENOISER_MODEL
from tests.exporters.train.fake_video import SCENES, make_video_folder

_guard()
pytest.importorskip("open_clip")

TINY_CLIP = {
    "embed_dim": 16,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "head_width": 16, "patch_size": 8},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_video_folder(tmp_path_factory.mktemp("videos"))
    sf.write(root / "red_beep" / "stray_audio.wav", 0.2 * np.ones(4800, np.float32), 24000)  # audio-only
    (root / "blue_hum" / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 not a video")
    return root


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder with a tiny CLIP config and a fixed random checkpoint of it (clip.pt)."""
    from exporters.encoders.clip import ClipConfig, load_clip

    d = tmp_path_factory.mktemp("clipcfg")
    (d / "sfxgen-tiny-clip-train.json").write_text(json.dumps(TINY_CLIP))
    torch.manual_seed(0)
    model, _, _ = load_clip(ClipConfig("sfxgen-tiny-clip-train", None, str(d)))
    torch.save(model.state_dict(), d / "clip.pt")
    return d


def _clip(clip_dir: Path) -> dict:
    cfg = {"model_name": "sfxgen-tiny-clip-train", "config_dir": str(clip_dir), "checkpoint": str(clip_dir / "clip.pt")}
    return {"type": "clip", "config": cfg}


def _config(videos: Path, clip_dir: Path, condition: str, steps: int = 6):
    return config_from_dict(
        {
            "task": "denoiser",
            "model": TINY_DENOISER_MODEL,
            "data": {"kind": "video_folder", "path": str(videos), "frames_per_video": 3, "valid_split": ""},
            "encoder": _clip(clip_dir),
            "denoiser": {"condition": condition, "crop_frames": 32},
            "loop": {"steps": steps, "batch_size": 4, "log_every": 1, "checkpoint_every": 3, "checkpoint_minutes": 0},
        }
    )


def test_video_folder_lists_files(videos: Path) -> None:
    clips = scan_video_folder(videos)
    assert len(clips) == 2 * len(SCENES) + 2
    assert {c.category for c in clips} == {"red beep", "blue hum", "green hiss"}


def test_clipsonic_image_conditioned_resume_exact(videos: Path, clip_dir: Path, tmp_path: Path) -> None:
    cfg = _config(videos, clip_dir, "image").replace(cache_dir=str(tmp_path / "cache"))
    task = prepare(cfg, tmp_path / "a", progress=False)
    report = (tmp_path / "a" / "cache_report.txt").read_text()
    assert "audio-only file in a video folder" in report and "stray_audio.wav" in report
    assert "broken.mp4" in report
    assert task.num_items() == 2 * len(SCENES)
    it = task.items[0]
    assert it.image_emb.shape == (3, 16) and it.frame_times.shape == (3,)
    assert np.allclose(np.linalg.norm(it.image_emb, axis=1), 1.0, atol=1e-5)
    # frames of different scenes embed differently, frames of one (static) scene nearly the same
    by_cat = {t.clip.category: t.image_emb for t in task.items}
    assert float(by_cat["red beep"][0] @ by_cat["blue hum"][0]) < float(by_cat["red beep"][0] @ by_cat["red beep"][1])
    train(cfg, task, tmp_path / "a")
    train(cfg, prepare(cfg, tmp_path / "b", progress=False), tmp_path / "b", stop_at=5, save_at_end=False)
    train(cfg, prepare(cfg, tmp_path / "b", progress=False), tmp_path / "b", resume=True)
    a = load_checkpoint(tmp_path / "a" / "last.pt").components["denoiser"]
    b = load_checkpoint(tmp_path / "b" / "last.pt").components["denoiser"]
    assert all(torch.equal(a.state_dict[k], b.state_dict[k]) for k in a.state_dict)
    assert all(torch.equal(a.ema[k], b.ema[k]) for k in a.ema)
    ckpt = load_checkpoint(tmp_path / "a" / "last.pt")
    assert ckpt.query["condition"] == "image" and ckpt.query["type"] == "clip"
    _export_and_generate(tmp_path / "a" / "last.pt", videos, tmp_path)


def _export_and_generate(ckpt: Path, videos: Path, tmp_path: Path) -> None:
    """trained checkpoint -> bundle (tiny CLIP text + image towers) -> engine, text and image queries."""
    from exporters.export import export_bundle
    from exporters.train.media import video_frames
    from sfxgen.engine import Engine
    from sfxgen.request import GenerateRequest, QueryMode

    bundle, reports = export_bundle(ckpt, tmp_path / "bundle")
    assert all(r.ok for r in reports) and bundle.query.condition == "image"
    frame = tmp_path / "frame.png"
    video_frames(videos / "red_beep" / "red_beep_0.mp4", [0.5])[0].save(frame)
    with Engine(bundle.root, providers="cpu", num_threads=1) as eng:
        for mode, image in ((QueryMode.IMAGE, frame), (QueryMode.TEXT, None)):
            req = GenerateRequest(
                prompt="a red beep", image=image, query_mode=mode, duration=0.5, variations=1, seed=1, steps=3,
                out_dir=tmp_path / f"out_{mode.value}",
            )  # fmt: skip
            result = eng.generate(req, timeout=120)
            wave, sr = sf.read(result.files[0])
            assert sr == result.sample_rate and len(wave) > 0.4 * sr and np.isfinite(wave).all()


@pytest.mark.parametrize("condition", ["text", "hybrid"])
def test_text_and_hybrid_train(videos: Path, clip_dir: Path, tmp_path: Path, condition: str) -> None:
    cfg = _config(videos, clip_dir, condition, steps=3).replace(cache_dir=str(tmp_path / "cache"))
    out = train(cfg, prepare(cfg, tmp_path / "run", progress=False), tmp_path / "run")
    assert out["step"] == 3 and np.isfinite(out["loss"])


def test_prior_sd_trains_resumes_and_exports_with_the_denoiser(videos: Path, clip_dir: Path, tmp_path: Path) -> None:
    """CLIPSonic-SD: prior on (caption, frame) pairs; bundle with denoiser + prior generates in prior mode."""
    from exporters.export import export_bundle
    from sfxgen.engine import Engine
    from sfxgen.request import GenerateRequest, QueryMode

    cache = str(tmp_path / "cache")
    base = _config(videos, clip_dir, "image", steps=4).replace(cache_dir=cache)
    train(base, prepare(base, tmp_path / "den", progress=False), tmp_path / "den")
    manifest = tmp_path / "videos.jsonl"  # a manifest with a validation split (one video per scene)
    rows = [
        {"id": p.stem, "path": str(p), "split": "valid" if p.stem.endswith("_1") else "train",
         "category": p.parent.name.replace("_", " "), "captions": [f"a {p.parent.name.replace('_', ' ')}"]}
        for p in sorted(videos.glob("*/*.mp4")) if p.name != "broken.mp4"
    ]  # fmt: skip
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows))
    prior_cfg = config_from_dict(
        {
            "task": "prior",
            "model": {
                "type": "prior",
                "config": {"embed_dim": 16, "token_dim": 32, "max_tokens": 77, "width": 32, "depth": 1, "num_heads": 2},
            },
            "data": {"kind": "video_folder", "path": str(manifest), "frames_per_video": 3, "split": "train",
                     "valid_split": "valid"},
            "encoder": _clip(clip_dir),
            "schedule": {"num_train_steps": 64},
            "loop": {"steps": 6, "batch_size": 4, "log_every": 1, "checkpoint_every": 2, "checkpoint_minutes": 0,
                     "sample_every": 6},
            "cache_dir": cache,
        }
    )  # fmt: skip
    task = prepare(prior_cfg, tmp_path / "p1", progress=False)
    assert task.num_items() == len(SCENES) and len(task.valid["gap_texts"]) == len(SCENES)
    train(prior_cfg, task, tmp_path / "p1")
    train(prior_cfg, prepare(prior_cfg, tmp_path / "p2", progress=False), tmp_path / "p2", stop_at=5, save_at_end=False)
    train(prior_cfg, prepare(prior_cfg, tmp_path / "p2", progress=False), tmp_path / "p2", resume=True)
    a = load_checkpoint(tmp_path / "p1" / "last.pt").components["prior"]
    b = load_checkpoint(tmp_path / "p2" / "last.pt").components["prior"]
    assert all(torch.equal(a.ema[k], b.ema[k]) for k in a.ema)
    with open(tmp_path / "p1" / "diagnostics.csv") as fh:
        header, row = fh.read().split()
    gap = dict(zip(header.split(","), map(float, row.split(",")), strict=True))
    assert -1.0 <= gap["sim_text_image"] <= 1.0 and -1.0 <= gap["sim_prior_image"] <= 1.0

    bundle, reports = export_bundle(
        tmp_path / "den" / "last.pt", tmp_path / "bundle", prior_checkpoint=tmp_path / "p1" / "last.pt"
    )
    assert bundle.prior is not None and all(r.ok for r in reports)
    with Engine(bundle.root, providers="cpu", num_threads=1) as eng:
        req = GenerateRequest(
            prompt="a blue hum", query_mode=QueryMode.PRIOR, duration=0.5, variations=1, seed=2, steps=3,
            out_dir=tmp_path / "out",
        )  # fmt: skip
        result = eng.generate(req, timeout=120)
    assert result.files[0].is_file()


def test_image_audio_pairs_train(clip_dir: Path, tmp_path: Path) -> None:
    """tuxpaint-style pairs: picture + sound + caption file sharing a stem."""
    from PIL import Image

    root = tmp_path / "stamps" / "animals"
    root.mkdir(parents=True)
    t = np.arange(24000) / 24000
    for name, colour, f in (("cat", (200, 120, 40), 700.0), ("cow", (40, 40, 40), 150.0)):
        Image.new("RGBA", (40, 30), (*colour, 255)).save(root / f"{name}.png")
        sf.write(root / f"{name}.ogg", (0.3 * np.sin(2 * np.pi * f * t)).astype(np.float32), 24000)
        (root / f"{name}.txt").write_text(f"A {name}.\n")
    cfg = _config(tmp_path / "stamps", clip_dir, "image", steps=2)
    cfg = cfg.replace(data=cfg.data.__class__(kind="image_audio", path=str(tmp_path / "stamps"), valid_split=""))
    cfg = cfg.replace(cache_dir=str(tmp_path / "cache"))
    task = prepare(cfg, tmp_path / "run", progress=False)
    assert task.num_items() == 2 and task.items[0].image_emb.shape == (1, 16)
    assert train(cfg, task, tmp_path / "run")["step"] == 2
